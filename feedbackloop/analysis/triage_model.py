"""Learned problem type (with none), urgency, safety class and neutral-vs-opinion: the fast tier's heads.

Each head is a multinomial logistic regression over
  * the sentiment model's hashed n-gram features of the text (char 1–3 + word 1–2, sublinear tf, L2),
    restricted to the n-grams seen in at least two training texts and idf-weighted (the idf is folded
    into the stored weights, so scoring is one sparse product with the matrix the analyser already has);
  * a few dense lexicon features: problem-type cue scores, the urgency patterns, suggestion patterns,
    the sentiment logit, negative clauses and aspects, question marks (see `lexicon_features`).
The lexicons therefore stay as features, as the explanation of a label and, for urgency, as a
high-recall safety net (`Analyzer`). Trained by `feedbackloop train` from
`analysis/data/train_labelled.jsonl` plus agents' corrections; saved as `triage-<version>.npz` + `.json`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ModelNotFound
from .triage import N_LEXICON

PROBLEM_CLASSES = ("无", "产品功能", "服务质量", "价格", "物流", "界面/交互", "其他")
URGENCY_CLASSES = ("紧急", "一般", "建议")
SAFETY_CLASSES = ("无", "illness_injury", "foreign_object", "spoiled_food", "child_hazard", "counterfeit",
                  "fire_electrical", "fraud_theft_data", "staff_abuse", "legal_threat", "media_threat")
OPINION_CLASSES = ("negative", "neutral", "positive")
HEADS: dict[str, tuple[str, ...]] = {"problem_type": PROBLEM_CLASSES, "urgency": URGENCY_CLASSES,
                                     "safety_class": SAFETY_CLASSES, "opinion": OPINION_CLASSES}
# Readable names and the risk flag (SPEC: health / safety / legal / pr) of each safety class.
SAFETY_NAMES = {"illness_injury": "受伤或身体不适", "foreign_object": "食品异物", "spoiled_food": "变质或未熟的食品",
                "child_hazard": "儿童安全隐患", "counterfeit": "假货或翻新", "fire_electrical": "起火、过热或漏电",
                "fraud_theft_data": "欺诈、盗窃或信息泄露", "staff_abuse": "辱骂、羞辱或歧视",
                "legal_threat": "投诉监管或起诉", "media_threat": "曝光到媒体或社交平台"}
SAFETY_FLAGS = {"illness_injury": "health", "foreign_object": "health", "spoiled_food": "health",
                "child_hazard": "safety", "counterfeit": "legal", "fire_electrical": "safety",
                "fraud_theft_data": "legal", "staff_abuse": "pr", "legal_threat": "legal", "media_threat": "pr"}
LEXICON_SCALE = 1.0


@dataclass(frozen=True)
class HeadWeights:
    """One head: weights over the kept hashed columns (idf folded in), the lexicon features and biases."""

    classes: tuple[str, ...]
    ngram: np.ndarray  # (kept columns, classes)
    lexicon: np.ndarray  # (triage.N_LEXICON, classes)
    bias: np.ndarray  # (classes,)


class TriageModel:
    """The learned heads; `scores(X, F)` gives each head's class probabilities for a batch."""

    def __init__(self, columns: np.ndarray, n_features: int, heads: dict[str, HeadWeights], version: str,
                 meta: dict[str, Any] | None = None) -> None:
        self.columns = columns.astype(np.int64)
        self.n_features = n_features
        self.heads = heads
        self.version = version
        self.meta = meta or {}
        # One dense (kept columns × all classes) matrix and a bucket → kept-column map: a batch is
        # scored with one sparse × dense product over the kept columns of its matrix.
        self._W = np.hstack([h.ngram for h in heads.values()]).astype(np.float32)
        self._offsets: dict[str, tuple[int, int]] = {}
        start = 0
        for name, h in heads.items():
            self._offsets[name] = (start, start + len(h.classes))
            start += len(h.classes)
        self._position = np.full(n_features, -1, dtype=np.int32)
        self._position[self.columns] = np.arange(len(self.columns), dtype=np.int32)
        self._L = np.hstack([h.lexicon for h in heads.values()]).astype(np.float32)
        self._b = np.concatenate([h.bias for h in heads.values()]).astype(np.float32)

    def _kept(self, X: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
        """X restricted to the kept columns (renumbered), and which of X's entries were kept."""
        pos = self._position[X.indices]
        known = pos >= 0
        kept_before = np.zeros(len(known) + 1, dtype=np.int64)
        np.cumsum(known, out=kept_before[1:])
        indptr = kept_before[X.indptr]
        K = sp.csr_matrix((X.data[known], pos[known], indptr), shape=(X.shape[0], len(self.columns)))
        return K, known

    def scores(self, X: sp.csr_matrix, F: np.ndarray) -> dict[str, np.ndarray]:
        """Class probabilities per head for rows of X (hashed features) and F (lexicon features)."""
        S = np.asarray(self._kept(X)[0] @ self._W) + F @ self._L + self._b
        out: dict[str, np.ndarray] = {}
        for name, (a, b) in self._offsets.items():
            z = S[:, a:b] - S[:, a:b].max(axis=1, keepdims=True)
            e = np.exp(z)
            out[name] = e / e.sum(axis=1, keepdims=True)
        return out

    def coverage(self, indices: np.ndarray) -> float:
        """Share of a text's hashed features that the training data had (in at least MIN_DF texts)."""
        return float((self._position[indices] >= 0).mean()) if len(indices) else 1.0

    def coverage_rows(self, X: sp.csr_matrix) -> list[float]:
        """`coverage` of every row of X at once."""
        if X.nnz == 0:
            return [1.0] * X.shape[0]
        known = (self._position[X.indices] >= 0).astype(np.float64)
        counts = np.diff(X.indptr)
        sums = np.add.reduceat(known, np.minimum(X.indptr[:-1], len(known) - 1))
        sums = np.where(counts > 0, sums, 0.0)
        return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0).tolist()

    def ngram_contributions(self, head: str, cls: int, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Each present feature's contribution to one class of one head (for explanations)."""
        pos = np.minimum(np.searchsorted(self.columns, indices), len(self.columns) - 1)
        known = self.columns[pos] == indices
        return np.where(known, values * self.heads[head].ngram[pos, cls], 0.0)

    # ---- persistence ------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        npz, meta_path = triage_paths(directory, self.version)
        arrays: dict[str, np.ndarray] = {"columns": self.columns.astype(np.int32)}
        for name, h in self.heads.items():
            arrays[f"{name}_ngram"] = h.ngram.astype(np.float16)
            arrays[f"{name}_lexicon"] = h.lexicon.astype(np.float32)
            arrays[f"{name}_bias"] = h.bias.astype(np.float32)
        np.savez_compressed(npz, **arrays)  # type: ignore[arg-type]  # numpy stubs: allow_pickle kw
        meta = {"version": self.version, "n_features": self.n_features, "n_lexicon": N_LEXICON,
                "heads": {n: list(h.classes) for n, h in self.heads.items()}, **self.meta}
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return npz

    @classmethod
    def load(cls, directory: Path | str, version: str) -> TriageModel:
        npz, meta_path = triage_paths(directory, version)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if int(meta.get("n_lexicon", N_LEXICON)) != N_LEXICON:
                raise ModelNotFound(f"triage model {version} was trained with other lexicon features; retrain it")
            with np.load(npz) as data:
                heads = {n: HeadWeights(tuple(classes), data[f"{n}_ngram"].astype(np.float32),
                                        data[f"{n}_lexicon"], data[f"{n}_bias"])
                         for n, classes in meta.pop("heads").items()}
                columns = data["columns"]
        except FileNotFoundError as exc:
            raise ModelNotFound(f"triage model not found: {npz}") from exc
        return cls(columns, int(meta.pop("n_features")), heads, meta.pop("version"), meta)


def triage_paths(directory: Path | str, version: str) -> tuple[Path, Path]:
    base = f"triage-{version}"
    return Path(directory) / f"{base}.npz", Path(directory) / f"{base}.json"


# ---- fitting ----------------------------------------------------------------------------------
DEFAULT_C = {"problem_type": 4.0, "urgency": 4.0, "safety_class": 4.0, "opinion": 4.0}
MIN_DF = 2


def fit_triage(X: sp.csr_matrix, F: np.ndarray, labels: Mapping[str, Sequence[str]], *, version: str,
               weights: np.ndarray | None = None, C: dict[str, float] | None = None,
               meta: dict[str, Any] | None = None) -> TriageModel:
    """Fit every head on the hashed features X (rows = texts) and lexicon features F.

    labels: head name → one class per row ("" = not labelled for that head, left out of its fit).
    """
    from sklearn.linear_model import LogisticRegression

    C = {**DEFAULT_C, **(C or {})}
    B = X.copy()
    B.data[:] = 1.0
    df = np.asarray(B.sum(axis=0)).ravel()
    columns = np.flatnonzero(df >= MIN_DF)
    n = X.shape[0]
    idf = (np.log((1.0 + n) / (1.0 + df[columns])) + 1.0).astype(np.float32)
    Xs = X[:, columns].multiply(idf).tocsr()
    design = sp.hstack([Xs, sp.csr_matrix(F * LEXICON_SCALE)]).tocsr()
    heads: dict[str, HeadWeights] = {}
    for name, classes in HEADS.items():
        y = np.array([classes.index(v) if v in classes else -1 for v in labels.get(name, [""] * n)])
        rows = np.flatnonzero(y >= 0)
        present = sorted(set(y[rows].tolist()))
        if len(present) < 2:
            raise ValueError(f"head {name} needs at least two classes in the training data")
        clf = LogisticRegression(C=C[name], max_iter=2000, class_weight="balanced")
        clf.fit(design[rows], y[rows], sample_weight=None if weights is None else weights[rows])
        coef = np.full((len(classes), design.shape[1]), 0.0, dtype=np.float32)
        bias = np.full(len(classes), -30.0, dtype=np.float32)  # a class never seen is never predicted
        coef[present] = clf.coef_ if len(present) > 2 else np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2])
        bias[present] = clf.intercept_ if len(present) > 2 else np.array([-clf.intercept_[0] / 2,
                                                                           clf.intercept_[0] / 2])
        ngram = (coef[:, : len(columns)] * idf).T  # fold idf into the weights
        lexicon = coef[:, len(columns):].T * LEXICON_SCALE
        heads[name] = HeadWeights(classes, ngram, lexicon, bias)
    return TriageModel(columns, X.shape[1], heads, version, {"min_df": MIN_DF, "C": C, **(meta or {})})


# ---- the current triage model -----------------------------------------------------------------
_lock = threading.Lock()
_cache: dict[str, TriageModel] = {}


def load_triage(version: str, directory: Path | str) -> TriageModel:
    """Load (once, then cached) a triage model version."""
    key = f"{directory}::{version}"
    with _lock:
        model = _cache.get(key)
        if model is None:
            model = TriageModel.load(directory, version)
            _cache[key] = model
    return model


def clear_cache() -> None:
    with _lock:
        _cache.clear()
