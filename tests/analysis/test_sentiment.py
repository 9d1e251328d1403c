"""Sentiment label, score, intensity and emotions on a table of Chinese cases."""

from __future__ import annotations

import pytest

from feedbackloop.analysis import analyze, analyze_many

NEGATIVE = [
    "服务态度很差，再也不来了",
    "不太满意",
    "不是很好",
    "送餐太慢了，等了两个小时，饭都凉了",
    "服務很差",  # traditional characters
    "質量太差了，用了兩天就壞了",
    "太失望了😡",
    "这个app界面太难用了，bug一堆",
    "<p>东西很差，<b>不推荐</b></p>",
    "质量一般，价格还贵，不值这个价",
]
POSITIVE = [
    "房间干净，服务热情，下次还来",
    "味道很好，送餐也快，好评",
    "质量很好，物超所值",
    "东西不错👍",
    "服務很好，房間乾淨",  # traditional characters
    "非常好的酒店, the staff is very nice, 推荐",
    "没有想象中差",
    "比想象的好很多，惊喜",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_it_reads_complaints_as_negative(text: str) -> None:
    s = analyze(text).sentiment
    assert s.label == "negative", (text, s)
    assert s.score < 0.4


@pytest.mark.parametrize("text", POSITIVE)
def test_it_reads_praise_as_non_negative(text: str) -> None:
    s = analyze(text).sentiment
    assert s.label in ("positive", "neutral") if text == "没有想象中差" else s.label == "positive", (text, s)
    assert s.score > 0.5


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "。。。", "……"])
def test_it_calls_empty_or_punctuation_only_text_neutral(text: str) -> None:
    a = analyze(text)
    assert a.sentiment.label == "neutral"
    assert a.sentiment.score == 0.5
    assert a.sentiment.intensity == 1
    assert a.aspects == [] and a.keywords == [] and a.urgency == "一般"


def test_emoji_alone_carries_sentiment() -> None:
    assert analyze("😡😡😡").sentiment.label == "negative"
    assert analyze("👍👍").sentiment.label == "positive"


def test_traditional_and_simplified_score_alike() -> None:
    trad = analyze("服務態度很差，房間也不乾淨").sentiment.score
    simp = analyze("服务态度很差，房间也不干净").sentiment.score
    assert abs(trad - simp) < 1e-6


def test_intensity_rises_with_strength() -> None:
    mild = analyze("还行吧，有点慢").sentiment.intensity
    strong = analyze("太垃圾了！！！非常非常差，气死我了😡").sentiment.intensity
    assert 1 <= mild < strong <= 5


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("非常满意，下次还来", "满意"),
        ("太失望了，再也不会买了", "失望"),
        ("垃圾商家，骗子！！！我要投诉", "愤怒"),
        ("没想到这么好吃，惊喜", "惊喜"),
    ],
)
def test_it_names_the_emotion(text: str, emotion: str) -> None:
    assert emotion in analyze(text).sentiment.emotions


def test_emotions_agree_with_polarity() -> None:
    assert "满意" not in analyze("垃圾，太差了").sentiment.emotions
    assert "愤怒" not in analyze("很好，很满意").sentiment.emotions


def test_very_long_text_is_analysed_quickly() -> None:
    import time

    text = ("房间很干净但是早餐很差，前台服务态度也一般。" * 500)[:10000]
    t0 = time.perf_counter()
    a = analyze(text)
    assert time.perf_counter() - t0 < 2.0
    assert {x.aspect for x in a.aspects} >= {"卫生", "早餐"}


def test_batch_and_single_agree() -> None:
    texts = ["房间很干净但是早餐很差", "送餐太慢", "", "质量很好"]
    batch = analyze_many(texts)
    assert [b.to_dict() for b in batch] == [analyze(t).to_dict() for t in texts]


def test_result_has_the_fixed_shape() -> None:
    d = analyze("房间很干净但是早餐很差").to_dict()
    assert set(d) >= {"sentiment", "aspects", "problem_type", "problem_type_explanation", "urgency",
                      "urgency_reasons", "risk_flags", "keywords", "mentions", "model_version"}
    assert set(d["sentiment"]) == {"label", "score", "intensity", "emotions", "explanation"}
    assert 0.0 <= d["sentiment"]["score"] <= 1.0
    assert set(d["mentions"]) == {"products", "modules"}
    assert all(set(a) == {"aspect", "sentiment", "evidence"} for a in d["aspects"])
    assert d["model_version"].startswith("sent-")


def test_an_empty_batch_is_an_empty_list() -> None:
    assert analyze_many([]) == []


def test_a_legal_threat_at_the_end_of_a_long_letter_is_not_lost() -> None:
    assert analyze("房间一般。" * 3000 + "我会起诉你们").urgency == "紧急"


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("面前就是高架，实在是太吵了，一晚上没睡！宾馆反馈2008年7月7日：您好！首先很抱歉您一晚上未休息好",
         "面前就是高架,实在是太吵了,一晚上没睡!"),
        ("送餐太慢了，饭都凉了 商家回复：亲，非常抱歉，欢迎再次光临", "送餐太慢了,饭都凉了"),
        ("质量不行 掌柜回复 2024-03-01: 感谢支持", "质量不行"),
        ("早餐品种少。补充点评2008年6月27日：刷卡不方便", "早餐品种少。补充点评2008年6月27日:刷卡不方便"),
        ("商家回复很及时，好评", "商家回复很及时,好评"),  # no colon: the customer's own words
        ("商家回复：感谢您的好评", "商家回复:感谢您的好评"),  # nothing before the reply: kept whole
    ],
)
def test_an_appended_business_reply_is_not_read_as_the_customer(text: str, customer: str) -> None:
    from feedbackloop.analysis.text import normalize

    assert normalize(text) == customer


def test_a_business_apology_does_not_turn_a_complaint_positive() -> None:
    reply = "宾馆反馈2008年7月7日：您好！非常感谢您的宝贵意见，我们深表歉意，期待您的再次光临，祝您生活愉快！"
    complaint = "面前就是高架，实在是太吵了，一晚上没睡！"
    with_reply = analyze(complaint + reply)
    assert with_reply.sentiment.label == "negative"
    assert with_reply.sentiment.score == analyze(complaint).sentiment.score
    assert not {"光临", "愉快", "歉意"} & set(with_reply.keywords)
