"""Chinese feedback analysis: sentiment, aspects, problem type, urgency, themes — offline, on CPU.

    from feedbackloop.analysis import analyze, analyze_many
    analyze("房间很干净但是早餐很差").to_dict()

Framework-free: imports neither FastAPI nor SQLAlchemy. Models load lazily on first use.

Sentiment: `score` is the Platt-calibrated probability that the text is positive (nudged by
emoji, by constructions such as 没有想象中差, and for short texts by a polarity lexicon).
The training corpora are binary, so `neutral` means 0.4 ≤ score ≤ 0.6, or a text with no
evidence at all (empty, whitespace, punctuation only).
"""

from __future__ import annotations

from .analyzer import Analyzer, analyze, analyze_many
from .errors import AnalysisError, ModelNotFound, TrainingDataError
from .lexicon import PROBLEM_TYPES, URGENCIES, AspectDef
from .model import current_model_version, load_model, set_current
from .result import Analysis, AspectSentiment, Mentions, Sentiment, Term
from .themes import Theme, find_themes, themes
from .training import TrainResult, evaluate, train

__all__ = [
    "Analysis",
    "AnalysisError",
    "Analyzer",
    "AspectDef",
    "AspectSentiment",
    "Mentions",
    "ModelNotFound",
    "PROBLEM_TYPES",
    "Sentiment",
    "Term",
    "Theme",
    "TrainResult",
    "TrainingDataError",
    "URGENCIES",
    "analyze",
    "analyze_many",
    "current_model_version",
    "evaluate",
    "find_themes",
    "load_model",
    "set_current",
    "themes",
    "train",
]
