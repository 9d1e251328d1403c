"""Markup in customer text: HTML that a mail, a platform export or a web form carried along.

A review exported from a platform often holds `<br>` and `&nbsp;`, an HTML mail whole `<div style=...>` blocks.
The stored text stays as the customer sent it (pages escape it); what reads the text (the analysis, keywords,
mentions, themes, mail intake) sees `to_text`, so that "div", "nbsp" or "span" never become a keyword or a
product. Only what is unmistakably markup goes: a tag is `<` followed by a letter (so a price "<100 yuan" and
"1 < 2" stay), an entity is a complete `&name;` or `&#123;` (so "AT&T" stays).
"""

from __future__ import annotations

import html
import re

_HIDDEN = re.compile(r"<(script|style|head|title)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BREAK = re.compile(r"<(?:br|/p|/div|/li|/tr|/h[1-6])\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def to_text(text: str) -> str:
    """The text without tags, comments, scripts and styles, entities decoded; line breaks where the markup
    broke lines. Text without `<` or `&` comes back as it is (the common case costs two scans)."""
    if "<" not in text and "&" not in text:
        return text
    if "<" in text:
        text = _HIDDEN.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _BREAK.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    return text
