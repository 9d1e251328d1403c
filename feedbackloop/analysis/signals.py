"""Smaller per-text signals: sentiment label and intensity, emotions, keywords, product/module mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .lexicon import EMOTION_WORDS, INTENSIFIERS, MODULE_TERMS, PRODUCT_TERMS, STOPWORDS

# Neutral band: the corpora are binary, so "neutral" means the calibrated model is unsure
# (0.4 ≤ P(positive) ≤ 0.6) or the text carries no evidence at all (empty, emoji-free punctuation).
NEUTRAL_LOW = 0.4
NEUTRAL_HIGH = 0.6

_ANGRY_MARKS = re.compile(r"[!！]{2,}|[?？]{3,}")
_MODEL_NAME = re.compile(r"(?<![a-z0-9])(?=[a-z0-9-]*[a-z])(?=[a-z0-9-]*\d)[a-z][a-z0-9-]{1,14}|(?<![a-z0-9])\d{1,4}[a-z]{1,3}\d*(?![a-z0-9])")
_LATIN = re.compile(r"[a-z]")
_POS_EMOJI = set("👍😊😄😁😀🥰😍❤👏💯🎉😘☺🙂")
_NEG_EMOJI = set("😡🤬😠👎💩😤😞😢😭🙄😒😫")


def label_for(score: float, has_evidence: bool) -> str:
    """negative / neutral / positive from the calibrated score and the neutral band."""
    if not has_evidence or NEUTRAL_LOW <= score <= NEUTRAL_HIGH:
        return "neutral"
    return "positive" if score > NEUTRAL_HIGH else "negative"


_ANY_EMOJI = frozenset(_POS_EMOJI | _NEG_EMOJI)


def emoji_bias(text: str) -> float:
    """Log-odds nudge from sentiment-bearing emoji, which the training corpora hardly contain."""
    if _ANY_EMOJI.isdisjoint(text):  # most texts: no need to count
        return 0.0
    pos = sum(1 for ch in text if ch in _POS_EMOJI)
    neg = sum(1 for ch in text if ch in _NEG_EMOJI)
    return 1.5 * (pos - neg)


def intensity(score: float, label: str, text: str, tokens: Sequence[str]) -> int:
    """1 (flat) … 5 (very strong): distance from 0.5, boosted by intensifiers, !!! and emoji."""
    if label == "neutral":
        return 1
    strength = abs(2.0 * score - 1.0)
    level = 1 + int(round(strength * 3))
    if any(t in INTENSIFIERS for t in tokens):
        level += 1
    if _ANGRY_MARKS.search(text) or not _ANY_EMOJI.isdisjoint(text):
        level += 1
    return max(1, min(5, level))


_EMOTION_RX = {e: re.compile("|".join(re.escape(w) for w in words)) for e, words in EMOTION_WORDS.items()}


def emotions(label: str, score: float, text: str) -> list[str]:
    """Emotions among 满意, 失望, 愤怒, 惊喜 that the wording and the polarity support."""
    found = [e for e, rx in _EMOTION_RX.items() if rx.search(text)]
    allowed = {"positive": {"满意", "惊喜"}, "negative": {"失望", "愤怒"}, "neutral": {"失望", "满意"}}[label]
    result = [e for e in found if e in allowed]
    if _ANGRY_MARKS.search(text) and label == "negative" and "愤怒" not in result and score < 0.2:
        result.append("愤怒")
    if not result and label == "positive" and score >= 0.75:
        result.append("满意")
    if not result and label == "negative" and score <= 0.25:
        result.append("失望")
    order = ("满意", "惊喜", "失望", "愤怒")
    return sorted(result, key=order.index)


def keywords(tokens: Sequence[str], boost: Iterable[str] = (), top: int = 8) -> list[str]:
    """Content words of the text, aspect and cue words first, then by frequency and position."""
    boosted = set(boost)
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if len(tok) < 2:  # most tokens: one character (an N_-marked token has at least three)
            continue
        if tok.startswith("N_"):
            tok = tok[2:]
            if len(tok) < 2:
                continue
        # Tokens of two or more characters are CJK words or latin/digit runs (see Segmenter).
        if tok in STOPWORDS or tok.isdigit():
            continue
        if tok in counts:
            counts[tok] += 1
        else:
            counts[tok] = 1
            first[tok] = i
    ranked = sorted(counts, key=lambda w: (-(w in boosted), -counts[w], first[w]))
    return ranked[:top]


class MentionFinder:
    """Products (brands, model names such as p9 / t6400) and modules (支付, 登录, 屏幕…) in a text."""

    def __init__(self, products: Iterable[str] = (), modules: Iterable[str] = ()) -> None:
        prods = tuple(dict.fromkeys([p.lower() for p in PRODUCT_TERMS] + [p.lower() for p in products if p]))
        mods = tuple(dict.fromkeys([m.lower() for m in MODULE_TERMS] + [m.lower() for m in modules if m]))
        self._products = re.compile("|".join(re.escape(p) for p in sorted(prods, key=len, reverse=True)))
        self._modules = re.compile("|".join(re.escape(m) for m in sorted(mods, key=len, reverse=True)))

    def find(self, text: str) -> tuple[list[str], list[str]]:
        """(products, modules), each de-duplicated in order of appearance."""
        products = self._products.findall(text)
        if _LATIN.search(text):  # a model name holds a latin letter
            products += [m.group() for m in _MODEL_NAME.finditer(text)]
        modules = self._modules.findall(text)
        return list(dict.fromkeys(products))[:8], list(dict.fromkeys(modules))[:8]
