"""Helpers of the idea-board tests: go through the public API exactly as a customer's phone does."""

from __future__ import annotations

import re

import mail_sink


class Sink(mail_sink.Sink):
    """The shared SMTP sink, plus the one-time code of the last mail to an address."""

    def last_code(self, addr: str) -> str:
        found = re.search(r"(?:验证码是|voting code is) (\d{6})", self.body(self.to(addr.strip().lower())[-1]))
        assert found, "no code in the mail"
        return found.group(1)


def new_idea(client, headers, title: str, description: str = "", **fields) -> dict:  # type: ignore[no-untyped-def]
    """A published idea made by staff through the API."""
    r = client.post("/api/v1/ideas", json={"title": title, "description": description, **fields}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def verified_token(client, mailbox: Sink, contact: str) -> str:  # type: ignore[no-untyped-def]
    """A voter token got the customer's way: ask for a code, read it from the mail, send it back."""
    r = client.post("/api/v1/public/ideas/verify", json={"contact": contact})
    assert r.status_code == 202, r.text
    code = mailbox.last_code(contact.strip().lower())
    r2 = client.post(f"/api/v1/public/ideas/verify/{r.json()['challenge']}", json={"code": code})
    assert r2.status_code == 200, r2.text
    return r2.json()["voter_token"]


def status_token_of(db, record) -> str:  # type: ignore[no-untyped-def]
    """The token of the item's status link /s/<token> (as the workflow gives it when the item is triaged)."""
    from feedbackloop.db import begin_write
    from feedbackloop.workflow.services import ensure_token

    begin_write(db)
    db.add(record)
    token = ensure_token(record)
    db.commit()
    return token


def headers_for(client, username: str, password: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


SLOW = "aspect:送餐速度:negative"


def slow_delivery(db, make_feedback, at, contact: str | None = None, n: int = 0):  # type: ignore[no-untyped-def]
    """A complaint about slow delivery received at `at`, whose analysis is stated (not the model's)."""
    from sqlalchemy import update

    from feedbackloop.feedback.models import Feedback

    analysis = {"sentiment": {"label": "negative", "score": 0.1}, "problem_type": "物流", "urgency": "一般",
                "aspects": [{"aspect": "送餐速度", "sentiment": "negative"}], "urgency_reasons": [], "keywords": []}  # fmt: skip
    record = make_feedback(content=f"送餐太慢了, 等了一个多小时 #{n} {at.isoformat()}", contact=contact, received_at=at)
    db.execute(update(Feedback).where(Feedback.id == record.id)
               .values(analysis=analysis, sentiment="negative", duplicate_of=None))  # fmt: skip
    db.commit()
    return record
