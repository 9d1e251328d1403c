"""Signed webhooks and the public rate limit: a partner's valid deliveries are never dropped by the
per-client budget (a shop sends hundreds a minute); forged ones count, and past the budget get 429."""

from __future__ import annotations

import pytest
from trust_helpers import deliver

from feedbackloop.config import get_settings
from feedbackloop.db import get_read_sessionmaker
from feedbackloop.webhooks import services as webhooks

BUDGET = 5


@pytest.fixture
def crm(db, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", BUDGET)
    session = get_read_sessionmaker()()
    try:
        _, secret = webhooks.create_source(session, None, "crm")
    finally:
        session.close()
    return secret


def _review(n: int) -> dict[str, object]:
    return {"id": f"evt-{n}", "type": "review.created", "data": {"content": f"第{n}单: 快递三天还没到"}}


def test_valid_signed_deliveries_pass_far_beyond_the_public_budget(client, crm, admin_headers):
    codes = [deliver(client, crm, _review(n)).status_code for n in range(4 * BUDGET)]
    assert codes == [202] * (4 * BUDGET)
    assert client.get("/api/v1/feedback?per_page=1", headers=admin_headers).json()["total"] == 4 * BUDGET


def test_forged_deliveries_are_cut_off_after_the_budget(client, crm):
    codes = [deliver(client, "not-the-secret", _review(n)).status_code for n in range(BUDGET + 3)]
    assert codes == [401] * BUDGET + [429] * 3
    refused = deliver(client, "not-the-secret", _review(99))
    assert refused.headers.get("Retry-After") and "签名错误" in refused.json()["error"]["message"]
