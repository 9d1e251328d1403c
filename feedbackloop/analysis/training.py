"""Training and evaluation of the sentiment model (the learning loop, library side)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import text as textmod
from .errors import TrainingDataError
from .model import (
    DomainWeights,
    FeatureSpec,
    Featurizer,
    SentimentModel,
    bucket_names,
    domain_probs,
    model_paths,
    models_dir,
    nb_ratio,
    set_current,
)

Progress = Callable[[str, int, int], None]
"""Progress callback: (stage, done, total). The CLI renders it as a rich progress bar."""

CORPORA = ("chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats")
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
ENV_DATA_DIR = "FEEDBACKLOOP_TRAINING_DATA"
# Chosen by 5-fold cross-validation on the de-duplicated corpora (bench/analysis_bench.py).
DEFAULT_C = 1.0
CORRECTION_WEIGHT = 3.0
LABELLED_WEIGHT = 2.0
# The domain each corpus teaches (domain adaptation, see `DomainWeights`); online_shopping_10_cats'
# 酒店 category is hotel reviews. Corrections have no domain and train the shared weights only.
CORPUS_DOMAINS = {"chnsenticorp_htl": "hotel", "waimai_10k": "delivery", "online_shopping_10_cats": "ecommerce"}
CATEGORY_DOMAINS = {"酒店": "hotel"}
ROUTER_C = 10.0
# Only the strongest weights of each domain correction and router row are kept, which holds the
# model file to a few MB; 5-fold CV accuracy with these limits is that of the full rows (see the bench).
DOMAIN_KEEP = 150_000
ROUTER_KEEP = 20_000
# One text in HOLDOUT_MOD (by a hash of its content, so the split never changes) is kept out of
# the shipped model; tests measure the model on it. See `is_holdout`.
HOLDOUT_MOD = 50
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One training example; `corpus` is only used for reporting and fold stratification."""

    text: str
    label: int
    corpus: str = "corrections"
    domain: str = ""


@dataclass(slots=True)
class TrainResult:
    """What `train` produced: the model, where it was written, and whether it is now current."""

    model: SentimentModel
    path: Path
    current: bool
    n_examples: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.model.version


def _dedupe_key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def is_holdout(text: str) -> bool:
    """True for the fixed ~2% slice of texts that training leaves out for the accuracy test."""
    import hashlib

    digest = hashlib.md5(_dedupe_key(text).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % HOLDOUT_MOD == 0


def parse_label(value: Any) -> int:
    """0/1, negative/positive (or 负面/正面) → 0/1; anything else is an error."""
    s = str(value).strip().lower()
    if s in {"1", "1.0", "positive", "pos", "正面", "好评", "true"}:
        return 1
    if s in {"0", "0.0", "negative", "neg", "负面", "差评", "false"}:
        return 0
    raise TrainingDataError(f"unusable sentiment label {value!r}: use 0/1 or negative/positive")


def data_dir() -> Path:
    """Training corpora folder: $FEEDBACKLOOP_TRAINING_DATA, else ../shared/data next to the repo."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) if env else DEFAULT_DATA_DIR


def in_locked_pool(review: str) -> bool:
    """True for a corpus row of the locked test pool (split.md): never trained or tuned on."""
    import hashlib

    return int(hashlib.sha1(review.strip().encode("utf-8")).hexdigest(), 16) % 10 == 7


def load_corpora(directory: Path | str | None = None, corpora: Sequence[str] = CORPORA,
                 exclude_locked: bool = True) -> list[LabelledText]:
    """Read the labelled corpora and de-duplicate across them (first occurrence wins).

    online_shopping_10_cats' 酒店 category repeats chnsenticorp_htl reviews; without this step the
    same review could sit in a training and a test fold. With `exclude_locked` the rows of the
    locked test pool, and any text whose normalised form equals one of them, are left out.
    """
    directory = Path(directory) if directory else data_dir()
    seen: set[str] = set()
    out: list[LabelledText] = []
    paths = [directory / name / "train.csv" for name in corpora]
    for path in paths:
        if not path.exists():
            raise TrainingDataError(f"training corpus not found: {path}")
    if exclude_locked:
        for path in paths:
            with path.open(encoding="utf-8", newline="") as fh:
                seen.update(_dedupe_key(r.get("review") or "") for r in csv.DictReader(fh)
                            if in_locked_pool(r.get("review") or ""))
    for name, path in zip(corpora, paths, strict=True):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                review = (row.get("review") or "").strip()
                key = _dedupe_key(review)
                if not key or key in seen:
                    continue
                seen.add(key)
                domain = CATEGORY_DOMAINS.get(row.get("cat") or "", CORPUS_DOMAINS.get(name, ""))
                out.append(LabelledText(review, parse_label(row["label"]), name, domain))
    if not out:
        raise TrainingDataError(f"no labelled texts in {directory}")
    return out


def prepare(texts: Sequence[str], progress: Progress | None = None, stage: str = "分词") -> list[tuple[str, list[str]]]:
    """Normalise and tokenise texts in batches, reporting progress."""
    docs: list[tuple[str, list[str]]] = []
    total = len(texts)
    for start in range(0, total, _BATCH):
        for t in texts[start : start + _BATCH]:
            n = textmod.normalize(t)
            docs.append((n, textmod.tokenize(n)))
        if progress:
            progress(stage, min(start + _BATCH, total), total)
    return docs


def fit(docs: Sequence[tuple[str, Sequence[str]]], y: np.ndarray, *, weights: np.ndarray | None = None,
        C: float = DEFAULT_C, spec: FeatureSpec | None = None, version: str = "dev", calibrate: bool = True,
        explain_names: bool = True, progress: Progress | None = None,
        domains: Sequence[str] | None = None) -> SentimentModel:
    """Fit NB-weighted linear SVM + Platt calibration on prepared docs; return the model.

    With `domains` (one name per doc, "" for none) and at least two of them, the SVM also learns
    per-domain corrections and a router that predicts a text's domain (see `DomainWeights`).
    """
    from sklearn.model_selection import StratifiedKFold

    spec = spec or FeatureSpec()
    if len(set(y.tolist())) < 2:
        raise TrainingDataError("training needs both positive and negative examples")
    X = Featurizer(spec).transform(docs)
    names = sorted({d for d in domains or () if d})
    dom = np.array([names.index(d) if d else -1 for d in domains]) if domains and len(names) >= 2 else None
    router = _fit_router(X, dom) if dom is not None else None
    steps = 4 if calibrate else 1

    def one_fit(idx: np.ndarray) -> tuple[np.ndarray, float]:
        return _fit_svm(X[idx], y[idx], None if dom is None else dom[idx], len(names), C,
                        None if weights is None else weights[idx])

    def decide(W: np.ndarray, b: float, rows: np.ndarray) -> np.ndarray:
        S = np.asarray(X[rows] @ W.T)
        if router is None:
            return S[:, 0] + b
        mix = domain_probs(np.asarray(X[rows] @ router[0].T) + router[1])
        return S[:, 0] + (S[:, 1:] * mix).sum(axis=1) + b

    platt = (1.0, 0.0)
    if calibrate:
        # Platt scaling on out-of-fold scores, so the probability is honest on unseen text.
        n_splits = 3 if min(np.bincount(y)) >= 3 else 2
        oof = np.zeros(len(y))
        for k, (tr, te) in enumerate(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(X, y)):
            oof[te] = decide(*one_fit(tr), te)
            if progress:
                progress("训练", k + 1, steps)
        platt = _platt(oof, y)
    W, b = one_fit(np.arange(len(y)))
    if progress:
        progress("训练", steps, steps)
    domain_weights = None
    if router is not None:
        domain_weights = DomainWeights(tuple(names), _keep_strongest(W[1:], DOMAIN_KEEP),
                                       _keep_strongest(router[0], ROUTER_KEEP), router[1])
    # Buckets are named by their weight in an average text: shared plus the domains' mean correction.
    typical = W[0] + W[1:].mean(axis=0) if router is not None else W[0]
    bucket = bucket_names(docs, y, spec, typical) if explain_names else {}
    meta: dict[str, Any] = {"C": C}
    return SentimentModel(spec, W[0], b, platt, version, meta, bucket, domain_weights)


def _fit_svm(X: Any, y: np.ndarray, dom: np.ndarray | None, n_domains: int, C: float,
             sample_weight: np.ndarray | None) -> tuple[np.ndarray, float]:
    """NB-weighted LinearSVC; with domains, on features augmented with one copy per domain (Daumé 2007).

    Returns the weight rows (shared, then one correction per domain) folded with the NB ratios.
    """
    import scipy.sparse as sp
    from sklearn.svm import LinearSVC

    r = nb_ratio(X, y)
    Xr = X.multiply(r).tocsr()
    if dom is not None:
        copies = [sp.diags((dom == k).astype(np.float32)) @ Xr for k in range(n_domains)]
        Xr = sp.hstack([Xr, *copies]).tocsr()
    clf = LinearSVC(C=C, max_iter=5000).fit(Xr, y, sample_weight=sample_weight)
    W = clf.coef_.reshape(-1, X.shape[1]) * r
    return W.astype(np.float32), float(clf.intercept_[0])


def _keep_strongest(W: np.ndarray, keep: int) -> np.ndarray:
    """Each row with all but its `keep` largest-magnitude weights set to zero."""
    W = W.copy()
    for row in W:
        if np.count_nonzero(row) > keep:
            row[np.abs(row) < np.partition(np.abs(row), -keep)[-keep]] = 0.0
    return W


def _fit_router(X: Any, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression from features to domain: (weights per domain, biases)."""
    from sklearn.linear_model import LogisticRegression

    known = np.flatnonzero(dom >= 0)
    fits = [LogisticRegression(C=ROUTER_C, solver="liblinear").fit(X[known], dom[known] == k)
            for k in range(int(dom.max()) + 1)]
    W = np.stack([f.coef_.ravel() for f in fits]).astype(np.float32)
    return W, np.array([f.intercept_[0] for f in fits], dtype=np.float32)


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def next_version(directory: Path, today: dt.date | None = None) -> str:
    """sent-YYYY.MM.DD-N, N counting up from 1 within a day in that directory."""
    stamp = (today or dt.date.today()).strftime("%Y.%m.%d")
    n = 1
    while model_paths(directory, f"sent-{stamp}-{n}")[0].exists():
        n += 1
    return f"sent-{stamp}-{n}"


def train(*, data: Path | str | None = None, extra: Iterable[tuple[str, Any]] = (),
          output_dir: Path | str | None = None, make_current: bool = True, version: str | None = None,
          progress: Progress | None = None, C: float = DEFAULT_C, limit: int | None = None,
          seed: int = 0, holdout: bool = True, labelled: bool | Path | str = True) -> TrainResult:
    """Train from the shared corpora plus optional (text, label) corrections; write a versioned model.

    Corrections replace a corpus label for the same text and weigh CORRECTION_WEIGHT times more.
    `limit` trains on a random sample (for quick runs and tests). With `holdout` the fixed test
    slice (`is_holdout`) stays out of training. The locked test pool (split.md) never enters it.
    `labelled` adds the written texts of the labelled set (True: the shipped file; or a path).
    """
    examples = load_corpora(data)
    if holdout:
        examples = [e for e in examples if not is_holdout(e.text)]
    if labelled:
        # The written texts of the labelled set teach the industries outside the three corpora.
        from .triage_training import read_labelled

        keys = {_dedupe_key(e.text) for e in examples}
        examples += [LabelledText(i.text, 1 if i.sentiment == "positive" else 0, "labelled")
                     for i in read_labelled(labelled if isinstance(labelled, (str, Path)) else None)
                     if i.source == "written" and i.sentiment in ("positive", "negative")
                     and _dedupe_key(i.text) not in keys]
    if limit is not None and limit < len(examples):
        rng = np.random.default_rng(seed)
        examples = [examples[i] for i in sorted(rng.choice(len(examples), size=limit, replace=False))]
    corrections = {_dedupe_key(t): LabelledText(t, parse_label(lab)) for t, lab in extra if _dedupe_key(t)}
    examples = [e for e in examples if _dedupe_key(e.text) not in corrections] + list(corrections.values())
    y = np.array([e.label for e in examples], dtype=np.int64)
    weights = np.array([CORRECTION_WEIGHT if e.corpus == "corrections" else
                        (LABELLED_WEIGHT if e.corpus == "labelled" else 1.0) for e in examples])
    docs = prepare([e.text for e in examples], progress)
    out = Path(output_dir) if output_dir else models_dir()
    out.mkdir(parents=True, exist_ok=True)
    version = version or next_version(out)
    model = fit(docs, y, weights=weights, C=C, version=version, progress=progress,
                domains=[e.domain for e in examples])
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.corpus] = counts.get(e.corpus, 0) + 1
    model.meta.update({"trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                       "n_examples": len(examples), "corpora": counts, "corrections": len(corrections),
                       "holdout": f"1/{HOLDOUT_MOD} by content hash" if holdout else "none",
                       "locked_pool": "excluded (split.md)"})
    path = model.save(out)
    if make_current:
        set_current(version, out)
    return TrainResult(model, path, make_current, len(examples), counts)


def evaluate(texts: Sequence[str], labels: Sequence[Any], *, model: SentimentModel | str | None = None
             ) -> dict[str, Any]:
    """Accuracy, macro-F1 and confusion matrix of the sentiment against 0/1 labels (positive = score ≥ 0.5)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    from .analyzer import Analyzer, default_analyzer

    if len(texts) != len(labels):
        raise TrainingDataError(f"{len(texts)} texts but {len(labels)} labels")
    if not texts:
        raise TrainingDataError("nothing to evaluate")
    y = np.array([parse_label(v) for v in labels])
    analyzer = default_analyzer() if model is None else Analyzer(model=model)
    scores = np.array([a.sentiment.score for a in analyzer.analyze_many(list(texts))])
    pred = (scores >= 0.5).astype(int)
    return {
        "n": len(y),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "confusion_matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        "labels": ["negative", "positive"],
        "model_version": analyzer.model.version,
    }
