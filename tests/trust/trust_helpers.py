"""Helpers for the trust tests (a module name of its own: several test folders have a conftest.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from auth_helpers import ADMIN_PASSWORD  # noqa: F401  (re-exported for the trust tests)

from feedbackloop.db import get_engine, get_sessionmaker
from feedbackloop.models import Base
from feedbackloop.webhooks.services import sign


def wipe() -> None:
    """Empty every table."""
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def signed_delivery(secret: str, event: dict[str, Any], *, ts: object = None, signature: str | None = None
                    ) -> tuple[bytes, dict[str, str]]:  # fmt: skip
    """The body and headers of a webhook delivery signed with `secret` (or with the given signature)."""
    body = json.dumps(event, ensure_ascii=False).encode()
    stamp = str(int(time.time())) if ts is None else str(ts)
    headers = {
        "Content-Type": "application/json",
        "X-FeedbackLoop-Timestamp": stamp,
        "X-FeedbackLoop-Signature": signature or sign(secret, stamp, body),
    }
    return body, headers


def deliver(client: Any, secret: str, event: dict[str, Any], *, ts: object = None, signature: str | None = None,
            source: str = "crm") -> Any:  # fmt: skip
    """POST one signed webhook delivery through `client` (a TestClient or an httpx client)."""
    body, headers = signed_delivery(secret, event, ts=ts, signature=signature)
    return client.post(f"/api/v1/webhooks/{source}", content=body, headers=headers)


def write_concurrently(writers: int, work: Callable[[Any, int], None]) -> list[BaseException]:
    """Run `work(session, n)` in `writers` threads at once, each with its own writer session; the errors."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        session = get_sessionmaker()()
        try:
            work(session, n)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
