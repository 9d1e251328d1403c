"""Codes and "已上线" notices are written in the customer's language: the one they used on the board (page
language or the API's `lang`), else the language of their feedback; English complete in itself, by mail and
by text message; the unsubscribe page follows."""

from __future__ import annotations

import re

import pytest
from idea_helpers import new_idea
from sqlalchemy import select

from feedbackloop.ideas import channels, notify
from feedbackloop.ideas.models import Voter

CJK = re.compile(r"[\u3400-\u9fff，。：「」（）]")


def _english_token(client, mailbox, contact: str) -> str:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/public/ideas/verify", json={"contact": contact, "lang": "en"})
    assert r.status_code == 202, r.text
    mail = mailbox.to(contact)[-1]
    assert str(mail["Subject"]) == "Your voting code" and not CJK.search(mailbox.body(mail))
    code = mailbox.last_code(contact)
    r2 = client.post(f"/api/v1/public/ideas/verify/{r.json()['challenge']}", json={"code": code, "lang": "en"})
    assert r2.status_code == 200, r2.text
    return r2.json()["voter_token"]


def _ship(client, headers, idea_id: int) -> None:  # type: ignore[no-untyped-def]
    r = client.put(f"/api/v1/ideas/{idea_id}", json={"status": "shipped"}, headers=headers)
    assert r.status_code == 200, r.text


def test_an_english_voter_gets_an_english_notice_and_unsubscribe_page(client, admin_headers, mailbox, db):
    idea = new_idea(client, admin_headers, "Dark mode for the app", public_reply="我们上线了夜间模式。")
    token = _english_token(client, mailbox, "reader@example.com")
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token}).status_code == 201
    db.rollback()
    assert db.scalars(select(Voter)).one().lang == "en"
    mailbox.messages.clear()
    _ship(client, admin_headers, idea["id"])
    mail = mailbox.to("reader@example.com")[0]
    body = mailbox.body(mail)
    assert str(mail["Subject"]) == "An idea you voted for has shipped: Dark mode for the app"
    assert "the idea you backed, “Dark mode for the app”, has shipped" in body
    assert not CJK.search(body), body  # complete in English: the Chinese team answer is left out
    assert "/changelog?lang=en#" in body
    link = re.search(r"(/ideas/unsubscribe/\S+)", body).group(1)
    assert link.endswith("?lang=en")
    page = client.get(link)
    assert page.status_code == 200 and "Stop notices when ideas ship?" in page.text and "确认退订" not in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(link.split("?")[0], data={"csrf_token": csrf})
    assert done.status_code == 200 and "Unsubscribed" in done.text and "已退订" not in done.text


def test_a_chinese_voter_still_gets_chinese(client, admin_headers, mailbox):
    from idea_helpers import verified_token

    idea = new_idea(client, admin_headers, "增加夜间模式")
    token = verified_token(client, mailbox, "zh@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    mailbox.messages.clear()
    _ship(client, admin_headers, idea["id"])
    mail = mailbox.to("zh@example.com")[0]
    assert str(mail["Subject"]) == "您支持的想法已上线：增加夜间模式"
    assert "您支持的想法「增加夜间模式」已上线" in mailbox.body(mail) and "lang=en" not in mailbox.body(mail)


def test_a_linked_customer_who_wrote_in_english_is_told_in_english(client, admin_headers, mailbox, make_feedback):
    idea = new_idea(client, admin_headers, "Faster delivery")
    item = make_feedback(content="The delivery took two hours, far too slow.", contact="buyer@example.com")
    r = client.post(f"/api/v1/ideas/{idea['id']}/feedback", json={"feedback_ids": [item.id]}, headers=admin_headers)
    assert r.status_code == 200
    _ship(client, admin_headers, idea["id"])
    mail = mailbox.to("buyer@example.com")[0]
    assert str(mail["Subject"]) == "What you reported is fixed in our new version"
    assert not CJK.search(mailbox.body(mail))


@pytest.fixture
def texts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(channels, "sms_sender", lambda phone, text, link, code: sent.append((phone, f"{text} {link}")))
    return sent


def test_an_english_phone_voter_gets_english_texts(client, admin_headers, texts, db):
    idea = new_idea(client, admin_headers, "Child seats in every car")
    r = client.post("/api/v1/public/ideas/verify", json={"contact": "13900003333", "lang": "en"})
    assert r.status_code == 202
    assert texts[-1][1].startswith("Voting code ") and not CJK.search(texts[-1][1])
    code = re.search(r"(\d{6})", texts[-1][1]).group(1)
    token = client.post(f"/api/v1/public/ideas/verify/{r.json()['challenge']}", json={"code": code}).json()["voter_token"]
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "lang": "en"})
    _ship(client, admin_headers, idea["id"])
    db.rollback()
    notify.deliver(db)
    phone, text = texts[-1]
    assert phone == "13900003333" and text.startswith("Now live: Child seats") and not CJK.search(text)
    assert "lang=en" in text and "u=" in text  # the link: the English changelog, offering to unsubscribe


def test_the_english_board_page_sends_an_english_code(client, admin_headers, mailbox):
    idea = new_idea(client, admin_headers, "Dark mode")
    page = client.get(f"/ideas/{idea['id']}", params={"lang": "en"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/ideas/verify", data={"csrf_token": csrf, "contact": "page@example.com",
                                           "next": f"/ideas/{idea['id']}"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert str(mailbox.to("page@example.com")[-1]["Subject"]) == "Your voting code"
