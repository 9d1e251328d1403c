"""The deep tier: a pretrained sentence encoder (encoder.py) refines what the fast tier is unsure of.

It runs in the background, only for texts that need it (`Analysis.deep_reasons`, set by the fast tier):
uncertain sentiment, any safety signal, negative but no problem type found, far from the training
domains. On those it
  * stacks a logistic regression on the e5 embedding with the fast sentiment logit
    (logit = fast + beta * deep, beta chosen by 5-fold CV on the training pool, bench/analysis_deep_bench.py);
  * mixes an embedding problem-type head with the fast head's probabilities;
  * decides urgency by nearness to labelled safety examples (k nearest neighbours among the labelled
    training texts, plus an embedding head for 紧急) and names the nearest labelled example as the
    explanation: paraphrases that no word list has are caught by their meaning.
Every field it decides is marked "deep" in `Analysis.tiers`. Saved as `deep-<version>.npz` + `.json`.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import encoder as enc
from .errors import ModelNotFound
from .result import Analysis, Sentiment
from .signals import label_for
from .triage_model import PROBLEM_CLASSES, SAFETY_CLASSES, SAFETY_FLAGS, SAFETY_NAMES

KNN = 7
UNCERTAIN = (0.2, 0.8)


class DeepModel:
    """Embedding heads and the labelled exemplars for nearness; see the module docstring."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.version = str(meta["version"])
        self.meta = meta
        self.sent_w = arrays["sent_w"].astype(np.float32)
        self.sent_b = float(arrays["sent_b"][0])
        self.pt_w = arrays["pt_w"].astype(np.float32)  # (DIM, classes)
        self.pt_b = arrays["pt_b"].astype(np.float32)
        self.urg_w = arrays["urg_w"].astype(np.float32)
        self.urg_b = float(arrays["urg_b"][0])
        self.ex_emb = arrays["ex_emb"].astype(np.float32)  # (exemplars, DIM), L2-normalised
        self.ex_class = arrays["ex_class"].astype(np.int64)  # index into SAFETY_CLASSES (0 = none)
        self.ex_text = [str(t) for t in arrays["ex_text"]]

    @property
    def beta(self) -> float:
        return float(self.meta.get("beta", 1.0))

    def heads(self, E: np.ndarray) -> dict[str, np.ndarray]:
        """Raw deep outputs for embeddings E: sentiment logit, problem-type probabilities, P(紧急),
        kNN safety share, nearest safety exemplar and its similarity."""
        sent = E @ self.sent_w + self.sent_b
        z = E @ self.pt_w + self.pt_b
        z = z - z.max(axis=1, keepdims=True)
        pt = np.exp(z)
        pt /= pt.sum(axis=1, keepdims=True)
        urg = 1.0 / (1.0 + np.exp(-(E @ self.urg_w + self.urg_b)))
        S = E @ self.ex_emb.T
        k = min(KNN, S.shape[1])
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(S, top, axis=1)
        classes = self.ex_class[top]
        weights = np.exp((sims - 1.0) * 20.0)  # nearer neighbours count far more
        share = (weights * (classes > 0)).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        safe = np.where(classes > 0, sims, -1.0)
        best = safe.argmax(axis=1)
        nearest = top[np.arange(len(top)), best]
        nearest_sim = safe[np.arange(len(top)), best]
        return {"sent": sent, "pt": pt, "urg": urg, "knn": share, "nearest": nearest, "nearest_sim": nearest_sim}

    # ---- persistence ------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        npz, meta_path = deep_paths(directory, self.version)
        npz.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(npz, sent_w=self.sent_w, sent_b=np.array([self.sent_b], dtype=np.float32),
                            pt_w=self.pt_w, pt_b=self.pt_b, urg_w=self.urg_w,
                            urg_b=np.array([self.urg_b], dtype=np.float32),
                            ex_emb=self.ex_emb.astype(np.float16), ex_class=self.ex_class.astype(np.int8),
                            ex_text=np.array(self.ex_text, dtype=str))
        meta_path.write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return npz

    @classmethod
    def load(cls, directory: Path | str, version: str) -> DeepModel:
        npz, meta_path = deep_paths(directory, version)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            with np.load(npz) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError as exc:
            raise ModelNotFound(f"deep model not found: {npz}") from exc
        return cls(arrays, meta)


def deep_paths(directory: Path | str, version: str) -> tuple[Path, Path]:
    base = f"deep-{version}"
    return Path(directory) / f"{base}.npz", Path(directory) / f"{base}.json"


_lock = threading.Lock()
_cache: dict[str, DeepModel] = {}


def load_deep(version: str | None = None, directory: Path | str | None = None) -> DeepModel | None:
    """The current deep model (None where none is shipped)."""
    from .model import _current, models_dir

    d = Path(directory) if directory else models_dir()
    if version is None:
        try:
            version = _current(d).get("deep")
        except ModelNotFound:
            return None
        if not version:
            return None
    key = f"{d}::{version}"
    with _lock:
        model = _cache.get(key)
        if model is None:
            model = _cache[key] = DeepModel.load(d, version)
    return model


# ---- applying the deep tier -------------------------------------------------------------------
def deepen(texts: Sequence[str], analyses: Sequence[Analysis], *, model: DeepModel | None = None,
           force: bool = False) -> list[Analysis]:
    """Refine fast-tier analyses with the deep tier, for those whose `deep_reasons` ask for it (all with
    force). Where the encoder or the deep model is missing, the analyses come back with a note."""
    if len(texts) != len(analyses):
        raise ValueError("one analysis per text")
    model = model or load_deep()
    todo = [i for i, a in enumerate(analyses) if force or a.deep_reasons]
    out = list(analyses)
    if not todo:
        return out
    reason = enc.unavailable_reason() if model is not None else enc.NO_MODEL
    if reason or model is None:
        for i in todo:
            out[i] = dataclasses.replace(out[i], notes=[*out[i].notes, reason or ""])
        return out
    E = enc.embed([texts[i] for i in todo])
    assert E is not None  # the encoder loaded (reason is None)
    h = model.heads(E)
    th = model.meta.get("thresholds", {})
    for j, i in enumerate(todo):
        out[i] = _refine(out[i], {k: v[j] for k, v in h.items()}, model, th)
    return out


def _refine(a: Analysis, h: dict[str, Any], model: DeepModel, th: dict[str, Any]) -> Analysis:
    tiers = dict(a.tiers)
    reasons = set(a.deep_reasons)
    sentiment = a.sentiment
    if "sentiment_uncertain" in reasons and a.sentiment.label != "neutral" and model.beta > 0:
        s = min(max(a.sentiment.score, 1e-6), 1 - 1e-6)
        logit = float(np.log(s / (1 - s))) + model.beta * float(h["sent"])
        score = 1.0 / (1.0 + np.exp(-logit))
        label = label_for(score, True)
        sentiment = Sentiment(label, round(float(score), 4), a.sentiment.intensity, a.sentiment.emotions,
                              a.sentiment.explanation)
        tiers["sentiment"] = "deep"
    ptype, why = a.problem_type, a.problem_type_explanation
    fast_pt = a.problem_probs
    # Pure praise, decided by the fast tier's rule, keeps "no problem" (only a safety case below can
    # give it a type).
    praise = a.problem_type is None and tiers.get("problem_type") == "rules"
    if fast_pt and not praise and ({"negative_no_type", "far_from_domain"} & reasons or max(fast_pt.values()) < 0.6):
        gamma = float(model.meta.get("gamma", 0.5))
        p_fast = np.array([fast_pt.get(c, 1e-6) for c in PROBLEM_CLASSES])
        mixed = np.exp((1 - gamma) * np.log(np.maximum(p_fast, 1e-6)) + gamma * np.log(np.maximum(h["pt"], 1e-6)))
        mixed /= mixed.sum()
        if sentiment.label == "negative":
            mixed[0] *= 0.5  # a complaint raises a problem unless the evidence is strong
            mixed /= mixed.sum()
        k = int(mixed.argmax())
        new = None if PROBLEM_CLASSES[k] == "无" else PROBLEM_CLASSES[k]
        if new != ptype:
            why = [f"{new or '无'}: 深度模型（{mixed[k]:.2f}）"]
        ptype = new
        tiers["problem_type"] = "deep"
    urgency, flags, ureasons, safety = a.urgency, list(a.risk_flags), list(a.urgency_reasons), a.safety_class
    # Every text that reached the deep tier is checked for nearness to labelled safety cases (cheap
    # once it is embedded).
    p_deep = 0.5 * float(h["urg"]) + 0.5 * float(h["knn"])
    near = int(h["nearest"])
    example = model.ex_text[near]
    cls = SAFETY_CLASSES[int(model.ex_class[near])]
    if p_deep >= float(th.get("urgent", 0.5)) and urgency != "紧急":
        urgency, safety = "紧急", cls
        ureasons.append(f"与已标注的{SAFETY_NAMES[cls]}案例相近：「{example[:40]}」（相似度 {float(h['nearest_sim']):.2f}）")
        if SAFETY_FLAGS[cls] not in flags:
            flags.append(SAFETY_FLAGS[cls])
        tiers["urgency"] = "deep"
    elif urgency == "紧急":
        ureasons.append(f"最相近的已标注案例：「{example[:40]}」（相似度 {float(h['nearest_sim']):.2f}）")
    if urgency == "紧急" and ptype is None:
        p = h["pt"].copy()
        p[0] = -1.0
        ptype = PROBLEM_CLASSES[int(p.argmax())]
        why = [f"{ptype}: 紧急问题所属类型（深度模型）"]
        tiers["problem_type"] = "deep"
    return dataclasses.replace(a, sentiment=sentiment, problem_type=ptype, problem_type_explanation=why,
                               urgency=urgency, urgency_reasons=ureasons, risk_flags=flags, safety_class=safety,
                               tiers=tiers, deep_version=model.version)
