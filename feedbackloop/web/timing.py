"""Request latency into the Prometheus histogram, labelled by route template (not by raw path: ids would
make one series per item)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from feedbackloop.ops.metrics import REQUEST_SECONDS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class RequestTiming:
    """A small ASGI middleware: one histogram observation per HTTP request, at the end of its response."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched"
            )
            REQUEST_SECONDS.labels(scope["method"], route, str(status[0])).observe(
                time.perf_counter() - start
            )
