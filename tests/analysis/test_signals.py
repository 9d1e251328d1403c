"""Keywords, product/module mentions and explanations."""

from __future__ import annotations

import pytest

from feedbackloop.analysis import Analyzer, analyze


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("房间很干净但是早餐很差", {"早餐", "干净"}),
        ("快递太慢了，包装也破了", {"快递", "包装"}),
        ("华为手机的电池不耐用", {"电池"}),
    ],
)
def test_keywords_are_the_content_words(text: str, words: set[str]) -> None:
    kws = analyze(text).keywords
    assert words <= set(kws), kws
    assert not {"的", "了", "很", "但是"} & set(kws)


def test_products_and_modules_are_mentioned() -> None:
    m = analyze("华为P9充电时漏电，app里的支付页面也打不开").mentions
    assert "华为" in m.products and "p9" in m.products
    assert {"支付", "app"} <= set(m.modules)


def test_admin_products_and_modules_are_recognised() -> None:
    m = Analyzer(products=["飞书"], modules=["会议室预订"]).analyze("飞书的会议室预订老是失败").mentions
    assert m.products == ["飞书"] and m.modules == ["会议室预订"]


@pytest.mark.parametrize(
    ("text", "term", "sign"),
    [
        ("早餐很差", "差", -1),
        ("服务很热情", "热情", 1),
        ("不太满意", "不太满意", -1),
        ("送餐太慢了", "慢", -1),
    ],
)
def test_explanation_points_at_the_words_that_drove_the_label(text: str, term: str, sign: int) -> None:
    expl = analyze(text).sentiment.explanation
    assert expl, text
    top = [e for e in expl if e.weight * sign > 0]
    assert any(term in e.term for e in top), expl


def test_explanation_terms_occur_in_the_text() -> None:
    text = "这家酒店的位置很好，但是房间太小了，隔音也差"
    for e in analyze(text).sentiment.explanation:
        assert e.term in text.replace(" ", ""), e


def test_construction_fix_is_explained() -> None:
    expl = analyze("没有想象中差").sentiment.explanation
    assert any(e.term == "没有想象中差" and e.weight > 0 for e in expl)
