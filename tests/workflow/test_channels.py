"""Replies that reach phone-only and WeChat customers: SMS by Aliyun or Tencent Cloud with their real request
signing, WeChat service-account template messages, chosen by configuration and checked by a local provider
server that verifies what it receives; length rules; the result recorded on the item; 待人工外呼 without one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from provider_server import ProviderServer
from sqlalchemy import select

from feedbackloop.config import get_settings
from feedbackloop.feedback.models import Feedback
from feedbackloop.workflow.channels import send_to_customer
from feedbackloop.workflow.channels.aliyun_sms import sign
from feedbackloop.workflow.models import HistoryEntry, Notification, Reply

PHONE = "13812345678"


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    with ProviderServer() as server:
        yield server


def configure_sms(monkeypatch: pytest.MonkeyPatch, server: ProviderServer, vendor: str, secret: str | None = None) -> None:
    settings = get_settings()
    for key, value in {
        "sms_provider": vendor, "sms_endpoint": f"{server.url}/{vendor}/", "sms_key_id": server.key_id,
        "sms_key_secret": secret or server.secret, "sms_sign_name": "反馈闭环", "sms_template": "SMS_0001",
        "sms_app_id": "1400000001", "sms_region": "",
    }.items():
        monkeypatch.setattr(settings, key, value)


def test_the_aliyun_signature_matches_the_vendors_documented_example() -> None:
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }  # fmt: skip
    assert sign(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def _phone_item(make_feedback, client, staff):  # type: ignore[no-untyped-def]
    record = make_feedback(content="外卖送错了, 请联系我", contact=PHONE)
    owner = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()["owner_id"]
    agent = staff["a1"] if staff["a1"][0].id == owner else staff["a2"]
    return record, agent


def test_an_sms_reply_to_a_phone_only_customer_is_signed_sent_recorded_and_shown(
    client, staff, team, make_feedback, db, monkeypatch, provider
):
    configure_sms(monkeypatch, provider, "aliyun")
    record, agent = _phone_item(make_feedback, client, staff)
    text = "您好, 您的订单已重新安排配送, 骑手预计 30 分钟内送达, 给您带来不便非常抱歉, 补偿券已发放到您的账户。"
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=agent[1], json={"body": text})
    assert r.status_code == 201, r.text
    [req] = provider.of("aliyun")
    assert req.signature_ok, req.params
    assert req.params["PhoneNumbers"] == PHONE and req.params["Action"] == "SendSms"
    variables = json.loads(req.params["TemplateParam"])
    assert variables["code"] == record.id and len(variables["content"]) <= 35 and variables["content"].endswith("…")
    db.rollback()
    reply = db.scalar(select(Reply).where(Reply.feedback_id == record.id))
    assert reply.kind == "sms" and reply.state == "sent" and reply.provider == "aliyun_sms"
    assert reply.message_id.startswith("9006197469364984^")
    assert variables["link"].endswith(f"/s/{db.get(Feedback, record.id).status_token}")
    events = [h.reason for h in db.scalars(select(HistoryEntry).where(HistoryEntry.feedback_id == record.id))]
    assert any("阿里云短信" in (e or "") and reply.message_id in (e or "") for e in events), events
    page = client.get("/s/" + variables["link"].rsplit("/s/", 1)[1])
    assert page.status_code == 200 and "骑手预计 30 分钟内送达" in page.text


def test_a_wrongly_signed_request_is_refused_and_the_failure_recorded(client, staff, team, make_feedback, db, monkeypatch, provider):
    configure_sms(monkeypatch, provider, "aliyun", secret="not-the-secret")
    record, agent = _phone_item(make_feedback, client, staff)
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=agent[1], json={"body": "已为您处理"})
    assert r.status_code == 201
    assert [q.signature_ok for q in provider.of("aliyun")] == [False]
    db.rollback()
    reply = db.scalar(select(Reply).where(Reply.feedback_id == record.id))
    assert reply.state == "failed" and "SignatureDoesNotMatch" in reply.error


def test_tencent_cloud_sms_with_tc3_signing(client, staff, team, make_feedback, db, monkeypatch, provider):
    configure_sms(monkeypatch, provider, "tencent")
    record, agent = _phone_item(make_feedback, client, staff)
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=agent[1], json={"body": "已为您重新配送", "kind": "sms"})
    assert r.status_code == 201, r.text
    [req] = provider.of("tencent")
    assert req.signature_ok, req.headers
    assert req.params["PhoneNumberSet"] == [f"+86{PHONE}"] and req.params["TemplateParamSet"][0] == record.id
    assert req.headers["x-tc-action"] == "SendSms"
    db.rollback()
    reply = db.scalar(select(Reply).where(Reply.feedback_id == record.id))
    assert reply.state == "sent" and reply.provider == "tencent_sms" and reply.message_id == "2640:123"


def test_wechat_template_message(client, staff, team, make_feedback, db, monkeypatch, provider):
    settings = get_settings()
    monkeypatch.setattr(settings, "wechat_app_id", provider.wechat_app_id)
    monkeypatch.setattr(settings, "wechat_app_secret", provider.wechat_secret)
    monkeypatch.setattr(settings, "wechat_template_id", "TPL-1")
    monkeypatch.setattr(settings, "wechat_endpoint", f"{provider.url}/wechat")
    record = make_feedback(content="房间空调坏了", contact="wechat:oABCdef123")
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1],
                    json={"body": "维修师傅已经到达您的房间门口, 请开门, 给您带来不便非常抱歉"})
    assert r.status_code == 201, r.text
    assert [q.signature_ok for q in provider.of("wechat-token")] == [True]
    [msg] = provider.of("wechat")
    assert msg.signature_ok and msg.params["touser"] == "oABCdef123"
    assert msg.params["url"].endswith("/s/" + db.get(Feedback, record.id).status_token)
    assert len(msg.params["data"]["thing1"]["value"]) <= 20
    db.rollback()
    assert db.scalar(select(Reply.state).where(Reply.feedback_id == record.id)) == "sent"


def test_without_a_provider_the_reply_is_recorded_for_a_call_back(client, staff, team, make_feedback, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "sms_provider", "")
    record, agent = _phone_item(make_feedback, client, staff)
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=agent[1], json={"body": "已为您重新配送"})
    assert r.status_code == 201, r.text  # not 409 "该客户没有可用的邮箱地址"
    db.rollback()
    reply = db.scalar(select(Reply).where(Reply.feedback_id == record.id))
    assert reply.state == "manual" and reply.kind == "sms"
    task = db.scalar(select(Notification).where(Notification.feedback_id == record.id, Notification.kind == "callback"))
    assert task is not None and task.user_id == agent[0].id and "待人工外呼" in task.title
    # a landline: no SMS at all, a call-back task too
    fixed = make_feedback(content="电话一直打不通", contact="021-62345678")
    r = client.post(f"/api/v1/feedback/{fixed.id}/replies", headers=staff["sup"][1], json={"body": "我们会致电您"})
    assert r.status_code == 201 and r.json()["kind"] == "phone"
    db.rollback()
    assert db.scalar(select(Reply.state).where(Reply.feedback_id == fixed.id)) == "manual"
    # asking for e-mail explicitly still says why not
    r = client.post(f"/api/v1/feedback/{fixed.id}/replies", headers=staff["sup"][1], json={"body": "x", "kind": "email"})
    assert r.status_code == 409


def test_send_to_customer_is_usable_on_its_own(monkeypatch, provider) -> None:
    configure_sms(monkeypatch, provider, "aliyun")
    result = send_to_customer(f"+86 {PHONE}", "新功能已上线", "http://x/s/t", reference="IDEA-1")
    assert result.ok and result.channel == "sms" and result.to == PHONE
    assert send_to_customer("nobody", "x", "http://x").state == "manual"


def test_a_reply_with_unfilled_placeholders_is_refused(client, staff, team, make_feedback):
    record = make_feedback(content="外卖送错了", contact="kh@example.com")
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1],
                    json={"body": "非常抱歉 {product} 给您带来不便"})
    assert r.status_code == 422 and "产品/服务" in r.text


def test_a_call_back_for_an_unowned_item_goes_to_its_team(client, staff, team, make_feedback, db, monkeypatch, admin_headers):
    """No owner to call the customer (the team works from a pool): the task reaches the team's handlers."""
    monkeypatch.setattr(get_settings(), "sms_provider", "")
    r = client.put(f"/api/v1/workflow/teams/{team['id']}", headers=admin_headers, json={"strategy": "pool"})
    assert r.status_code == 200, r.text
    record = make_feedback(content="外卖送错了，请联系我", contact=PHONE)
    db.rollback()
    assert db.get(Feedback, record.id).owner_id is None
    r = client.post(f"/api/v1/feedback/{record.id}/replies", headers=staff["sup"][1], json={"body": "我们会尽快致电您"})
    assert r.status_code == 201, r.text
    db.rollback()
    told = set(db.scalars(select(Notification.user_id).where(Notification.feedback_id == record.id,
                                                             Notification.kind == "callback")))  # fmt: skip
    assert told == {staff["a1"][0].id, staff["a2"][0].id}
    reason = db.scalar(select(HistoryEntry.reason).where(HistoryEntry.feedback_id == record.id,
                                                         HistoryEntry.kind == "delivery"))  # fmt: skip
    zh, _sep, en = reason.partition(" / ")
    assert "待人工外呼" in zh and "未配置短信服务" in zh and en.startswith("To call by hand: No SMS provider")
