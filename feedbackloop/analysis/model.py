"""The sentiment model: hashed char + word n-grams, NB log-count-ratio weights, a linear classifier
folded into one weight vector, and Platt calibration. Saved as `sentiment-<version>.npz` + `.json`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import text as textmod
from .errors import ModelNotFound
from .lexicon import NEGATIVE_WORDS, POSITIVE_WORDS, STOPWORDS

MODELS_DIR = Path(__file__).resolve().parent / "models"
CURRENT_FILE = "current.json"
ENV_MODEL_DIR = "FEEDBACKLOOP_MODEL_DIR"

NEGATORS = frozenset("不 没 没有 别 无 未 不是 不太 不够 不会 并不 毫无 没什么 不怎么 不算 从未 并非".split())
_SCOPE_BREAK = frozenset("， 。 ！ ？ , . ! ? ； ; 、 ~ … 但是 但 不过 可是 就是 只是 然而".split())
NEG_SCOPE = 3


@dataclass(frozen=True)
class FeatureSpec:
    """How a text becomes hashed features; stored with the model so training and use agree."""

    n_features: int = 2**21
    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    negation: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "char_ngrams": list(self.char_ngrams),
                "word_ngrams": list(self.word_ngrams), "negation": self.negation}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureSpec:
        return cls(int(d["n_features"]), tuple(d["char_ngrams"]), tuple(d["word_ngrams"]),
                   bool(d["negation"]))


def mark_negation(tokens: Sequence[str]) -> list[str]:
    """Prefix the few words after a negator with `N_`, so 不满意 and 满意 get different weights."""
    if NEGATORS.isdisjoint(tokens):  # no negator: nothing to mark
        return list(tokens)
    out: list[str] = []
    scope = 0
    for tok in tokens:
        if tok in _SCOPE_BREAK:
            scope = 0
            out.append(tok)
            continue
        out.append("N_" + tok if scope > 0 else tok)
        scope = NEG_SCOPE if tok in NEGATORS else max(scope - 1, 0)
    return out


def word_features(tokens: Sequence[str], spec: FeatureSpec) -> list[str]:
    """Word n-gram feature strings (prefixed `w:` so they never collide with char n-grams)."""
    toks = mark_negation(tokens) if spec.negation else list(tokens)
    lo, hi = spec.word_ngrams
    feats: list[str] = ["w:" + t for t in toks] if lo == 1 else []
    if lo <= 2 <= hi:
        feats += ["w:" + a + " " + b for a, b in zip(toks, toks[1:])]  # noqa: B905 - pairs
    for n in range(max(lo, 3), hi + 1):
        feats += ["w:" + " ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
    return feats


def char_features(text: str, spec: FeatureSpec) -> list[str]:
    """Character n-grams of the normalised text with spaces squeezed out."""
    s = text.replace(" ", "")
    lo, hi = spec.char_ngrams
    return [s[i : i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)]


def _features(doc: tuple[str, Sequence[str]], spec: FeatureSpec) -> list[str]:
    return char_features(doc[0], spec) + word_features(doc[1], spec)


class Featurizer:
    """Turns (normalised text, tokens) pairs into an L2-normalised, sublinear-tf sparse matrix.

    The buckets are HashingVectorizer's over `_features` (char n-grams of the text without spaces,
    word n-grams of the negation-marked tokens); `hashing` computes them for a whole batch at once.
    """

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec

    def transform(self, docs: Sequence[tuple[str, Sequence[str]]]) -> sp.csr_matrix:
        """The sublinear-tf, L2-normalised matrix (what `transform_with_norms` gives, without the norms)."""
        from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

        X = self.counts(docs)
        X.data = 1.0 + np.log(X.data)
        inplace_csr_row_normalize_l2(X)  # sklearn's `normalize` kernel, without its input checks
        return X

    def counts(self, docs: Sequence[tuple[str, Sequence[str]]]) -> sp.csr_matrix:
        """The raw feature counts (what HashingVectorizer(analyzer=_features, norm=None) gives)."""
        from . import hashing

        spec = self.spec
        if not docs:
            raise ValueError("Cannot vectorize empty sequence.")
        rows_c, cols_c = hashing.char_ngram_buckets([d[0].replace(" ", "") for d in docs], spec.char_ngrams,
                                                    spec.n_features)
        marked = [mark_negation(d[1]) if spec.negation else list(d[1]) for d in docs]
        rows_w, cols_w = hashing.word_ngram_buckets(marked, spec.word_ngrams, spec.n_features)
        return hashing.count_matrix(len(docs), np.concatenate([rows_c, rows_w]), np.concatenate([cols_c, cols_w]),
                                    spec.n_features)

    def transform_with_norms(self, docs: Sequence[tuple[str, Sequence[str]]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Normalised matrix and each row's norm before normalisation (explanations need it)."""
        from sklearn.preprocessing import normalize

        X = self.counts(docs)
        X.data = 1.0 + np.log(X.data)
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms = np.where(norms > 0, norms, 1.0)
        return normalize(X, copy=False), norms

    def index(self, feature: str) -> int:
        """Hash bucket of one feature string, exactly as HashingVectorizer computes it."""
        from sklearn.utils import murmurhash3_32

        h = murmurhash3_32(feature, seed=0, positive=False)
        if h == -(2**31):
            return (2**31 - 1 - (self.spec.n_features - 1)) % self.spec.n_features
        return abs(h) % self.spec.n_features


def _explainable(term: str) -> bool:
    """Terms worth showing a person: no punctuation, no lone function characters (很, 了, 的)."""
    if not term or not all(ch.isalnum() for ch in term) or term in STOPWORDS:
        return False
    return len(term) > 1 or term in POSITIVE_WORDS or term in NEGATIVE_WORDS


NEG_MARK = "¬"
_NEGATOR_CHARS = "不没无未别非"


def _find_in(name: str, text: str, bounds: set[int]) -> str | None:
    """The name as it occurs in the text on word boundaries; a ¬-marked name is extended back
    to its negator (不满意 / 不太满意)."""
    negated = name.startswith(NEG_MARK)
    word = name[1:] if negated else name
    pos = text.find(word)
    while pos != -1:
        end = pos + len(word)
        if end in bounds and (negated or pos in bounds):
            if not negated:
                return word
            window = text[max(0, pos - 4) : pos]
            for k in range(len(window) - 1, -1, -1):
                if window[k] in _NEGATOR_CHARS:
                    return text[pos - len(window) + k : end]
        pos = text.find(word, pos + 1)
    return None


def _negation_starts(tokens: Sequence[str], marked: Sequence[str]) -> list[int]:
    """For each token, where the phrase explaining it starts: its negator if it is negated."""
    starts = [0] * len(tokens)
    for i, tok in enumerate(tokens):
        starts[i] = i if tok in NEGATORS else (starts[i - 1] if i and marked[i].startswith("N_") else i)
    return starts


def bucket_names(docs: Sequence[tuple[str, Sequence[str]]], y: np.ndarray, spec: FeatureSpec,
                 weights: np.ndarray, top: int = 80_000) -> dict[int, str]:
    """Readable name for each of the `top` strongest buckets.

    Hashing puts several n-grams in one bucket; the name is the word-aligned n-gram in it whose
    own polarity (log-count ratio over the training labels) agrees with the bucket's weight and is
    strongest, so that a frequent neutral word never takes the credit for a rare strong one.
    """
    from collections import Counter

    from sklearn.feature_extraction.text import HashingVectorizer

    pos: Counter[tuple[str, str]] = Counter()  # (feature string, display) → documents, by label
    neg: Counter[tuple[str, str]] = Counter()
    c_lo, c_hi = spec.char_ngrams
    for (_, tokens), label in zip(docs, y.tolist(), strict=True):
        counter = pos if label == 1 else neg
        toks = mark_negation(tokens) if spec.negation else list(tokens)
        seen: set[tuple[str, str]] = set()
        for n in range(1, spec.word_ngrams[1] + 1):
            for i in range(len(toks) - n + 1):
                gram = toks[i : i + n]
                plain = "".join(tokens[i : i + n])
                if not _explainable(plain):
                    continue
                # A negated word is named by the word with a marker; explain() extends it back to
                # the negator actually present in the text (不满意 / 不太满意 / 没那么满意).
                display = NEG_MARK + plain if gram[0].startswith("N_") else plain
                seen.add(("w:" + " ".join(gram), display))
                if display == plain and c_lo <= len(plain) <= c_hi:
                    seen.add((plain, plain))
        counter.update(seen)
    feats = list(set(pos) | set(neg))
    hv = HashingVectorizer(analyzer=lambda d: d, n_features=spec.n_features, alternate_sign=False, norm=None)
    buckets = hv.transform([[f] for f, _ in feats]).tocsr().indices
    strongest = set(np.argsort(-np.abs(weights), kind="stable")[:top].tolist())
    n_pos, n_neg = max(int(y.sum()), 1), max(int(len(y) - y.sum()), 1)
    best: dict[int, tuple[float, str]] = {}
    for key, b in zip(feats, buckets.tolist(), strict=True):
        if b not in strongest:
            continue
        p, q = pos[key], neg[key]
        ratio = math.log(((p + 1) / n_pos) / ((q + 1) / n_neg))
        if ratio * float(weights[b]) <= 0:
            continue
        score = abs(ratio) * math.log1p(p + q)
        if score > best.get(b, (0.0, ""))[0]:
            best[b] = (score, key[1])
    return {b: name for b, (_, name) in best.items()}


def domain_probs(router_scores: np.ndarray) -> np.ndarray:
    """One-vs-rest logistic scores → probabilities over the domains (rows sum to 1)."""
    p = 1.0 / (1.0 + np.exp(-router_scores))
    return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)


def nb_ratio(X: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Log-count ratio r of NB-SVM (Wang & Manning 2012) over binarised features."""
    B = X.copy()
    B.data[:] = 1.0
    p = np.asarray(B[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(B[y == 0].sum(axis=0)).ravel() + alpha
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


@dataclass(frozen=True)
class DomainWeights:
    """Per-domain corrections to the shared weights ("frustratingly easy" domain adaptation, Daumé 2007).

    A router (one-vs-rest logistic regression on the same features) gives each text a probability
    per training domain; the text's weight vector is the shared one plus the probability-weighted
    domain corrections. A text from a domain never seen in training is a blend, never a wrong pick.
    """

    names: tuple[str, ...]
    weights: np.ndarray  # (domains, n_features): correction added to the shared weights
    router: np.ndarray  # (domains, n_features)
    router_bias: np.ndarray  # (domains,)


class SentimentModel:
    """A trained, calibrated sentiment model: P(positive) = sigmoid(a * (X @ w + b) + c),
    where w is the shared weight vector plus, with `domains`, the text's mix of domain corrections."""

    def __init__(self, spec: FeatureSpec, weights: np.ndarray, bias: float, platt: tuple[float, float],
                 version: str, meta: dict[str, Any] | None = None, names: dict[int, str] | None = None,
                 domains: DomainWeights | None = None) -> None:
        self.spec = spec
        self.bias = float(bias)
        self.platt = (float(platt[0]), float(platt[1]))
        self.version = version
        self.meta = meta or {}
        # bucket → the most frequent readable n-gram in it (built at training time), so that an
        # explanation is a few dictionary lookups instead of hashing the text again.
        self.names: dict[int, str] = names or {}
        # One sparse × dense product scores a batch: shared weights, domain corrections, router.
        # The attributes are views into that one matrix, so the weights are held once.
        columns = [weights] if domains is None else [weights, *domains.weights, *domains.router]
        self._stacked = np.stack(columns, axis=1).astype(np.float32)
        self.weights = self._stacked[:, 0]
        self.domains = domains
        if domains is not None:
            k = len(domains.names)
            self.domains = DomainWeights(domains.names, self._stacked[:, 1 : 1 + k].T,
                                         self._stacked[:, 1 + k :].T, domains.router_bias.astype(np.float32))
        self.featurizer = Featurizer(spec)
        self._index_cache: dict[str, int] = {}

    # ---- prediction -------------------------------------------------------------------------
    def gather(self, X: sp.csr_matrix) -> np.ndarray:
        """The weight rows (shared, domain corrections, router) of every stored entry of X, in order.

        The weight matrix is tens of MB and a text's buckets are scattered over it, so reading
        them is a cache miss each; gathered once, they serve both `score` and `explain_rows`.
        (np.take copies the rows ~3x faster than fancy indexing does, with the same result.)
        """
        return np.take(self._stacked, X.indices, axis=0)

    def score(self, X: sp.csr_matrix, gathered: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw linear score per row, and each row's domain probabilities (None without domains).

        With `gathered` (= `gather(X)`) the product reads those rows instead: the same sparse ×
        dense kernel over the same values in the same order, so the same result to the last bit.
        """
        if gathered is None:
            S = np.asarray(X @ self._stacked)
        elif X.nnz == 0:
            S = np.zeros((X.shape[0], self._stacked.shape[1]), dtype=np.float32)
        else:
            entries = sp.csr_matrix((X.data, np.arange(X.nnz, dtype=X.indices.dtype), X.indptr),
                                    shape=(X.shape[0], X.nnz))
            S = np.asarray(entries @ gathered)
        if self.domains is None:
            return S[:, 0] + self.bias, None
        k = len(self.domains.names)
        mix = domain_probs(S[:, 1 + k :] + self.domains.router_bias)
        return S[:, 0] + (S[:, 1 : 1 + k] * mix).sum(axis=1) + self.bias, mix

    def decision(self, X: sp.csr_matrix) -> np.ndarray:
        """Raw linear score per row."""
        return self.score(X)[0]

    def row_weights(self, indices: np.ndarray, mix: np.ndarray | None = None) -> np.ndarray:
        """The weights one text's features get: shared plus its mix of domain corrections."""
        w = self.weights[indices]
        if self.domains is not None and mix is not None:
            w = w + mix @ self.domains.weights[:, indices]
        return w

    def proba_from_decision(self, d: np.ndarray) -> np.ndarray:
        a, c = self.platt
        return 1.0 / (1.0 + np.exp(-(a * d + c)))

    def predict_proba(self, docs: Sequence[tuple[str, Sequence[str]]]) -> np.ndarray:
        """Calibrated P(positive) for (normalised text, tokens) pairs."""
        if not docs:
            return np.zeros(0)
        return self.proba_from_decision(self.decision(self.featurizer.transform(docs)))

    def predict_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(positive) for raw texts (normalises and tokenises them)."""
        norm = [textmod.normalize(t) for t in texts]
        return self.predict_proba([(t, textmod.tokenize(t)) for t in norm])

    # ---- explanation ------------------------------------------------------------------------
    def _idx(self, feature: str) -> int:
        idx = self._index_cache.get(feature)
        if idx is None:
            idx = self.featurizer.index(feature)
            if len(self._index_cache) < 300_000:
                self._index_cache[feature] = idx
        return idx

    def explain(self, doc: tuple[str, Sequence[str]], row_indices: np.ndarray, row_values: np.ndarray,
                top: int = 5, mix: np.ndarray | None = None) -> list[dict[str, Any]]:
        """The n-grams that pushed the score most, with their signed contribution (log-odds units).

        The strongest hashed features of the document's row are found with numpy; only then are
        the document's own n-grams hashed (cached) to put readable names on those few buckets.
        """
        if row_indices.size == 0:
            return []
        contrib = row_values * self.row_weights(row_indices, mix) * self.platt[0]
        order = np.argsort(-np.abs(contrib), kind="stable")[: top * 4]  # ties in index order, on every CPU
        strong = contrib[order]
        keep = np.abs(strong) >= 0.01
        return self._explain_row(doc, row_indices[order][keep].tolist(), strong[keep].tolist(), top)

    def explain_rows(self, docs: Sequence[tuple[str, Sequence[str]]], X: sp.csr_matrix, mix: np.ndarray | None,
                     gathered: np.ndarray | None = None, top: int = 5) -> list[list[dict[str, Any]]]:
        """`explain` for the first len(docs) rows of X at once, from the weight rows of X's entries
        (`gather`, computed here when not given).

        Every entry's contribution is computed in one vectorised pass and the batch is ordered once
        (by row, then by strength, ties in index order as `explain` orders them); only the naming of
        each row's few strongest buckets is left to Python.
        """
        n = len(docs)
        end = int(X.indptr[n])
        if end == 0:
            return [[] for _ in range(n)]
        indices, values = X.indices[:end], X.data[:end]
        if gathered is None:
            gathered = np.take(self._stacked, indices, axis=0)
        counts = np.diff(X.indptr[: n + 1])
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        w = gathered[:end, 0]
        k = 0 if self.domains is None or mix is None else len(self.domains.names)
        if k and mix is not None:
            w = w + (gathered[:end, 1 : 1 + k] * mix[rows]).sum(axis=1)
        contrib = (values * w * self.platt[0]).astype(np.float32, copy=False)  # float32 throughout already
        # Only contributions of at least 0.01 are ever shown, and they all rank above the rest, so
        # the others are dropped before sorting. One stable sort on (row, strength descending): the
        # bits of a non-negative float32 order as the float does.
        strong_at = np.flatnonzero(np.abs(contrib) >= 0.01)
        key = (rows[strong_at] << 32) | (0xFFFFFFFF - np.abs(contrib[strong_at]).view(np.uint32).astype(np.int64))
        order = strong_at[np.argsort(key, kind="stable")]
        # The first top * 4 of each row in that order.
        sorted_rows = rows[order]
        starts = np.searchsorted(sorted_rows, np.arange(n + 1))
        rank = np.arange(len(order)) - np.repeat(starts[:-1], np.diff(starts))
        first = order[rank < top * 4]
        strong = contrib[first]
        cut = np.searchsorted(rows[first], np.arange(n + 1)).tolist()
        buckets, weights = indices[first].tolist(), strong.tolist()
        return [self._explain_row(docs[i], buckets[cut[i] : cut[i + 1]], weights[cut[i] : cut[i + 1]], top)
                if cut[i] < cut[i + 1] else [] for i in range(n)]

    def _explain_row(self, doc: tuple[str, Sequence[str]], buckets: list[int], weights: list[float],
                     top: int) -> list[dict[str, Any]]:
        """Names for a row's strongest buckets (given strongest first), merged into at most `top` terms."""
        wanted = dict(zip(buckets, weights, strict=True))
        if self.names:
            compact = "".join(doc[1])
            bounds = set(itertools.accumulate(map(len, doc[1]), initial=0))
            names = {}
            for i in wanted:
                name = self.names.get(i)
                found = _find_in(name, compact, bounds) if name else None
                if found:
                    names[i] = found
        else:
            names = self._name_buckets(doc[1], wanted)
        chosen: list[tuple[str, float]] = []
        for idx, weight in wanted.items():
            term = names.get(idx)
            if term is None:
                continue
            same = next((i for i, (t, w) in enumerate(chosen) if (t in term or term in t) and w * weight > 0), None)
            if same is not None:
                continue  # 很差 after 差 adds nothing a reader needs
            prev = next((i for i, (t, _) in enumerate(chosen) if t == term), None)
            if prev is not None:  # the same words under two features (char and word n-gram)
                chosen[prev] = (term, chosen[prev][1] + weight)
                continue
            chosen.append((term, weight))
            if len(chosen) == top:
                break
        return [{"term": t, "weight": round(w, 3)} for t, w in chosen]

    def _name_buckets(self, tokens: Sequence[str], wanted: dict[int, float]) -> dict[int, str]:
        """Readable names for hashed buckets, tried over the text's word-aligned n-grams only.

        A char n-gram that straddles a word boundary (务很差) explains nothing to a reader, so
        names are drawn from words and word pairs; a bucket without such a name is left out.
        """
        names: dict[int, str] = {}
        toks = mark_negation(tokens) if self.spec.negation else list(tokens)
        c_lo, c_hi = self.spec.char_ngrams
        w_hi = self.spec.word_ngrams[1]
        last_neg = _negation_starts(tokens, toks)
        for n in range(1, w_hi + 1):
            for i in range(len(toks) - n + 1):
                gram = toks[i : i + n]
                start = last_neg[i] if gram[0].startswith("N_") else i
                plain = "".join(tokens[start : i + n])
                if not _explainable(plain):
                    continue
                candidates = ["w:" + " ".join(gram)]
                if c_lo <= len(plain) <= c_hi and not (n == 1 and gram[0].startswith("N_")):
                    candidates.append(plain)
                for feature in candidates:
                    idx = self._idx(feature)
                    if idx in wanted and idx not in names:
                        names[idx] = plain
                if len(names) == len(wanted):
                    return names
        return names

    # ---- persistence ------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        """Write sentiment-<version>.npz (sparse weights, float16) and its .json metadata."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero(self.weights)
        npz, meta_path = model_paths(directory, self.version)
        name_idx = np.fromiter(self.names.keys(), dtype=np.int32, count=len(self.names))
        name_str = np.array(list(self.names.values()), dtype=str)
        arrays: dict[str, np.ndarray] = {"idx": nz.astype(np.int32), "val": self.weights[nz].astype(np.float16),
                  "name_idx": name_idx, "name_str": name_str}
        meta = {"version": self.version, "bias": self.bias, "platt": list(self.platt),
                "features": self.spec.to_dict(), **self.meta}
        if self.domains is not None:
            for kind, rows in (("dom", self.domains.weights), ("route", self.domains.router)):
                for k, row in enumerate(rows):
                    arrays.update(_sparse_row(f"{kind}{k}", row))
            meta["domains"] = {"names": list(self.domains.names),
                               "router_bias": [float(b) for b in self.domains.router_bias]}
        np.savez_compressed(npz, **arrays)  # type: ignore[arg-type]  # numpy stubs: allow_pickle kw
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return npz

    @classmethod
    def load(cls, path: Path | str) -> SentimentModel:
        """Load a model from its .npz (or .json) path."""
        path = Path(path)
        stem = path.name.removesuffix(".npz").removesuffix(".json").removeprefix("sentiment-")
        npz, meta_path = model_paths(path.parent, stem)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            spec = FeatureSpec.from_dict(meta.pop("features"))
            dom_meta = meta.pop("domains", None)
            with np.load(npz) as data:
                weights = _dense_row(data["idx"], data["val"], spec.n_features)
                names = dict(zip(data["name_idx"].tolist(), data["name_str"].tolist(), strict=True)) \
                    if "name_idx" in data else {}
                domains = None
                if dom_meta:
                    k = len(dom_meta["names"])
                    rows = {kind: np.stack([_dense_row(data[f"{kind}{i}_idx"], data[f"{kind}{i}_val"],
                                                       spec.n_features) for i in range(k)])
                            for kind in ("dom", "route")}
                    domains = DomainWeights(tuple(dom_meta["names"]), rows["dom"], rows["route"],
                                            np.asarray(dom_meta["router_bias"], dtype=np.float32))
        except FileNotFoundError as exc:
            raise ModelNotFound(f"sentiment model not found: {npz}") from exc
        return cls(spec, weights, meta.pop("bias"), tuple(meta.pop("platt")), meta.pop("version"), meta, names,
                   domains)


def _sparse_row(key: str, row: np.ndarray) -> dict[str, np.ndarray]:
    nz = np.flatnonzero(row)
    return {f"{key}_idx": nz.astype(np.int32), f"{key}_val": row[nz].astype(np.float16)}


def _dense_row(idx: np.ndarray, val: np.ndarray, n: int) -> np.ndarray:
    row = np.zeros(n, dtype=np.float32)
    row[idx] = val.astype(np.float32)
    return row


def model_paths(directory: Path | str, version: str) -> tuple[Path, Path]:
    """(weights .npz, metadata .json) of a model version in a directory."""
    base = f"sentiment-{version}"
    return Path(directory) / f"{base}.npz", Path(directory) / f"{base}.json"


# ---- the current model ----------------------------------------------------------------------
_lock = threading.Lock()
_cache: dict[str, SentimentModel] = {}


def models_dir() -> Path:
    """Where models live: $FEEDBACKLOOP_MODEL_DIR if set, else the package's models/ folder."""
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else MODELS_DIR


def _current(d: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((d / CURRENT_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ModelNotFound(f"no current model in {d} (run `python -m feedbackloop.analysis.train`)") from exc


def current_model_version(directory: Path | str | None = None) -> str:
    """Version named by current.json in the models directory."""
    d = Path(directory) if directory else models_dir()
    return str(_current(d)["version"])


def current_triage_version(directory: Path | str | None = None) -> str | None:
    """Version of the learned problem-type / urgency heads named by current.json (None: rules only)."""
    d = Path(directory) if directory else models_dir()
    try:
        value = _current(d).get("triage")
    except ModelNotFound:
        return None
    return str(value) if value else None


def set_current(version: str, directory: Path | str | None = None, *, triage: str | None = None) -> None:
    """Mark a saved model version (and optionally a triage model version) as the one `analyze` uses."""
    d = Path(directory) if directory else models_dir()
    if not model_paths(d, version)[0].exists():
        raise ModelNotFound(f"model version {version} not found in {d}")
    try:
        state = _current(d)
    except ModelNotFound:
        state = {}
    state["version"] = version
    if triage is not None:
        if not (d / f"triage-{triage}.npz").exists():
            raise ModelNotFound(f"triage model version {triage} not found in {d}")
        state["triage"] = triage
    (d / CURRENT_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
    with _lock:
        _cache.clear()
    for hook in _current_changed_hooks:
        hook()


def set_current_extra(key: str, version: str, directory: Path | str | None = None) -> None:
    """Name the current version of another model kind ("triage", "deep") in current.json."""
    d = Path(directory) if directory else models_dir()
    prefix = {"triage": "triage", "deep": "deep"}[key]
    if not (d / f"{prefix}-{version}.npz").exists():
        raise ModelNotFound(f"{key} model version {version} not found in {d}")
    try:
        state = _current(d)
    except ModelNotFound:
        state = {}
    state[key] = version
    (d / CURRENT_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
    for hook in _current_changed_hooks:
        hook()


# Called after a new version becomes current. Whoever caches a model (the default analyzer) registers
# here, so this module needs to know nothing of its users.
_current_changed_hooks: list[Callable[[], None]] = []


def on_current_changed(hook: Callable[[], None]) -> Callable[[], None]:
    """Register hook() to run after `set_current` switches the current model (to drop a cached one)."""
    _current_changed_hooks.append(hook)
    return hook


def load_model(version: str | None = None, directory: Path | str | None = None) -> SentimentModel:
    """Load (once, then cached) a model version; the current one by default."""
    d = Path(directory) if directory else models_dir()
    version = version or current_model_version(d)
    key = f"{d}::{version}"
    with _lock:
        model = _cache.get(key)
        if model is None:
            model = SentimentModel.load(model_paths(d, version)[0])
            _cache[key] = model
            freeze_long_lived()
    return model


ENV_GC_FREEZE = "FEEDBACKLOOP_GC_FREEZE"
_frozen: set[str] = set()


def freeze_long_lived(moment: str = "model") -> None:
    """Move every object alive now out of the garbage collector's reach (`gc.freeze`), once per process and
    moment ("model": the first model load; "app": a web process's start, whose heap is as long-lived).

    A process that analyses has imported numpy, scipy and scikit-learn: some 800,000 references
    that every full collection walks again (~90 ms here), and the objects a batch of analyses keeps
    alive trigger one full collection every few batches, a fifth of the fast tier's time. The first
    model load is the point where that heap is complete, and nothing in it is ever garbage.
    Objects created later are collected as usual. `FEEDBACKLOOP_GC_FREEZE=0` leaves the collector alone.
    """
    import gc

    if moment in _frozen or os.environ.get(ENV_GC_FREEZE, "1").strip().lower() in ("0", "false", "no", "off"):
        return
    _frozen.add(moment)
    gc.freeze()
