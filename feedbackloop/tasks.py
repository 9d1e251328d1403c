"""Background work through Huey: SQLite storage and an in-process consumer by default, Redis and
separate `feedbackloop worker` processes (on any number of machines) in production. One code path."""

from __future__ import annotations

import importlib
import logging
from functools import lru_cache

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from feedbackloop.config import get_settings

log = logging.getLogger(__name__)


@lru_cache
def get_huey() -> Huey:
    settings = get_settings()
    if settings.queue_url.startswith("redis://"):
        return RedisHuey("feedbackloop", url=settings.queue_url, immediate=settings.queue_immediate)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "feedbackloop", filename=str(settings.var_dir / "queue.db"), immediate=settings.queue_immediate
    )


huey = get_huey()


def start_in_process_consumer(workers: int = 2) -> Consumer | None:
    """Run the consumer in threads of this process (the embedded default)."""
    if huey.immediate:
        return None
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
    # The web server owns this process's signals; the consumer's threads stop with stop(graceful=True).
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    log.info("in-process task consumer started with %d workers", workers)
    return consumer


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
