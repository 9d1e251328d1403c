"""Intake cleaning: duplicates linked (not deleted), vague items flagged, ids per day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
