"""Touchpoints admin: create, public link, QR code SVG, printable sign, roles."""

from __future__ import annotations

import re

from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)
from web_helpers import csrf_from, login

from feedbackloop.feedback import touchpoints


def create(client, **fields):
    return client.post("/touchpoints", data={"csrf_token": client.csrf, "kind": "store", **fields})


def test_admin_creates_a_touchpoint_and_sees_link_and_qr(admin_client):
    r = create(admin_client, name="上海南京西路店")
    assert r.status_code == 200 and r.url.path == "/touchpoints"
    slug = re.search(r'data-slug="([^"]+)"', r.text).group(1)
    assert "上海南京西路店" in r.text and "触点已创建" in r.text
    assert f"/f/{slug}" in r.text and f"/touchpoints/{slug}/qr.svg" in r.text
    assert "上海南京西路店" in admin_client.get(f"/f/{slug}").text


def test_qr_code_is_served_as_svg(admin_client):
    create(admin_client, name="官网商品页 iPhone 15", kind="product_page", slug="iphone-15")
    r = admin_client.get("/touchpoints/iphone-15/qr.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and "<path" in r.text


def test_printable_page_has_name_and_qr(admin_client):
    create(admin_client, name="北京三里屯店", slug="bj-sanlitun")
    html = admin_client.get("/touchpoints/bj-sanlitun/print").text
    assert "北京三里屯店" in html and "/touchpoints/bj-sanlitun/qr.svg" in html and "扫码反馈" in html


def test_duplicate_name_and_bad_slug_are_explained(admin_client):
    create(admin_client, name="杭州西湖店")
    r = create(admin_client, name="杭州西湖店")
    assert r.status_code == 422 and "已存在" in r.text
    r = create(admin_client, name="另一家店", slug="Bad Slug!")
    assert r.status_code == 422 and "链接标识只能包含" in r.text


def test_unknown_touchpoint_qr_is_404(admin_client):
    assert admin_client.get("/touchpoints/nope/qr.svg").status_code == 404


def test_create_without_csrf_is_refused(admin_client):
    r = admin_client.post("/touchpoints", data={"name": "无令牌店"})
    assert r.status_code == 403
    assert "无令牌店" not in admin_client.get("/touchpoints").text


def test_agents_cannot_manage_touchpoints(client, make_user):
    name, password = make_user("agent")
    login(client, name, password)
    assert client.get("/touchpoints").status_code == 403
    token = csrf_from(client.get("/inbox").text)
    assert client.post("/touchpoints", data={"csrf_token": token, "name": "x店"}).status_code == 403
    assert "触点与二维码" not in client.get("/inbox").text


def test_supervisor_can_manage_touchpoints(client, make_user):
    name, password = make_user("supervisor")
    login(client, name, password)
    assert client.get("/touchpoints").status_code == 200


def test_qr_code_encodes_the_public_link(admin_client):
    create(admin_client, name="成都春熙路店", slug="cd-chunxi")
    svg = admin_client.get("/touchpoints/cd-chunxi/qr.svg").text
    assert svg == touchpoints.qr_svg("http://testserver/f/cd-chunxi")
    assert svg != touchpoints.qr_svg("http://testserver/f/other")
