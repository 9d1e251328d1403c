"""Masking of personal contact data for display, exports and logs (SPEC §2)."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^([^@\s]+)@([^@\s]+)$")
_DIGITS = re.compile(r"\d")


def mask_contact(value: str | None) -> str:
    """`13812345678` → `138****5678`, `zhang@example.com` → `z***@example.com`."""
    if not value:
        return ""
    value = value.strip()
    m = _EMAIL.match(value)
    if m:
        return f"{m.group(1)[0]}***@{m.group(2)}"
    digits = _DIGITS.findall(value)
    if len(digits) >= 7:
        d = "".join(digits)
        return f"{d[:3]}****{d[-4:]}"
    if len(value) <= 2:
        return "*" * len(value)
    return f"{value[0]}{'*' * (len(value) - 2)}{value[-1]}"


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_pii_in_text(text: str) -> str:
    """Mask mobile numbers and e-mail addresses that customers write into free text."""
    text = _PHONE_IN_TEXT.sub(r"\1****\2", text)
    return _EMAIL_IN_TEXT.sub(r"\1***@\2", text)
