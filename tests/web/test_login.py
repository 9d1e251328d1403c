"""Signing in and out of the web UI; pages need a session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)
from web_helpers import ADMIN_PASSWORD, csrf_from, login

from feedbackloop.lib.clock import clock


@pytest.mark.parametrize("path", ["/inbox", "/feedback/FB20240301001", "/touchpoints", "/import"])
def test_pages_redirect_to_login_with_next(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + path.replace("/", "%2F")


def test_root_goes_to_inbox_after_login(client):
    r = client.get("/")
    assert r.url.path == "/login"
    login(client)
    assert client.get("/").url.path == "/inbox"


def test_login_returns_to_next(client):
    token = csrf_from(client.get("/login?next=/import").text)
    r = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token, "next": "/import"},
    )
    assert r.url.path == "/import"


def test_login_never_redirects_off_site(client):
    token = csrf_from(client.get("/login").text)
    data = {"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.headers["location"] == "/inbox"


def test_wrong_password_shows_chinese_message(client):
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_a_backed_off_account_gets_the_same_answer_as_a_wrong_password(client, make_user):
    name, password = make_user("agent")
    clock.freeze(clock.now())  # the 1 s back-off must not run out while a loaded machine checks five passwords
    for _ in range(5):
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"username": name, "password": "wrong-wrong", "csrf_token": token})
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert r.status_code == 401
    assert "用户名或密码错误。连续输错多次后需稍候再试。" in r.text and "wrong username" not in r.text


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 403
    assert "请求来源无效" in r.text and "刷新页面" in r.text and "CSRF" not in r.text  # no jargon on the page
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_login_with_forged_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_logout_ends_the_session(admin_client):
    r = admin_client.post("/logout", data={"csrf_token": admin_client.csrf})
    assert r.url.path == "/login"
    assert "您已退出登录" in r.text
    assert admin_client.get("/inbox", follow_redirects=False).status_code == 303


def test_a_get_of_logout_asks_and_signs_nobody_out(admin_client):
    # Another site can embed <img src="/logout">: a GET shows the question, only the POST (with CSRF) acts.
    page = admin_client.get("/logout")
    assert page.status_code == 200 and "确定要退出" in page.text and 'method="post"' in page.text
    assert admin_client.get("/inbox", follow_redirects=False).status_code == 200
    assert admin_client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert admin_client.get("/inbox", follow_redirects=False).status_code == 200


def test_logout_page_without_a_session_goes_to_login(client):
    r = client.get("/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_topbar_shows_name_and_role(admin_client):
    html = admin_client.get("/inbox").text
    assert "管理员" in html and "退出登录" in html


def test_english_is_available_and_remembered(admin_client):
    assert "Inbox" in admin_client.get("/inbox?lang=en").text
    assert "Log out" in admin_client.get("/inbox").text
    assert "收件箱" in admin_client.get("/inbox?lang=zh-CN").text


def test_customer_role_cannot_open_the_inbox(client, make_user):
    name, password = make_user("customer")
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    r = client.get("/inbox")
    assert r.status_code == 403
    assert "无权访问" in r.text


def test_unknown_page_is_an_html_page_and_unknown_api_path_is_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text and "返回首页" in page.text
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "http_404"
    assert client.get("/no-such-page").json()["error"]["code"] == "http_404"  # a script without Accept: text/html


def _browser(app, username, password):
    browser = TestClient(app)
    login(browser, username, password)
    return browser


def _copy_of_cookie(app, browser):
    thief = TestClient(app)
    thief.cookies.set("fl_session", browser.cookies["fl_session"])
    return thief


def test_a_cookie_copied_before_logout_opens_nothing_after_it(_app, client, make_user):
    browser = _browser(_app, *make_user("agent"))
    thief = _copy_of_cookie(_app, browser)
    assert thief.get("/inbox", follow_redirects=False).status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/logout").text)})
    assert thief.get("/inbox", follow_redirects=False).status_code == 303
    assert thief.get("/api/v1/auth/me").status_code == 401


def test_a_password_reset_ends_every_browser_session_of_the_user(_app, client, admin_headers, make_user):
    name, password = make_user("agent")
    thief = _copy_of_cookie(_app, _browser(_app, name, password))
    user_id = next(u["id"] for u in client.get("/api/v1/users", headers=admin_headers).json() if u["username"] == name)
    r = client.post(f"/api/v1/users/{user_id}/password", json={"new_password": "brand-new-pass"}, headers=admin_headers)
    assert r.status_code == 204
    assert thief.get("/inbox", follow_redirects=False).status_code == 303


def test_changing_ones_password_keeps_this_browser_and_ends_the_others(_app, client, make_user):
    name, password = make_user("agent")
    here, elsewhere = _browser(_app, name, password), _browser(_app, name, password)
    form = here.get("/account/password").text
    r = here.post(
        "/account/password",
        data={"old_password": password, "new_password": "brand-new-pass", "csrf_token": csrf_from(form)},
    )
    assert r.status_code == 200
    assert here.get("/inbox", follow_redirects=False).status_code == 200
    assert elsewhere.get("/inbox", follow_redirects=False).status_code == 303


def test_deactivating_a_user_ends_their_browser_session(_app, client, admin_headers, make_user):
    name, password = make_user("agent")
    browser = _browser(_app, name, password)
    user_id = next(u["id"] for u in client.get("/api/v1/users", headers=admin_headers).json() if u["username"] == name)
    assert client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}, headers=admin_headers).status_code == 200
    assert browser.get("/inbox", follow_redirects=False).status_code == 303
