"""Bad input at the edges (unknown ids, explicit nulls, dates at the calendar's ends) is a 4xx that says what to
fix, never a 500 — issue 17 #10."""

from __future__ import annotations

import pytest
from trust_helpers import deliver

# The first and last moments of the calendar with offsets that push them beyond it once converted to UTC,
# and moments that convert but that no feedback item was received at.
EDGE_TIMES = [
    ("0001-01-01T00:00:00+14:00", "UTC"),
    ("9999-12-31T23:59:59-14:00", "UTC"),
    ("0001-01-01T00:00:00Z", "1970"),
    ("9999-12-31T23:59:59Z", "1970"),
]


def _error(r) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    return r.json()["error"]


def test_it_refuses_a_user_in_an_unknown_team(client, admin_headers):
    body = {"username": "newagent", "password": "password-123", "team_id": 999}
    r = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert r.status_code == 422 and "团队 999 不存在" in _error(r)["message"]
    assert "newagent" not in [u["username"] for u in client.get("/api/v1/users", headers=admin_headers).json()]


@pytest.mark.parametrize("field", ["is_active", "display_name", "role"])
def test_it_refuses_null_for_a_user_field_that_cannot_be_empty(client, admin_headers, make_user, field):
    make_user("agent")
    agent = next(u for u in client.get("/api/v1/users", headers=admin_headers).json() if u["role"] == "agent")
    r = client.patch(f"/api/v1/users/{agent['id']}", json={field: None}, headers=admin_headers)
    error = _error(r)
    assert r.status_code == 422 and field in str(error["message"]) and "省略" in str(error["message"])


@pytest.mark.parametrize("field", ["email", "team_id"])
def test_null_still_clears_a_user_field_that_may_be_empty(client, admin_headers, make_user, field):
    make_user("agent")
    agent = next(u for u in client.get("/api/v1/users", headers=admin_headers).json() if u["role"] == "agent")
    r = client.patch(f"/api/v1/users/{agent['id']}", json={field: None}, headers=admin_headers)
    assert r.status_code == 200 and r.json()[field] is None


@pytest.mark.parametrize("param", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_a_date_filter_beyond_the_calendar_is_refused(client, admin_headers, param, value):
    r = client.get("/api/v1/feedback", params={param: value}, headers=admin_headers)
    assert r.status_code == 422 and param in str(_error(r)["message"]) and "UTC" in str(_error(r)["message"])


def test_a_date_filter_at_the_calendar_ends_still_works(client, admin_headers, make_feedback):
    make_feedback(content="普通的一条反馈")
    params = {"date_from": "0001-01-01T00:00:00Z", "date_to": "9999-12-31T23:59:59Z"}
    r = client.get("/api/v1/feedback", params=params, headers=admin_headers)
    assert r.status_code == 200 and r.json()["total"] == 1


@pytest.mark.parametrize(("value", "hint"), EDGE_TIMES)
def test_feedback_received_at_the_calendar_ends_is_refused(client, admin_headers, value, hint):
    r = client.post("/api/v1/feedback", json={"content": "时间很奇怪", "received_at": value}, headers=admin_headers)
    assert r.status_code == 422 and "received_at" in str(_error(r)["message"]) and hint in str(_error(r)["message"])
    batch = {"items": [{"content": "批量里的怪时间", "received_at": value}]}
    assert client.post("/api/v1/feedback/batch", json=batch, headers=admin_headers).status_code == 422
    assert client.get("/api/v1/feedback", headers=admin_headers).json()["total"] == 0


@pytest.fixture
def crm(client, admin_headers):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/webhook-sources", json={"name": "crm"}, headers=admin_headers)
    assert r.status_code == 201
    return r.json()["secret"]


@pytest.mark.parametrize(("value", "hint"), EDGE_TIMES)
def test_a_webhook_event_received_at_the_calendar_ends_is_refused(client, crm, admin_headers, value, hint):
    event = {"id": f"evt-{value}", "type": "review.created", "data": {"content": "时间很奇怪", "received_at": value}}
    r = deliver(client, crm, event)
    error = _error(r)
    assert r.status_code == 422 and error["details"][0]["field"] == "received_at"
    assert hint in str(error["details"][0]["message"])
    assert client.get("/api/v1/feedback", headers=admin_headers).json()["total"] == 0
