"""Feature hashing for a whole batch at once: the buckets scikit-learn's HashingVectorizer gives.

HashingVectorizer hashes each feature string in a Python-level loop (one generator step, one UTF-8
encoding and one MurmurHash3 call per feature), which was the largest single cost of the fast tier.
Here the feature strings of a batch are joined into one string, encoded once, and MurmurHash3
(x86, 32 bit, seed 0, exactly as `sklearn.utils.murmurhash3_32`) runs over every feature at once
in numpy. Character n-grams are never even built as strings: they are spans of the joined text.
The matrix is the one HashingVectorizer builds (same buckets, counts, sorted indices, dtype), so a
model trained with either reads the same features (tests/analysis/test_hashing.py holds this).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

_C1 = np.uint32(0xCC9E2D51)
_C2 = np.uint32(0x1B873593)
_M = np.uint32(5)
_N = np.uint32(0xE6546B64)
_F1 = np.uint32(0x85EBCA6B)
_F2 = np.uint32(0xC2B2AE35)
_INT32_MIN = -(2**31)
_TAIL_MASK = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF], dtype=np.uint32)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _mix(k: np.ndarray) -> np.ndarray:
    k = k * _C1
    return _rotl(k, 15) * _C2


def murmur3_spans(buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 (seed 0) of the byte spans buf[start : start + length], as int32.

    buf must end in at least 4 zero bytes after its last span (4-byte words are read at any offset).
    """
    n = len(starts)
    h = np.zeros(n, dtype=np.uint32)
    if n == 0:
        return h.view(np.int32)
    # Every little-endian 4-byte word of buf, one per byte offset (an overlapping, unaligned view).
    words = np.ndarray((len(buf) - 3,), dtype="<u4", buffer=buf, strides=(1,))
    starts = starts.astype(np.int64, copy=False)
    lengths = lengths.astype(np.int64, copy=False)
    nblocks = lengths >> 2
    # Full 4-byte blocks; each round only touches the spans that still have one.
    active = np.flatnonzero(nblocks)
    k = 0
    while len(active):
        x = h[active] ^ _mix(words[starts[active] + 4 * k])
        h[active] = _rotl(x, 13) * _M + _N
        k += 1
        active = active[nblocks[active] > k]
    # The 1-3 tail bytes (a zero tail leaves h unchanged, so every span takes this step).
    tail = words[starts + 4 * nblocks] & _TAIL_MASK[lengths & 3]
    h ^= _mix(tail)
    h ^= lengths.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= _F1
    h ^= h >> np.uint32(13)
    h *= _F2
    h ^= h >> np.uint32(16)
    return h.view(np.int32)


def buckets(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """Bucket of each signed hash, as HashingVectorizer maps it (int32)."""
    h = hashes.astype(np.int64)
    out = np.abs(h) % n_features
    out[h == _INT32_MIN] = (2**31 - 1 - (n_features - 1)) % n_features
    return out.astype(np.int32)


def _utf8_offsets(text: str) -> tuple[bytes, np.ndarray]:
    """(UTF-8 bytes of text + 4 zero bytes, byte offset of every character and of the end)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = 1 + (cp >= 0x80).astype(np.int64) + (cp >= 0x800) + (cp >= 0x10000)
    offsets = np.zeros(len(cp) + 1, dtype=np.int64)
    np.cumsum(width, out=offsets[1:])
    return text.encode("utf-8") + b"\0\0\0\0", offsets


def char_ngram_buckets(texts: Sequence[str], ngrams: tuple[int, int], n_features: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) of every character n-gram (lo..hi characters) of each text, as `char_features`."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    buf, off = _utf8_offsets("".join(texts))
    doc_end = np.repeat(np.cumsum(lengths), lengths)  # per character: where its text ends
    rows_of_char = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    remaining = doc_end - np.arange(len(doc_end), dtype=np.int64)
    rows, starts, spans = [], [], []
    for n in range(ngrams[0], ngrams[1] + 1):
        g = np.flatnonzero(remaining >= n)
        rows.append(rows_of_char[g])
        starts.append(off[g])
        spans.append(off[g + n] - off[g])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    start, span = np.concatenate(starts), np.concatenate(spans)
    return np.concatenate(rows), buckets(murmur3_spans(buf, start, span), n_features)


def string_buckets(features: Sequence[Sequence[str]], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) of every feature string of each row."""
    counts = np.fromiter(map(len, features), dtype=np.int64, count=len(features))
    flat = [f for row in features for f in row]
    sizes = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    buf, off = _utf8_offsets("".join(flat))
    first = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum(sizes, out=first[1:])
    start = off[first[:-1]]
    rows = np.repeat(np.arange(len(features), dtype=np.int64), counts)
    return rows, buckets(murmur3_spans(buf, start, off[first[1:]] - start), n_features)


def word_ngram_buckets(token_lists: Sequence[Sequence[str]], ngrams: tuple[int, int], n_features: int,
                       prefix: str = "w:") -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) of every word n-gram of each token list, as prefix + the words joined by spaces
    (`model.word_features`); the n-grams are joined and hashed without a Python loop per feature."""
    grams: list[str] = []
    counts = []
    for toks in token_lists:
        before = len(grams)
        for n in range(max(ngrams[0], 1), ngrams[1] + 1):
            if n == 1:
                grams.extend(toks)
            elif len(toks) >= n:
                grams.extend(map(" ".join, zip(*(toks[i:] for i in range(n)), strict=False)))
        counts.append(len(grams) - before)
    sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams)) + len(prefix)
    buf, off = _utf8_offsets(prefix + prefix.join(grams) if grams else "")
    first = np.zeros(len(grams) + 1, dtype=np.int64)
    np.cumsum(sizes, out=first[1:])
    start = off[first[:-1]]
    rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), np.asarray(counts, dtype=np.int64))
    return rows, buckets(murmur3_spans(buf, start, off[first[1:]] - start), n_features)


def count_matrix(n_rows: int, rows: np.ndarray, cols: np.ndarray, n_features: int) -> sp.csr_matrix:
    """The float32 count matrix of (row, bucket) pairs, indices sorted, duplicates summed.

    One sort of the pairs as (row, bucket) keys gives the CSR arrays directly: the matrix scipy's
    COO → CSR conversion with `sum_duplicates` builds (the form HashingVectorizer leaves), at a
    fraction of its cost.
    """
    key = rows.astype(np.int64) * n_features + cols
    key.sort()
    new = np.empty(len(key), dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    unique = key[starts]
    counts = np.diff(np.append(starts, len(key))).astype(np.float32)
    index_type = np.int32 if len(unique) < 2**31 else np.int64
    indptr = np.searchsorted(unique, np.arange(n_rows + 1, dtype=np.int64) * n_features).astype(index_type)
    X = sp.csr_matrix((counts, (unique % n_features).astype(index_type), indptr), shape=(n_rows, n_features))
    X.has_canonical_format = True
    return X
