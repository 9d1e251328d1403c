"""Quotes that really carry a theme's complaint (issue 13): under 送餐速度慢, "送餐太慢了, 等了两个小时" fits and
"有24小时送餐服务" (which merely names room service) does not.

A quote of a negative theme must come from a negative item, and the clause the analysis pinned the aspect
to must itself be a complaint: it holds a negative polarity word of the lexicon (太慢, 很差, 超时), or the
sentiment model, reading the clause alone, is sure it is negative. The aspect word alone ("送餐") is no
evidence: the model leans negative on it, which is how the wrong quote got in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The analysis' lexicon cue reader and its segmenter: the same evidence the analysis itself weighs.
from feedbackloop.analysis.aspects import lexicon_polarity
from feedbackloop.analysis.text import _tokenizer

SURE_NEGATIVE = 0.05  # the model's P(positive) of a clause read alone, below which it counts as a complaint
MAX_QUOTE = 90


def _evidence(key: str, analysis: Mapping[str, Any]) -> str | None:
    kind, _, rest = key.partition(":")
    if kind != "aspect":
        return None
    name, _, polarity = rest.rpartition(":")
    for asp in analysis.get("aspects") or []:
        if asp.get("aspect") == name and asp.get("sentiment") == polarity:
            return str(asp.get("evidence") or "")
    return ""


def clause_complains(clause: str) -> bool:
    """Whether one clause is itself a complaint (a negative cue word, or a clearly negative reading)."""
    from feedbackloop.analysis import analyze

    if not clause.strip():
        return False
    if lexicon_polarity(_tokenizer().cut(clause))[0] < 0:
        return True
    return analyze(clause).sentiment.score < SURE_NEGATIVE


def fits(key: str, text: str, analysis: Mapping[str, Any]) -> bool:
    """Whether the item is a fitting quote of a negative theme `key`."""
    if (analysis.get("sentiment") or {}).get("label") != "negative":
        return False
    evidence = _evidence(key, analysis)
    if evidence is None:  # problem-type and risk themes: the item is a complaint of that type
        return True
    return bool(evidence) and clause_complains(evidence)


def excerpt(text: str, around: str | None = None, length: int = MAX_QUOTE) -> str:
    """The text on one line, cut to `length` around the evidence clause when it is long."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    start = max(0, flat.find(around) - length // 3) if around and around in flat else 0
    return ("…" if start else "") + flat[start : start + length].rstrip() + "…"


def pick(key: str, candidates: Iterable[tuple[str, Mapping[str, Any]]], n: int = 3) -> list[str]:
    """Up to `n` distinct fitting quotes of theme `key` from (text, analysis) candidates, most negative first."""
    usable = [(text, analysis) for text, analysis in candidates if analysis]  # an erased item has none
    ranked = sorted(usable, key=lambda c: (c[1].get("sentiment") or {}).get("score", 1.0))
    out: list[str] = []
    for text, analysis in ranked:
        if len(out) == n:
            break
        if fits(key, text, analysis):
            quote = excerpt(text, _evidence(key, analysis))
            if quote not in out:
                out.append(quote)
    return out
