"""您说，我们做: when an idea's improvement plan ships, every voter and every customer whose feedback is linked
is told once, by mail through a real SMTP server (aiosmtpd); the changelog shows it with the feedback count
and, once verified, the measured effect; unsubscribing stops it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from idea_helpers import SLOW, new_idea, slow_delivery, status_token_of, verified_token
from sqlalchemy import select

from feedbackloop.ideas import notify
from feedbackloop.ideas.models import Notice, Voter
from feedbackloop.lib.clock import clock

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def shipped_setup(client, admin_headers, mailbox, make_feedback, db):  # type: ignore[no-untyped-def]
    """A plan on slow delivery with an idea; two voters by e-mail, one by status link; complaints before."""
    clock.freeze(T0)
    team = client.post("/api/v1/teams", json={"name": "配送团队"}, headers=admin_headers).json()
    plan = client.post("/api/v1/improvements", headers=admin_headers,
                       json={"title": "骑手调度优化", "team_id": team["id"], "theme_keys": [SLOW]}).json()  # fmt: skip
    idea = new_idea(client, admin_headers, "送餐速度太慢", "希望半小时内送达",
                    public_reply="我们优化了骑手调度, 高峰期平均送达时间缩短到 28 分钟。", internal_note="张三负责, 预算 5 万")  # fmt: skip
    r = client.post(f"/api/v1/ideas/{idea['id']}/plan", json={"plan_id": plan["id"]}, headers=admin_headers)
    assert r.status_code == 200
    complaints = [slow_delivery(db, make_feedback, T0 - timedelta(days=d), f"c{d}@example.com", d) for d in (1, 2, 3)]
    complaints.append(slow_delivery(db, make_feedback, T0 - timedelta(days=4), "13912345678", 4))  # phone only
    linked = make_feedback(content="配送太慢", contact="linked@example.com")
    client.post(f"/api/v1/ideas/{idea['id']}/feedback", json={"feedback_ids": [linked.id]}, headers=admin_headers)
    for who in ("v1@example.com", "v2@example.com"):
        token = verified_token(client, mailbox, who)
        assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token}).status_code == 201
    by_link = make_feedback(content="太慢了", contact="c1@example.com")  # also a complainer: told once
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes",
                       json={"status_token": status_token_of(db, by_link)}).status_code == 201  # fmt: skip
    mailbox.messages.clear()
    return {"plan": plan, "idea": idea, "complaints": complaints}


def _ship(client, admin_headers, plan_id: int, status: str = "shipped") -> None:  # type: ignore[no-untyped-def]
    r = client.patch(f"/api/v1/improvements/{plan_id}", json={"status": status}, headers=admin_headers)
    assert r.status_code == 200, r.text


def test_shipping_the_plan_tells_every_voter_and_linked_customer_once(client, admin_headers, mailbox, shipped_setup, db):
    _ship(client, admin_headers, shipped_setup["plan"]["id"])
    told = sorted(str(m["To"]) for m in mailbox.messages)
    assert told == sorted(["v1@example.com", "v2@example.com", "c1@example.com", "c2@example.com",
                           "c3@example.com", "linked@example.com"])  # fmt: skip
    customer = mailbox.body(mailbox.to("c2@example.com")[0])
    assert "您反馈的问题" in customer and "已在新版本中修复" in str(mailbox.to("c2@example.com")[0]["Subject"])
    assert "高峰期平均送达时间缩短到 28 分钟" in customer and "/changelog#plan-" in customer
    voter = mailbox.body(mailbox.to("v1@example.com")[0])
    assert "您支持的想法「送餐速度太慢」已上线" in voter and "/ideas/unsubscribe/" in voter
    header = str(mailbox.to("v1@example.com")[0]["List-Unsubscribe"]).strip()
    assert header.startswith("<") and "/ideas/unsubscribe/" in header and header.strip("<>") in voter
    assert "张三" not in customer + voter  # the internal note stays inside
    # The phone-only complainer waits for the SMS channel instead of being dropped.
    db.rollback()
    phone = db.scalars(select(Notice).where(Notice.channel == "sms")).all()
    assert [n.state for n in phone] == ["pending_channel"] and phone[0].address == "13912345678"
    # The idea followed its plan on the board.
    assert client.get(f"/api/v1/public/ideas/{shipped_setup['idea']['id']}").json()["status_label"] == "已上线"
    # Announcing again (a retry, the periodic task) tells nobody twice.
    mailbox.messages.clear()
    db.rollback()
    assert notify.on_plan_status(db, shipped_setup["plan"]["id"]) == 0
    assert notify.deliver(db) == {"sent": 0, "failed": 0}
    assert mailbox.messages == []


def test_the_changelog_shows_the_count_and_once_verified_the_effect(client, admin_headers, shipped_setup, make_feedback, db):
    _ship(client, admin_headers, shipped_setup["plan"]["id"])
    entry = client.get("/api/v1/public/changelog").json()[0]
    assert entry["title"] == "骑手调度优化" and [i["title"] for i in entry["ideas"]] == ["送餐速度太慢"]  # what we did, for what was asked
    assert entry["feedback_count"] == 5 and entry["votes"] == 3
    assert entry["effect"] is None  # shipped, not verified yet
    clock.freeze(T0 + timedelta(days=4))
    slow_delivery(db, make_feedback, T0 + timedelta(days=1), None, 9)  # 4 before → 1 after: −75%
    _ship(client, admin_headers, shipped_setup["plan"]["id"], "verified")
    entry = client.get("/api/v1/public/changelog").json()[0]
    # Four days of after-data make no public claim yet: the page says the effect is being measured.
    assert entry["verified"] and entry["effect"] is None and entry["measuring"]
    assert 'data-testid="measuring"' in client.get("/changelog").text
    clock.freeze(T0 + timedelta(days=8))
    entry = client.get("/api/v1/public/changelog").json()[0]
    assert entry["verified"] and entry["effect"] == "相关投诉下降 75%" and not entry["measuring"]
    page = client.get("/changelog")
    assert "相关投诉下降 75%" in page.text and "5 条反馈提出" in page.text
    assert "骑手调度优化" in page.text and "查看想法 · 送餐速度太慢" in page.text
    assert "related complaints down 75%" in client.get("/changelog", params={"lang": "en"}).text


def test_unsubscribe_stops_the_notices_and_forgets_the_address(client, admin_headers, mailbox, shipped_setup, db):
    _ship(client, admin_headers, shipped_setup["plan"]["id"])
    link = re.search(r"/ideas/unsubscribe/(\S+)", mailbox.body(mailbox.to("v1@example.com")[0])).group(1)
    page = client.get(f"/ideas/unsubscribe/{link}")
    assert page.status_code == 200 and "确认退订" in page.text  # a GET changes nothing (mail scanners)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(f"/ideas/unsubscribe/{link}", data={"csrf_token": csrf})
    assert done.status_code == 200 and "已退订" in done.text
    db.rollback()
    voter = db.scalar(select(Voter).where(Voter.contact.is_(None), Voter.notify.is_(False)))
    assert voter is not None
    # A second shipped idea of the same voter: no mail to them.
    idea2 = new_idea(client, admin_headers, "增加夜间模式")
    token = verified_token(client, mailbox, "v2@example.com")
    client.post(f"/api/v1/public/ideas/{idea2['id']}/votes", json={"voter_token": token})
    mailbox.messages.clear()
    r = client.put(f"/api/v1/ideas/{idea2['id']}", json={"status": "shipped"}, headers=admin_headers)
    assert r.status_code == 200
    assert [str(m["To"]) for m in mailbox.messages] == ["v2@example.com"]
    forged = client.post(f"/ideas/unsubscribe/{voter.id}.deadbeef", data={"csrf_token": csrf})
    assert forged.status_code == 404


def test_a_failed_mail_is_kept_and_retried(client, admin_headers, shipped_setup, mailbox, db, monkeypatch):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "smtp_port", 1)  # nothing listens there
    _ship(client, admin_headers, shipped_setup["plan"]["id"])
    db.rollback()
    assert {n.state for n in db.scalars(select(Notice).where(Notice.channel == "email"))} == {"failed"}
    monkeypatch.setattr(get_settings(), "smtp_port", mailbox.port)
    assert notify.deliver(db)["sent"] == 6
    assert len(mailbox.messages) == 6



def test_a_follower_who_did_not_vote_is_told_too(client, admin_headers, mailbox, db):
    idea = new_idea(client, admin_headers, "支持微信支付")
    token = verified_token(client, mailbox, "follower@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/subscriptions", json={"voter_token": token})
    assert r.status_code == 201 and r.json()["subscribed"]
    again = client.post(f"/api/v1/public/ideas/{idea['id']}/subscriptions", json={"voter_token": token})
    assert again.status_code == 201  # following twice changes nothing
    assert client.get(f"/api/v1/public/ideas/{idea['id']}").json()["votes"] == 0  # following is not voting
    forged = client.post(f"/api/v1/public/ideas/{idea['id']}/subscriptions", json={"voter_token": "x" * 40})
    assert forged.status_code == 401
    mailbox.messages.clear()
    client.put(f"/api/v1/ideas/{idea['id']}", json={"status": "shipped"}, headers=admin_headers)
    assert [str(m["To"]) for m in mailbox.messages] == ["follower@example.com"]
    assert "已上线" in str(mailbox.messages[0]["Subject"])


def test_with_an_sms_provider_the_phone_only_customer_is_texted(client, admin_headers, shipped_setup, db, monkeypatch):
    from provider_server import ProviderServer

    from feedbackloop.config import get_settings

    with ProviderServer() as server:
        settings = get_settings()
        for key, value in {
            "sms_provider": "aliyun", "sms_endpoint": f"{server.url}/aliyun/", "sms_key_id": server.key_id,
            "sms_key_secret": server.secret, "sms_sign_name": "反馈闭环", "sms_template": "SMS_0001",
        }.items():  # fmt: skip
            monkeypatch.setattr(settings, key, value)
        _ship(client, admin_headers, shipped_setup["plan"]["id"])
        db.rollback()
        notify.deliver(db)  # whatever the request left queued
        db.rollback()
        phone = db.scalars(select(Notice).where(Notice.channel == "sms")).all()
        assert [n.state for n in phone] == ["sent"]
        texts = server.of("aliyun")
        assert len(texts) == 1 and texts[0].signature_ok and texts[0].params["PhoneNumbers"] == "13912345678"
        # The template's variables, each within the provider's 35 characters: the content still says what
        # happened (not cut before 已上线), and the one link opens the changelog and offers to unsubscribe.
        variables = json.loads(texts[0].params["TemplateParam"])
        assert len(variables["content"]) <= 35 and variables["content"].endswith("已修复上线"), variables
        assert "/changelog" in variables["link"] and "u=" in variables["link"]
        link = urlsplit(variables["link"])
        page = client.get(f"{link.path}?{link.query}")
        assert page.status_code == 200 and 'data-testid="unsubscribe-offer"' in page.text
        assert 'data-testid="unsubscribe-offer"' not in client.get(f"{link.path}?u=1.{'0' * 32}").text


def test_an_idea_linked_to_a_plan_that_has_shipped_shows_it_and_tells_its_voters(client, admin_headers, mailbox, db):
    team = client.post("/api/v1/teams", json={"name": "产品团队"}, headers=admin_headers).json()
    plan = client.post("/api/v1/improvements", headers=admin_headers,
                       json={"title": "夜间模式", "team_id": team["id"], "theme_keys": [SLOW]}).json()  # fmt: skip
    _ship(client, admin_headers, plan["id"])
    idea = new_idea(client, admin_headers, "增加深色主题")
    token = verified_token(client, mailbox, "late@example.com")
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token}).status_code == 201
    mailbox.messages.clear()
    r = client.post(f"/api/v1/ideas/{idea['id']}/plan", json={"plan_id": plan["id"]}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["status"] == "shipped", r.text
    assert [str(m["To"]) for m in mailbox.messages] == ["late@example.com"]
    assert "已上线" in str(mailbox.messages[0]["Subject"])
    # Moved on to a second shipped plan, an idea already announced tells nobody again.
    other = client.post("/api/v1/improvements", headers=admin_headers,
                        json={"title": "深色主题", "team_id": team["id"], "theme_keys": [SLOW]}).json()  # fmt: skip
    _ship(client, admin_headers, other["id"])
    mailbox.messages.clear()
    r = client.post(f"/api/v1/ideas/{idea['id']}/plan", json={"plan_id": other["id"]}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["status"] == "shipped"
    assert mailbox.messages == []


def test_a_text_message_keeps_content_and_link_apart_whatever_the_title_holds():
    body = notify.sms_body("您支持的想法「{}」已上线", "退款到账\n能否提速", "https://x.example/changelog?u=1.ab")
    content, link = notify.sms_parts(body)
    assert content == "您支持的想法「退款到账 能否提速」已上线" and link == "https://x.example/changelog?u=1.ab"


def test_a_plan_made_from_an_idea_measures_the_themes_its_linked_feedback_shares(client, admin_headers, make_feedback,
                                                                                 db):  # fmt: skip
    """An idea gathered from feedback (no theme of its own): the plan made from it takes the themes most of that
    feedback shares, so that once shipped and verified the changelog can show a measured effect."""
    clock.freeze(T0)
    team = client.post("/api/v1/teams", json={"name": "配送团队"}, headers=admin_headers).json()
    items = [slow_delivery(db, make_feedback, T0 - timedelta(days=d), None, d) for d in (1, 2, 3, 4)]
    r = client.post("/api/v1/ideas/from-feedback", json={"feedback_ids": [i.id for i in items], "title": "送餐快一点"},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 201, r.text
    made = client.post(f"/api/v1/ideas/{r.json()['id']}/plan", json={"plan": {"title": "骑手调度", "team_id": team["id"]}},
                       headers=admin_headers)  # fmt: skip
    assert made.status_code == 200, made.text
    plan = client.get(f"/api/v1/improvements/{made.json()['plan_id']}", headers=admin_headers).json()
    assert SLOW in [t["key"] for t in plan["themes"]]
