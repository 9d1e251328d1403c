"""Text normalisation, fingerprints and near-duplicate keys for intake cleaning."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

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


def minhash_bands(text: str) -> tuple[int, ...]:
    """Locality-sensitive band keys (MinHash of character bigrams, 5 bands × 4 rows).

    Two texts whose bigram sets have Jaccard similarity 0.8 share a band with probability ~0.93, unrelated
    texts almost never. Texts shorter than MIN_NEAR_LENGTH get all-zero keys: for them only exact
    duplicates are detected, as a few characters of difference change their meaning.
    """
    norm = normalize(text)
    return _bands_normalized(norm, _shingles_normalized(norm))


def _bands_normalized(norm: str, grams: set[str]) -> tuple[int, ...]:
    if len(norm) < MIN_NEAR_LENGTH or not grams:
        return (0,) * _BANDS
    crc = zlib.crc32
    x = np.array([crc(g.encode("utf-8")) for g in grams], dtype=np.uint64)
    mins = (_A[:, None] * x[None, :] + _B[:, None]).min(axis=1)
    keys = []
    for band in range(_BANDS):
        chunk = mins[band * _ROWS : (band + 1) * _ROWS].tobytes()
        keys.append((zlib.crc32(chunk) & 0x7FFFFFFF) or 1)
    return tuple(keys)


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


@dataclass(frozen=True)
class Fingerprint:
    """Everything intake cleaning needs from one text, computed from a single normalisation."""

    content_hash: str
    grams: set[str]
    bands: tuple[int, ...]
    is_vague: bool


def fingerprint(text: str) -> Fingerprint:
    """content_hash, shingles, minhash_bands and is_vague of `text` in one pass (same results as each)."""
    norm = normalize(text)
    grams = _shingles_normalized(norm)
    bands = _bands_normalized(norm, grams)
    return Fingerprint(_hash_normalized(norm), grams, bands, _is_vague_normalized(norm))
