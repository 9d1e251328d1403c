"""Errors of the analysis package; they subclass the product's error tree when it is importable."""

from __future__ import annotations

try:  # the analysis package is usable on its own, without the rest of FeedbackLoop
    from feedbackloop.errors import FeedbackLoopError as _Base
except ImportError:  # pragma: no cover - only when vendored elsewhere
    _Base = Exception  # type: ignore[misc,assignment]  # mypy sees the import above; this is its stand-in


class AnalysisError(_Base):
    """Base of every analysis error."""

    status = 400
    code = "analysis_error"


class ModelNotFound(AnalysisError):
    """The requested sentiment model file (or the current-model pointer) does not exist."""

    status = 500
    code = "model_not_found"


class TrainingDataError(AnalysisError):
    """Training or evaluation data is missing, empty or has unusable labels."""

    status = 422
    code = "training_data_invalid"
