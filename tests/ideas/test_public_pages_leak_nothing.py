"""Public pages carry no staff names or internal notes: every public GET page and API of the board is
fetched and its body scanned for each internal field, filled with a marker that must never appear."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts
from idea_helpers import headers_for, new_idea, status_token_of, verified_token
from sqlalchemy import select

from feedbackloop.ideas.models import Vote

MARKERS = {
    "staff display name": "员工甲某人",
    "staff username": "pm_secret_login",
    "internal note": "内部备注机密XYZ",
    "moderation reason": "审核理由MARK",
    "rejected idea": "被拒绝的想法标题",
    "pending idea": "待审核的想法标题",
    "unpublished comment": "未公开的附议MARK",
    "voter e-mail": "secret.voter@example.com",
    "customer phone": "13700001111",
    "plan measures": "计划措施机密MARK",
    "team name": "内部部门MARK",
}


def _setup(client, admin_headers, make_user, make_feedback, mailbox, db):  # type: ignore[no-untyped-def]
    name, pw = make_user("product_manager", display_name=MARKERS["staff display name"])
    db.rollback()
    pm = headers_for(client, name, pw)
    team = client.post("/api/v1/teams", json={"name": MARKERS["team name"]}, headers=admin_headers).json()
    plan = client.post("/api/v1/improvements", headers=pm, json={
        "title": "骑手调度优化", "team_id": team["id"], "measures": MARKERS["plan measures"]}).json()  # fmt: skip
    idea = new_idea(client, pm, "送餐速度太慢", "高峰期等太久", internal_note=MARKERS["internal note"],
                    public_reply="已优化骑手调度")  # fmt: skip
    client.post(f"/api/v1/ideas/{idea['id']}/plan", json={"plan_id": plan["id"]}, headers=pm)
    token = verified_token(client, mailbox, MARKERS["voter e-mail"])
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "comment": MARKERS["unpublished comment"]})
    record = make_feedback(content="太慢", contact=MARKERS["customer phone"])
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"status_token": status_token_of(db, record),
                                                                 "comment": "公开的附议"})  # fmt: skip
    db.rollback()
    published = db.scalar(select(Vote.id).where(Vote.comment == "公开的附议"))
    client.post(f"/api/v1/ideas/comments/{published}", json={"published": True}, headers=pm)
    rejected = client.post("/api/v1/public/ideas", json={"title": MARKERS["rejected idea"]}).json()
    client.post(f"/api/v1/ideas/{rejected['id']}/moderate", headers=pm,
                json={"decision": "reject", "reason": MARKERS["moderation reason"]})  # fmt: skip
    pending = client.post("/api/v1/public/ideas", json={"title": MARKERS["pending idea"]}).json()
    client.patch(f"/api/v1/improvements/{plan['id']}", json={"status": "shipped"}, headers=pm)
    return {"idea": idea["id"], "rejected": rejected["id"], "pending": pending["id"]}


PUBLIC_GETS = {
    "/ideas": ["/ideas", "/ideas?q=送餐", "/ideas?status=shipped", "/ideas?sort=new&lang=en"],
    "/ideas/new": ["/ideas/new"],
    "/ideas/verify": ["/ideas/verify?c=x&next=/ideas"],
    "/ideas/unsubscribe/{token}": ["/ideas/unsubscribe/1.abc"],
    "/ideas/{idea_id}": ["/ideas/{idea}", "/ideas/{idea}?lang=en", "/ideas/{rejected}", "/ideas/{pending}"],
    "/changelog": ["/changelog", "/changelog?lang=en"],
    "/api/v1/public/ideas": ["/api/v1/public/ideas", "/api/v1/public/ideas?q=送餐"],
    "/api/v1/public/ideas/similar": ["/api/v1/public/ideas/similar?text=送餐速度太慢了"],
    "/api/v1/public/ideas/{idea_id}": ["/api/v1/public/ideas/{idea}", "/api/v1/public/ideas/{rejected}"],
    "/api/v1/public/changelog": ["/api/v1/public/changelog"],
}


def test_every_public_page_of_the_board_is_scanned(_app):
    board = [r.path for r in iter_route_contexts(_app.routes) if "GET" in (r.methods or set())
             and r.path.startswith(("/ideas", "/changelog", "/api/v1/public/ideas", "/api/v1/public/changelog"))]  # fmt: skip
    assert sorted(board) == sorted(PUBLIC_GETS), "a public page of the board is not scanned below"


def test_no_public_page_shows_an_internal_field(client, admin_headers, make_user, make_feedback, mailbox, db):
    ids = _setup(client, admin_headers, make_user, make_feedback, mailbox, db)
    client.cookies.clear()
    seen = {}
    for urls in PUBLIC_GETS.values():
        for url in urls:
            r = client.get(url.format(**ids), headers={"accept": "text/html"})
            assert r.status_code in (200, 404), (url, r.status_code)
            seen[url] = r.text
    leaks = [(what, url) for url, body in seen.items() for what, mark in MARKERS.items() if mark in body]
    assert leaks == []
    # The scan looks at real content: the public parts are there.
    assert "送餐速度太慢" in seen["/ideas"] and "已优化骑手调度" in seen["/ideas/{idea}"]
    assert "公开的附议" in seen["/ideas/{idea}"] and "骑手调度" not in seen["/ideas"].replace("已优化骑手调度", "")
    assert "送餐速度太慢" in seen["/changelog"]


def test_staff_see_the_contacts_a_customer_wrote_into_an_idea_masked(client, admin_headers, mailbox, make_user):
    """As on feedback items: a product manager works with the idea, not the customer's phone or e-mail."""
    idea = new_idea(client, admin_headers, "夜间模式 请联系 13800138000", "邮箱 zed@example.com，电话 13900001111")
    token = verified_token(client, mailbox, "cosign@example.com")
    client.post(f"/api/v1/public/ideas/{idea['id']}/votes", json={"voter_token": token, "comment": "打我 13700002222"})
    name, password = make_user("product_manager")
    pm = headers_for(client, name, password)
    shown = client.get(f"/api/v1/ideas/{idea['id']}", headers=pm).text + client.get(
        f"/api/v1/ideas/{idea['id']}/comments", headers=pm).text + client.get("/api/v1/ideas", headers=pm).text
    for raw in ("13800138000", "zed@example.com", "13900001111", "13700002222"):
        assert raw not in shown, raw
    assert "138****8000" in shown
