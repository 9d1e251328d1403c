"""A fixed-window, per-client rate limit for public endpoints and the sign-in throttle.

With Redis configured (sharedstate) the counts are shared by every web node and process, so that a client
gets the same budget whichever node answers; without it (or while Redis is down) each process counts alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from feedbackloop import sharedstate
from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User
from feedbackloop.config import get_settings
from feedbackloop.errors import AuthenticationFailed, RateLimited

T = TypeVar("T")
_lock = threading.Lock()
_hits: dict[tuple[str, int], int] = {}


def _now() -> float:
    """The clock the windows are cut from (tests pin it so that a run never straddles a minute)."""
    return time.time()


def limit_public(request: Request) -> None:
    """Count this request against its client's per-minute budget; raise 429 past it."""
    client = _client(request)
    window = int(_now() // 60)
    budget = get_settings().public_rate_limit_per_minute
    count = _count(client, window)
    if count > budget:
        raise RateLimited(f"提交过于频繁，请稍后再试（每分钟最多 {budget} 次） / too many submissions, retry in a minute")


def limit_public_reads(request: Request) -> None:
    """Public pages and read APIs (the idea board, the changelog): 10 × the submission budget, counted apart,
    so that reading never uses up a customer's submissions and a scraper is still cut off."""
    limit_bucket(request, "public-read", 10 * get_settings().public_rate_limit_per_minute)


def limit_bucket(request: Request, bucket: str, budget: int) -> None:
    """Like limit_public, for one feature's own per-client budget (votes, verification codes, public reads);
    shared across nodes like every count here."""
    count = _count(f"{bucket}:{_client(request)}", int(_now() // 60))
    if count > budget:
        wait = 60 - int(_now() % 60)
        raise RateLimited(
            f"操作过于频繁，请 {wait} 秒后再试（每分钟最多 {budget} 次） / too many requests, retry in {wait} s",
            retry_after=wait,
        )


def check_login_budget(request: Request) -> None:
    """Refuse a sign-in attempt from a client that failed too often this minute (429, before any work)."""
    _check_failures(
        request, "login", get_settings().login_failures_per_minute,
        "登录失败次数过多，请 {wait} 秒后再试 / too many failed sign-ins from this address, retry in {wait} s",
    )  # fmt: skip


def authenticate(request: Request, session: Session, username: str, password: str) -> User:
    """Sign-in through the per-client throttle: refused (429) past the budget, each failure counted."""
    check_login_budget(request)
    try:
        return accounts.authenticate(session, username, password)
    except AuthenticationFailed:
        count_login_failure(request)
        raise


def count_login_failure(request: Request) -> None:
    _count_failure(request, "login")


def limit_unverified(request: Request, verify: Callable[[], T]) -> T:
    """A signed request (a webhook): only deliveries that fail verification count against the client's public
    budget, so a partner's valid traffic is never dropped while a forger is cut off after the budget."""
    _check_failures(
        request, "unverified", get_settings().public_rate_limit_per_minute,
        "签名错误的请求过多，请 {wait} 秒后再试 / too many requests with a bad signature, retry in {wait} s",
    )  # fmt: skip
    try:
        return verify()
    except AuthenticationFailed:
        _count_failure(request, "unverified")
        raise


def _check_failures(request: Request, kind: str, budget: int, message: str) -> None:
    window = int(_now() // 60)
    name = f"{kind}:{_client(request)}"
    failures = sharedstate.get_count(_shared_key(name, window))
    if failures is None:
        with _lock:
            failures = _hits.get((name, window), 0)
    if failures >= budget:
        wait = 60 - int(_now() % 60)
        raise RateLimited(message.format(wait=wait), retry_after=wait)


def _count_failure(request: Request, kind: str) -> None:
    _count(f"{kind}:{_client(request)}", int(_now() // 60))


def _shared_key(name: str, window: int) -> str:
    return f"feedbackloop.rl.{name}.{window}"


def _count(name: str, window: int) -> int:
    """Count one more hit of `name` in this minute's window: in Redis if it answers, else in this process."""
    shared = sharedstate.incr_window(_shared_key(name, window), 60)
    if shared is not None:
        return shared
    with _lock:
        if len(_hits) > 10_000:
            for old in [k for k in _hits if k[1] < window]:
                del _hits[old]
        count = _hits.get((name, window), 0) + 1
        _hits[(name, window)] = count
    return count


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def reset() -> None:
    """Forget every count (tests): this process's and, when Redis is configured, the shared ones."""
    with _lock:
        _hits.clear()
    client = sharedstate.get_redis()
    if client is not None:
        try:
            keys = list(client.scan_iter(match="feedbackloop.rl.*"))
            if keys:
                client.delete(*keys)
        except Exception:  # Redis down: nothing shared to forget
            pass
