"""The Chinese side of every product message ("中文 / English": errors, notifications, history reasons, CLI
help) uses full-width punctuation (，：；？！（）), as a Chinese reader expects; the check reads the source, so a
new message written with "，" typed as ", " fails here before anyone sees it."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import feedbackloop
from feedbackloop.lib import humanize

CJK = humanize.CJK.pattern  # the product's own notion of a Chinese character
HALF_WIDTH = [
    re.compile(rf"{CJK}[,;!?]"),  # 中文, 中文; 中文? 中文!
    re.compile(rf"{CJK}:(?: |{CJK}|$)"),  # 原因: … (a colon inside a code such as aspect:早餐:negative is fine)
    re.compile(rf"[,;] {CJK}"),  # {placeholder}, 请…
    re.compile(rf"{CJK} ?\([^)]*\)|\([^)]*{CJK}[^)]*\)"),  # (免打扰期)
]


def _messages() -> list[tuple[str, int, str]]:
    found = []
    for path in Path(feedbackloop.__file__).parent.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and " / " in token.string:
                zh = token.string.split(" / ", 1)[0]
                if re.search(CJK, zh):
                    found.append((str(path.relative_to(path.parents[1])), token.start[0], re.sub(r"\{[^{}]*\}", "X", zh)))
    return found


def test_the_chinese_side_of_every_message_uses_full_width_punctuation():
    messages = _messages()
    assert len(messages) > 200  # the scan sees the product's messages
    bad = [f"{path}:{line}: {zh}" for path, line, zh in messages if any(rx.search(zh) for rx in HALF_WIDTH)]
    assert bad == [], "\n".join(bad)
