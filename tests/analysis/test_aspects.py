"""Aspect detection with per-aspect sentiment, and admin-defined aspects."""

from __future__ import annotations

import pytest

from feedbackloop.analysis import Analyzer, AspectDef, analyze


def aspects(text: str) -> dict[str, str]:
    return {a.aspect: a.sentiment for a in analyze(text).aspects}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("房间很干净但是早餐很差", {"卫生": "positive", "早餐": "negative"}),
        ("位置很好，就是隔音太差了", {"位置": "positive", "隔音": "negative"}),
        ("前台服务热情，房间有点脏", {"服务": "positive", "卫生": "negative"}),
        ("味道不错，就是送餐太慢了", {"味道": "positive", "送餐速度": "negative"}),
        ("分量太少了，包装倒是很好", {"分量": "negative", "包装": "positive"}),
        ("质量很好，物流太慢", {"质量": "positive", "物流": "negative"}),
        ("但是房间有点小，不过交通还算方便，离地铁不远", {"设施": "negative", "位置": "positive"}),
        ("外卖小哥很赞，分量太小了", {"分量": "negative"}),
        ("价格便宜，客服态度很差", {"价格": "positive", "客服": "negative"}),
        ("空调坏了，设施太旧", {"设施": "negative"}),
    ],
)
def test_it_finds_aspects_and_their_own_sentiment(text: str, expected: dict[str, str]) -> None:
    found = aspects(text)
    for name, polarity in expected.items():
        assert found.get(name) == polarity, (text, found)


def test_evidence_is_the_clause_that_mentions_the_aspect() -> None:
    a = {x.aspect: x.evidence for x in analyze("房间很干净但是早餐很差").aspects}
    assert a == {"卫生": "房间很干净", "早餐": "早餐很差"}


def test_negated_praise_is_a_negative_aspect() -> None:
    assert aspects("早餐不是很好")["早餐"] == "negative"


def test_a_text_without_aspects_has_none() -> None:
    assert analyze("今天天气不错").aspects == []


def test_admin_can_add_an_aspect_as_a_dict() -> None:
    found = {a.aspect: a.sentiment for a in
             analyze("泳池水很脏，健身房不错", extra_aspects=[{"name": "泳池", "terms": ["泳池", "游泳池"]}]).aspects}
    assert found["泳池"] == "negative"


def test_admin_aspect_words_extend_a_builtin_aspect() -> None:
    analyzer = Analyzer(extra_aspects=[AspectDef("早餐", ("早茶",))])
    found = {a.aspect: a.sentiment for a in analyzer.analyze("早茶太难吃了").aspects}
    assert found["早餐"] == "negative"


def test_admin_aspect_counts_towards_its_problem_type() -> None:
    analyzer = Analyzer(extra_aspects=[{"name": "小程序", "terms": ["小程序"], "problem_type": "界面/交互"}])
    a = analyzer.analyze("小程序老是闪退，太难用")
    assert "小程序" in {x.aspect for x in a.aspects}
    assert a.problem_type == "界面/交互"


def test_an_aspect_without_terms_is_rejected() -> None:
    with pytest.raises(ValueError):
        Analyzer(extra_aspects=[{"name": "空", "terms": []}])


@pytest.mark.parametrize(
    ("text", "aspect", "polarity"),
    [  # the guide's aspect names for words of industries beyond the three corpora
        ("改签手续费太高了", "价格", "negative"),
        ("这个月话费贵得离谱", "价格", "negative"),
        ("更新之后经常闪退", "性能", "negative"),
        ("这车油耗低，开起来很省心", "性能", "positive"),
        ("商场的扶梯太旧了", "设施", "negative"),
        ("药师很耐心地讲了用法", "服务", "positive"),
        ("挂号排队太慢了", "服务", "negative"),
        ("软件偷偷读取我的通讯录", "隐私", "negative"),
    ],
)
def test_aspect_words_of_other_industries_map_to_the_guides_names(text: str, aspect: str, polarity: str) -> None:
    assert aspects(text).get(aspect) == polarity, aspects(text)
