"""The analysis pipeline: normalise → tokenise → clauses → one batched model pass → rules → results."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import text as textmod
from .aspects import (
    AspectHit,
    AspectMatcher,
    aspect_from_any,
    clause_polarity,
    construction_term,
    lexicon_polarity,
    merge_aspects,
)
from .lexicon import GUIDE_ASPECT_NAMES, AspectDef
from .model import SentimentModel, current_triage_version, load_model, models_dir, on_current_changed
from .result import Analysis, AspectSentiment, Mentions, Sentiment, Term
from .signals import MentionFinder, emoji_bias, emotions, intensity, keywords, label_for
from .triage import N_LEXICON, Cue, ProblemTyper, Urgency, lexicon_features, urgency
from .triage_model import (
    OPINION_CLASSES,
    PROBLEM_CLASSES,
    SAFETY_CLASSES,
    SAFETY_FLAGS,
    SAFETY_NAMES,
    TriageModel,
    load_triage,
)

AspectSpec = AspectDef | Mapping[str, Any]
_UNSET: Any = object()  # "the current triage model, loaded on first use"
# Short texts are where a lone negation ("没有想象中差") can flip the verdict and where the n-gram
# model has least context, so the polarity lexicon gets a say there.
SHORT_TEXT_CLAUSES = 2
SHORT_TEXT_LEXICON_WEIGHT = 0.8
CONTRAST_WEIGHT = 0.8
# In a long review one 但是 clause is a reservation among many points, not the verdict: applying the
# contrast rule there cost 0.3 points of hotel accuracy in 5-fold CV (texts of up to 2-6 clauses all
# gain the same), so it stops at this many clauses.
CONTRAST_MAX_CLAUSES = 6


class Analyzer:
    """A configured analysis pipeline; the model loads lazily on first use.

    extra_aspects: admin-defined aspects, as AspectDef or dicts {"name", "terms", "problem_type"?};
    products / modules: extra names to report as mentions; problem_cues: {problem type: [words]};
    model: a SentimentModel, a version string, or None for the current model;
    triage: the learned problem-type / urgency heads (default: the current ones; None: lexicon rules only).
    """

    def __init__(self, *, extra_aspects: Iterable[AspectSpec] | None = None, products: Iterable[str] = (),
                 modules: Iterable[str] = (), problem_cues: Mapping[str, Sequence[str]] | None = None,
                 model: SentimentModel | str | None = None, triage: TriageModel | None = _UNSET) -> None:
        self.aspects = merge_aspects(extra_aspects)
        self._matcher = AspectMatcher(self.aspects)
        self._typer = ProblemTyper(dict(problem_cues or {}))
        self._mentions = MentionFinder(products, modules)
        self._model_arg = model
        self._model: SentimentModel | None = model if isinstance(model, SentimentModel) else None
        self._triage: Any = triage

    @property
    def model(self) -> SentimentModel:
        """The sentiment model, loaded (and cached process-wide) on first use."""
        if self._model is None:
            version = self._model_arg if isinstance(self._model_arg, str) else None
            self._model = load_model(version)
        return self._model

    def analyze(self, text: str) -> Analysis:
        """Analyse one text."""
        return self.analyze_many([text])[0]

    @property
    def triage(self) -> TriageModel | None:
        """The learned problem-type / urgency heads (None where none is shipped: lexicon rules only)."""
        if self._triage is _UNSET:
            version = current_triage_version()
            self._triage = load_triage(version, models_dir()) if version else None
        return self._triage if isinstance(self._triage, TriageModel) else None

    def analyze_many(self, texts: Sequence[str]) -> list[Analysis]:
        """Analyse a batch; all model scoring happens in one vectorised pass."""
        if not texts:
            return []
        signals = self.signals(texts)
        triage = self.triage
        n = len(texts)
        if triage is None:
            return [self._finish(signals.partials[i], None, None, signals.X, i, 1.0) for i in range(n)]
        Xt = signals.X[:n]
        heads = {k: v.tolist() for k, v in triage.scores(Xt, signals.F).items()}
        coverage = triage.coverage_rows(Xt)
        return [self._finish(signals.partials[i], {k: v[i] for k, v in heads.items()}, triage, signals.X, i,
                             coverage[i]) for i in range(n)]

    def signals(self, texts: Sequence[str]) -> Signals:
        """Everything the learned heads read: the hashed n-gram matrix (first len(texts) rows are the
        texts, then clauses), the lexicon features, and the rule-based part of each analysis."""
        model = self.model
        norms = [textmod.normalize(t) for t in texts]
        tokens = [textmod.tokenize(n) for n in norms]
        clauses = [textmod.split_clauses(t) for t in tokens]
        hits = [self._matcher.find(cl) for cl in clauses]
        cues = [self._typer.find_cues_all(cl) for cl in clauses]
        docs: list[tuple[str, Sequence[str]]] = list(zip(norms, tokens, strict=True))
        # The model scores a clause only where an aspect sits (its sentiment is reported); other
        # clauses get lexicon polarity, and a one-clause text is its own clause. This keeps the
        # batch close to one model pass.
        clause_rows: list[list[int | None]] = []
        for i, cl in enumerate(clauses):
            needed = {h.clause_index for h in hits[i]}
            rows: list[int | None] = []
            for k, c in enumerate(cl):
                if len(cl) == 1:
                    rows.append(i)
                elif k in needed:
                    rows.append(len(docs))
                    docs.append((c.text, c.tokens))
                else:
                    rows.append(None)
            clause_rows.append(rows)
        X = model.featurizer.transform(docs)
        gathered = model.gather(X)
        raw, mix = model.score(X, gathered)
        logits = model.platt[0] * raw + model.platt[1]
        partials = []
        features = []
        explanations = model.explain_rows(docs[: len(texts)], X, mix, gathered)
        for i in range(len(texts)):
            explanation = explanations[i]
            clause_logits = [float(logits[r]) if r is not None else 0.0 for r in clause_rows[i]]
            polarities = [clause_polarity(lg, c.tokens, c.text) for lg, c in zip(clause_logits, clauses[i], strict=True)]
            part = self._assemble(model, norms[i], tokens[i], clauses[i], float(logits[i]), polarities,
                                  hits[i], cues[i], explanation)
            part.negative_evidence = _negative_evidence(polarities, clause_logits, clauses[i])
            partials.append(part)
            features.append(part.features)
        F = np.asarray(features, dtype=np.float32).reshape(len(texts), N_LEXICON)
        return Signals(X, F, partials)

    def _assemble(self, model: SentimentModel, norm: str, tokens: list[str], clauses: list[textmod.Clause],
                  logit: float, polarities: list[str], hits: list[AspectHit], cues: list[list[Cue]],
                  explanation: list[dict[str, Any]]) -> Partial:
        adjustments = [(term, w) for term, w in (("表情符号", emoji_bias(norm)), construction_term(norm)) if w]
        logit += sum(w for _, w in adjustments)
        if len(clauses) <= SHORT_TEXT_CLAUSES:
            lex, _ = lexicon_polarity(tokens)
            logit += SHORT_TEXT_LEXICON_WEIGHT * lex
        long_text = len(clauses) > CONTRAST_MAX_CLAUSES
        turn = None if long_text else next((c for c in reversed(clauses) if c.after_contrast), None)
        if turn is not None and CONTRAST_WEIGHT:
            # "房间很干净但是早餐很差": in Chinese the clause after 但是 carries the verdict.
            lex, _ = lexicon_polarity(turn.tokens)
            if lex:
                adjustments.append((turn.text, CONTRAST_WEIGHT * lex))
                logit += CONTRAST_WEIGHT * lex
        evidence = textmod.has_content(norm) or emoji_bias(norm) != 0
        score = 1.0 / (1.0 + math.exp(-logit)) if evidence else 0.5
        label = label_for(score, evidence)
        explanation = [{"term": t, "weight": round(w, 3)} for t, w in adjustments] + explanation if evidence else []
        aspects = _one_per_aspect(
            [AspectSentiment(GUIDE_ASPECT_NAMES.get(h.aspect.name, h.aspect.name), polarities[h.clause_index],
                             clauses[h.clause_index].text, h.term)
             for h in hits])
        negative = [p == "negative" for p in polarities]
        scores, matched = self._typer.scores(cues, negative, hits)
        ptype, ptype_why = self._typer.best(scores, matched)
        urg = urgency(norm)
        products, modules = self._mentions.find(norm)
        features = lexicon_features(norm, scores, negative, hits, logit, urg, evidence)
        return Partial(norm, tokens, label, score, explanation, aspects, negative, ptype, ptype_why, matched, urg,
                       products, modules, model.version, features, evidence)

    def _finish(self, p: Partial, heads: dict[str, list[float]] | None, triage: TriageModel | None,
                X: Any, row: int, coverage: float) -> Analysis:
        """Decide problem type, urgency and safety from the learned heads (or the rules without them)."""
        label, score = p.label, p.score
        tiers = {"sentiment": "fast", "aspects": "fast"}
        safety: str | None = None
        reasons = list(p.urgency.reasons)
        flags = list(p.urgency.risk_flags)
        if heads is None or triage is None:
            ptype: str | None = p.ptype
            why = list(p.ptype_why)
            level = p.urgency.level
            tiers.update(problem_type="rules", urgency="rules")
            if not p.evidence:
                ptype, why = None, ["无: 没有提出问题"]
            elif pure_praise(p, label, level):
                ptype, why, level, reasons = None, [PRAISE_WHY], "建议", [PRAISE_URGENCY]
            probs: dict[str, float] = {}
            deep: list[str] = []
        else:
            th = triage.meta.get("thresholds", {})
            opinion = heads["opinion"]
            # A mixed text takes the side the customer lands on; neutral means no opinion at all (the
            # guide): a question or plain statement without a polar aspect, as the opinion head reads it.
            if label == "neutral" and p.evidence:
                label = "positive" if score >= 0.5 else "negative"
            if p.evidence and OPINION_CLASSES[_argmax(opinion)] == "neutral" and \
                    opinion[1] >= float(th.get("neutral", 0.5)) and abs(score - 0.5) < 0.45 and \
                    all(a.sentiment == "neutral" for a in p.aspects):
                label = "neutral"
            ptype, why = _decide_type(heads["problem_type"], p, triage, X, row)
            level, safety, reasons, flags, tier = _decide_urgency(heads, p, th)
            tiers.update(problem_type="fast", urgency=tier)
            if not p.evidence:  # nothing to read: no problem, no urgency
                level, safety, reasons, flags = "一般", None, [], []
                ptype, why = None, ["无: 没有提出问题"]
            elif pure_praise(p, label, level, _praise_threshold(th)):
                # The guarantee: pure praise has no problem type and never reaches a problem queue,
                # whatever the problem-type head reads into the words praised (服务, 快递 are cues).
                ptype, why, level, reasons = None, [PRAISE_WHY], "建议", [PRAISE_URGENCY]
                tiers["problem_type"] = tiers["urgency"] = "rules"
            if level == "紧急" and ptype is None:
                pt = list(heads["problem_type"])
                pt[0] = -1.0
                ptype = PROBLEM_CLASSES[_argmax(pt)]
                why = [f"{ptype}: 紧急问题所属类型"]
            probs = {c: round(v, 4) for c, v in zip(PROBLEM_CLASSES, heads["problem_type"], strict=True)}
            deep = _deep_reasons(p, label, score, ptype, level, heads, coverage)
        return Analysis(
            sentiment=Sentiment(label, round(score, 4), intensity(score, label, p.norm, p.tokens),
                                emotions(label, score, p.norm), [Term(**e) for e in p.explanation]),
            aspects=p.aspects,
            problem_type=ptype,
            problem_type_explanation=why,
            urgency=level,
            urgency_reasons=reasons,
            risk_flags=flags,
            keywords=keywords(p.tokens, boost=[a.term for a in p.aspects]),
            mentions=Mentions(p.products, p.modules),
            model_version=p.model_version,
            safety_class=safety,
            tiers=tiers,
            triage_version=None if triage is None else triage.version,
            problem_probs=probs,
            deep_reasons=deep,
        )


PRAISE_WHY = "无: 纯表扬（没有投诉、负面分句、建议或提问）"
PRAISE_URGENCY = "建议: 纯表扬（表扬按指南记为建议）"
# A question to the business: a question mark, 请问, or 吗 ending a clause ("能退吗"). The looser
# question feature of the heads (怎么, 如何…) also fires on praise ("怎么这么好吃").
_ASKS = re.compile(r"[?？]|请问|吗(?=$|[\s,.!~，。！…～])")


def pure_praise(p: Partial, label: str, level: str, model_only: float = math.inf) -> bool:
    """The guide's pure praise: a positive text with no complaint, no suggestion or request and no
    question. A complaint: a safety signal (rules or heads), or a negative clause (so a negative
    aspect) -- one with a complaint word, or one the n-gram model alone reads at log-odds at most
    `model_only` (the heads' `praise_model_only` threshold; +inf: every negative clause counts)."""
    return label == "positive" and level != "紧急" and p.urgency.level == "一般" and \
        all(v > model_only for v in p.negative_evidence) and not _ASKS.search(p.norm)


def _praise_threshold(th: Mapping[str, Any]) -> float:
    value = th.get("praise_model_only")
    return math.inf if value is None else float(value)


def _negative_evidence(polarities: Sequence[str], logits: Sequence[float], clauses: Sequence[textmod.Clause]
                       ) -> list[float]:
    out = []
    for pol, logit, c in zip(polarities, logits, clauses, strict=True):
        if pol == "negative":
            out.append(-math.inf if lexicon_polarity(c.tokens)[0] < 0 else logit)
    return out


@dataclass(slots=True)
class Partial:
    """The rule-based part of one analysis, before the learned heads decide type and urgency."""

    norm: str
    tokens: list[str]
    label: str
    score: float
    explanation: list[dict[str, Any]]
    aspects: list[AspectSentiment]
    negative: list[bool]
    ptype: str
    ptype_why: list[str]
    matched: dict[str, list[str]]
    urgency: Urgency
    products: list[str]
    modules: list[str]
    model_version: str
    features: list[float]
    evidence: bool
    # Per negative clause: the model's log-odds where the model alone read it negative (no complaint
    # word), -inf where the lexicon holds a complaint word (see `pure_praise`).
    negative_evidence: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Signals:
    X: Any  # scipy.sparse.csr_matrix: texts first, then the clauses the model scored
    F: np.ndarray
    partials: list[Partial]


# The deep tier takes a text whose fast sentiment is in this band, that carries any safety signal,
# that is negative without a problem type, or whose n-grams the training data hardly covers.
UNCERTAIN_BAND = (0.2, 0.8)
SAFETY_SIGNAL = 0.15
COVERAGE_MIN = 0.45


def _argmax(row: Sequence[float]) -> int:
    return max(range(len(row)), key=row.__getitem__)


def _deep_reasons(p: Partial, label: str, score: float, ptype: str | None, level: str,
                  heads: dict[str, list[float]], coverage: float) -> list[str]:
    if not p.evidence:
        return []
    reasons = []
    if UNCERTAIN_BAND[0] <= score <= UNCERTAIN_BAND[1]:
        reasons.append("sentiment_uncertain")
    if level == "紧急" or p.urgency.level == "紧急" or \
            max(heads["urgency"][0], 1.0 - heads["safety_class"][0]) >= SAFETY_SIGNAL:
        reasons.append("safety_signal")
    if label == "negative" and ptype in (None, "其他"):
        reasons.append("negative_no_type")
    if coverage < COVERAGE_MIN:
        reasons.append("far_from_domain")
    return reasons


def _decide_type(probs: list[float], p: Partial, triage: TriageModel, X: Any, row: int) -> tuple[str | None, list[str]]:
    k = _argmax(probs)
    ptype = PROBLEM_CLASSES[k]
    if ptype == "无":
        return None, [f"无: 没有提出问题（模型 {probs[k]:.2f}）"]
    words = list(dict.fromkeys(p.matched.get(ptype, [])))[:6]
    if not words:
        lo, hi = X.indptr[row], X.indptr[row + 1]
        words = _ngram_words(triage, "problem_type", k, p, X.indices[lo:hi], X.data[lo:hi])
    head = f"{ptype}: {', '.join(words)}" if words else ptype
    return ptype, [head, f"模型置信度 {probs[k]:.2f}"]


def _decide_urgency(heads: dict[str, list[float]], p: Partial, th: dict[str, Any]
                    ) -> tuple[str, str | None, list[str], list[str], str]:
    """紧急 when the urgency head is confident, when the safety head sees a class, or when a lexicon
    safety pattern fires and the model does not rule it out (the high-recall net)."""
    urg, saf = heads["urgency"], heads["safety_class"]
    p_urgent = urg[0]
    p_safety = 1.0 - saf[0]
    rule = p.urgency.level == "紧急"
    reasons = list(p.urgency.reasons)
    flags = list(p.urgency.risk_flags)
    model_urgent = p_urgent >= float(th.get("urgent", 0.5)) or p_safety >= float(th.get("safety", 0.5))
    net = rule and max(p_urgent, p_safety) >= float(th.get("net", 0.1))
    if model_urgent or net:
        scores = list(saf)
        scores[0] = -1.0
        cls = SAFETY_CLASSES[_argmax(scores)]
        name = SAFETY_NAMES[cls]
        reasons.append(f"{name}（模型 {max(p_urgent, p_safety):.2f}）")
        if SAFETY_FLAGS[cls] not in flags:
            flags.append(SAFETY_FLAGS[cls])
        return "紧急", cls, reasons, flags, "fast" if model_urgent else "rules"
    rest = "建议" if urg[2] > urg[1] else "一般"
    if rest == "建议" and p.urgency.level == "建议":
        return "建议", None, [r for r in reasons if r.startswith("建议")], [], "fast"
    return rest, None, ([f"建议（模型 {urg[2]:.2f}）"] if rest == "建议" else []), [], "fast"


def _ngram_words(triage: TriageModel, head: str, k: int, p: Partial, indices: np.ndarray,
                 values: np.ndarray, top: int = 3) -> list[str]:
    """The text's own words that pushed one class most (the learned part of "the words behind the label")."""
    from .model import Featurizer  # noqa: F401  - hashing as the featurizer does

    contrib = triage.ngram_contributions(head, k, indices, values)
    strongest = {int(indices[j]) for j in np.argsort(-contrib, kind="stable")[: top * 3] if contrib[j] > 0}
    if not strongest:
        return []
    from sklearn.utils import murmurhash3_32

    n = triage.n_features
    out: list[str] = []
    for tok in p.tokens:
        if len(tok) < 2 or not tok.isalnum():
            continue
        for feature in ("w:" + tok, tok):
            h = abs(murmurhash3_32(feature, seed=0, positive=False)) % n
            if h in strongest and tok not in out:
                out.append(tok)
                break
        if len(out) == top:
            break
    return out


def _one_per_aspect(found: list[AspectSentiment]) -> list[AspectSentiment]:
    """One entry per aspect: the most common non-neutral polarity (negative on a tie), first clause."""
    by_name: dict[str, list[AspectSentiment]] = {}
    for a in found:
        by_name.setdefault(a.aspect, []).append(a)
    out = []
    for items in by_name.values():
        pos = sum(a.sentiment == "positive" for a in items)
        neg = sum(a.sentiment == "negative" for a in items)
        want = "negative" if neg and neg >= pos else ("positive" if pos else "neutral")
        out.append(next(a for a in items if a.sentiment == want))
    return out


_default: Analyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> Analyzer:
    """The process-wide analyzer with built-in lexicons and the current model."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Analyzer()
    return _default


@on_current_changed  # the default analyzer holds the old model
def reset_default_analyzer() -> None:
    """Forget the cached analyzer (after marking a new model current)."""
    global _default
    with _default_lock:
        _default = None
        _configured.clear()


_configured: dict[tuple[Any, ...], Analyzer] = {}
_CONFIGURED_MAX = 32


def _analyzer_for(extra_aspects: Iterable[AspectSpec] | None) -> Analyzer:
    """The default analyzer, or a cached one with these admin-defined aspects added."""
    if not extra_aspects:
        return default_analyzer()
    defs = tuple(aspect_from_any(a) for a in extra_aspects)
    key = tuple((d.name, d.terms, d.problem_type, d.negative_label, d.positive_label) for d in defs)
    analyzer = _configured.get(key)
    if analyzer is None or analyzer.model is not default_analyzer().model:
        if len(_configured) >= _CONFIGURED_MAX:
            _configured.clear()
        analyzer = Analyzer(extra_aspects=defs, model=default_analyzer().model)
        _configured[key] = analyzer
    return analyzer


def analyze(text: str, *, extra_aspects: Iterable[AspectSpec] | None = None) -> Analysis:
    """Analyse one text with the current model; extra_aspects adds admin-defined aspects."""
    return _analyzer_for(extra_aspects).analyze(text)


def analyze_many(texts: Sequence[str], *, extra_aspects: Iterable[AspectSpec] | None = None) -> list[Analysis]:
    """Analyse many texts in one vectorised pass."""
    return _analyzer_for(extra_aspects).analyze_many(list(texts))
