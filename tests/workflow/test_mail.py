"""Email through real SMTP servers (aiosmtpd): replies go out with the status link, mail in creates or threads."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from wf_helpers import free_port

from feedbackloop.feedback.models import Feedback
from feedbackloop.workflow.mail import InboundHandler
from feedbackloop.workflow.models import Reply


@pytest.fixture
def listener(db):  # type: ignore[no-untyped-def]
    """`feedbackloop mail-listen`'s handler on a real SMTP port."""
    port = free_port()
    controller = Controller(InboundHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def _mail(port: int, sender: str, subject: str, body: str, **headers: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "service@feedbackloop.local", subject
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_a_reply_arrives_by_email_with_the_status_link(client, staff, team, make_feedback, mailbox, db):
    record = make_feedback(content="会员积分没有到账", contact="li.lei@example.com", customer_name="李雷")
    r = client.post(
        f"/api/v1/feedback/{record.id}/replies",
        headers=staff["sup"][1],
        json={"body": "李先生您好, 积分已补发。", "subject": "积分补发"},
    )
    assert r.status_code == 201, r.text
    got = mailbox.to("li.lei@example.com")
    assert len(got) == 1
    msg = got[0]
    assert f"[{record.id}]" in msg["Subject"]
    text = msg.get_content()
    assert "积分已补发" in text and "/s/" in text
    token = text.split("/s/")[1].split()[0]
    assert client.get(f"/s/{token}").status_code == 200
    stored = client.get(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1]).json()
    assert stored[0]["state"] == "sent" and stored[0]["message_id"] == msg["Message-ID"]
    assert client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()[
        "first_responded_at"
    ]


def test_a_failed_send_is_recorded_not_lost(client, staff, team, make_feedback, monkeypatch):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "smtp_port", free_port())  # nothing listens there
    record = make_feedback(content="发票抬头错了", contact="x@example.com")
    r = client.post(
        f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1], json={"body": "已重开发票"}
    )
    assert r.status_code == 201
    stored = client.get(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1]).json()
    assert stored[0]["state"] == "failed" and "Connection" in stored[0]["error"]


def test_no_email_reply_without_an_address(client, staff, team, make_feedback):
    record = make_feedback(content="电话反馈: 门店排队太久", contact="13812345678")
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1],
                    json={"body": "抱歉", "kind": "email"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_email"
    # the default kind replies on the channel the contact is (SMS; see test_channels.py), not a 409
    note = client.post(
        f"/api/v1/feedback/{record.id}/replies",
        headers=staff["sup"][1],
        json={"body": "已电话回访", "kind": "note"},
    )
    assert note.status_code == 201 and note.json()["state"] == "draft"


def test_inbound_mail_creates_feedback(listener, db):
    _mail(
        listener, "王芳 <wang.fang@example.com>", "投诉: 空调不制冷", "房间 1203 空调一晚上都不制冷, 没睡好。"
    )
    db.rollback()  # a fresh snapshot: the listener wrote in another connection
    record = db.scalar(select(Feedback).where(Feedback.channel == "email"))
    assert record is not None
    assert "空调不制冷" in record.content and record.contact == "wang.fang@example.com"
    assert record.customer_name == "王芳"
    assert record.status in ("triaged", "assigned")


def test_an_answer_with_the_fb_id_threads_onto_the_item_and_resumes_the_clock(
    client, staff, team, make_feedback, listener, db
):
    record = make_feedback(content="快递丢件", contact="k@example.com")
    sup = staff["sup"][1]
    client.post(
        f"/api/v1/feedback/{record.id}/transition",
        headers=sup,
        json={"to": "waiting_customer", "reason": "请提供单号"},
    )
    _mail(listener, "k@example.com", f"Re: [{record.id}] 关于您的反馈", "单号是 SF123456789\n> 旧邮件内容")
    db.rollback()  # a fresh snapshot: the listener wrote in another connection
    assert db.scalar(select(Feedback.id).where(Feedback.channel == "email")) is None  # no new item
    inbound = db.scalars(select(Reply).where(Reply.feedback_id == record.id, Reply.direction == "in")).all()
    assert len(inbound) == 1 and "SF123456789" in inbound[0].body and "旧邮件" not in inbound[0].body
    assert client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()["status"] == "in_progress"


def test_an_answer_threads_by_in_reply_to_when_the_subject_lost_the_id(
    client, staff, team, make_feedback, listener, mailbox, db
):
    record = make_feedback(content="订单重复扣款", contact="p@example.com")
    client.post(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1], json={"body": "正在核实"})
    sent_id = mailbox.to("p@example.com")[0]["Message-ID"]
    _mail(
        listener, "p@example.com", "回复: 谢谢", "好的, 等你们消息", In_Reply_To=sent_id, References=sent_id
    )
    db.rollback()  # a fresh snapshot: the listener wrote in another connection
    inbound = db.scalars(select(Reply).where(Reply.feedback_id == record.id, Reply.direction == "in")).all()
    assert [r.body for r in inbound] == ["好的, 等你们消息"]
