"""Problem type (six values) and urgency with its safety, legal, health and PR overrides."""

from __future__ import annotations

import pytest

from feedbackloop.analysis import PROBLEM_TYPES, analyze


@pytest.mark.parametrize(
    ("text", "ptype"),
    [
        ("手机用了两天就坏了，电池也不耐用", "产品功能"),
        ("菜太难吃了，味道很怪", "产品功能"),
        ("客服态度极差，问了半天没人理", "服务质量"),
        ("前台服务员态度冷淡，办理入住等了很久", "服务质量"),
        ("太贵了，根本不值这个价格", "价格"),
        ("刚买就降价，也不给价格保护", "价格"),
        ("快递太慢了，一个星期才到货", "物流"),
        ("送餐员送错地址，等了两个小时才送到", "物流"),
        ("app界面太乱，操作很不方便，找不到下单按钮", "界面/交互"),
        ("键盘手感差，菜单设置也没有条理", "界面/交互"),
        ("今天天气不错", None),  # no problem raised: 无 (the guide)
    ],
)
def test_problem_type(text: str, ptype: str) -> None:
    a = analyze(text)
    assert a.problem_type == ptype, (text, a.problem_type, a.problem_type_explanation)
    assert a.problem_type is None or a.problem_type in PROBLEM_TYPES


def test_problem_type_explanation_names_the_cues() -> None:
    a = analyze("快递太慢了，一个星期才到货")
    assert a.problem_type_explanation and "快递" in a.problem_type_explanation[0]


def test_the_complaint_outweighs_the_praise() -> None:
    assert analyze("味道很好吃，但是送餐太慢了，等了一个半小时").problem_type == "物流"


@pytest.mark.parametrize(
    ("text", "flag", "reason"),
    [
        ("吃了以后拉肚子，一晚上没睡", "health", "拉肚子"),
        ("外卖里吃出一只虫子", "health", "虫子"),
        ("菜里有头发，太恶心了", "health", "头发"),
        ("饭菜变质了还送来", "health", "变质"),
        ("孩子吃了过敏，起了一身疹子", "health", "过敏"),
        ("全家食物中毒，进了医院", "health", "中毒"),
        ("充电的时候手机爆炸了", "safety", "爆炸"),
        ("洗澡时热水器漏电", "safety", "漏电"),
        ("电梯门夹伤了孩子，孩子受伤了", "safety", "受伤"),
        ("再不处理我就起诉你们", "legal", "起诉"),
        ("已经请了律师", "legal", "律师"),
        ("我要投诉到消协", "legal", "消协"),
        ("打12315举报你们", "legal", "12315"),
        ("这是欺诈，去315投诉", "legal", "315"),
        ("我要在微博曝光你们", "pr", "曝光"),
        ("已经联系了媒体和记者", "pr", "媒体"),
        ("食品安全问题谁来管", "health", "食品安全"),
    ],
)
def test_safety_legal_health_and_pr_force_urgent(text: str, flag: str, reason: str) -> None:
    a = analyze(text)
    assert a.urgency == "紧急", (text, a.urgency_reasons)
    assert flag in a.risk_flags
    assert any(reason in r for r in a.urgency_reasons), a.urgency_reasons


@pytest.mark.parametrize(
    "text",
    [
        "快递差到爆炸了",  # intensifier, not an explosion
        "衣服偏小，内心很受伤",  # figurative
        "酒店就挨着火车站，很方便",  # 着火 inside 挨着火车站
        "房间有一股发霉的味道",  # musty room, not spoiled food
        "多媒体功能很强大",
        "用工商银行的卡付的款",
        "价格3150元，还可以",
    ],
)
def test_figurative_uses_do_not_raise_urgency(text: str) -> None:
    assert analyze(text).urgency != "紧急", analyze(text).urgency_reasons


@pytest.mark.parametrize(
    "text",
    [
        "建议增加早餐的品种",
        "希望能改进一下包装",
        "如果能送货上门就好了",
        "要是能支持微信支付就更好了",
        "应该增加一个夜间模式",
    ],
)
def test_suggestions_to_the_business_are_suggestions(text: str) -> None:
    a = analyze(text)
    assert a.urgency == "建议", a.urgency_reasons
    assert a.urgency_reasons


@pytest.mark.parametrize("text", ["建议大家不要买，质量太差", "不建议购买，用了两天就坏"])
def test_warnings_to_other_buyers_are_not_suggestions(text: str) -> None:
    assert analyze(text).urgency == "一般"


@pytest.mark.parametrize("text", ["希望京东越来越好", "东西不错，下次还来"])
def test_wishes_and_pure_praise_are_suggestions_without_a_problem(text: str) -> None:
    # The guide: 建议 is a suggestion or wish, including pure praise; praise raises no problem.
    a = analyze(text)
    assert a.urgency == "建议" and a.problem_type is None, (a.urgency, a.problem_type)


def test_an_override_beats_a_suggestion() -> None:
    a = analyze("卷饼里吃出钢丝，希望卖家能注意")
    assert a.urgency == "紧急"
