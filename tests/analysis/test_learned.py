"""The learned heads (problem type with none, urgency, safety class), the deep tier and the labelled evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedbackloop.analysis import Analyzer, analyze, analyze_many
from feedbackloop.analysis import encoder as enc
from feedbackloop.analysis.deep import deepen, load_deep
from feedbackloop.analysis.evaluation import evaluate_rows
from feedbackloop.analysis.model import current_triage_version
from feedbackloop.analysis.triage_model import TriageModel
from feedbackloop.analysis.triage_training import LABELLED_FILE, read_labelled, train_triage

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("text", [
    "柜员办业务又快又耐心，点赞",
    "装宽带的师傅很准时，网速也快",
    "航班准点，空乘服务很周到",
    "老师讲课很用心，孩子进步很大",
    "房间干净，早餐丰富，下次还住",
    "快递第二天就到了，包装完好",
])
def test_pure_praise_has_no_problem_type_and_is_not_urgent(text: str) -> None:
    a = analyze(text)
    assert a.sentiment.label == "positive"
    assert a.problem_type is None, (text, a.problem_type, a.problem_type_explanation)
    assert a.urgency == "建议" and a.risk_flags == []  # the guide: pure praise is 建议, never a problem queue
    assert a.to_dict()["problem_type"] is None


@pytest.mark.parametrize(("text", "flag"), [
    ("买的儿童水杯盖子里有一块碎玻璃", "health"),
    ("充电宝放在包里鼓起来了，烫得拿不住", "safety"),
    ("柜员当着排队的人骂我是文盲", "pr"),
    ("我的卡在身上，钱却被人在外地盗刷了", "legal"),
    ("再不退款我就去12315投诉", "legal"),
    ("吃完他家的凉皮全家上吐下泻", "health"),
])
def test_safety_cases_from_any_industry_are_urgent_with_the_words_behind_it(text: str, flag: str) -> None:
    a = analyze(text)
    assert a.urgency == "紧急", (text, a.urgency_reasons)
    assert flag in a.risk_flags, a.risk_flags
    assert a.safety_class and a.urgency_reasons
    assert a.problem_type is not None  # an urgent case always lands in a queue


@pytest.mark.parametrize("text", ["辣到爆炸，太过瘾了", "买的橘子有两个放烂了，没吃直接扔了", "这个价格杀疯了，真香"])
def test_hard_negatives_are_not_urgent(text: str) -> None:
    assert analyze(text).urgency != "紧急", analyze(text).urgency_reasons


def test_a_neutral_question_is_neutral_with_no_problem() -> None:
    a = analyze("请问周六网点营业吗？")
    assert a.sentiment.label == "neutral" and a.problem_type is None and a.urgency == "一般"


def test_each_field_records_the_tier_and_model_that_decided_it() -> None:
    a = analyze("送餐太慢了，等了一个半小时")
    assert a.problem_type == "物流"
    assert a.tiers == {"sentiment": "fast", "aspects": "fast", "problem_type": "fast", "urgency": "fast"}
    assert a.triage_version == current_triage_version() and a.deep_version is None
    assert abs(sum(a.problem_probs.values()) - 1.0) < 1e-3
    assert a.problem_type_explanation[0].startswith("物流")  # the words behind the label


def test_without_learned_heads_the_lexicon_rules_decide() -> None:
    a = Analyzer(triage=None).analyze("房间很干净，服务很好")
    assert a.problem_type is None and a.tiers["problem_type"] == "rules" and a.triage_version is None


def test_training_the_heads_writes_a_version_and_corrections_change_labels(tmp_path: Path) -> None:
    items = read_labelled()
    picked: list[dict] = []
    for urgency in ("紧急", "一般", "建议"):
        rows = [i for i in items if i.urgency == urgency and i.source == "written"][:30]
        picked += [{"text": i.text, "sentiment": i.sentiment, "problem_type": i.problem_type,
                    "urgency": i.urgency, "safety_class": i.safety_class, "source": i.source} for i in rows]
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked), encoding="utf-8")
    praise = next(r for r in picked if r["problem_type"] is None)
    model = train_triage(data=data, output_dir=tmp_path, version="tri-test-1",
                         corrections=[(praise["text"], "problem_type", "价格"), ("全新的一条更正文本", "urgency", "紧急")])
    assert (tmp_path / "triage-tri-test-1.npz").exists()
    assert json.loads((tmp_path / "current.json").read_text())["triage"] == "tri-test-1"
    assert model.meta["corrections"] == 2 and model.meta["n_examples"] == len(picked) + 1
    again = TriageModel.load(tmp_path, "tri-test-1")
    assert again.version == "tri-test-1" and set(again.heads) == {"problem_type", "urgency", "safety_class", "opinion"}


def test_shipped_training_set_follows_the_guide_spellings() -> None:
    items = read_labelled(LABELLED_FILE)
    assert len(items) >= 3000
    assert {i.urgency for i in items} == {"紧急", "一般", "建议"}
    assert {i.problem_type for i in items} <= {None, "产品功能", "服务质量", "价格", "物流", "界面/交互", "其他"}
    names = set("卫生 服务 位置 早餐 价格 设施 隔音 网络 味道 送餐速度 分量 包装 质量 物流 客服 外观 性能 电池 尺码 "
                "环境 内容 界面 准点 隐私".split())
    assert all(p.split(":")[0] in names and p.split(":")[1] in ("positive", "negative")
               for i in items for p in i.aspects or ())
    assert len({i.industry for i in items}) >= 8


def test_cpu_without_avx2_or_fma_gets_the_fast_tier() -> None:
    assert enc.cpu_supports_encoder("flags\t: fpu sse sse2 avx fma\n") == (False, enc.NO_CPU)
    assert enc.cpu_supports_encoder("flags\t: fpu sse2 avx avx2\n") == (False, enc.NO_CPU)
    assert enc.cpu_supports_encoder("flags\t: fpu avx2 fma bmi2\n") == (True, "")


def test_deep_tier_that_cannot_load_leaves_the_fast_result_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "牛排切开全是血水，吃了两口"
    fast = analyze_many([text])
    monkeypatch.setenv(enc.ENV_DISABLE, "1")
    enc.reset()
    try:
        out = deepen([text], fast, force=True)[0]
    finally:
        monkeypatch.delenv(enc.ENV_DISABLE)
        enc.reset()
    assert out.notes == [enc.DISABLED] and out.deep_version is None
    assert out.urgency == fast[0].urgency and out.tiers == fast[0].tiers


needs_encoder = pytest.mark.skipif(enc.cpu_supports_encoder()[0] is False, reason="CPU without AVX2/FMA")


@needs_encoder
def test_deep_tier_catches_paraphrases_the_fast_tier_misses() -> None:
    rows = [json.loads(line) for line in (DATA / "safety_paraphrases.jsonl").open(encoding="utf-8")]
    texts = [r["text"] for r in rows]
    fast = analyze_many(texts)
    deep = deepen(texts, fast)

    def caught(results: list) -> tuple[int, int]:
        hits = sum(a.urgency == "紧急" for r, a in zip(rows, results, strict=True) if r["urgency"] == "紧急")
        alarms = sum(a.urgency == "紧急" for r, a in zip(rows, results, strict=True) if r["urgency"] != "紧急")
        return hits, alarms

    (fast_hits, _), (deep_hits, deep_alarms) = caught(fast), caught(deep)
    assert deep_hits >= fast_hits + 2 and deep_alarms <= 2, (fast_hits, deep_hits, deep_alarms)
    raised = [a for a, f in zip(deep, fast, strict=True) if a.urgency == "紧急" and f.urgency != "紧急"]
    assert raised and all(a.tiers["urgency"] == "deep" and a.deep_version for a in raised)
    assert any("案例相近" in r for a in raised for r in a.urgency_reasons)  # the nearest labelled example


def test_labelled_evaluation_reports_aggregates_only() -> None:
    rows = [{"text": "送餐太慢了", "sentiment": "negative", "problem_type": "物流", "urgency": "一般",
             "aspects": ["送餐速度:negative"], "industry": "餐饮外卖"},
            {"text": "柜员很耐心，办得很快", "sentiment": "positive", "problem_type": None, "urgency": "建议",
             "aspects": ["服务:positive"], "industry": "银行"},
            {"text": "外卖里吃出一根头发", "sentiment": "negative", "problem_type": "产品功能", "urgency": "紧急",
             "aspects": [], "industry": "餐饮外卖"}]
    stats = evaluate_rows(rows)
    assert stats["n"] == 3 and stats["urgent_recall"] == 1.0 and stats["n_outside_corpora"] == 1
    assert stats["problem_type_accuracy"] == 1.0 and stats["praise_with_problem_type"] == 0
    assert 0 < stats["aspect_pair_f1"] <= 1
    assert not any(r["text"] in json.dumps(stats, ensure_ascii=False) for r in rows)


def test_a_deep_model_is_shipped() -> None:
    model = load_deep()
    assert model is not None and model.ex_emb.shape[1] == enc.DIM and len(model.ex_text) == len(model.ex_class)
