"""Build feedbackloop/analysis/data/train_labelled.jsonl: corpus rows of the training pool + written texts.

    .venv/bin/python scripts/build_training_set.py [--per-corpus 600]

Corpus rows come only from the TRAINING POOL of ../briefs/split.md (sha1(review) % 10 != 7), and every
text whose normalised form equals a locked-pool text is dropped, as are the texts of the project's old
eval set (tests/analysis/data, kept as a regression set). Their labels follow ../shared/ANALYSIS_LABELS.md:
sentiment is the corpus label; problem type, urgency, safety class and aspects are first proposed by the
guide-following rules below (`label_corpus_row`) and then overridden where a person re-read the text
(`REVIEWED`, keyed by the text's sha1 prefix). Written texts come from scripts/training_texts.py.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from training_texts import written_texts  # noqa: E402

DATA = ROOT.parent.parent / "shared" / "data" if not (ROOT / "shared").exists() else ROOT / "shared" / "data"
DATA = Path("/work/shared/data") if not DATA.exists() else DATA
OUT = ROOT / "feedbackloop" / "analysis" / "data" / "train_labelled.jsonl"
CORPORA = {"chnsenticorp_htl": "酒店", "waimai_10k": "餐饮外卖", "online_shopping_10_cats": "电商"}


def locked(review: str) -> bool:
    return int(hashlib.sha1(review.strip().encode("utf-8")).hexdigest(), 16) % 10 == 7


def norm_key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


# ---- guide-following proposal rules for corpus rows -------------------------------------------------
SAFETY_RULES: tuple[tuple[str, str], ...] = (
    ("illness_injury", r"拉肚子|腹泻|上吐下泻|吃坏|呕吐|食物中毒|(?<!太深)中毒|肚子疼|胃疼|过敏|住院|进医院|去医院|急诊|"
     r"(?<![很真好心个有没])受伤|烫伤|烧伤|割伤|划伤|摔伤|红肿|起疹|咬了.{0,4}包"),
    ("foreign_object", r"(吃出|吃到|发现|里有|里面有|有一?[个只根条]).{0,6}(虫|苍蝇|蟑螂|头发|异物|钢丝|玻璃|铁丝|塑料|指甲|毛发|铁钉|钉子)|"
     r"钢丝|玻璃渣|异物|有(头发|虫子|苍蝇|蟑螂)"),
    ("spoiled_food", r"变质|馊|(饭|菜|肉|饺子|粥|汤|奶|酸奶)[^。！？!?]{0,6}(发霉|长毛|酸了|坏了)|"
     r"(肉|鸡|鸭|鱼|虾)[^。！？!?]{0,8}(生的|没熟|没煮熟|不熟)|没煮熟|半生不熟"),
    ("counterfeit", r"假货|不是正品|山寨|高仿|翻新|返修|二手货|被人用过|用过的|水货|假冒"),
    ("fire_electrical", r"漏电|触电|起火|着火(?!车|锅)|冒烟|自燃|短路|(?<![到得])爆炸|烧焦|电到"),
    ("fraud_theft_data", r"欺诈|诈骗|骗钱|被盗|偷了|失窃|泄露|假发票"),
    ("staff_abuse", r"骂人|骂我|辱骂|打人|歧视|侮辱|羞辱"),
    ("legal_threat", r"起诉|律师|法院|诉讼|报警|消协|消费者协会|工商局|12315|(?<!\d)315(?!\d)|举报|维权|主管部门|"
     r"卫生部门|市场监管"),
    ("media_threat", r"曝光|媒体|记者|上新闻|发微博|发到网上|电视台"),
)
_SAFETY = tuple((c, re.compile(p)) for c, p in SAFETY_RULES)
_FIGURATIVE = re.compile(r"工商(银行|职业|学院|大学)|多媒体|报警(太|声|器|功能|提示)|中毒太深|受伤的心|爆炸性|"
                         r"好吃到爆|性能爆炸|没有受伤|不会受伤|二手书|翻新过的酒店|装修翻新|重新翻新|刚翻新")
SUGGEST = re.compile(
    r"希望.{0,8}(改进|改善|提高|提升|增加|加强|优化|注意|能有|能够|可以|多|少|早日|尽快|推出|支持|提供|完善|加快|再)|"
    r"如果.{1,20}就(更)?好了|要是.{1,20}就(更)?好了|要是能|如果能|"
    r"建议(?!.{0,6}(不要|别|勿|谨慎|慎|大家|各位|朋友|亲们|买|购买|入住|住|选择|不))|"
    r"(应该|应当|最好|能不能|可不可以|能否).{0,12}(改|加|增加|提供|完善|优化|快点|快一点|注意|改成|更新)")
SUGGEST_FALSE = re.compile(r"希望(京东|商家|店家|你们|店铺)?(越来越好|生意兴隆|越卖越好|继续保持)|希望.{0,6}给个说法|"
                           r"希望是正品|希望.{0,4}(能用|用得|用的)(久|住)")
CONTRAST = re.compile(r"(但是|但|不过|可是|就是|只是|唯一|美中不足|缺点|遗憾的是|可惜)")

# The analyser's built-in aspect names → the guide's names.
ASPECT_MAP = {"房间": "设施", "温度": "送餐速度", "屏幕": "质量", "新鲜度": "质量", "系统": "性能"}
GUIDE_ASPECTS = set("卫生 服务 位置 早餐 价格 设施 隔音 网络 味道 送餐速度 分量 包装 质量 物流 客服 外观 性能 电池 尺码 "
                    "环境 内容 界面 准点 隐私".split())
# Guide-specific re-typing of the analyser's cue-based proposal.
CLEAN = re.compile(r"卫生|干净|脏|打扫|蟑螂|老鼠|异味|霉味|污渍|头发")
WRONG_ITEM = re.compile(r"发错|送错|少给|少送|漏送|没给|备注|少了一|缺了")
# A positive row is pure praise only without any reservation (the guide: mixed text has a problem).
RESERVATION = re.compile(r"不好|(?<!相)差(?!不多)|郁闷|缺陷|缺点|不足|可惜|遗憾|不太|不够|但是|不过|可是|就是有|只是|稍微|"
                         r"有点|偏(贵|小|大|远|硬|软|咸|淡|慢)|麻烦|失望|美中不足|唯一")
# Aspect names the analyser's lexicon gives that mean something else in a corpus's domain.
DOMAIN_ASPECT = {"chnsenticorp_htl": {"味道": "卫生", "尺码": "设施", "性能": "设施", "送餐速度": None, "外观": "设施"},
                 "waimai_10k": {"尺码": "分量", "性能": None, "设施": None}}
COLD = re.compile(r"凉了|冷了|凉透|不热|送.{0,3}慢|超时|等了.{0,6}(小时|分钟)|太慢")


def _safety(text: str) -> str | None:
    cleaned = _FIGURATIVE.sub("", text)
    for cls, rx in _SAFETY:
        if rx.search(cleaned):
            return cls
    return None


def label_corpus_row(text: str, label: int, analysis: dict, corpus: str = "", category: str = "") -> dict:
    """Guide-following proposal for one corpus row (sentiment from the corpus label)."""
    sentiment = "positive" if label == 1 else "negative"
    aspects: dict[str, set[str]] = {}
    remap = DOMAIN_ASPECT.get("chnsenticorp_htl" if category == "酒店" else corpus, {})
    for a in analysis["aspects"]:
        name = ASPECT_MAP.get(a["aspect"], a["aspect"])
        name = remap.get(name, name) if name in remap else name
        if name is None:
            continue
        if name in GUIDE_ASPECTS and a["sentiment"] in ("positive", "negative"):
            aspects.setdefault(name, set()).add(a["sentiment"])
    negative_aspect = any("negative" in v for v in aspects.values())
    complaint = label == 0 or negative_aspect or RESERVATION.search(text) is not None
    ptype: str | None = None
    if complaint:
        ptype = analysis["problem_type"]
        if ptype == "服务质量" and CLEAN.search(text) and not WRONG_ITEM.search(text):
            ptype = "产品功能"
        if WRONG_ITEM.search(text) and label == 0:
            ptype = "服务质量"
        elif COLD.search(text) and ptype in ("产品功能", "其他") and label == 0:
            ptype = "物流"
        negs = {k for k, v in aspects.items() if "negative" in v}
        if negs == {"位置"}:
            ptype = "其他"
        if ptype == "其他" and "没有命中" in " ".join(analysis["problem_type_explanation"]):
            ptype = "产品功能"  # an unspecific complaint about what was bought
    safety = _safety(text) if label == 0 or complaint else None
    if safety:
        urgency = "紧急"
    elif SUGGEST.search(SUGGEST_FALSE.sub("", text)):
        urgency = "建议"
    elif ptype is None:
        urgency = "建议"  # pure praise (the guide)
    else:
        urgency = "一般"
    pairs = sorted(f"{k}:{p}" for k, v in aspects.items() for p in sorted(v))
    return {"sentiment": sentiment, "problem_type": ptype, "urgency": urgency, "safety_class": safety, "aspects": pairs}


def load_reviewed() -> dict[str, dict]:
    path = ROOT / "scripts" / "training_reviewed.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def corpus_rows(per_corpus: int, seed: int, exclude: set[str]) -> list[dict]:
    from feedbackloop.analysis import analyze_many

    rng = random.Random(seed)
    locked_keys: set[str] = set()
    pool: dict[str, list[tuple[str, int, str]]] = {}
    for corpus in CORPORA:
        with open(DATA / corpus / "train.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                review = (row.get("review") or "").strip()
                if not review:
                    continue
                if locked(row["review"]):
                    locked_keys.add(norm_key(review))
                    continue
                pool.setdefault(corpus, []).append((review, int(row["label"]), row.get("cat") or ""))
    seen: set[str] = set()
    picked: list[tuple[str, int, str, str]] = []
    for corpus, rows in pool.items():
        rows = [r for r in rows if 4 <= len(r[0]) <= 220]
        rng.shuffle(rows)
        # Safety candidates are rare: take the ones the rules flag first (a person re-reads them),
        # then a random sample stratified by label.
        flagged = [r for r in rows if r[1] == 0 and _safety(r[0])][: per_corpus // 6]
        rest = [r for r in rows if r not in flagged]
        by_label = {0: [r for r in rest if r[1] == 0], 1: [r for r in rest if r[1] == 1]}
        want = per_corpus - len(flagged)
        sample = flagged + by_label[0][: want // 2] + by_label[1][: want - want // 2]
        for review, label, cat in sample:
            key = norm_key(review)
            if key in seen or key in locked_keys or key in exclude:
                continue
            seen.add(key)
            picked.append((review, label, corpus, cat))
    analyses = analyze_many([p[0] for p in picked])
    reviewed = load_reviewed()
    out = []
    for (review, label, corpus, cat), a in zip(picked, analyses, strict=True):
        labels = label_corpus_row(review, label, a.to_dict(), corpus, cat)
        rid = hashlib.sha1(review.encode("utf-8")).hexdigest()[:12]
        labels.update(reviewed.get(rid, {}))
        out.append({"id": f"c-{rid}", "text": review, "source": corpus, "industry": CORPORA[corpus],
                    "category": cat, **labels})
    return out, locked_keys


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-corpus", type=int, default=650)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()
    exclude: set[str] = set()
    with open(ROOT / "tests" / "analysis" / "data" / "problem_urgency_eval.csv", encoding="utf-8") as fh:
        exclude |= {norm_key(r["text"]) for r in csv.DictReader(fh)}
    with open(ROOT / "tests" / "analysis" / "data" / "sentiment_holdout.csv", encoding="utf-8") as fh:
        exclude |= {norm_key(r["text"]) for r in csv.DictReader(fh)}
    rows, locked_keys = corpus_rows(args.per_corpus, args.seed, exclude)
    seen = {norm_key(r["text"]) for r in rows}
    n_written = 0
    for w in written_texts():
        key = norm_key(w.text)
        if key in seen or key in locked_keys:
            continue
        seen.add(key)
        n_written += 1
        rid = hashlib.sha1(w.text.encode("utf-8")).hexdigest()[:12]
        rows.append({"id": f"w-{rid}", "text": w.text, "source": w.source, "industry": w.industry, "category": "",
                     "sentiment": w.sentiment, "problem_type": w.problem_type, "urgency": w.urgency,
                     "safety_class": w.safety_class, "aspects": list(w.aspects)})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} texts ({len(rows) - n_written} corpus, {n_written} written) → {OUT}")


if __name__ == "__main__":
    main()
