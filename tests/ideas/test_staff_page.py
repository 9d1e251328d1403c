"""The staff page /workflow/ideas: review what customers sent, publish it, show a co-signing comment."""

from __future__ import annotations

import re

from idea_helpers import new_idea, verified_token


def _page_session(client, db, role: str, make_user) -> str:  # type: ignore[no-untyped-def]
    """Sign in through /login as a person does; returns the page's CSRF token."""
    name, password = make_user(role)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/workflow/ideas").text).group(1)


def test_a_product_manager_publishes_an_idea_and_a_comment_from_the_page(client, db, make_user, admin_headers, mailbox):
    pending = client.post("/api/v1/public/ideas", json={"title": "希望增加积分兑换"}).json()
    idea = new_idea(client, admin_headers, "增加夜间模式")
    token = verified_token(client, mailbox, "fan@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "comment": "晚上太刺眼了"})
    csrf = _page_session(client, db, "product_manager", make_user)
    page = client.get("/workflow/ideas")
    assert page.status_code == 200 and "希望增加积分兑换" in page.text and "晚上太刺眼了" in page.text
    r = client.post(f"/workflow/ideas/{pending['id']}", data={"csrf_token": csrf, "action": "publish"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert client.get(f"/api/v1/public/ideas/{pending['id']}").status_code == 200
    vote_id = re.search(r'name="vote_id" value="(\d+)"', page.text).group(1)
    client.post(f"/workflow/ideas/{idea['id']}", data={"csrf_token": csrf, "action": "show_comment", "vote_id": vote_id})
    assert "晚上太刺眼了" in client.get(f"/ideas/{idea['id']}").text


def test_an_agent_reads_the_page_but_cannot_change_anything(client, db, make_user, admin_headers):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    csrf = _page_session(client, db, "agent", make_user)
    page = client.get("/workflow/ideas")
    assert page.status_code == 200 and 'value="publish"' not in page.text
    r = client.post(f"/workflow/ideas/{idea['id']}", data={"csrf_token": csrf, "action": "reject"})
    assert r.status_code == 403
