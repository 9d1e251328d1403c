"""Evaluation of every analysis field against a labelled set (labelled by ../shared/ANALYSIS_LABELS.md).

    feedbackloop evaluate tests/analysis/locked/<file>.jsonl [--deep] [--json]

Input: JSONL (or CSV) rows with text, sentiment, problem_type (null / "" / 无 = none), urgency and
optionally aspects ("aspect:polarity" strings, or {aspect, sentiment} objects), source and industry.
Only aggregate figures are returned: no text of the set is ever printed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import TrainingDataError

NONE_VALUES = {None, "", "无", "none", "null", "None"}
CORPUS_INDUSTRIES = {"酒店", "餐饮外卖", "外卖", "电商", "hotel", "hotels", "delivery", "food delivery", "food_delivery",
                     "ecommerce", "e-commerce", "chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats"}


def _aspects(value: Any) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace("|", ";").replace(",", ";").split(";") if p.strip()]
    else:
        parts = [p if isinstance(p, str) else f"{p.get('aspect')}:{p.get('sentiment')}" for p in value]
    return {p for p in parts if ":" in p}


def read_eval_rows(path: Path | str) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise TrainingDataError(f"evaluation file not found: {path}")
    rows: list[dict[str, Any]] = []
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    elif path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data if isinstance(data, list) else list(data.get("items") or data.get("rows") or [])
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    rows = [r for r in rows if str(r.get("text") or r.get("content") or "").strip()]
    if not rows:
        raise TrainingDataError(f"no labelled texts in {path}")
    return rows


def _outside(row: dict[str, Any]) -> bool:
    industry = str(row.get("industry") or row.get("domain") or "").strip().lower()
    source = str(row.get("source") or "").strip().lower()
    return industry not in CORPUS_INDUSTRIES and source not in CORPUS_INDUSTRIES


def evaluate_rows(rows: Sequence[dict[str, Any]], *, deep: bool = False) -> dict[str, Any]:
    """Aggregate figures of the current analyser (fast tier, or fast + deep) on labelled rows."""
    from .analyzer import default_analyzer

    texts = [str(r.get("text") or r.get("content")) for r in rows]
    analyzer = default_analyzer()
    analyses = analyzer.analyze_many(texts)
    notes: list[str] = []
    if deep:
        from .deep import deepen

        analyses = deepen(texts, analyses)
        notes = sorted({n for a in analyses for n in a.notes})
    n_deep = sum(1 for a in analyses if a.deep_version)
    stats: dict[str, Any] = {"n": len(rows), "tier": "fast+deep" if deep else "fast", "deep_share": n_deep / len(rows),
                             "model_version": analyzer.model.version,
                             "triage_version": analyses[0].triage_version if analyses else None, "notes": notes}

    def acc(pairs: list[tuple[Any, Any]]) -> float | None:
        return round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else None

    sent = [(str(r.get("sentiment")), a.sentiment.label) for r, a in zip(rows, analyses, strict=True)
            if r.get("sentiment") in ("negative", "neutral", "positive")]
    sent_out = [(str(r.get("sentiment")), a.sentiment.label) for r, a in zip(rows, analyses, strict=True)
                if r.get("sentiment") in ("negative", "neutral", "positive") and _outside(r)]
    stats["sentiment_accuracy"] = acc(sent)
    stats["sentiment_accuracy_outside_corpora"] = acc(sent_out)
    stats["n_outside_corpora"] = len(sent_out)
    pt = [(None if r.get("problem_type") in NONE_VALUES else r.get("problem_type"), a.problem_type)
          for r, a in zip(rows, analyses, strict=True) if "problem_type" in r]
    stats["problem_type_accuracy"] = acc(pt)
    praise = [a for r, a in zip(rows, analyses, strict=True)
              if "problem_type" in r and r.get("problem_type") in NONE_VALUES and r.get("sentiment") == "positive"]
    stats["praise_with_problem_type"] = sum(1 for a in praise if a.problem_type is not None)
    stats["n_praise"] = len(praise)
    urg = [(str(r.get("urgency")), a.urgency) for r, a in zip(rows, analyses, strict=True)
           if r.get("urgency") in ("紧急", "一般", "建议")]
    stats["urgency_accuracy"] = acc(urg)
    urgent = [b == "紧急" for a, b in urg if a == "紧急"]
    calm = [b == "紧急" for a, b in urg if a != "紧急"]
    stats["urgent_recall"] = round(sum(urgent) / len(urgent), 4) if urgent else None
    stats["urgent_caught"] = f"{sum(urgent)} of {len(urgent)}"
    stats["false_alarm_rate"] = round(sum(calm) / len(calm), 4) if calm else None
    tp = fp = fn = 0
    n_aspect_rows = 0
    for r, a in zip(rows, analyses, strict=True):
        gold = _aspects(r.get("aspects"))
        if gold is None:
            continue
        n_aspect_rows += 1
        pred = {f"{x.aspect}:{x.sentiment}" for x in a.aspects if x.sentiment in ("positive", "negative")}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    if n_aspect_rows:
        p = tp / (tp + fp) if tp + fp else 0.0
        rcl = tp / (tp + fn) if tp + fn else 0.0
        stats["aspect_pair_f1"] = round(2 * p * rcl / (p + rcl), 4) if p + rcl else 0.0
    return stats


def evaluate_file(path: Path | str, *, deep: bool = False) -> dict[str, Any]:
    return evaluate_rows(read_eval_rows(path), deep=deep)
