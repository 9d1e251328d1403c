"""Training and evaluation of the learned heads (problem type, urgency, safety class, neutral).

Training data: `analysis/data/train_labelled.jsonl` (labelled by ../shared/ANALYSIS_LABELS.md; see
scripts/build_training_set.py) plus agents' corrections, which replace the label of the same text and
weigh CORRECTION_WEIGHT times more. Decision thresholds are chosen on out-of-fold predictions of the
training data only (never on an evaluation set) and stored with the model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import TrainingDataError
from .model import load_model, models_dir, set_current_extra
from .triage import URGENT_FEATURES
from .triage_model import HEADS, TriageModel, fit_triage, triage_paths

LABELLED_FILE = Path(__file__).resolve().parent / "data" / "train_labelled.jsonl"
CORRECTION_WEIGHT = 3.0
FOLDS = 3
MAX_FALSE_ALARMS = 0.04
NONE = "无"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One labelled text; None / "" for a field it has no label for."""

    text: str
    sentiment: str = ""
    problem_type: str | None = ""  # None = no problem (无); "" = not labelled
    urgency: str = ""
    safety_class: str | None = ""
    aspects: tuple[str, ...] | None = None
    source: str = ""
    industry: str = ""


def read_labelled(path: Path | str | None = None) -> list[LabelledItem]:
    """Rows of a labelled JSONL file (id, text, source, industry, sentiment, problem_type, urgency,
    safety_class, aspects as "aspect:polarity")."""
    path = Path(path) if path else LABELLED_FILE
    if not path.exists():
        raise TrainingDataError(f"labelled data not found: {path}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingDataError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            if not str(r.get("text") or "").strip():
                continue
            aspects = r.get("aspects")
            out.append(LabelledItem(
                str(r["text"]), str(r.get("sentiment") or ""),
                r["problem_type"] if "problem_type" in r else "", str(r.get("urgency") or ""),
                r["safety_class"] if "safety_class" in r else "",
                tuple(aspects) if isinstance(aspects, list) else None,
                str(r.get("source") or ""), str(r.get("industry") or "")))
    if not out:
        raise TrainingDataError(f"no labelled texts in {path}")
    return out


def _labels(items: Sequence[LabelledItem]) -> dict[str, list[str]]:
    def value(v: str | None) -> str:
        return NONE if v is None else v

    return {"problem_type": [value(i.problem_type) for i in items],
            "urgency": [i.urgency for i in items],
            "safety_class": [value(i.safety_class) if i.urgency else "" for i in items],
            "opinion": [i.sentiment for i in items]}


def _design(texts: Sequence[str], sentiment_version: str | None = None) -> tuple[Any, np.ndarray]:
    from .analyzer import Analyzer

    analyzer = Analyzer(model=load_model(sentiment_version), triage=None)
    X_parts, F_parts = [], []
    for start in range(0, len(texts), 1000):
        sig = analyzer.signals(list(texts[start : start + 1000]))
        n = len(sig.partials)
        X_parts.append(sig.X[:n])
        F_parts.append(sig.F)
    import scipy.sparse as sp

    return sp.vstack(X_parts).tocsr(), np.vstack(F_parts)


def _thresholds(X: Any, F: np.ndarray, labels: dict[str, list[str]], weights: np.ndarray,
                urgent_rule: np.ndarray) -> tuple[dict[str, Any], list[tuple[TriageModel, np.ndarray]]]:
    """Urgency thresholds from out-of-fold probabilities: the highest recall of 紧急 with at most
    MAX_FALSE_ALARMS of the non-urgent texts flagged; also the fold models and their held-out rows."""
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels["urgency"])
    known = np.flatnonzero(y != "")
    p_u = np.zeros(len(y))
    p_s = np.zeros(len(y))
    strat = y[known]
    folds: list[tuple[TriageModel, np.ndarray]] = []
    for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(known, strat):
        tr_rows, te_rows = known[tr], known[te]
        sub = {k: [v[i] for i in tr_rows] for k, v in labels.items()}
        m = fit_triage(X[tr_rows], F[tr_rows], sub, version="cv", weights=weights[tr_rows])
        folds.append((m, te_rows))
        heads = m.scores(X[te_rows], F[te_rows])
        p_u[te_rows] = heads["urgency"][:, 0]
        p_s[te_rows] = 1.0 - heads["safety_class"][:, 0]
    urgent = y[known] == "紧急"
    best = (-1.0, 0.5, 0.1)
    for t in np.linspace(0.05, 0.95, 19):
        for net in (0.02, 0.05, 0.1, 0.2, 0.3):
            flagged = (np.maximum(p_u, p_s)[known] >= t) | (urgent_rule[known] & (np.maximum(p_u, p_s)[known] >= net))
            recall = float(flagged[urgent].mean()) if urgent.any() else 0.0
            fa = float(flagged[~urgent].mean()) if (~urgent).any() else 0.0
            if fa <= MAX_FALSE_ALARMS and (recall, t) > (best[0], best[1]):
                best = (recall, float(t), net)
    return {"urgent": best[1], "safety": best[1], "net": best[2], "neutral": 0.5, "oof_recall": best[0]}, folds


PRAISE_CANDIDATES = (None, 0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0)


def _praise_threshold(items: Sequence[LabelledItem], thresholds: dict[str, Any],
                      folds: Sequence[tuple[TriageModel, np.ndarray]], sentiment_version: str) -> dict[str, Any]:
    """`praise_model_only` (see analyzer.pure_praise) from out-of-fold analyses of the training set:
    the value that gets most positive texts' problem type right (pure praise untyped, praise with a
    complaint typed); None (every negative clause is a complaint) unless another value does better."""
    from .analyzer import Analyzer

    gold = [(i.sentiment == "positive", i.problem_type) for i in items]
    counts = {c: [0, 0] for c in PRAISE_CANDIDATES}  # candidate → [praise still typed, complaint untyped]
    for model, rows in folds:
        for c in PRAISE_CANDIDATES:
            fold = TriageModel(model.columns, model.n_features, model.heads, model.version,
                               {"thresholds": {**thresholds, "praise_model_only": c}})
            analyses = Analyzer(model=load_model(sentiment_version), triage=fold).analyze_many(
                [items[i].text for i in rows])
            for i, a in zip(rows.tolist(), analyses, strict=True):
                positive, ptype = gold[i]
                if positive and ptype is None:
                    counts[c][0] += a.problem_type is not None
                elif positive and ptype:
                    counts[c][1] += a.problem_type is None
    best = min(PRAISE_CANDIDATES, key=lambda c: (sum(counts[c]), c is not None))
    return {"praise_model_only": best,
            "praise_oof": {str(c): {"praise_typed": v[0], "complaint_untyped": v[1]} for c, v in counts.items()}}


def next_triage_version(directory: Path, today: dt.date | None = None) -> str:
    stamp = (today or dt.date.today()).strftime("%Y.%m.%d")
    n = 1
    while triage_paths(directory, f"tri-{stamp}-{n}")[0].exists():
        n += 1
    return f"tri-{stamp}-{n}"


def train_triage(*, data: Path | str | None = None, corrections: Iterable[tuple[str, str, Any]] = (),
                 output_dir: Path | str | None = None, make_current: bool = True, version: str | None = None,
                 sentiment_version: str | None = None) -> TriageModel:
    """Train the heads from the labelled file plus (text, field, value) corrections; write a version.

    A correction of problem_type (None = 无), urgency or sentiment replaces that field's label of the
    same text; a corrected text not in the file becomes a new example labelled for that field only.
    """
    items = read_labelled(data)
    by_text: dict[str, dict[str, Any]] = {}
    for text, fld, value in corrections:
        if fld in ("problem_type", "urgency", "sentiment") and text and text.strip():
            by_text.setdefault(text.strip(), {})[fld] = value
    merged: list[LabelledItem] = []
    weights: list[float] = []
    for it in items:
        c = by_text.pop(it.text.strip(), None)
        if c:
            it = LabelledItem(it.text, c.get("sentiment", it.sentiment), c.get("problem_type", it.problem_type),
                              c.get("urgency", it.urgency), it.safety_class if "urgency" not in c else
                              (it.safety_class if c["urgency"] == "紧急" else None), it.aspects, it.source,
                              it.industry)
        merged.append(it)
        weights.append(CORRECTION_WEIGHT if c else 1.0)
    for text, c in by_text.items():
        merged.append(LabelledItem(text, c.get("sentiment", ""), c.get("problem_type", ""), c.get("urgency", ""),
                                   None if c.get("urgency") not in (None, "紧急") else "", source="corrections"))
        weights.append(CORRECTION_WEIGHT)
    texts = [i.text for i in merged]
    sentiment = load_model(sentiment_version)
    X, F = _design(texts, sentiment.version)
    labels = _labels(merged)
    w = np.asarray(weights)
    urgent_rule = F[:, URGENT_FEATURES].sum(axis=1) > 0
    thresholds, folds = _thresholds(X, F, labels, w, urgent_rule)
    thresholds.update(_praise_threshold(merged, thresholds, folds, sentiment.version))
    out = Path(output_dir) if output_dir else models_dir()
    version = version or next_triage_version(out)
    meta = {"trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "n_examples": len(merged),
            "corrections": int((w > 1).sum()), "sentiment_version": sentiment.version, "thresholds": thresholds,
            "data": str(Path(data).name) if data else LABELLED_FILE.name}
    model = fit_triage(X, F, labels, version=version, weights=w, meta=meta)
    model.save(out)
    if make_current:
        set_current_extra("triage", version, out)
    return model


HEAD_NAMES = tuple(HEADS)
