"""Background work through Huey: SQLite storage and an in-process consumer by default, Redis and
separate `feedbackloop worker` processes (on any number of machines) in production. One code path."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from huey import Huey, PriorityRedisExpireHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from feedbackloop.config import get_settings

log = logging.getLogger(__name__)


@lru_cache
def get_huey() -> Huey:
    settings = get_settings()
    if settings.queue_url.startswith("redis://"):
        # PriorityRedisExpireHuey: results expire (a day) instead of piling up, put_if_empty takes a TTL, which
        # the once-per-period claims below use, and a task's priority orders the queue (PRIORITY_* below).
        # Bounded socket waits: with Redis unreachable, intake's enqueue fails within a second (the item is
        # stored and owed; see feedback/tasks.py) instead of hanging the request.
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(
            settings.queue_url, socket_connect_timeout=1, socket_timeout=10, health_check_interval=30
        )
        return PriorityRedisExpireHuey("feedbackloop", connection_pool=pool, immediate=settings.queue_immediate)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "feedbackloop", filename=str(settings.var_dir / "queue.db"), immediate=settings.queue_immediate
    )


huey = get_huey()
# Queue order where the storage keeps one (Redis, SQLite): intake's analysis and triage before everything else,
# the deep tier after everything else, so that a backlog of slow deep work never delays an item's first
# analysis, its SLA clock or its routing.
PRIORITY_INTAKE = 20
PRIORITY_DEEP = -10
# How an idle consumer thread polls the queue. Huey's default backs off to 10 s between polls; with several
# workers, the one whose poll found the queue empty (its peer took the task) then slept through the next
# tasks, and two workers drained no faster than one. Half a second at most costs Redis two reads a second.
POLLING = {"initial_delay": 0.05, "backoff": 1.15, "max_delay": 0.5}


def start_in_process_consumer(workers: int = 2) -> Consumer | None:
    """Run the consumer in threads of this process (the embedded default)."""
    if huey.immediate:
        return None
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=False, **POLLING
    )
    # The web server owns this process's signals; the consumer's threads stop with stop(graceful=True).
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    log.info("in-process task consumer started with %d workers", workers)
    return consumer


F = TypeVar("F", bound=Callable[..., Any])


def claim_period(name: str, seconds: int, now: float | None = None, queue: Huey | None = None) -> bool:
    """Claim this period's run of the periodic task `name` for this process; False if another took it.

    Every worker process runs Huey's scheduler, so each enqueues every periodic task once per period; the
    first to claim the period in the shared queue storage (Redis SET NX with a TTL, or the SQLite queue's
    kv table) runs it, the others skip. Worker clocks must agree to well under a period (NTP).
    """
    queue = queue or huey
    if queue.immediate:
        return True  # tasks run inline in the caller (tests): no other worker to share the period with
    slot = int((time.time() if now is None else now) // seconds)
    key = f"periodic.{name}.{slot}"
    try:
        return bool(queue.put_if_empty(key, "1", seconds * 3))
    except NotImplementedError:  # the SQLite queue has no TTLs: forget an older period's claim instead
        queue.delete(f"periodic.{name}.{slot - 2}")
        return bool(queue.put_if_empty(key, "1"))


def once_per_period(seconds: int) -> Callable[[F], F]:
    """Make a periodic task's body run once per `seconds` across all workers (see claim_period)."""

    def wrap(fn: F) -> F:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not claim_period(fn.__name__, seconds):
                log.info("periodic task %s: this period already ran on another worker", fn.__name__)
                return None
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]  # same signature, wrapped

    return wrap


def not_while_running(name: str, longest: int) -> Callable[[F], F]:
    """Skip a periodic task's run while its previous run still goes on somewhere (a claim in Redis with a TTL
    of `longest` seconds, so that a worker killed mid-run holds it at most that long). Without it, a run that
    outlasts its period (the KPI durations of a 100,000-item import take minutes) was followed by the next
    period's run on another worker, which waited for the first one's locks batch by batch, until every
    worker was busy with the same catch-up and the deep tier, the reports and the rest waited. The next
    period's run picks up whatever the long run left. The embedded queue has no TTLs: there it just runs."""

    def wrap(fn: F) -> F:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            key = f"running.{name}"
            claimed = False
            if not huey.immediate:
                try:
                    if not huey.put_if_empty(key, "1", longest):
                        log.info("periodic task %s: the previous run is still going; this period skips", name)
                        return None
                    claimed = True
                except NotImplementedError:
                    pass
            try:
                return fn(*args, **kwargs)
            finally:
                if claimed:
                    huey.delete(key)

        return inner  # type: ignore[return-value]  # same signature, wrapped

    return wrap


def coalesces() -> bool:
    """Whether intake wakes a drain of owed work instead of queueing a task per batch of new ids: on a
    shared Redis queue (which has TTL claims). The embedded queue and immediate mode (tests) keep one
    task per batch, run for exactly the ids just stored."""
    return not huey.immediate and isinstance(huey, PriorityRedisExpireHuey)


# Functions that re-queue work the database says is owed and no worker finished (lost tasks, dead workers,
# a Redis outage). Each feature registers its own; they run every minute (once across workers) and once,
# a grace period after start, on every worker that starts.
reconcilers: list[Callable[[], int]] = []


def register_reconciler(fn: Callable[[], int]) -> Callable[[], int]:
    if fn not in reconcilers:
        reconcilers.append(fn)
    return fn


@huey.task()
def reconcile_now() -> dict[str, int]:
    """Run every reconciler once (a starting worker schedules this a grace period after it starts)."""
    return {fn.__name__: fn() for fn in reconcilers}


@huey.periodic_task(crontab(minute="*"))
@once_per_period(60)
def reconcile() -> dict[str, int]:
    """Every minute, on one worker: re-queue owed work that no worker finished."""
    return {fn.__name__: fn() for fn in reconcilers}


# The one list of feature modules that define tasks or intake hooks. They import this module for `huey`;
# this module names them only here, as strings, so that it can be loaded without any of them.
TASK_MODULES = (
    "feedbackloop.feedback.import_jobs",
    "feedbackloop.feedback.tasks",
    "feedbackloop.workflow.tasks",
    "feedbackloop.surveys.tasks",
    "feedbackloop.insight.tasks",
    "feedbackloop.ideas.tasks",
)


def load_task_modules() -> None:
    """Import every module in TASK_MODULES so that tasks and intake hooks are registered (every entry point)."""
    for name in TASK_MODULES:
        importlib.import_module(name)
