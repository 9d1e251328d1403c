"""Which items may quote a theme in the dashboard's and the report's TOP issues (insight.quotes)."""

from __future__ import annotations

from feedbackloop.analysis import analyze
from feedbackloop.insight import quotes


def _pair(text: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    return text, analyze(text).to_dict()


def test_a_problem_type_theme_quotes_only_items_sure_of_that_type_with_its_words():
    crash = _pair("APP 更新后经常闪退, 无法登录, 太差了")
    assert crash[1]["problem_type"] == "界面/交互"
    assert quotes.fits("problem_type:界面/交互", *crash)
    # The same item under another type's theme, and a praise, are no quotes of it.
    assert not quotes.fits("problem_type:物流", *crash)
    assert not quotes.fits("problem_type:界面/交互", *_pair("界面很漂亮, 用起来很顺手"))
    # The model unsure of the type: no quote, however negative the item.
    unsure = (crash[0], {**crash[1], "problem_probs": {**crash[1]["problem_probs"], "界面/交互": 0.4}})
    assert not quotes.fits("problem_type:界面/交互", *unsure)


def test_the_quote_of_a_long_item_is_cut_around_the_words_of_its_type():
    text = "上个月买了会员, 本来想着周末在家看电影, 也没什么特别的要求, 就是希望能正常用, 结果太失望了, " * 2 + "更新后 app 一直闪退, 根本无法登录, 太差了"
    picked = quotes.pick("problem_type:界面/交互", [_pair(text)])
    assert picked and picked[0].startswith("…") and "闪退" in picked[0]
