"""Erasure (privacy) finds a customer who only voted, co-signed or subscribed on the idea board — by phone or
e-mail, with no feedback item at all — erases what the board keeps of them, audits it and says what it erased."""

from __future__ import annotations

import re

import pytest
from idea_helpers import new_idea, status_token_of, verified_token
from sqlalchemy import func, select

from feedbackloop.ideas import channels
from feedbackloop.ideas.models import Notice, Subscription, VerificationCode, Vote, Voter


@pytest.fixture
def texts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """A text-message channel that keeps what it was given (phone, text)."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(channels, "sms_sender", lambda phone, text, link, code: sent.append((phone, f"{text} {link}")))
    return sent


def _erase(client, headers, contact: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/privacy/erase", json={"contact": contact, "confirm": True}, headers=headers)


def _phone_token(client, texts, phone: str) -> str:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/public/ideas/verify", json={"contact": phone})
    assert r.status_code == 202, r.text
    code = re.search(r"(\d{6})", texts[-1][1]).group(1)
    r2 = client.post(f"/api/v1/public/ideas/verify/{r.json()['challenge']}", json={"code": code})
    assert r2.status_code == 200, r2.text
    return r2.json()["voter_token"]


def test_a_customer_who_only_voted_and_cosigned_by_email_is_erased(client, admin_headers, mailbox, db):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    other = new_idea(client, admin_headers, "支持微信支付")
    token = verified_token(client, mailbox, "Only.Voter@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "comment": "晚上太刺眼，我是李雷"})
    assert r.status_code == 201
    assert client.post(f"/api/v1/public/ideas/{other['id']}/subscriptions", json={"voter_token": token}).status_code == 201
    client.post("/api/v1/public/ideas/verify", json={"contact": "only.voter@example.com"})  # an unused code too
    r = _erase(client, admin_headers, "only.voter@example.com")
    assert r.status_code == 200, r.text
    assert r.json() == {"erased": [], "other": {"voters": 1, "votes": 1, "comments": 1, "subscriptions": 1, "codes": 2}}
    db.rollback()
    voter = db.scalars(select(Voter)).one()
    assert voter.contact is None and voter.notify is False and voter.identity_hash.startswith("erased:")
    vote = db.scalars(select(Vote)).one()
    assert vote.comment is None and vote.voter_id == voter.id  # the vote stays counted, of nobody
    assert client.get(f"/api/v1/public/ideas/{idea['id']}").json()["votes"] == 1
    assert db.scalar(select(func.count()).select_from(Subscription)) == 0
    assert db.scalar(select(func.count()).select_from(VerificationCode)) == 0
    # The old voter token names a voter who is nobody now; a fresh code makes a new identity (erasure wins).
    log = client.get("/api/v1/audit", params={"entity": "customer"}, headers=admin_headers).json()["items"]
    assert log[0]["action"] == "privacy.erase" and log[0]["after"]["other"]["votes"] == 1
    assert "only.voter" not in str(log).lower()
    assert client.get("/api/v1/audit/verify", headers=admin_headers).json()["ok"]


def test_a_customer_who_only_subscribed_by_phone_is_found_by_the_number(client, admin_headers, texts, db):
    idea = new_idea(client, admin_headers, "增加儿童座椅")
    token = _phone_token(client, texts, "139 0000 2222")
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/subscriptions", json={"voter_token": token}).status_code == 201
    r = _erase(client, admin_headers, "+86 139-0000-2222")  # written another way: the same person
    assert r.status_code == 200, r.text
    assert r.json()["other"] == {"voters": 1, "subscriptions": 1, "codes": 1}
    db.rollback()
    assert db.scalars(select(Voter)).one().contact is None


def test_a_customer_with_feedback_and_votes_gets_both_erased(client, admin_headers, mailbox, make_feedback, db):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    item = make_feedback(content="晚上太亮了", contact="both@example.com")
    token = verified_token(client, mailbox, "both@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    r = _erase(client, admin_headers, "both@example.com")
    assert r.status_code == 200 and r.json()["erased"] == [item.id] and r.json()["other"]["votes"] == 1


def test_the_voter_behind_an_erased_items_status_link_is_erased(client, admin_headers, make_feedback, db):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    item = make_feedback(content="晚上太亮了", contact="QQ 12345678")  # not a phone or e-mail: voted by its link
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": status_token_of(db, item)})
    assert r.status_code == 201, r.text
    r = _erase(client, admin_headers, "QQ 12345678")
    assert r.status_code == 200 and r.json()["other"] == {"voters": 1, "votes": 1}
    db.rollback()
    assert db.scalars(select(Voter)).one().feedback_id is None


def test_the_notices_an_erased_voter_got_keep_no_trace_of_them(client, admin_headers, mailbox, db):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    token = verified_token(client, mailbox, "told@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    r = client.put(f"/api/v1/ideas/{idea['id']}", json={"status": "shipped"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    db.rollback()
    notice = db.scalars(select(Notice)).one()
    assert notice.state == "sent"  # told before the erasure
    assert _erase(client, admin_headers, "told@example.com").json()["other"]["notices"] == 1
    db.rollback()
    notice = db.scalars(select(Notice)).one()
    assert notice.recipient_hash.startswith("erased:") and notice.address is None


def test_nothing_stored_for_the_contact_is_a_404_that_says_so(client, admin_headers):
    r = _erase(client, admin_headers, "nobody@example.com")
    assert r.status_code == 404
    assert "没有该联系方式的反馈、投票、关注或验证码" in r.json()["error"]["message"]
