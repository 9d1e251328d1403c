"""Plain result objects of an analysis; `to_dict()` gives the JSON shape of SPEC §11."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase that drove a prediction, with its signed weight (log-odds units)."""

    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Overall sentiment: label, calibrated P(positive), intensity 1–5, emotions, explanation."""

    label: str
    score: float
    intensity: int
    emotions: list[str] = field(default_factory=list)
    explanation: list[Term] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AspectSentiment:
    """One aspect mentioned in the text, the sentiment of the clause mentioning it, and that clause."""

    aspect: str
    sentiment: str
    evidence: str
    term: str = ""


@dataclass(frozen=True, slots=True)
class Mentions:
    """Product (brand / model) and module (feature area) names found in the text."""

    products: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything FeedbackLoop knows about one text, and the model version that produced it."""

    sentiment: Sentiment
    aspects: list[AspectSentiment]
    problem_type: str | None
    problem_type_explanation: list[str]
    urgency: str
    urgency_reasons: list[str]
    risk_flags: list[str]
    keywords: list[str]
    mentions: Mentions
    model_version: str
    # The guide's safety class behind 紧急 (None when not urgent), which tier decided each field
    # ("fast" = the learned heads, "rules" = the lexicon safety net, "deep" = the encoder tier), the
    # versions of the other models, and notes for a reader (e.g. why the deep tier did not run).
    safety_class: str | None = None
    tiers: dict[str, str] = field(default_factory=dict)
    triage_version: str | None = None
    notes: list[str] = field(default_factory=list)
    # The fast tier's problem-type probabilities (无 = none), why it asks for the deep tier
    # (sentiment_uncertain, safety_signal, negative_no_type, far_from_domain), and the deep model that
    # refined this analysis (None: fast tier only).
    problem_probs: dict[str, float] = field(default_factory=dict)
    deep_reasons: list[str] = field(default_factory=list)
    deep_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; aspects carry aspect, sentiment and evidence (the matched term is internal)."""
        d = asdict(self)
        for a in d["aspects"]:
            a.pop("term", None)
        return d
