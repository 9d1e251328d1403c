"""Durations as people say them: 2 小时 30 分 / 2 h 30 min, never a bare count of minutes."""

from __future__ import annotations

import re

# A Chinese character (CJK ideographs, extension A included): where the product asks "is this text Chinese?".
CJK = re.compile(r"[\u3400-\u9fff]")

_UNITS = {
    "zh-CN": (("天", 86400), ("小时", 3600), ("分", 60)),
    "en": (("d", 86400), ("h", 3600), ("min", 60)),
}


def duration(seconds: float | None, lang: str = "zh-CN") -> str:
    """The two largest units of a span: 3 天 4 小时, 2 小时 30 分, 15 分 (under a minute: 不到 1 分)."""
    if seconds is None:
        return ""
    left = int(abs(seconds))
    units = _UNITS.get(lang, _UNITS["zh-CN"])
    parts: list[str] = []
    for name, size in units:
        count, left = divmod(left, size)
        if count or parts:
            parts.append(f"{count} {name}")
        if len(parts) == 2:
            break
    parts = [p for p in parts if not p.startswith("0 ")]
    if not parts:
        return "不到 1 分" if lang != "en" else "under 1 min"
    return " ".join(parts)


def minutes(value: int | None, lang: str = "zh-CN") -> str:
    """A setting stored in minutes, said in human units (90 → 1 小时 30 分)."""
    return duration((value or 0) * 60, lang) if value else ("0 分" if lang != "en" else "0 min")


def both_sides(message: str) -> tuple[str, str]:
    """(Chinese, English) of a "中文 / English" message; a message in one language is both."""
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def localize_message(message: str, lang: str) -> str:
    """Pick one side of a product message written as "中文 / English" (errors, notifications, history reasons:
    stored once, shown in the reader's language); a message without the separator is returned as it is."""
    zh, sep, en = message.partition(" / ")
    if not sep:
        return message
    return en[:1].upper() + en[1:] if lang == "en" else zh
