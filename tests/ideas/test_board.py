"""The public board: published ideas only, Chinese search through the token index, moderation first."""

from __future__ import annotations

import pytest
from idea_helpers import new_idea
from sqlalchemy import func, select

from feedbackloop.ideas.models import IdeaToken


@pytest.fixture
def board(client, admin_headers):  # type: ignore[no-untyped-def]
    ideas = [
        new_idea(client, admin_headers, "增加夜间模式", "晚上看手机太刺眼, 希望有深色主题"),
        new_idea(client, admin_headers, "早餐种类太少", "希望酒店早餐多一些中式点心"),
        new_idea(client, admin_headers, "支持微信支付", "结账时只能用支付宝不方便"),
        new_idea(client, admin_headers, "送餐速度太慢", "外卖经常超过一小时"),
    ]
    return {i["title"]: i for i in ideas}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("夜间", {"增加夜间模式"}),
        ("夜间模式", {"增加夜间模式"}),
        ("深色主题", {"增加夜间模式"}),
        ("早餐", {"早餐种类太少"}),
        ("中式点心", {"早餐种类太少"}),
        ("微信", {"支持微信支付"}),
        ("支付", {"支持微信支付"}),
        ("外卖 超过", {"送餐速度太慢"}),
        ("火锅", set()),
    ],
)
def test_it_finds_ideas_by_chinese_words(client, board, query, expected):
    r = client.get("/api/v1/public/ideas", params={"q": query})
    assert r.status_code == 200, r.text
    assert {i["title"] for i in r.json()["items"]} == expected
    assert r.json()["total"] == len(expected)


def test_search_is_served_by_the_token_index_not_a_substring_scan(client, board, db):
    """点心 is in the index because jieba made it a word of the description; a half-word (心) finds nothing."""
    assert db.scalar(select(func.count()).where(IdeaToken.token == "点心")) == 1
    assert client.get("/api/v1/public/ideas", params={"q": "心"}).json()["total"] == 0


def test_a_customer_idea_is_public_only_after_review(client, admin_headers):
    r = client.post("/api/v1/public/ideas", json={"title": "希望增加积分兑换", "description": "积分能换优惠券"})
    assert r.status_code == 201 and r.json()["moderation"] == "pending"
    idea_id = r.json()["id"]
    assert client.get(f"/api/v1/public/ideas/{idea_id}").status_code == 404
    assert client.get("/api/v1/public/ideas", params={"q": "积分"}).json()["total"] == 0
    assert client.get(f"/ideas/{idea_id}", headers={"accept": "text/html"}).status_code == 404
    r = client.post(f"/api/v1/ideas/{idea_id}/moderate", json={"decision": "publish"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["moderation"] == "published"
    assert client.get("/api/v1/public/ideas", params={"q": "积分"}).json()["total"] == 1
    page = client.get(f"/ideas/{idea_id}")
    assert page.status_code == 200 and "希望增加积分兑换" in page.text


def test_a_rejected_idea_stays_off_the_board(client, admin_headers):
    r = client.post("/api/v1/public/ideas", json={"title": "加我微信 13812345678 便宜卖货"})
    idea_id = r.json()["id"]
    r = client.post(f"/api/v1/ideas/{idea_id}/moderate", json={"decision": "reject", "reason": "垃圾信息"},
                    headers=admin_headers)  # fmt: skip
    assert r.json()["moderation"] == "rejected"
    assert client.get(f"/api/v1/public/ideas/{idea_id}").status_code == 404
    assert client.get("/api/v1/public/ideas", params={"q": "卖货"}).json()["total"] == 0


def test_the_board_sorts_by_votes_and_filters_by_status(client, admin_headers, board):
    r = client.put(f"/api/v1/ideas/{board['早餐种类太少']['id']}", json={"status": "planned"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["status_label"] == "已计划"
    planned = client.get("/api/v1/public/ideas", params={"status": "planned"}).json()
    assert [i["title"] for i in planned["items"]] == ["早餐种类太少"]
    assert client.get("/api/v1/public/ideas", params={"status": "nonsense"}).status_code == 422


def test_the_board_page_lists_and_searches_on_a_phone(client, board):
    page = client.get("/ideas", params={"q": "夜间"})
    assert page.status_code == 200
    assert "增加夜间模式" in page.text and "早餐种类太少" not in page.text
    assert 'name="viewport"' in page.text


def test_english_board_is_complete(client, board):
    page = client.get("/ideas", params={"lang": "en"})
    assert "Idea board" in page.text and "想法板" not in page.text
    assert "Open for votes" in page.text


def test_reading_the_board_never_uses_up_the_submission_budget(client, board, monkeypatch):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", 3)
    idea_id = board["增加夜间模式"]["id"]
    posts = [client.post("/api/v1/public/ideas/verify", json={"contact": f"u{n}@example.com"}) for n in range(4)]
    assert posts[-1].status_code == 429  # the submission budget is spent …
    reads = [client.get(f"/api/v1/public/ideas/{idea_id}").status_code for _ in range(30)]
    assert reads == [200] * 30  # … reading is counted apart, at ten times the budget
    refused = client.get("/api/v1/public/ideas")
    assert refused.status_code == 429 and "too many submissions" not in refused.text


def test_on_postgresql_the_search_goes_through_the_gin_index(client, board, db):
    """The whole query is one tsvector match against ix_idea_ideas_search (migration 0008b)."""
    from sqlalchemy import text

    from feedbackloop.ideas import search
    from feedbackloop.ideas.models import Idea

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite searches the idea_tokens table")
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a 4-idea table would be scanned: ask for the plan we ship
    stmt = select(func.count()).select_from(Idea).where(*search.match_clauses(db, "外卖 超过"))
    plan = "\n".join(db.scalars(text("EXPLAIN " + str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})))))
    db.rollback()
    assert "ix_idea_ideas_search" in plan, plan


@pytest.mark.parametrize("title", ["it's a \\ test 夜间", "quote ' and \\' 夜间"])
def test_quotes_and_backslashes_in_a_query_are_taken_literally(client, admin_headers, title):
    idea = new_idea(client, admin_headers, f"增加功能 {title}")
    for query in (title, "'", "\\", "a' | '夜间", "!夜间 & (", ":*"):
        r = client.get("/api/v1/public/ideas", params={"q": query})
        assert r.status_code == 200, (query, r.text)
    assert idea["id"] in [i["id"] for i in client.get("/api/v1/public/ideas", params={"q": "夜间"}).json()["items"]]


def test_the_search_tokens_follow_an_edited_idea(client, admin_headers):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    r = client.put(f"/api/v1/ideas/{idea['id']}", json={"title": "支持微信支付"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/public/ideas", params={"q": "夜间"}).json()["total"] == 0
    assert client.get("/api/v1/public/ideas", params={"q": "微信"}).json()["total"] == 1
