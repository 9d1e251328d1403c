"""One way of cutting Chinese text into search terms, shared by the inbox search (feedback.search) and the idea
board (ideas.search).

Both normalise a text the same way (NFKC, lower case, simplified characters) and load jieba through `jieba()`.
The idea board indexes jieba's words (titles are short and worded like queries). Feedback search, which must
agree with a substring search over a million free texts, indexes terms whose matching never depends on how
jieba happens to cut a sentence:

- every run of Chinese (any non-ASCII letter or digit) gives its characters (unigrams) and each pair of
  neighbouring characters (bigrams): 早餐很差 → 早 餐 很 差 早餐 餐很 很差;
- every run of Latin letters and digits gives itself and its letter and digit parts:
  iphone15 → iphone15 iphone 15.

A query is cut the same way, and every term must match (AND): a Chinese run of two or more characters needs all
its bigrams, a single character its unigram, a Latin/digit run is a prefix (iphone finds iphone15). A text that
contains the query as a substring therefore always matches; the only extra matches are texts that hold all the
query's bigrams but not next to each other (rare for two- and three-character words, see tests/feedback/
test_search_index.py). Mobile numbers and e-mail addresses in the text are masked before indexing, so a contact
is never found in clear.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

from feedbackloop.analysis.text import to_simplified
from feedbackloop.lib.masking import mask_pii_in_text

_lock = threading.Lock()
_ready = False
# A run of ASCII letters/digits, or a run of other letters/digits (Chinese), in a normalised text.
_RUN = re.compile(r"[a-z0-9]+|[^\W_a-z0-9]+")
_PARTS = re.compile(r"[a-z]+|[0-9]+")
MAX_LATIN = 40  # longer Latin/digit runs are cut (an index term has a size limit on both databases)
MAX_TERMS_QUERY = 40


def jieba() -> Any:
    """jieba, initialised once per process (thread-safe)."""
    global _ready
    with warnings.catch_warnings():
        # jieba 0.42's source has "\." escapes: compiling it without a cached .pyc warns (SyntaxWarning).
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba as _jieba

    if not _ready:
        with _lock:
            if not _ready:
                _jieba.setLogLevel(logging.WARNING)
                _jieba.initialize()
                _ready = True
    return _jieba


def normalize(text: str | None, *, mask: bool = True) -> str:
    """NFKC (full-width → half-width), contacts masked (unless mask=False), lower case, simplified characters."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return to_simplified((mask_pii_in_text(text) if mask else text).lower())


def _latin_terms(run: str) -> list[str]:
    run = run[:MAX_LATIN]
    parts = _PARTS.findall(run)
    return [run, *parts] if len(parts) > 1 else [run]


def document_terms(text: str | None) -> str:
    """The index terms of a text, space-separated, each once (what feedback.search_terms stores)."""
    terms: dict[str, None] = {}
    for run in _RUN.findall(normalize(text)):
        if run[0].isascii():
            terms.update(dict.fromkeys(_latin_terms(run)))
        else:
            terms.update(dict.fromkeys(run))
            terms.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    return " ".join(terms)


@dataclass(frozen=True)
class Query:
    """A search query as index terms: `exact` must each be present, `prefixes` must each begin a term."""

    exact: tuple[str, ...]
    prefixes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)


def query_terms(query: str | None) -> Query:
    """The terms a text must hold to contain `query` (see the module's docstring); empty when the query has no
    letter or digit (only punctuation or spaces)."""
    exact: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    # Not masked: a query for 13812345678 must not become the masked 138****5678 that the index holds.
    for run in _RUN.findall(normalize(query, mask=False)):
        if run[0].isascii():
            prefixes[run[:MAX_LATIN]] = None
        elif len(run) == 1:
            exact[run] = None
        else:
            exact.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    # A very long query is cut to its first terms: the rest add little and cost one index probe each.
    return Query(tuple(exact)[:MAX_TERMS_QUERY], tuple(prefixes)[:MAX_TERMS_QUERY])
