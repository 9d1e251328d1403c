"""Integration API tokens: scopes, expiry, revocation, shown once."""

from __future__ import annotations

from datetime import timedelta

from auth_helpers import token_for

from feedbackloop.lib.clock import clock


def _token(client, admin_headers, **body):
    payload = {"name": "CRM 集成", "scopes": ["feedback:write"], **body}
    r = client.post("/api/v1/tokens", json=payload, headers=admin_headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_write_only_token_can_submit_but_not_read(client, admin_headers):
    created = _token(client, admin_headers)
    headers = {"Authorization": f"Bearer {created['token']}"}
    posted = client.post("/api/v1/feedback", json={"content": "集成推送的反馈"}, headers=headers)
    assert posted.status_code == 201
    listed = client.get("/api/v1/feedback", headers=headers)
    assert listed.status_code == 403
    assert listed.json()["error"]["code"] == "insufficient_scope"
    assert client.get(f"/api/v1/feedback/{posted.json()['id']}", headers=headers).status_code == 403
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_read_token_cannot_write(client, admin_headers):
    headers = {"Authorization": f"Bearer {_token(client, admin_headers, scopes=['feedback:read'])['token']}"}
    assert client.get("/api/v1/feedback", headers=headers).status_code == 200
    assert client.post("/api/v1/feedback", json={"content": "x"}, headers=headers).status_code == 403


def test_token_is_shown_once_and_never_listed(client, admin_headers):
    created = _token(client, admin_headers)
    listed = client.get("/api/v1/tokens", headers=admin_headers)
    assert listed.status_code == 200
    assert created["token"] not in listed.text
    assert [t["name"] for t in listed.json()] == ["CRM 集成"]
    assert listed.json()[0]["scopes"] == ["feedback:write"]


def test_revoked_token_stops_working_at_once(client, admin_headers):
    created = _token(client, admin_headers)
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=admin_headers).status_code == 200
    r = client.post("/api/v1/feedback", json={"content": "撤销后"}, headers=headers)
    assert r.status_code == 401


def test_token_expires(client, admin_headers):
    created = _token(client, admin_headers, expires_in_days=1)
    headers = {"Authorization": f"Bearer {created['token']}"}
    clock.advance(timedelta(days=1, minutes=1))
    r = client.post("/api/v1/feedback", json={"content": "过期后"}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


def test_token_acts_within_its_owner_role(client, admin_headers, make_user):
    name, _ = make_user("analyst")
    created = _token(client, admin_headers, username=name, scopes=["feedback:write", "feedback:read"])
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/feedback", headers=headers).status_code == 200
    # An analyst may not create feedback, whatever the token's scopes say.
    assert client.post("/api/v1/feedback", json={"content": "x"}, headers=headers).status_code == 403


def test_invalid_scope_is_refused(client, admin_headers):
    r = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["everything"]}, headers=admin_headers)
    assert r.status_code == 422 and "feedback:write" in r.json()["error"]["message"]


def test_only_admins_manage_tokens(client, make_user):
    headers = token_for(client, *make_user("supervisor"))
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=headers).status_code == 403
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403


def test_require_scope_dependency_checks_the_named_scope(client, admin_headers):
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from feedbackloop.web.app import install_error_handlers
    from feedbackloop.web.deps import require_scope

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x", dependencies=[Depends(require_scope("reports:read"))])
    def x() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as c:
        plain = _token(client, admin_headers, scopes=["feedback:read"])["token"]
        good = _token(client, admin_headers, scopes=["reports:read"])["token"]
        assert c.get("/x", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
        assert c.get("/x", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_token_last_use_is_recorded_at_most_every_five_minutes(client, admin_headers):
    created = _token(client, admin_headers, scopes=["feedback:read"])
    headers = {"Authorization": f"Bearer {created['token']}"}

    def last_used() -> str | None:
        tokens = client.get("/api/v1/tokens", headers=admin_headers).json()
        return next(t["last_used_at"] for t in tokens if t["id"] == created["id"])

    assert last_used() is None
    assert client.get("/api/v1/feedback", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    clock.advance(timedelta(minutes=2))
    assert client.get("/api/v1/feedback", headers=headers).status_code == 200
    assert last_used() == first  # within the resolution: no write
    clock.advance(timedelta(minutes=4))
    assert client.get("/api/v1/feedback", headers=headers).status_code == 200
    assert last_used() > first
