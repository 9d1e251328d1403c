"""A fixed-window, per-client rate limit for public endpoints (per process; behind a proxy, per instance)."""

from __future__ import annotations

import threading
import time

from fastapi import Request

from feedbackloop.config import get_settings
from feedbackloop.errors import RateLimited

_lock = threading.Lock()
_hits: dict[tuple[str, int], int] = {}


def limit_public(request: Request) -> None:
    """Count this request against its client's per-minute budget; raise 429 past it."""
    client = request.client.host if request.client else "unknown"
    window = int(time.time() // 60)
    budget = get_settings().public_rate_limit_per_minute
    with _lock:
        if len(_hits) > 10_000:
            for key in [k for k in _hits if k[1] < window]:
                del _hits[key]
        count = _hits.get((client, window), 0) + 1
        _hits[(client, window)] = count
    if count > budget:
        raise RateLimited(f"提交过于频繁, 请稍后再试 (每分钟最多 {budget} 次) / too many submissions, retry in a minute")


def reset() -> None:
    with _lock:
        _hits.clear()
