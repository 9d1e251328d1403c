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


# A mainland mobile as people write it: 13812345678, +86 138-1234-5678, 0086 138 1234 5678, full-width digits
# (\d is any Unicode digit); and a landline with its area code and a hyphen, 010-12345678.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)((?:\+\s?86|0086|86)[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<![\d-])(0\d{2,3})-\d{3,4}[\s-]?(\d{4})(?![\d-])")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_EMAIL_IN_TEXT = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_pii_in_text(text: str) -> str:
    """Mask mobile numbers and e-mail addresses that customers write into free text."""
    text = text.translate(_FULL_WIDTH_DIGITS)  # １３８… is read as 138… (and shown so)
    text = _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}", text)
    text = _LANDLINE_IN_TEXT.sub(r"\1-****\2", text)
    return _EMAIL_IN_TEXT.sub(r"\1***@\2", text)
