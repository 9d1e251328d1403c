"""One error tree: every error has an HTTP status, a stable code and a message a user can act on."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


class FeedbackLoopError(Exception):
    """Base of every error the product reports to a user."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as the Retry-After header when set

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class ValidationFailed(FeedbackLoopError):
    status = 422
    code = "validation_failed"


def unknown_values(bad: Mapping[str, Collection[str]]) -> ValidationFailed:
    """The 422 for filter values outside their choices: which parameters, and the values each accepts."""
    names = list(bad)
    allowed = "；".join(f"{n} 可选 {'、'.join(c)}" for n, c in bad.items())
    allowed_en = "; ".join(f"{n} accepts {', '.join(c)}" for n, c in bad.items())
    return ValidationFailed(f"无法识别的筛选值：{'、'.join(names)}（{allowed}） / "
                            f"Unknown filter value: {', '.join(names)} ({allowed_en})", details={"fields": names})  # fmt: skip


class NotFound(FeedbackLoopError):
    status = 404
    code = "not_found"


class Conflict(FeedbackLoopError):
    status = 409
    code = "conflict"


class AuthenticationFailed(FeedbackLoopError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(FeedbackLoopError):
    status = 403
    code = "forbidden"


class RateLimited(FeedbackLoopError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds, sent as the Retry-After header


class PayloadTooLarge(FeedbackLoopError):
    status = 413
    code = "payload_too_large"


class DatabaseBusy(FeedbackLoopError):
    """The database did not give this request its lock or connection in time; trying again later will work."""

    status = 503
    code = "database_busy"
    retry_after = 5


class ImportFailed(FeedbackLoopError):
    """A whole file could not be read (as opposed to single bad rows, which are reported per row)."""

    status = 422
    code = "import_failed"
