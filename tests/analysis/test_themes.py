"""Themes over many items: readable labels, counts, trend, examples, emerging-issue signal."""

from __future__ import annotations

import datetime as dt

from feedbackloop.analysis import analyze, analyze_many, themes

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def _items(texts: list[str], when: dt.datetime) -> list[tuple[str, dt.datetime, object]]:
    return [(t, when, a) for t, a in zip(texts, analyze_many(texts), strict=True)]


def _series() -> list[tuple[str, dt.datetime, object]]:
    """Four quiet weeks, then a week where slow delivery jumps."""
    quiet = ["味道很好，好评", "分量足，味道不错", "送餐很快，味道好", "包装很好，好吃", "味道一般，送餐太慢了"]
    items = []
    for week in range(1, 5):
        items += _items(quiet * 2, NOW - week * WEEK - dt.timedelta(hours=1))
    spike = ["送餐太慢了，等了两个小时", "配送太慢，饭都凉了", "送餐员太慢了，超时一个小时", "味道很好，好评"]
    items += _items(spike * 2 + ["分量足，味道不错"] * 2, NOW - dt.timedelta(days=1))
    return items


def by_key(result):  # noqa: ANN001, ANN202
    return {t.key: t for t in result}


def test_labels_are_readable_chinese() -> None:
    result = by_key(themes(_series(), now=NOW))
    assert result["aspect:送餐速度:negative"].label == "送餐速度慢"
    assert result["aspect:味道:positive"].label == "味道好"


def test_counts_and_shares_cover_the_current_period() -> None:
    t = by_key(themes(_series(), now=NOW))["aspect:送餐速度:negative"]
    assert t.count == 6  # the six slow-delivery texts of the spike week
    assert t.share == 0.6
    assert 0 < t.share <= 1


def test_trend_compares_with_the_previous_period() -> None:
    t = by_key(themes(_series(), now=NOW))["aspect:送餐速度:negative"]
    assert t.previous_count == 2
    assert t.trend == "up" and t.change > 0


def test_emerging_flag_fires_on_a_jump_against_its_own_history() -> None:
    result = by_key(themes(_series(), now=NOW))
    assert result["aspect:送餐速度:negative"].emerging
    assert not result["aspect:味道:positive"].emerging


def test_a_steady_theme_is_not_emerging() -> None:
    steady = []
    for week in range(0, 5):
        steady += _items(["送餐太慢了", "味道很好"] * 3, NOW - week * WEEK - dt.timedelta(hours=1))
    t = by_key(themes(steady, now=NOW))["aspect:送餐速度:negative"]
    assert t.trend == "flat" and not t.emerging


def test_examples_are_quotes_from_the_current_period() -> None:
    t = by_key(themes(_series(), now=NOW))["aspect:送餐速度:negative"]
    assert 1 <= len(t.examples) <= 3
    assert all("慢" in e or "超时" in e for e in t.examples)


def test_risk_and_problem_type_themes() -> None:
    items = _items(["吃了拉肚子", "吃完拉肚子了，太差", "快递太慢了"], NOW)
    result = by_key(themes(items, now=NOW, min_count=1))
    assert result["risk:食品安全"].label == "食品安全问题"
    assert result["risk:食品安全"].count == 2
    assert "problem_type:物流" in result


def test_it_accepts_dicts_and_iso_timestamps() -> None:
    a = analyze("房间隔音太差，吵得睡不着").to_dict()
    result = themes([("房间隔音太差，吵得睡不着", "2026-03-01T10:00:00", a)] * 2)
    assert any(t.label == "房间隔音差" for t in result)


def test_no_items_no_themes() -> None:
    assert themes([]) == []
