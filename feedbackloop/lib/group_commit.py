"""Group commit: items that several threads of one process store at the same moment go through one unit of
work, run by one of those threads (the leader), instead of one transaction each.

Nothing waits for company: a thread that finds no unit of work running leads at once with whatever is pending
(often only its own item). While it works, the items of the threads that arrive queue up, and the next of them
to wake takes them all. So under load a transaction carries as many items as arrived during the previous one,
and a lone caller pays nothing extra. Every caller still returns only after its own item is committed (and
after whatever `work` runs after the commit), exactly as if it had run `work` alone.

If a shared unit of work fails, each of its callers runs `work` again for its own item alone, so that one bad
item (a value the database refuses, say) fails only its own request, and an outage fails each caller with its
own error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")


@dataclass
class _Slot(Generic[T, R]):
    item: T
    done: bool = False
    alone: bool = False
    result: R | None = None
    error: Exception | None = None  # raised in its own caller's thread (a unit of work of its item alone)


class GroupCommit(Generic[S, T, R]):
    """Runs `work(context, items) -> one result per item` for concurrent callers' items together.

    `context` is the leader's (its database session, for example); `work` must commit before it returns.
    """

    def __init__(self, work: Callable[[S, list[T]], list[R]], max_items: int = 500) -> None:
        self._work = work
        self._max = max_items
        self._cond = threading.Condition()
        self._pending: list[_Slot[T, R]] = []
        self._busy = False
        self.batches = 0  # units of work run, and items they carried (for tests and metrics)
        self.items = 0

    def submit(self, context: S, item: T, on_failure: Callable[[S], None] | None = None) -> R:
        """Store `item` (with whatever else is pending) and return its result; `on_failure(context)` cleans up
        the leader's context after a failed shared run (a session's rollback)."""
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._pending.append(slot)
        while True:
            with self._cond:
                while not slot.done and self._busy:
                    self._cond.wait()
                if slot.done:
                    break
                self._busy = True
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            try:
                self._run(context, batch, on_failure)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        if slot.alone:
            return self._work(context, [item])[0]
        return slot.result  # type: ignore[return-value]  # set with done unless alone

    def _run(self, context: S, batch: list[_Slot[T, R]], on_failure: Callable[[S], None] | None) -> None:
        if len(batch) == 1:  # the leader's own item (it queued it before it could lead)
            try:
                batch[0].result = self._work(context, [batch[0].item])[0]
            except Exception as exc:
                batch[0].error = exc
            finally:
                batch[0].done = True
            return
        try:
            results = self._work(context, [s.item for s in batch])
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
            self.batches += 1
            self.items += len(batch)
        except Exception:
            for slot in batch:
                slot.alone = True
            if on_failure is not None:
                try:
                    on_failure(context)
                except Exception:  # noqa: BLE001 - a rollback on a dead connection: each caller retries its own
                    pass
        finally:
            for slot in batch:
                slot.done = True
