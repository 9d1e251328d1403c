"""Quotes that really carry a theme's complaint (issue 13): under 送餐速度慢, "送餐太慢了, 等了两个小时" fits and
"有24小时送餐服务" (which merely names room service) does not; under 界面/交互 only an item the model is sure of
and whose words for that type are in its text.

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
SURE_TYPE = 0.6  # the model's probability of a problem type, from which its item may quote that type's theme
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
    kind, _, value = key.partition(":")
    if kind == "problem_type":
        # The model must be sure of the type, and the words behind it must be in the text: an item the model
        # only leaned towards 产品功能 (a price complaint, say) is no quote of that theme.
        sure = (analysis.get("problem_probs") or {}).get(value, 1.0) >= SURE_TYPE
        return sure and bool(_type_words(value, text, analysis))
    evidence = _evidence(key, analysis)
    if evidence is None:  # risk themes: the item is a complaint that raised the flag
        return True
    return bool(evidence) and clause_complains(evidence)


def _type_words(problem_type: str, text: str, analysis: Mapping[str, Any]) -> list[str]:
    """The words the analysis gave for the item's problem type ("界面/交互: app, 闪退, 登录") found in its text."""
    lowered = text.lower()
    for line in analysis.get("problem_type_explanation") or []:
        head, sep, words = str(line).partition(": ")
        if sep and head == problem_type:
            return [w for w in (w.split("(")[0].strip() for w in words.split(",")) if w and w in lowered]
    return []


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
            kind, _, value = key.partition(":")
            around = _type_words(value, text, analysis)[:1] if kind == "problem_type" else [_evidence(key, analysis)]
            quote = excerpt(text, around[0] if around else None)
            if quote not in out:
                out.append(quote)
    return out
