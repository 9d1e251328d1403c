"""Files whose lines are in different encodings: UTF-8 and GBK rows pasted into one CSV, decoded line by line.

Read as a whole, such a file is valid GB18030 more often than not (UTF-8 Chinese is a valid GB18030 byte
sequence whenever its runs have an even length), and "质量很好，物流快" was stored as "璐ㄩ噺寰堝ソ锛岀墿娴佸揩"
with no row rejected. Each physical line is therefore classified on its own.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIXED", "LineKinds", "PerLineText", "decode_line", "scan_lines"]

# Reported as the file's encoding when its lines were decoded one by one.
MIXED = "utf-8+gb18030"
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")  # CJK punctuation, kana, ideographs, full-width forms


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """One physical line as (encoding, text): "ascii", "utf-8", "gb18030", or ("", None) when it is neither.

    Strict UTF-8 wins: GBK text is rarely valid UTF-8, UTF-8 Chinese often valid GB18030. The exception is a
    GBK line of one or two characters, which can be valid UTF-8 made only of letters below U+0800 (之 →
    U+05AE); a line whose UTF-8 reading has no character from U+0800 up (no Chinese) is read as GB18030
    when it is valid GB18030. A line that is nearly valid UTF-8 (a cut or corrupted character) is neither,
    even if GB18030 accepts its bytes: decoding it as GB18030 would store mojibake.
    """
    if raw.isascii():
        return "ascii", raw.decode("ascii")
    utf8 = _strict(raw, "utf-8")
    if utf8 is not None and max(utf8) >= "\u0800":
        return "utf-8", utf8
    gb = _strict(raw, "gb18030")
    if gb is None:
        return ("utf-8", utf8) if utf8 is not None else ("", None)
    if utf8 is None and _broken_utf8(raw):
        return "", None
    return "gb18030", gb


def _strict(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _broken_utf8(raw: bytes) -> bool:
    # Read as UTF-8, a Chinese UTF-8 line with one bad byte gives one replacement among many Chinese
    # characters; a GBK line gives replacements and stray letters (Hangul, Hebrew, Latin), rarely Chinese.
    text = raw.decode("utf-8", "replace")
    return len(_CJK.findall(text)) > 2 * text.count("\ufffd")


@dataclass
class LineKinds:
    """How many non-ASCII lines of a file are UTF-8, GB18030, or neither; and the first that is neither."""

    utf8: int = 0
    gb: int = 0
    bad: int = 0
    first_bad: int | None = None


def scan_lines(path: Path) -> LineKinds:
    """Classify every physical line of the file with decode_line."""
    kinds = LineKinds()
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            encoding, _ = decode_line(raw)
            if encoding == "utf-8":
                kinds.utf8 += 1
            elif encoding == "gb18030":
                kinds.gb += 1
            elif not encoding:
                kinds.bad += 1
                kinds.first_bad = kinds.first_bad or number
    return kinds


class PerLineText(io.TextIOBase):
    """The text of a mixed file, each physical line decoded with decode_line.

    A line that is neither UTF-8 nor GB18030 is returned with its bad bytes as \\x escapes, and its number is
    kept in `undecodable`, so that the row it belongs to is rejected instead of stored.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._fh = path.open("rb")
        self._line_no = 0
        self.undecodable: set[int] = set()

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]  # typeshed's _IOBase: bytes
        raw = self._fh.readline()
        if not raw:
            return ""
        self._line_no += 1
        _, text = decode_line(raw)
        if text is None:
            self.undecodable.add(self._line_no)
            return raw.decode("utf-8", "backslashreplace")
        return text

    def close(self) -> None:
        self._fh.close()
        super().close()
