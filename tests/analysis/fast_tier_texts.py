"""The texts of the fast-tier output snapshot (scripts/fast_tier_snapshot.py, test_fast_tier_identity.py)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SNAPSHOT = DATA / "fast_tier_snapshot.json"
TRAIN = Path(__file__).resolve().parents[2] / "feedbackloop" / "analysis" / "data" / "train_labelled.jsonl"
CORPUS_SAMPLE = 3000
# Texts the sets above lack: empty, punctuation or emoji only, traditional characters, English,
# a business reply, a very long text, a negated complaint.
EDGE_CASES = ["", "   ", "。。。！", "👍👍", "😡😡😡", "服務態度很差，等了一個小時", "great service, thanks",
              "房间不错。酒店回复：感谢您的入住，期待再次光临", "没有想象中差", "房间很干净但是早餐很差",
              ("房间很干净但是早餐很差，前台服务态度也一般。" * 500)[:10000], "买的儿童水杯盖子里有一块碎玻璃",
              "客服骗我说能退款，我要去12315投诉", "建议增加夜间配送", "请问几点开门？"]


def snapshot_texts(corpora: bool) -> list[str]:
    """The in-repo texts, then (with `corpora`, where ../shared/data is present) a corpus sample."""
    texts = list(EDGE_CASES)
    with TRAIN.open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    for name in ("problem_urgency_eval.csv", "sentiment_holdout.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh)]
    with (DATA / "safety_paraphrases.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    if corpora:
        from feedbackloop.analysis.training import data_dir, load_corpora

        if (data_dir() / "waimai_10k" / "train.csv").exists():
            import numpy as np

            pool = [e.text for e in load_corpora()]
            rng = np.random.default_rng(7)
            texts += [pool[i] for i in rng.choice(len(pool), size=CORPUS_SAMPLE, replace=False)]
    return list(dict.fromkeys(texts))


def digest(analysis: dict[str, Any]) -> str:
    """A hash of every field of one analysis, floats exactly as computed."""
    return hashlib.sha1(json.dumps(analysis, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


_NUMBER = re.compile(r"\d+\.\d+")


def decision_digest(analysis: dict[str, Any]) -> str:
    """A hash of what the analysis decided: every label, list and reason, without the scores.

    numpy picks its SIMD kernels by CPU, so a float32 sum can differ in its last bit from one
    machine to the next; that moves a rounded score or the fifth explanation term of about one
    text in 7,000, and nothing else. The scores, the explanation and the figures quoted inside
    reasons ("模型置信度 0.62") are left out here; `digest` keeps them.
    """
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("score", "explanation", "problem_probs")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, float):
            return "#"
        if isinstance(value, str):
            return _NUMBER.sub("#", value)
        return value

    return digest(strip(analysis))
