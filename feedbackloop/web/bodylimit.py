"""Refuse oversized request bodies with 413 before anything parses them (a small ASGI middleware)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

# Unauthenticated endpoints get a small budget: a full web-form submission is well under 100 KiB.
PUBLIC_PREFIXES = ("/api/v1/public/", "/api/v1/webhooks/", "/public/", "/f/", "/s/", "/status/", "/survey")
PUBLIC_LIMIT = 256 * 1024
# A JSON body is a command or one item: 1 MiB is generous (a bulk action over 500 ids is ~15 KiB). Only the batch
# intake carries many items in one JSON body; files come as multipart under the upload limit.
JSON_LIMIT = 1024 * 1024
LARGE_JSON_PATHS = ("/api/v1/feedback/batch",)


class BodySizeLimit:
    """413 when Content-Length (or, for chunked bodies, the bytes actually sent) exceeds the path's limit."""

    def __init__(self, app: ASGIApp, default_limit: int, public_limit: int = PUBLIC_LIMIT) -> None:
        self.app = app
        self.default_limit = default_limit
        self.public_limit = public_limit

    def limit_for(self, path: str, content_type: bytes = b"") -> int:
        if path.startswith(PUBLIC_PREFIXES):
            return self.public_limit
        if content_type.startswith(b"application/json") and not path.startswith(LARGE_JSON_PATHS):
            return min(JSON_LIMIT, self.default_limit)
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        limit = self.limit_for(scope["path"], headers.get(b"content-type", b"").lower())
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit first, then hand the buffered body on.
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _human(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"请求内容过大，上限为 {_human(limit)}，请缩小后重试 / request body too large, limit {_human(limit)}",
                "details": {"limit_bytes": limit},
            }
        },
        ensure_ascii=False,
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
