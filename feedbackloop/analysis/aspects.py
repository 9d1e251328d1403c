"""Aspect detection and clause-level polarity ("房间很干净但是早餐很差" → 卫生 +, 早餐 −)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .lexicon import BUILTIN_ASPECTS, INTENSIFIERS, NEGATIVE_WORDS, NEGATORS, POSITIVE_WORDS, AspectDef
from .text import Clause, matches_per_clause

# Clause polarity = model evidence + lexicon evidence, both in log-odds-like units.
LEXICON_WEIGHT = 1.2
POLARITY_THRESHOLD = 0.35
NEGATED_COMPLAINT = 0.5  # lexicon weight of a denied complaint (不贵, 没有色差)


def aspect_from_any(value: AspectDef | Mapping[str, Any]) -> AspectDef:
    """Accept an AspectDef or a plain dict such as the web layer stores for admin-defined aspects.

    A dict needs `name` and `terms`; `problem_type`, `domain`, `negative_label`, `positive_label`
    are optional.
    """
    if isinstance(value, AspectDef):
        return value
    name = str(value["name"]).strip()
    terms = tuple(str(t).strip().lower() for t in value.get("terms", ()) if str(t).strip())
    if not name or not terms:
        raise ValueError("an aspect needs a name and at least one term")
    return AspectDef(name=name, terms=terms, domain=str(value.get("domain", "custom")),
                     problem_type=str(value.get("problem_type", "其他")),
                     negative_label=str(value.get("negative_label", "")),
                     positive_label=str(value.get("positive_label", "")))


def merge_aspects(extra: Iterable[AspectDef | Mapping[str, Any]] | None,
                  base: Sequence[AspectDef] = BUILTIN_ASPECTS) -> tuple[AspectDef, ...]:
    """Built-in aspects plus extra ones; an extra aspect with a built-in name adds its terms to it."""
    merged: dict[str, AspectDef] = {a.name: a for a in base}
    for item in extra or ():
        a = aspect_from_any(item)
        old = merged.get(a.name)
        if old is not None:
            terms = tuple(dict.fromkeys(old.terms + a.terms))
            a = AspectDef(old.name, terms, old.domain, old.problem_type if a.problem_type == "其他" else a.problem_type,
                          a.negative_label or old.negative_label, a.positive_label or old.positive_label,
                          old.verdict_terms, old.generic)
        merged[a.name] = a
    return tuple(merged.values())


@dataclass(frozen=True, slots=True)
class AspectHit:
    """An aspect found in a clause, by which term."""

    aspect: AspectDef
    term: str
    clause_index: int


class AspectMatcher:
    """Finds aspects in clauses: multi-character terms by leftmost-longest substring, single
    characters only as whole jieba tokens (so 床 does not fire inside 起床)."""

    def __init__(self, aspects: Sequence[AspectDef]) -> None:
        self.aspects = tuple(aspects)
        self._by_term: dict[str, AspectDef] = {}
        for a in self.aspects:  # later definitions (admin ones) win a shared term
            for t in a.terms:
                self._by_term[t.lower()] = a
        multi = sorted((t for t in self._by_term if len(t) > 1), key=len, reverse=True)
        self._multi = re.compile("|".join(re.escape(t) for t in multi)) if multi else None
        self._single = {t for t in self._by_term if len(t) == 1}

    def find(self, clauses: Sequence[Clause]) -> list[AspectHit]:
        """Aspect hits per clause, at most one per aspect per clause, in text order."""
        hits: list[AspectHit] = []
        multi = matches_per_clause(self._multi, clauses) if self._multi is not None else None
        single = self._single
        for i, clause in enumerate(clauses):
            found: dict[str, AspectHit] = {}
            for term in multi[i] if multi is not None else ():
                a = self._by_term[term]
                if a.name not in found:
                    found[a.name] = AspectHit(a, term, i)
            for tok in clause.tokens:
                if tok not in single:
                    if len(tok) != 2 or tok[1] not in single or tok[0] not in _INTENSIFIER_PREFIXES:
                        continue
                    tok = tok[1]  # 很脏 → 脏
                a = self._by_term[tok]
                if a.name not in found:
                    found[a.name] = AspectHit(a, tok, i)
            if any(not h.aspect.generic for h in found.values()):
                found = {k: h for k, h in found.items() if not h.aspect.generic}
            hits.extend(found.values())
        return hits


_POLAR = POSITIVE_WORDS | NEGATIVE_WORDS
_INTENSIFIER_PREFIXES = ("很", "太", "超", "真", "好", "挺", "特", "巨", "极", "最")


# Every token that names a polarity word: the word itself, or an intensifier glued to a
# one-character one (很脏 → 脏, see `_strip_intensifier`).
_POLAR_FORMS = _POLAR | frozenset(p + w for p in _INTENSIFIER_PREFIXES for w in _POLAR if len(w) == 1)


def _strip_intensifier(tok: str) -> str:
    """很脏 → 脏: jieba often glues an intensifier to a one-character verdict."""
    if len(tok) == 2 and tok[0] in _INTENSIFIER_PREFIXES and tok not in _POLAR:
        return tok[1]
    return tok


def lexicon_polarity(tokens: Sequence[str]) -> tuple[float, list[tuple[str, float]]]:
    """Sum of polarity-word evidence in a clause, flipping words in a negator's scope.

    "不是很好" → negative, "没有想象中差" → positive (a negated complaint), "不太满意" → negative.
    """
    score = 0.0
    cues: list[tuple[str, float]] = []
    if _POLAR_FORMS.isdisjoint(tokens):  # most clauses of a long text: no polarity word at all
        return score, cues
    for i, tok in enumerate(tokens):
        if tok not in _POLAR_FORMS:
            continue
        word = _strip_intensifier(tok)
        if word in POSITIVE_WORDS:
            w = 1.0
        elif word in NEGATIVE_WORDS:
            w = -1.0
        else:
            continue
        window = tokens[max(0, i - 3) : i]
        negated = any(t in NEGATORS for t in window)
        if negated:
            # A negated complaint is mild praise at best; a negated compliment is a complaint.
            w = NEGATED_COMPLAINT if w < 0 else -1.0
        if i > 0 and tokens[i - 1] in INTENSIFIERS and not negated:
            w *= 1.5
        start = i - 3 if negated else (i - 1 if i > 0 and tokens[i - 1] in INTENSIFIERS else i)
        cues.append(("".join(tokens[max(0, start) : i + 1]), w))
        score += w
    return score, cues


# "没有想象中差" / "没有说的那么差": a complaint that did not come true reads as mild praise.
_NOT_AS_BAD = re.compile(r"(没有|没|并没有|不像|不如)(想象|预想|预期|传说|说的|评论说的|别人说的|网上说的)(中|里)?(的)?(那么|这么|那样)?"
                         r"(差|糟|烂|坏|不好|难吃|吵|脏|慢)")
NOT_AS_BAD_BIAS = 4.5


def construction_term(text: str) -> tuple[str, float]:
    """(phrase, log-odds correction) for a construction an n-gram model reads backwards."""
    m = _NOT_AS_BAD.search(text)
    return (m.group(), NOT_AS_BAD_BIAS) if m else ("", 0.0)


def construction_bias(text: str) -> float:
    """Log-odds correction for constructions an n-gram model reads backwards."""
    return construction_term(text)[1]


# Blame or a fault denied: "不怪商家", "一点不嫌弃", "没有任何问题", "没毛病".
_DENIED = re.compile(r"(不|没|别|并不|从不|从没)(怪|怨|嫌|后悔)|没有?(任何|什么|一点)?(问题|毛病|瑕疵|破损|色差|异味)")


# Where less is better, "small" or "low" is praise: "噪音也小", "油耗低", "延迟很低" (小 and 少 are
# complaint words elsewhere: 房间小, 分量少).
_LESS_IS_BETTER = re.compile(r"(噪音|噪声|油耗|耗电|耗油|辐射|色差|误差|异味|延迟|发热|气味)(也|都|还|很|挺|非常|特别|比较|超)*(小|低|少)")
# A clause that states a worry or an expectation ("本来担心尺码不准", "以为会很难吃") is no verdict:
# what the customer found comes after it ("结果穿上刚刚好").
_EXPECTATION = re.compile(r"^(本来|原本|原来|一开始|开始|之前|起初|刚开始)?还?(有点|有些|很|挺|一直)?"
                          r"(担心|害怕|怕会|以为|觉得会|听说)")
# Praise of a service or a result that the polarity lexicon lacks; read in clauses only, so the
# tokens, and with them the sentiment model's features, stay as they are.
CLAUSE_PRAISE = frozenset("""飞快 迅速 高效 麻利 利索 顺利 顺畅 快捷 省心 放心 舒心 称心 修好 耐心 细心 仔细
    热心 认真 负责 用心 到位 温馨 清楚 清清楚楚 感谢 谢谢 满足 开心 好评 回购 满分 五星 良心 厚道 入味
    物超所值 无可挑剔""".split())


def _clause_praise(tokens: Sequence[str]) -> float:
    """+1 per CLAUSE_PRAISE word, -1 where a negator precedes it (说不清楚, 没解决, 不耐心)."""
    score = 0.0
    for i, tok in enumerate(tokens):
        if tok in CLAUSE_PRAISE:
            score += -1.0 if any(t in NEGATORS for t in tokens[max(0, i - 3) : i]) else 1.0
    return score


# A negator the segmenter glued to a complaint word: 不贵, 没坏, 不慢 (不好 is itself a complaint word).
_GLUED_DENIALS = frozenset(n + w for n in "不没" for w in NEGATIVE_WORDS) - NEGATIVE_WORDS


def clause_polarity(model_logit: float, tokens: Sequence[str], text: str | None = None) -> str:
    """negative / neutral / positive for one clause from its calibrated log-odds and lexicon cues
    (text: the clause's tokens joined, where the caller has it)."""
    if text is None:
        text = "".join(tokens)
    if _EXPECTATION.match(text):
        return "neutral"
    lex, cues = lexicon_polarity(tokens)
    if not CLAUSE_PRAISE.isdisjoint(tokens):
        lex += _clause_praise(tokens)
    if (cues and all(w == NEGATED_COMPLAINT for _, w in cues)) or _LESS_IS_BETTER.search(text) or \
            (lex >= 0 and (not _GLUED_DENIALS.isdisjoint(tokens) or _DENIED.search(text))):
        # "没有色差", "一点都不贵", "不嫌麻烦", "不怪商家", "噪音也小": complaints denied or a
        # small amount of a bad thing, which the guide reads as praise; the n-gram model, which learnt
        # 色差, 麻烦 and 小 from complaints, is not asked.
        return "positive"
    combined = 0.5 * model_logit + LEXICON_WEIGHT * lex + construction_bias(text)
    if combined > POLARITY_THRESHOLD:
        return "positive"
    if combined < -POLARITY_THRESHOLD:
        return "negative"
    return "neutral"
