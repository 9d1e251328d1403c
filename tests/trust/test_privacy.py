"""Privacy: who sees contacts, export and erasure of a customer's data, consented public quotes."""

from __future__ import annotations

import pytest
from auth_helpers import token_for
from sqlalchemy import update

from feedbackloop.accounts.models import User
from feedbackloop.feedback.models import Feedback
from feedbackloop.privacy import can_see_contact, public_quotes


@pytest.mark.parametrize(
    ("role", "sees"),
    [("admin", True), ("csm", True), ("agent", False), ("supervisor", False), ("analyst", False),
     ("product_manager", False), ("customer", False)],
)  # fmt: skip
def test_only_admin_and_csm_see_raw_contacts(role, sees):
    assert can_see_contact(User(username="u", role=role)) is sees


def test_contact_endpoint_follows_the_role(client, make_user, make_feedback):
    item = make_feedback(contact="13812345678")
    agent = token_for(client, *make_user("agent"))
    csm = token_for(client, *make_user("csm"))
    assert client.get(f"/api/v1/feedback/{item.id}/contact", headers=agent).status_code == 403
    assert client.get(f"/api/v1/feedback/{item.id}/contact", headers=csm).json()["contact"] == "13812345678"
    listed = client.get("/api/v1/feedback", headers=agent)
    assert "13812345678" not in listed.text and "138****5678" in listed.text


def test_export_returns_all_of_the_customers_feedback(client, admin_headers, make_feedback):
    make_feedback(content="第一条: 物流慢", contact="li@example.com")
    make_feedback(content="第二条: 包装破损", contact="li@example.com")
    make_feedback(content="别人的反馈", contact="other@example.com")
    r = client.post("/api/v1/privacy/export", json={"contact": "li@example.com"}, headers=admin_headers)
    assert r.status_code == 200
    contents = [f["content"] for f in r.json()["feedback"]]
    assert contents == ["第一条: 物流慢", "第二条: 包装破损"]
    assert "别人的反馈" not in r.text


def test_erasure_replaces_personal_data_and_is_audited(client, admin_headers, make_feedback, db):
    kept = make_feedback(content="别人的反馈", contact="other@example.com", customer_name="赵六")
    gone = make_feedback(content="我的手机号 13900001111", contact="13900001111", customer_name="钱七")
    r = client.post(
        "/api/v1/privacy/erase", json={"contact": "13900001111", "confirm": True}, headers=admin_headers
    )
    assert r.status_code == 200 and r.json()["erased"] == [gone.id]
    db.commit()  # end the test session's read snapshot
    db.expire_all()
    erased, other = db.get(Feedback, gone.id), db.get(Feedback, kept.id)
    assert (erased.content, erased.contact, erased.customer_name) == ("[已删除]",) * 3
    assert other.content == "别人的反馈"
    assert client.post("/api/v1/privacy/export", json={"contact": "13900001111"}, headers=admin_headers).status_code == 404
    log = client.get("/api/v1/audit", params={"entity": "customer"}, headers=admin_headers).json()["items"]
    assert log[0]["action"] == "privacy.erase" and log[0]["after"] == {"erased": True}
    assert "13900001111" not in str(log)
    assert client.get("/api/v1/audit/verify", headers=admin_headers).json()["ok"]


def test_erasure_needs_confirmation_and_admin(client, admin_headers, make_user, make_feedback):
    make_feedback(contact="13900001111")
    body = {"contact": "13900001111", "confirm": False}
    assert client.post("/api/v1/privacy/erase", json=body, headers=admin_headers).status_code == 422
    csm = token_for(client, *make_user("csm"))
    assert client.post("/api/v1/privacy/erase", json={**body, "confirm": True}, headers=csm).status_code == 403


def test_public_quotes_only_consented_praise(client, make_feedback, db):
    praise = make_feedback(content="服务太好了, 感谢小王 13812345678", consent_public=True, customer_name="张三")
    make_feedback(content="服务很好, 但别公开", consent_public=False)
    complaint = make_feedback(content="太差了", consent_public=True)
    for fid, label in ((praise.id, "positive"), (complaint.id, "negative")):
        db.execute(update(Feedback).where(Feedback.id == fid).values(sentiment=label))
    db.execute(update(Feedback).where(Feedback.consent_public.is_(False)).values(sentiment="positive"))
    db.commit()
    quotes = public_quotes(db)
    assert [q["id"] for q in quotes] == [praise.id]
    assert "13812345678" not in quotes[0]["quote"] and quotes[0]["customer"] == "张*"
    assert client.get("/api/v1/public/quotes").json() == quotes


def test_an_erased_item_leaves_no_analysis_behind_and_themes_and_plans_still_answer(client, db, admin_headers,
                                                                                    make_feedback):  # fmt: skip
    """Erasure empties the analysis (SQL NULL, not a JSON null that every `analysis IS NOT NULL` reader would
    take for an analysis), and the pages that read recent analyses keep working."""
    from sqlalchemy import text

    make_feedback(content="送餐太慢了, 等了两个小时", contact="gone@example.com")
    make_feedback(content="配送太慢了, 饭都凉了", contact="stays@example.com")
    r = client.post("/api/v1/privacy/erase", json={"contact": "gone@example.com", "confirm": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/themes", headers=admin_headers).status_code == 200
    db.rollback()
    assert db.scalar(text("SELECT count(*) FROM feedback WHERE analysis IS NOT NULL")) == 1
