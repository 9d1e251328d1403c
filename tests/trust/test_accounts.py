"""Accounts: lock-out, logout, password change, user administration, session cookie flags."""

from __future__ import annotations

from datetime import timedelta

from auth_helpers import ADMIN_PASSWORD, token_for

from feedbackloop.lib.clock import clock


def _login(client, username, password):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_repeated_failures_back_the_account_off_exponentially(client, make_user):
    name, pw = make_user("agent")
    # Frozen: on a loaded machine the five argon2 checks can take longer than the 1 s back-off itself.
    clock.freeze(clock.now())
    for _ in range(5):
        assert _login(client, name, "wrong-password").status_code == 401
    # backed off for 1 s: even the right password is refused, with the same answer as a wrong one
    refused = _login(client, name, pw)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    clock.advance(timedelta(seconds=2))
    assert _login(client, name, "wrong-password").status_code == 401  # 6th failure: 2 s
    clock.advance(timedelta(seconds=1))
    assert _login(client, name, pw).status_code == 401
    clock.advance(timedelta(seconds=2))
    assert _login(client, name, pw).status_code == 200


def test_the_back_off_doubles_and_stops_at_fifteen_minutes():
    from feedbackloop.accounts.services import login_backoff

    assert [login_backoff(n).total_seconds() for n in (1, 4, 5, 6, 7, 10)] == [0, 0, 1, 2, 4, 32]
    assert login_backoff(40) == timedelta(minutes=15)


def test_anonymous_guesses_cannot_lock_the_admin_out_for_long(client):
    for _ in range(5):
        _login(client, "admin", "guess-guess")
    clock.advance(timedelta(seconds=2))
    assert _login(client, "admin", ADMIN_PASSWORD).status_code == 200


def test_unknown_backed_off_and_wrong_password_get_the_same_answer(client, make_user):
    name, _ = make_user("agent")
    answers = [_login(client, "nobody-here", "wrong-password").json() for _ in range(6)]
    answers += [_login(client, name, "wrong-password").json() for _ in range(7)]  # the last ones backed off
    assert len({str(a) for a in answers}) == 1, answers


def test_one_client_is_throttled_across_usernames(client, db, make_user, monkeypatch):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "login_failures_per_minute", 10)
    for n in range(10):
        assert _login(client, f"user{n}", "wrong-password").status_code == 401
    throttled = _login(client, "admin", ADMIN_PASSWORD)
    assert throttled.status_code == 429 and 0 < int(throttled.headers["Retry-After"]) <= 60
    assert "秒后再试" in throttled.json()["error"]["message"]


def test_lock_expires_after_fifteen_minutes(client, make_user):
    name, pw = make_user("agent")
    for _ in range(30):
        _login(client, name, "wrong-password")
        clock.advance(timedelta(minutes=16))
    assert _login(client, name, pw).status_code == 200


def test_a_successful_login_resets_the_failure_count(client, make_user):
    name, pw = make_user("agent")
    for _ in range(4):
        _login(client, name, "wrong-password")
    assert _login(client, name, pw).status_code == 200
    for _ in range(4):
        _login(client, name, "wrong-password")
    assert _login(client, name, pw).status_code == 200


def test_logout_revokes_the_bearer_token(client, make_user):
    headers = token_for(client, *make_user("agent"))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_password_change_needs_the_old_password_and_ends_other_logins(client, make_user):
    name, pw = make_user("analyst")
    headers = token_for(client, name, pw)
    other = token_for(client, name, pw)
    wrong = client.post("/api/v1/auth/password", json={"old_password": "nope", "new_password": "new-pass-456"}, headers=headers)
    assert wrong.status_code == 401
    ok = client.post("/api/v1/auth/password", json={"old_password": pw, "new_password": "new-pass-456"}, headers=headers)
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401
    assert _login(client, name, pw).status_code == 401
    assert _login(client, name, "new-pass-456").status_code == 200


def test_short_new_password_is_refused(client, make_user):
    name, pw = make_user("agent")
    r = client.post(
        "/api/v1/auth/password", json={"old_password": pw, "new_password": "short"}, headers=token_for(client, name, pw)
    )
    assert r.status_code == 422


def test_admin_creates_a_user_in_a_team_and_changes_the_role(client, admin_headers):
    team = client.post("/api/v1/teams", json={"name": "产品团队"}, headers=admin_headers).json()
    r = client.post(
        "/api/v1/users",
        json={"username": "li.pm", "password": "password-123", "role": "product_manager", "team_id": team["id"]},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["role_label"] == "产品经理" and "password" not in r.text
    patched = client.patch(f"/api/v1/users/{r.json()['id']}", json={"role": "supervisor"}, headers=admin_headers)
    assert patched.json()["role"] == "supervisor"
    assert token_for(client, "li.pm", "password-123")


def test_disabled_user_cannot_use_an_existing_token(client, admin_headers, make_user):
    name, pw = make_user("agent")
    headers = token_for(client, name, pw)
    uid = next(u["id"] for u in client.get("/api/v1/users", headers=admin_headers).json() if u["username"] == name)
    client.patch(f"/api/v1/users/{uid}", json={"is_active": False}, headers=admin_headers)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_admin_cannot_demote_themselves(client, admin_headers):
    me = next(u for u in client.get("/api/v1/users", headers=admin_headers).json() if u["username"] == "admin")
    r = client.patch(f"/api/v1/users/{me['id']}", json={"role": "agent"}, headers=admin_headers)
    assert r.status_code == 403


def test_unknown_role_is_refused(client, admin_headers):
    r = client.post(
        "/api/v1/users", json={"username": "x1", "password": "password-123", "role": "boss"}, headers=admin_headers
    )
    assert r.status_code == 422 and "未知角色" in r.json()["error"]["message"]


def test_admin_resets_a_password(client, admin_headers, make_user):
    name, pw = make_user("csm")
    uid = next(u["id"] for u in client.get("/api/v1/users", headers=admin_headers).json() if u["username"] == name)
    r = client.post(f"/api/v1/users/{uid}/password", json={"new_password": "reset-pass-789"}, headers=admin_headers)
    assert r.status_code == 204
    assert _login(client, name, "reset-pass-789").status_code == 200


def _csrf_from_login_page(client) -> str:
    import re

    import pytest

    page = client.get("/login")
    if page.status_code == 404:
        pytest.skip("the web UI's sign-in page is not there yet")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_session_cookie_is_httponly_and_samesite_lax(client):
    token = _csrf_from_login_page(client)
    r = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in tests; see test below for https


def test_session_cookie_is_secure_when_served_over_https(db, monkeypatch):
    from fastapi.testclient import TestClient

    from feedbackloop.config import get_settings
    from feedbackloop.web.app import create_app

    monkeypatch.setenv("FEEDBACKLOOP_BASE_URL", "https://feedback.example.com")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="https://testserver") as c:
            token = _csrf_from_login_page(c)
            r = c.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
                       follow_redirects=False)
    finally:
        monkeypatch.delenv("FEEDBACKLOOP_BASE_URL")
        get_settings.cache_clear()
    assert "secure" in r.headers["set-cookie"].lower()


def test_cookie_session_api_write_from_another_site_is_refused(client):
    token = _csrf_from_login_page(client)
    client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token})
    token = _csrf_from_login_page(client)  # sign-in starts a fresh session with a new token
    body = {"content": "跨站请求伪造测试"}
    forged = client.post("/api/v1/feedback", json=body, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    with_header = client.post("/api/v1/feedback", json=body, headers={"X-CSRF-Token": token})
    assert with_header.status_code == 201


def test_ids_beyond_the_database_integer_range_are_refused_cleanly(client, admin_headers):
    r = client.patch("/api/v1/users/2147483648", json={"role": "agent"}, headers=admin_headers)
    assert r.status_code == 422
    assert client.delete("/api/v1/tokens/99999999999", headers=admin_headers).status_code == 422


def test_the_api_schema_offers_null_only_where_null_is_accepted(client):
    props = client.get("/openapi.json").json()["components"]["schemas"]["UserUpdate"]["properties"]
    for name in ("role", "display_name", "is_active"):
        assert "anyOf" not in props[name] and props[name]["type"] in ("string", "boolean"), props[name]
    assert {"type": "null"} in props["email"]["anyOf"] and {"type": "null"} in props["team_id"]["anyOf"]
