"""Text normalisation, fingerprints and near-duplicate keys for intake cleaning."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC, lower-case, without whitespace and punctuation: the form used to compare texts."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def content_hash(text: str) -> str:
    return _hash_normalized(normalize(text))


def _hash_normalized(norm: str) -> str:
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


MIN_NEAR_LENGTH = 15
_BANDS, _ROWS = 5, 4
_rng = np.random.default_rng(20261125)
# Hash family x ↦ a·x + b mod 2^64 with odd a: each is a permutation of 64-bit values.
_A = _rng.integers(1, 1 << 62, size=_BANDS * _ROWS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 1 << 62, size=_BANDS * _ROWS, dtype=np.uint64)


def shingles(text: str) -> set[str]:
    """Character bigrams of the normalised text."""
    return _shingles_normalized(normalize(text))


def _shingles_normalized(norm: str) -> set[str]:
    return {norm[i : i + 2] for i in range(len(norm) - 1)}


# Mixes a band's 4 minimum hashes into one 31-bit key.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


_SLICE_CHARS = 100_000  # text per vectorised pass: bounds the (20 × bigrams) hash matrix to ~16 MB


def _bands_many(norms: Sequence[str]) -> list[tuple[int, ...]]:
    """Locality-sensitive band keys (MinHash of character bigrams, 5 bands × 4 rows) of normalised texts.

    Two texts whose bigram sets have Jaccard similarity 0.8 share a band with probability ~0.93, unrelated
    texts almost never. Texts shorter than MIN_NEAR_LENGTH get all-zero keys: for them only exact
    duplicates are detected, as a few characters of difference change their meaning. Computed in
    vectorised passes over about _SLICE_CHARS characters each.
    """
    zero = (0,) * _BANDS
    out: list[tuple[int, ...]] = [zero] * len(norms)
    group: list[int] = []
    size = 0
    for i, norm in enumerate(norms):
        if len(norm) < MIN_NEAR_LENGTH:
            continue
        group.append(i)
        size += len(norm)
        if size >= _SLICE_CHARS:
            _bands_pass(norms, group, out)
            group, size = [], 0
    if group:
        _bands_pass(norms, group, out)
    return out


def _bands_pass(norms: Sequence[str], long: list[int], out: list[tuple[int, ...]]) -> None:
    """Band keys of the texts `long` (indexes into norms, each at least MIN_NEAR_LENGTH long), into `out`.

    A bigram is encoded exactly as (first code point << 21) | second; the texts are joined with a NUL
    separator so that the bigrams that straddle two texts can be dropped. Repeated bigrams do not
    change a minimum, so no de-duplication is needed.
    """
    joined = "\0".join(norms[i] for i in long)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    codes = (points[:-1] << np.uint64(21)) | points[1:]
    keep = (points[:-1] != 0) & (points[1:] != 0)
    lengths = np.fromiter((len(norms[i]) for i in long), dtype=np.int64, count=len(long))
    # After dropping the straddling bigrams, text k owns len_k - 1 consecutive codes.
    codes = codes[keep]
    seg_starts = np.concatenate(([0], np.cumsum(lengths - 1)[:-1]))
    hashed = _A[:, None] * codes[None, :] + _B[:, None]
    mins = np.minimum.reduceat(hashed, seg_starts, axis=1).T  # (texts, bands × rows)
    mixed = (mins.reshape(len(long), _BANDS, _ROWS) * _MIX).sum(axis=2) >> np.uint64(33)
    keys = (mixed & np.uint64(0x7FFFFFFF)).astype(np.int64)
    keys[keys == 0] = 1
    for k, i in enumerate(long):
        out[i] = tuple(keys[k].tolist())


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_VAGUE_WORDS = re.compile(
    r"(不好用|不满意|不好|很差|太差|差评|垃圾|一般般|一般|还行|还可以|不行|失望|好评|不错|满意|好用|很好|挺好|好|差|"
    r"非常|特别|真的|真|太|很|挺|都|了|的|啊|吧|呢|呀|哦|额|嗯|就|是|有点|比较)"
)


def is_vague(text: str) -> bool:
    """True for content that says only a verdict ("不好用", "不满意") and nothing a team can act on."""
    return _is_vague_normalized(normalize(text))


def _is_vague_normalized(norm: str) -> bool:
    if not norm:
        return True
    if len(norm) > 12:
        return False
    return _VAGUE_WORDS.sub("", norm) == ""


class Fingerprint:
    """Everything intake cleaning needs from one text, computed from a single normalisation.

    The bigram set (`grams`) is built only when a near-duplicate candidate has to be compared.
    """

    __slots__ = ("norm", "content_hash", "bands", "is_vague", "_grams")

    def __init__(self, norm: str, bands: tuple[int, ...]) -> None:
        self.norm = norm
        self.content_hash = _hash_normalized(norm)
        self.bands = bands
        self.is_vague = _is_vague_normalized(norm)
        self._grams: set[str] | None = None

    @property
    def grams(self) -> set[str]:
        if self._grams is None:
            self._grams = _shingles_normalized(self.norm)
        return self._grams


def fingerprints_normalized(norms: Sequence[str]) -> list[Fingerprint]:
    """Fingerprints of already normalised texts (see `normalize`), MinHash computed for all at once."""
    return [Fingerprint(n, b) for n, b in zip(norms, _bands_many(norms), strict=True)]
