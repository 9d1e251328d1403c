"""The batched feature hashing gives exactly the matrix scikit-learn's HashingVectorizer gives."""

from __future__ import annotations

import random

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from feedbackloop.analysis import hashing
from feedbackloop.analysis import text as textmod
from feedbackloop.analysis.model import FeatureSpec, Featurizer, _features

from .fast_tier_texts import snapshot_texts


def _spans(strings: list[str]) -> tuple[bytes, np.ndarray, np.ndarray]:
    encoded = [s.encode("utf-8") for s in strings]
    lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return b"".join(encoded) + b"\0\0\0\0", starts, lengths


def test_murmur3_of_every_length_and_width_matches_sklearn() -> None:
    rng = random.Random(3)
    alphabet = "ab9 _:-好差😀é\u0800\uffff𠀀"
    strings = ["", "a", "w:", "w:好 差"] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
                                         for _ in range(3000)]
    buf, starts, lengths = _spans(strings)
    got = hashing.murmur3_spans(buf, starts, lengths)
    want = np.array([murmurhash3_32(s, seed=0, positive=False) for s in strings], dtype=np.int32)
    assert np.array_equal(got, want)


def test_the_int32_minimum_hash_gets_hashingvectorizers_bucket() -> None:
    got = hashing.buckets(np.array([-(2**31), -5, 5, 2**31 - 1], dtype=np.int32), 2**21)
    assert got.tolist() == [(2**31 - 1 - (2**21 - 1)) % 2**21, 5, 5, (2**31 - 1) % 2**21]


def test_featurizer_counts_equal_hashingvectorizer_on_thousands_of_texts() -> None:
    spec = FeatureSpec()
    texts = snapshot_texts(corpora=False)
    assert len(texts) > 4000
    norms = [textmod.normalize(t) for t in texts]
    docs = [(n, textmod.tokenize(n)) for n in norms]
    reference = HashingVectorizer(analyzer=lambda d: _features(d, spec), n_features=spec.n_features,
                                  alternate_sign=False, norm=None, dtype=np.float32)
    for start in range(0, len(docs), 700):
        batch = docs[start : start + 700]
        want = reference.transform(batch)
        got = Featurizer(spec).counts(batch)
        assert got.has_sorted_indices and got.indices.dtype == want.indices.dtype
        assert np.array_equal(got.indptr, want.indptr)
        assert np.array_equal(got.indices, want.indices)
        assert np.array_equal(got.data, want.data) and got.data.dtype == want.data.dtype


def test_other_feature_specs_hash_as_hashingvectorizer_does() -> None:
    docs = [(n, textmod.tokenize(n)) for n in map(textmod.normalize, ["房间不太干净，服务不错", "", "ok 好 😀 a1-b2"])]
    for spec in (FeatureSpec(2**18, (2, 4), (1, 3), False), FeatureSpec(2**20, (1, 1), (2, 2), True)):
        want = HashingVectorizer(analyzer=lambda d, s=spec: _features(d, s), n_features=spec.n_features,
                                 alternate_sign=False, norm=None, dtype=np.float32).transform(docs)
        got = Featurizer(spec).counts(docs)
        assert (got != want).nnz == 0 and np.array_equal(got.indices, want.indices)
