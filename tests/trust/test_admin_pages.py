"""The admin pages (users, tokens, audit) and the own-password page, through the browser session."""

from __future__ import annotations

import re

import pytest
from trust_helpers import ADMIN_PASSWORD


def _csrf(client) -> str:
    page = client.get("/login")
    if page.status_code == 404:
        pytest.skip("the web UI's sign-in page is not there yet")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _sign_in(client, username="admin", password=ADMIN_PASSWORD) -> str:
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return _csrf(client)


def test_admin_creates_a_user_from_the_users_page(client):
    token = _sign_in(client)
    r = client.post("/admin/users", data={"username": "zhao", "password": "password-123", "role": "csm",
                                          "display_name": "赵经理", "csrf_token": token})
    assert r.status_code == 200 and "赵经理" in r.text
    assert "客户成功经理" in client.get("/admin/users").text


def test_form_without_csrf_token_is_refused(client):
    _sign_in(client)
    r = client.post("/admin/users", data={"username": "zhao", "password": "password-123"})
    assert r.status_code == 403
    assert "zhao" not in client.get("/admin/users").text


def test_non_admin_gets_403_on_admin_pages(client, make_user):
    _sign_in(client, *make_user("supervisor"))
    for path in ("/admin/users", "/admin/tokens", "/admin/audit"):
        assert client.get(path).status_code == 403


def test_token_page_shows_the_secret_once(client):
    token = _sign_in(client)
    r = client.post("/admin/tokens", data={"name": "商城", "scopes": ["feedback:write"], "expires_in_days": "30",
                                           "csrf_token": token})
    secret = re.search(r'data-testid="new-token">([^<]+)<', r.text).group(1)
    assert client.post("/api/v1/feedback", json={"content": "来自商城"},
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 201
    assert secret not in client.get("/admin/tokens").text


def test_audit_page_shows_changes_and_the_chain_state(client):
    token = _sign_in(client)
    client.post("/admin/users", data={"username": "sun", "password": "password-123", "role": "agent",
                                      "csrf_token": token})
    page = client.get("/admin/audit").text
    assert "新建用户" in page and 'data-testid="verify-chain"' in page and "chain-ok" not in page
    assert 'data-testid="chain-ok"' in client.get("/admin/audit", params={"verify": "1"}).text


def test_user_changes_own_password_on_the_page(client, make_user):
    name, pw = make_user("agent")
    token = _sign_in(client, name, pw)
    r = client.post("/account/password", data={"old_password": pw, "new_password": "another-pass-1",
                                                "csrf_token": token})
    assert r.status_code == 200 and "密码已修改" in r.text
    assert client.post("/api/v1/auth/token", data={"username": name, "password": "another-pass-1"}).status_code == 200
