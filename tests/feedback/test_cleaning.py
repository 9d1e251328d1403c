"""Intake cleaning: duplicates linked (not deleted), vague items flagged, ids per day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from feedbackloop.lib.textnorm import is_vague

COMPLAINT = "我上周在你们店买的电饭煲用了三天就坏了, 打客服电话一直没人接, 希望尽快给我换一台新的"


def test_exact_duplicate_is_linked_to_first(make_feedback):
    first = make_feedback(content=COMPLAINT)
    second = make_feedback(content=COMPLAINT + " ")
    assert second.duplicate_of == first.id and second.duplicate_kind == "exact"
    assert first.duplicate_of is None


def test_near_duplicate_with_small_edits_is_linked(make_feedback):
    first = make_feedback(content=COMPLAINT)
    edited = COMPLAINT.replace("三天", "两天").replace("新的", "新的!!")
    second = make_feedback(content=edited)
    assert second.duplicate_of == first.id and second.duplicate_kind == "near"


def test_different_complaints_are_not_linked(make_feedback):
    make_feedback(content=COMPLAINT)
    other = make_feedback(content="酒店的早餐品种太少了, 而且服务员态度冷淡, 房间隔音也很差, 一晚上没睡好")
    assert other.duplicate_of is None


@pytest.mark.parametrize(
    ("text", "vague"),
    [
        ("不好用", True),
        ("不满意!!", True),
        ("太差了", True),
        ("很不满意", True),
        ("不好用, 开机就死机", False),
        ("物流太慢了", False),
        ("早餐很差", False),
    ],
)
def test_vague_items_are_flagged(text, vague):
    assert is_vague(text) is vague


def test_ids_count_per_day(make_feedback):
    day = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    ids = [make_feedback(content=f"第{i}条", received_at=day).id for i in range(3)]
    assert ids == ["FB20240301001", "FB20240301002", "FB20240301003"]


def test_batch_lookups_span_more_keys_than_one_in_list(db):
    """1,200 stored texts re-sent in one batch: by external id, with an edit, nearly the same; all recognised.

    The lookups by external id, content hash and MinHash band each bind a list of 1,200 values (db.in_list),
    on either database.
    """
    import random

    from feedbackloop.feedback import services
    from feedbackloop.feedback.schemas import FeedbackCreate

    n = 1200
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    texts = ["".join(rng.choice(alphabet) for _ in range(60)) for _ in range(n)]

    def batch(contents: list[str], channel: str, ids: bool = False) -> services.IngestResult:
        return services.ingest(
            db, [FeedbackCreate(content=t, channel=channel, external_id=f"o-{i}" if ids else None)
                 for i, t in enumerate(contents)]
        )  # fmt: skip

    first = batch(texts, "api", ids=True)
    assert len(first.created) == n
    again = batch(texts, "api", ids=True)
    assert again.created == [] and again.existing == first.created
    exact = batch([t + "。" for t in texts], "email")
    near = batch([t[:-1] + "好" for t in texts], "chat")  # one bigram of 59 differs
    by_id = {r.id: r for r in db.query(services.Feedback).all()}
    for original, fid in zip(first.created, exact.created, strict=True):
        assert (by_id[fid].duplicate_of, by_id[fid].duplicate_kind) == (original, "exact")
    for original, fid in zip(first.created, near.created, strict=True):
        assert (by_id[fid].duplicate_of, by_id[fid].duplicate_kind) == (original, "near")


MARKED_UP = ('<div style="color:red"><p>APP 闪退&nbsp;无法登录</p><br/><span>更新后一直这样</span></div>'
             "<style>.x{color:blue}</style><!-- 客服备注 -->")  # fmt: skip


def test_markup_never_becomes_a_keyword_a_mention_or_a_theme_word(client, admin_headers, db):
    """A platform export or an HTML mail carries tags and entities: the stored text keeps them (pages escape
    it), the analysis reads the words only."""
    from feedbackloop.feedback.facets import FeedbackFacet
    from feedbackloop.feedback.models import Feedback

    r = client.post("/api/v1/feedback", json={"content": MARKED_UP, "channel": "api"}, headers=admin_headers)
    assert r.status_code in (200, 201), r.text
    item = db.get(Feedback, r.json()["id"])
    assert item is not None and item.content == MARKED_UP and item.analysis
    words = set(item.analysis["keywords"]) | {w for ws in item.analysis["mentions"].values() for w in ws}
    words |= set(db.scalars(select(FeedbackFacet.value).where(FeedbackFacet.feedback_id == item.id)))
    assert "闪退" in words
    assert not words & {"div", "p", "br", "span", "nbsp", "style", "color", "red", "blue", "客服备注"}, words


@pytest.mark.parametrize(("raw", "text"), [
    ("<p>送餐太慢</p><br>饭都凉了&nbsp;&amp;难吃", " 送餐太慢\n\n饭都凉了\xa0&难吃"),
    ("价格<100元, 1 < 2, AT&T 的卡, 5>3", "价格<100元, 1 < 2, AT&T 的卡, 5>3"),  # not markup: kept
    ("<script>alert(1)</script>好评", " 好评"),
    ("&#x4f60;&#22909;", "你好"),
])  # fmt: skip
def test_only_unmistakable_markup_is_taken_out(raw, text):
    from feedbackloop.analysis.markup import to_text

    assert to_text(raw) == text
