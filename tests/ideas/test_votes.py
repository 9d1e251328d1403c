"""Voting cannot be inflated: one vote per verified identity, replays refused, counts by the database,
rate-limited; 1,000 votes from one client and forged identities leave one vote."""

from __future__ import annotations

import itertools
import secrets

import pytest
from idea_helpers import new_idea, status_token_of, verified_token
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from feedbackloop.config import get_settings
from feedbackloop.ideas.models import Idea, VerificationCode, Vote, Voter
from feedbackloop.web import ratelimit


@pytest.fixture
def idea(client, admin_headers):  # type: ignore[no-untyped-def]
    return new_idea(client, admin_headers, "增加夜间模式", "晚上看手机太刺眼")


def _votes_in_db(db, idea_id: int) -> tuple[int, int]:
    db.rollback()
    rows = db.scalar(select(func.count()).select_from(Vote).where(Vote.idea_id == idea_id))
    return int(rows or 0), int(db.scalar(select(Idea.vote_count).where(Idea.id == idea_id)) or 0)


def test_a_verified_customer_votes_once_and_a_second_vote_is_refused(client, idea, mailbox, db):
    token = verified_token(client, mailbox, "li.lei@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "comment": "很需要"})
    assert r.status_code == 201 and r.json()["votes"] == 1
    again = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_voted"
    # A fresh code for the same address (upper case, spaces) is the same person.
    token2 = verified_token(client, mailbox, "  Li.Lei@Example.com ")
    third = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token2})
    assert third.status_code == 409
    assert _votes_in_db(db, idea["id"]) == (1, 1)


def test_only_a_hash_of_the_identity_identifies_the_voter(client, idea, mailbox, db):
    token = verified_token(client, mailbox, "han.meimei@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    db.rollback()
    voter = db.scalars(select(Voter)).one()
    assert len(voter.identity_hash) == 64 and "han" not in voter.identity_hash
    assert voter.contact == "han.meimei@example.com"  # kept only to tell them when it ships (see unsubscribe)
    code = db.scalars(select(VerificationCode)).one()
    assert code.contact is None and code.used_at is not None  # the code row forgets the address once used


def test_a_code_works_once_and_only_five_guesses_are_allowed(client, idea, mailbox):
    r = client.post("/api/v1/public/ideas/verify", json={"contact": "guess@example.com"})
    challenge, code = r.json()["challenge"], mailbox.last_code("guess@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        bad = client.post(f"/api/v1/public/ideas/verify/{challenge}", json={"code": wrong})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_code"
    # The right code after five wrong ones: the challenge is spent.
    assert client.post(f"/api/v1/public/ideas/verify/{challenge}", json={"code": code}).status_code == 401
    r = client.post("/api/v1/public/ideas/verify", json={"contact": "guess@example.com"})
    challenge, code = r.json()["challenge"], mailbox.last_code("guess@example.com")
    assert client.post(f"/api/v1/public/ideas/verify/{challenge}", json={"code": code}).status_code == 200
    replay = client.post(f"/api/v1/public/ideas/verify/{challenge}", json={"code": code})
    assert replay.status_code == 401  # a code is good for one use


@pytest.mark.parametrize("contact", ["12345", "not-an-address", "1381234567", "@example.com"])
def test_it_refuses_what_is_neither_a_mobile_number_nor_an_email(client, contact):
    r = client.post("/api/v1/public/ideas/verify", json={"contact": contact})
    assert r.status_code == 422 and "手机号" in r.json()["error"]["message"]


def test_a_phone_code_is_refused_clearly_while_there_is_no_sms_channel(client, db):
    from feedbackloop.ideas import channels

    if channels.sms_available():
        pytest.skip("an SMS channel is installed")
    r = client.post("/api/v1/public/ideas/verify", json={"contact": "138 1234 5678"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "channel_unavailable"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(VerificationCode)) == 0  # nothing half-made


def test_the_status_link_of_ones_own_feedback_is_an_identity(client, idea, make_feedback, mailbox, db):
    record = make_feedback(content="晚上用太刺眼了", contact="wang@example.com")
    token = status_token_of(db, record)
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": token})
    assert r.status_code == 201, r.text
    # The same customer verifying their e-mail is the same voter: no second vote.
    voter_token = verified_token(client, mailbox, "wang@example.com")
    again = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": voter_token})
    assert again.status_code == 409
    assert _votes_in_db(db, idea["id"]) == (1, 1)


def _form_status_token(client, content: str, contact: str = "") -> str:  # type: ignore[no-untyped-def]
    """Fill in the public form as anyone can, and read the status link off the thank-you page."""
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/f").text).group(1)
    page = client.post("/f", data={"csrf_token": csrf, "content": content, "contact": contact}, follow_redirects=True)
    return re.search(r"/s/([A-Za-z0-9_\-]+)", page.text).group(1)


def test_a_status_link_from_the_public_form_cannot_vote_or_stand_in_for_someone(client, idea, mailbox, db):
    """The thank-you page shows the link to whoever filled in the form, with whatever contact they typed: it
    neither mints voters (fill the form again, vote again) nor votes as the owner of that e-mail."""
    for n in range(3):
        token = _form_status_token(client, f"灌票第 {n} 次", contact="erin@example.com")
        r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": token})
        assert r.status_code == 403 and r.json()["error"]["code"] == "verify_to_vote", r.text
        assert "验证码" in r.json()["error"]["message"]
    assert _votes_in_db(db, idea["id"]) == (0, 0)
    # Erin herself still votes, once, with a code sent to her address.
    voter_token = verified_token(client, mailbox, "erin@example.com")
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": voter_token}).status_code == 201


def test_an_erased_customers_status_link_votes_no_more(client, idea, make_feedback, admin_headers, db):
    record = make_feedback(content="晚上用太刺眼了", contact="bob@example.com")
    token = status_token_of(db, record)
    assert client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": token}).status_code == 201
    r = client.post("/api/v1/privacy/erase", json={"contact": "bob@example.com", "confirm": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    again = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": token})
    assert again.status_code == 401 and client.get(f"/s/{token}").status_code == 404


def test_a_thousand_votes_from_one_client_and_forged_identities_count_once(client, idea, mailbox, db, monkeypatch):
    """One client replays its own token 1,000 times and forges voter tokens, status tokens and signatures:
    only its one verified vote counts, first refused with 409/401, then with 429 once past its budget."""
    monkeypatch.setattr(get_settings(), "idea_votes_per_minute", 10_000)  # every attempt reaches the vote code
    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", 10_000)
    token = verified_token(client, mailbox, "one@example.com")
    url = f"/api/v1/public/ideas/{idea['id']}/votes"
    forged_key = URLSafeTimedSerializer("guessed-secret", salt="feedbackloop-idea-voter")
    forgeries = itertools.cycle([
        lambda n: {"voter_token": token},  # replay
        lambda n: {"voter_token": forged_key.dumps(n)},  # signed with a guessed key
        lambda n: {"voter_token": token[:-2] + ("AA" if not token.endswith("AA") else "BB")},  # altered
        lambda n: {"voter_token": secrets.token_urlsafe(24)},  # made up
        lambda n: {"status_token": secrets.token_urlsafe(24)},  # a status link nobody was given
        lambda n: {},  # no identity at all
    ])  # fmt: skip
    statuses: dict[int, int] = {}
    first = client.post(url, json={"voter_token": token})
    assert first.status_code == 201
    for n, forge in zip(range(999), forgeries, strict=False):
        r = client.post(url, json=forge(n + 2))
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    assert set(statuses) <= {401, 409}, statuses
    assert statuses[409] >= 166  # the replays
    assert _votes_in_db(db, idea["id"]) == (1, 1)
    assert client.get(f"/api/v1/public/ideas/{idea['id']}").json()["votes"] == 1
    # With the real budget the same client is stopped after 10 attempts a minute.
    monkeypatch.setattr(get_settings(), "idea_votes_per_minute", 10)
    ratelimit.reset()
    limited = [client.post(url, json={"voter_token": token}).status_code for _ in range(15)]
    assert limited == [409] * 10 + [429] * 5


def test_votes_are_rate_limited_per_client(client, idea, monkeypatch):
    monkeypatch.setattr(get_settings(), "idea_votes_per_minute", 5)
    ratelimit.reset()
    codes = [client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={}).status_code for _ in range(8)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3


def test_codes_per_address_are_limited(client, mailbox):
    for _ in range(3):
        assert client.post("/api/v1/public/ideas/verify", json={"contact": "spam@example.com"}).status_code == 202
    r = client.post("/api/v1/public/ideas/verify", json={"contact": "spam@example.com"})
    assert r.status_code == 429
    assert len(mailbox.to("spam@example.com")) == 3


def test_ideas_that_are_not_open_take_no_votes(client, idea, admin_headers, mailbox):
    client.put(f"/api/v1/ideas/{idea['id']}", json={"status": "declined"}, headers=admin_headers)
    token = verified_token(client, mailbox, "late@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_votable"


def test_a_pending_idea_cannot_be_voted_on(client, mailbox):
    pending = client.post("/api/v1/public/ideas", json={"title": "还没审核的想法"}).json()
    token = verified_token(client, mailbox, "early@example.com")
    r = client.post(f"/api/v1/public/ideas/{pending['id']}/votes", json={"voter_token": token})
    assert r.status_code == 404


def test_erasing_a_customer_also_forgets_their_voter_address(client, idea, mailbox, make_feedback, admin_headers, db):
    make_feedback(content="晚上太亮了", contact="erase.me@example.com")
    token = verified_token(client, mailbox, "erase.me@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token})
    r = client.post("/api/v1/privacy/erase", json={"contact": "erase.me@example.com", "confirm": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    db.rollback()
    voter = db.scalars(select(Voter)).one()
    assert voter.contact is None and voter.notify is False
    assert _votes_in_db(db, idea["id"]) == (1, 1)  # the vote itself stays (counts stay true)
