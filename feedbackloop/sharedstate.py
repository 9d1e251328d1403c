"""State that every web node must see alike (public rate limits, the sign-in throttle): Redis when configured
(`FEEDBACKLOOP_REDIS_URL`, or the queue's Redis), otherwise this process's memory.

Redis being down must not take intake down with it: a counter that cannot reach Redis answers None and the
caller counts in process memory until Redis answers again (a limit per node for that time, never a 500).
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import Any

from feedbackloop.config import get_settings

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = 5.0  # seconds without asking Redis after a failed call (no 0.5 s stall per request)
_down_until = 0.0


@lru_cache
def get_redis() -> Any | None:
    """A client for the shared Redis, or None when none is configured."""
    url = get_settings().shared_redis_url()
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


def incr_window(key: str, window_seconds: int, amount: int = 1) -> int | None:
    """Add `amount` to the counter `key` (which expires with its window) and return the new count;
    None when no Redis is configured or it cannot be reached right now."""
    global _down_until
    client = get_redis()
    if client is None or time.monotonic() < _down_until:
        return None
    try:
        pipe = client.pipeline()
        pipe.incrby(key, amount)
        pipe.expire(key, window_seconds * 2)
        return int(pipe.execute()[0])
    except Exception as exc:  # redis.RedisError, OSError: any failure means "not available now"
        _down_until = time.monotonic() + RETRY_AFTER_FAILURE
        log.warning(
            "shared Redis unavailable (%s): counting in this process for %.0f s", exc, RETRY_AFTER_FAILURE
        )
        return None


def get_count(key: str) -> int | None:
    """The counter's value (0 if unset), or None when Redis is not configured or not reachable."""
    global _down_until
    client = get_redis()
    if client is None or time.monotonic() < _down_until:
        return None
    try:
        value = client.get(key)
        return int(value or 0)
    except Exception as exc:
        _down_until = time.monotonic() + RETRY_AFTER_FAILURE
        log.warning("shared Redis unavailable (%s)", exc)
        return None


def reset() -> None:
    """Forget the client (tests switch settings)."""
    global _down_until
    _down_until = 0.0
    get_redis.cache_clear()
