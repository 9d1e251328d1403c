"""Problem type (six values) and urgency (紧急 / 一般 / 建议) with safety, legal, health and PR overrides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .aspects import AspectHit
from .lexicon import PROBLEM_CUES, PROBLEM_TYPES, SUGGESTION_FALSE, SUGGESTION_PATTERNS, URGENT_PATTERNS
from .text import Clause, matches_per_clause

# A cue in a clause the model reads as negative weighs this much more: a feedback item's type is
# the type of the problem it raises, not of the things it praises.
NEGATIVE_CLAUSE_FACTOR = 3.0
ASPECT_WEIGHT = 1.0
# Ties go to the more specific type; 产品功能 is the catch-all for the product itself.
_TIE_ORDER = {t: i for i, t in enumerate(("物流", "服务质量", "价格", "界面/交互", "产品功能", "其他"))}

_URGENT = tuple((cat, flag, re.compile(p)) for cat, flag, p in URGENT_PATTERNS)
# Figurative or harmless uses that the override words also match in real reviews.
_URGENT_EXCEPTIONS = re.compile(
    r"工商(银行|职业|学院|大学|局长)|多媒体|报警(太|声|器|功能|提示)|感染力|中毒太深|"
    r"受伤的心|爆炸性"
)
_SUGGEST = tuple(re.compile(p) for p in SUGGESTION_PATTERNS)
_SUGGEST_FALSE = re.compile(SUGGESTION_FALSE)
# One alternation of the suggestion patterns finds a match wherever any one of them would, so a
# text it finds nothing in (most texts) skips the pattern-by-pattern search; the patterns use no
# backreferences, so wrapping each in a group changes nothing. (For the urgent patterns one
# alternation is slower than the patterns one by one: it loses each pattern's first-character scan.)
_ANY_SUGGEST = re.compile("|".join(f"(?:{p})" for p in SUGGESTION_PATTERNS))


Cue = tuple[str, str, float]  # (problem type, cue word, weight)


class ProblemTyper:
    """Scores the six problem types from typed cue words, favouring cues in negative clauses."""

    def __init__(self, extra_cues: dict[str, Sequence[str]] | None = None) -> None:
        cues: dict[str, dict[str, float]] = {t: dict(c) for t, c in PROBLEM_CUES.items()}
        for ptype, words in (extra_cues or {}).items():
            if ptype not in PROBLEM_TYPES:
                raise ValueError(f"unknown problem type {ptype!r}; use one of {', '.join(PROBLEM_TYPES)}")
            cues.setdefault(ptype, {}).update({w.lower(): 2.0 for w in words})
        # One regex over every multi-character cue (longest first) and a dict for single
        # characters, which only count as whole tokens.
        self._by_word: dict[str, list[tuple[str, float]]] = {}
        for ptype, weighted in cues.items():
            for w, weight in weighted.items():
                self._by_word.setdefault(w, []).append((ptype, weight))
        multi = sorted((w for w in self._by_word if len(w) > 1), key=len, reverse=True)
        self._multi = re.compile("|".join(re.escape(w) for w in multi))
        self._single = {w for w in self._by_word if len(w) == 1}

    def find_cues(self, clause: Clause) -> list[Cue]:
        """Problem-type cue words in one clause."""
        return self.find_cues_all([clause])[0]

    def find_cues_all(self, clauses: Sequence[Clause]) -> list[list[Cue]]:
        """`find_cues` of each clause, the multi-character cues found in one scan."""
        by_word, single = self._by_word, self._single
        out: list[list[Cue]] = []
        for clause, words in zip(clauses, matches_per_clause(self._multi, clauses), strict=True):
            found: list[Cue] = [(t, word, w) for word in words for t, w in by_word[word]]
            if not single.isdisjoint(clause.tokens):
                found.extend((t, tok, w) for tok in clause.tokens if tok in single for t, w in by_word[tok])
            out.append(found)
        return out

    def classify(self, cues: Sequence[Sequence[Cue]], negative: Sequence[bool],
                 hits: Sequence[AspectHit]) -> tuple[str, list[str]]:
        """Problem type and the cue words behind it (e.g. ["物流: 快递, 太慢"])."""
        return self.best(*self.scores(cues, negative, hits))

    @staticmethod
    def best(scores: dict[str, float], matched: dict[str, list[str]]) -> tuple[str, list[str]]:
        """The highest-scoring type (ties to the more specific one) and its words."""
        best = max(PROBLEM_TYPES, key=lambda t: (scores[t], -_TIE_ORDER[t]))
        if scores[best] <= 0:
            return "其他", ["没有命中任何问题类型线索"]
        words = list(dict.fromkeys(matched[best]))[:6]
        return best, [f"{best}: {', '.join(words)}"]

    def scores(self, cues: Sequence[Sequence[Cue]], negative: Sequence[bool],
               hits: Sequence[AspectHit]) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Cue score per problem type (cues in negative clauses weigh more) and the words behind each."""
        scores = dict.fromkeys(PROBLEM_TYPES, 0.0)
        matched: dict[str, list[str]] = {t: [] for t in PROBLEM_TYPES}
        for i, clause_cues in enumerate(cues):
            factor = NEGATIVE_CLAUSE_FACTOR if negative[i] else 1.0
            for ptype, word, weight in clause_cues:
                scores[ptype] += weight * factor
                matched[ptype].append(word)
        for h in hits:
            if h.aspect.problem_type in scores and h.aspect.problem_type != "其他":
                factor = NEGATIVE_CLAUSE_FACTOR if negative[h.clause_index] else 1.0
                scores[h.aspect.problem_type] += ASPECT_WEIGHT * factor
                matched[h.aspect.problem_type].append(f"{h.aspect.name}({h.term})")
        return scores, matched


@dataclass(frozen=True, slots=True)
class Urgency:
    """Urgency level with human-readable reasons and risk flags."""

    level: str
    reasons: list[str]
    risk_flags: list[str]


def urgency(text: str) -> Urgency:
    """紧急 on any safety/legal/health/PR signal, else 建议 for suggestions to the business, else 一般."""
    cleaned = _URGENT_EXCEPTIONS.sub("", text)
    reasons: list[str] = []
    flags: list[str] = []
    for category, flag, rx in _URGENT:
        for m in rx.finditer(cleaned):
            reason = f"{category}: {m.group()}"
            if reason not in reasons:
                reasons.append(reason)
            if flag not in flags:
                flags.append(flag)
    if reasons:
        return Urgency("紧急", reasons, flags)
    candidate = _SUGGEST_FALSE.sub("", text)
    for rx in _SUGGEST if _ANY_SUGGEST.search(candidate) else ():
        hit = rx.search(candidate)
        if hit:
            return Urgency("建议", [f"建议: {hit.group()}"], [])
    return Urgency("一般", [], [])


URGENT_CATEGORIES = tuple(dict.fromkeys(cat for cat, _, _ in URGENT_PATTERNS))
# Length of `lexicon_features`: cue scores and negative aspects per type, urgency categories, 6 more.
N_LEXICON = 2 * len(PROBLEM_TYPES) + len(URGENT_CATEGORIES) + 6
URGENT_FEATURES = slice(2 * len(PROBLEM_TYPES), 2 * len(PROBLEM_TYPES) + len(URGENT_CATEGORIES))
_QUESTION = re.compile(r"[?？]|吗|请问|怎么|如何|多久|几点|是否|能否|可以.{0,6}吗|有没有")


def lexicon_features(text: str, scores: dict[str, float], negative: Sequence[bool], hits: Sequence[AspectHit],
                     logit: float, urg: Urgency, evidence: bool) -> list[float]:
    """The dense lexicon features of the learned heads (see triage_model.N_LEXICON), in a fixed order."""
    import math

    feats = [math.log1p(max(scores[t], 0.0)) for t in PROBLEM_TYPES]
    neg_aspects = dict.fromkeys(PROBLEM_TYPES, 0.0)
    pos_aspects = 0
    for h in hits:
        if negative[h.clause_index]:
            neg_aspects[h.aspect.problem_type if h.aspect.problem_type in neg_aspects else "其他"] += 1.0
        else:
            pos_aspects += 1
    feats += [math.log1p(neg_aspects[t]) for t in PROBLEM_TYPES]
    cats = {r.split(":", 1)[0] for r in urg.reasons}
    feats += [1.0 if c in cats else 0.0 for c in URGENT_CATEGORIES]
    feats.append(1.0 if urg.level == "建议" else 0.0)
    feats.append(max(-3.0, min(3.0, logit / 4.0)))
    feats.append(sum(negative) / max(len(negative), 1))
    feats.append(1.0 if _QUESTION.search(text) else 0.0)
    feats.append(math.log1p(pos_aspects))
    feats.append(0.0 if evidence else 1.0)
    return feats
