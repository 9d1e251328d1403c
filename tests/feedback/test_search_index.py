"""The inbox search goes through the content index (feedback/search.py, lib/cjk) and answers what a substring
search answers, on SQLite (FTS5) and PostgreSQL (GIN); the index follows every write of the text."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from feedbackloop.db import begin_write, get_engine
from feedbackloop.feedback import search as content_search
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib import cjk

FIXTURE = [
    "房间很干净, 但是早餐很差",
    "早餐品种太少了, 服务员态度差",
    "物流太慢了！等了一周才到",
    "买的iPhone15屏幕坏了, 订单号 TB2026120212345, 要求换货",
    "iPhone 15 Pro 的电池不耐用",
    "充电器坏了。客服说7天无理由退货",
    "外卖送到时汤洒了, 骑手态度很好",
    "酒店位置好, 离地铁站近, 停车场太小",
    "差评！！！再也不来了",
    "手机用了三天就死机, 垃圾",
    "订单号20261130888 一直没发货？",
    "性价比高, 物超所值, 推荐购买",
    "空调声音太大, 晚上睡不着",
    "送货上门很快, 快递小哥人很好",
    "Wi-Fi信号差, 网速太慢",
]

# Queries where the indexed search must equal the substring answer: words of 1, 2, 3 and more characters,
# Latin and digits, an order number, punctuation around and inside the query.
AGREE = [
    "差", "坏", "慢", "早餐", "态度", "物流", "很差", "订单号", "停车场", "性价比", "无理由退货", "早餐很差",
    "太慢了", "iPhone15", "iPhone", "TB2026120212345", "20261130888", "15", "7天", "Pro", "wi", "Fi",
    "！", "？", "差评！", "物流太慢", "不存在的词", "骑手态度很好", "空调 声音", "早餐很差 ",
]  # fmt: skip


@pytest.fixture
def fixture_ids(make_feedback) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {make_feedback(content=t).id: t for t in FIXTURE}


def found(db, q: str) -> set[str]:  # type: ignore[no-untyped-def]
    rows, total = services.search(db, services.FeedbackFilter(q=q), 1, 100)
    assert total == len(rows)
    return {r.id for r in rows}


def substring(texts: dict[str, str], q: str) -> set[str]:
    """The exact answer: items whose (normalised) text holds every space-separated part of q."""
    parts = [cjk.normalize(p, mask=False) for p in q.split()]
    return {fid for fid, t in texts.items() if all(p in cjk.normalize(t, mask=False) for p in parts)}


@pytest.mark.parametrize("q", AGREE)
def test_indexed_search_equals_the_substring_answer(db, fixture_ids, q):
    assert found(db, q) == substring(fixture_ids, q)


def test_the_fixture_answers_are_not_trivial(db, fixture_ids):
    # The comparison above must be able to fail: most queries find something, not everything.
    sizes = [len(substring(fixture_ids, q)) for q in AGREE]
    assert sum(1 for n in sizes if n) >= 25 and max(sizes) < len(FIXTURE)


def test_the_query_goes_through_the_index_not_a_scan(db):
    sql = str(services._filtered(services.FeedbackFilter(q="早餐很差")).compile(get_engine()))
    assert "LIKE" not in sql.upper()
    assert ("MATCH" in sql) if db.get_bind().dialect.name == "sqlite" else ("@@" in sql)


def test_case_width_and_traditional_characters_do_not_matter(db, make_feedback):
    a = make_feedback(content="ＩＰＨＯＮＥ１５ 螢幕壞了")
    for q in ("iphone15", "IPHONE", "萤幕坏了", "螢幕", "ｉｐｈｏｎｅ"):
        assert found(db, q) == {a.id}, q


def test_known_differences_from_a_substring_search(db, make_feedback):
    # A Latin word is found by its beginning, not by a piece inside it; a text with every bigram of the query
    # but not next to each other is found too. Both are stated in the README.
    a = make_feedback(content="iPhone15 很好用")
    b = make_feedback(content="早餐不错, 餐很丰富, 服务很差")
    assert found(db, "phone") == set()
    assert found(db, "，早餐") == {b.id}  # punctuation in a query is not looked for (a substring search finds none)
    assert found(db, "早餐很差") == {b.id} and found(db, "iphone") == {a.id}


def test_a_contact_in_the_text_is_not_found_in_clear(db, make_feedback):
    a = make_feedback(content="请回电 13812345678 或发邮件 zhang.san@example.com", contact="13900001111")
    assert found(db, "13812345678") == set()
    assert found(db, "zhang") == set()
    assert found(db, "13900001111") == set()  # the contact field is never indexed
    assert found(db, "138****5678") == {a.id}  # what the inbox shows can be searched
    assert "13812345678" not in (db.get(Feedback, a.id).search_terms or "")


def test_every_way_in_is_indexed(client, admin_headers, db):
    r = client.post("/api/v1/feedback", json={"content": "单条接口琉璃瓦"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    single = r.json()["id"]
    items = [{"content": f"批量接口翡翠{n}号", "external_id": f"B{n}"} for n in range(3)]
    r = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r.status_code in (200, 201), r.text
    batch = set(r.json()["created"])
    r = client.post("/api/v1/public/feedback", json={"content": "公开表单玛瑙"})
    assert r.status_code == 201, r.text
    public = r.json()["id"]
    out = io.StringIO()
    csv.writer(out).writerows([["评论内容", "订单号"], ["导入文件珊瑚", "X1"]])
    r = client.post("/api/v1/imports", files={"file": ("a.csv", out.getvalue().encode(), "text/csv")},
                    data={"channel": "tmall"}, headers=admin_headers)  # fmt: skip
    assert r.status_code in (200, 201, 202), r.text
    db.rollback()
    assert found(db, "琉璃瓦") == {single}
    assert found(db, "翡翠") == batch and len(batch) == 3
    assert found(db, "玛瑙") == {public}
    assert len(found(db, "珊瑚")) == 1


def test_an_edit_replaces_the_indexed_text(db, make_feedback):
    a = make_feedback(content="原来的文字琥珀")
    begin_write(db)
    record = db.get(Feedback, a.id)
    record.content = "改过的文字水晶"
    db.commit()
    assert found(db, "琥珀") == set() and found(db, "水晶") == {a.id}


def test_erasure_takes_the_text_out_of_the_index(client, admin_headers, db, make_feedback):
    gone = make_feedback(content="我的地址是翠竹路88号", contact="13900001111")
    kept = make_feedback(content="翠竹路的店很好", contact="13900002222")
    r = client.post("/api/v1/privacy/erase", json={"contact": "13900001111", "confirm": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    db.rollback()
    assert found(db, "翠竹路") == {kept.id}
    assert found(db, "88") == set()
    assert gone.id in found(db, "已删除")
    if db.get_bind().dialect.name == "sqlite":  # the FTS5 index itself no longer holds the erased terms
        hits = db.execute(text("SELECT count(*) FROM feedback_fts WHERE feedback_fts MATCH '\"翠竹\" \"地址\"'"))
        assert hits.scalar() == 0


def test_a_merged_item_is_still_found_by_its_text(client, admin_headers, db, make_feedback):
    first = make_feedback(content="电梯坏了三天没人修")
    second = make_feedback(content="电梯又坏了, 没人管")
    r = client.post("/api/v1/feedback/bulk", json={"ids": [second.id], "action": "merge", "merged_into": first.id},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    db.rollback()
    assert found(db, "电梯") == {first.id, second.id}
    rows, _ = services.search(db, services.FeedbackFilter(q="电梯", status="merged"))
    assert [r.id for r in rows] == [second.id]


def test_deleting_an_item_removes_it_from_the_index(db, make_feedback):
    a = make_feedback(content="将被删除的玳瑁")
    begin_write(db)
    db.delete(db.get(Feedback, a.id))
    db.commit()
    assert found(db, "玳瑁") == set()


def test_a_lost_index_is_rebuilt_at_start(db, make_feedback):
    a = make_feedback(content="重建索引的琉璃")
    db.rollback()  # the test's session must not hold a lock on feedback while the index is dropped
    engine = get_engine()
    drops = content_search.POSTGRES_DROP if engine.dialect.name == "postgresql" else content_search.SQLITE_DROP
    with engine.begin() as conn:
        for statement in drops:
            conn.execute(text(statement))
    assert content_search.ensure_index(engine) is True
    assert content_search.ensure_index(engine) is False
    db.rollback()
    assert found(db, "琉璃") == {a.id}


def test_the_list_api_searches_through_the_index(client, admin_headers, make_feedback):
    a = make_feedback(content="前台服务态度很差")
    make_feedback(content="物流太慢")
    r = client.get("/api/v1/feedback", params={"q": "服务态度"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [a.id] and r.json()["total"] == 1

