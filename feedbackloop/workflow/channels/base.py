"""The channel adapter interface: one small class per vendor, chosen by configuration.

An adapter turns (recipient, text, status link) into one provider request and reports a Delivery; it knows
nothing of the database. `feedbackloop.workflow.channels.send_to_customer` picks the adapter."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

TIMEOUT_SECONDS = 10


@dataclass
class Delivery:
    """What happened to one message: sent (with the provider's message id), failed (with the reason), or
    manual (no provider configured for this channel: a person has to call the customer — 待人工外呼)."""

    channel: str  # email | sms | wechat | phone
    state: str  # sent | failed | manual
    provider: str | None = None
    to: str | None = None
    message_id: str | None = None
    error: str | None = None
    text: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == "sent"


class ChannelError(Exception):
    """A provider refused or could not be reached; the message is the reason shown to the agent."""


class Adapter(Protocol):
    name: str  # e.g. aliyun_sms
    channel: str  # sms | wechat | email

    def send(self, to: str, text: str, link: str, *, reference: str = "") -> Delivery: ...


def http_json(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """One HTTP request with a JSON answer; network and HTTP errors become ChannelError."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  (configured https/http endpoint)
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise ChannelError(f"HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"无法连接短信/微信服务: {exc}") from exc
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ChannelError(f"服务返回的不是 JSON: {raw[:200]!r}") from exc
    if not isinstance(data, dict):
        raise ChannelError(f"服务返回了意外的内容: {raw[:200]!r}")
    return data


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (SMS and template fields have hard limits)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
