"""Plain-text tables that line up in a terminal when they hold Chinese (issue 13).

Python's `f"{text:<8}"` pads by characters, but a terminal draws an East Asian wide character (汉字, full-width
punctuation) two cells wide, so a column of Chinese labels pushes every column after it out of line. Widths here
are display widths: rich's `cell_len` (rich is already a dependency of the CLI), which counts wide and full-width
characters as 2 and combining marks as 0. Every CLI table and the report's text form go through `table`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len

__all__ = ["display_width", "pad", "table"]


def display_width(text: str) -> int:
    """The number of terminal cells `text` takes (a Chinese character takes 2)."""
    return cell_len(text)


def pad(text: object, width: int, align: str = "<") -> str:
    """`text` padded with spaces to `width` display cells: "<" left, ">" right, "^" centred."""
    value = str(text)
    gap = max(width - display_width(value), 0)
    if align == ">":
        return " " * gap + value
    if align == "^":
        return " " * (gap // 2) + value + " " * (gap - gap // 2)
    return value + " " * gap


def table(rows: Iterable[Sequence[object]], align: str = "", indent: str = "  ", gap: str = "  ") -> list[str]:
    """The rows as lines of columns lined up by display width. `align` holds one of "<", ">", "^" per column
    (missing ones are "<"); trailing spaces are cut, so an empty last column leaves no blank tail."""
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        return []
    columns = max(len(row) for row in cells)
    widths = [max((display_width(row[i]) for row in cells if i < len(row)), default=0) for i in range(columns)]
    lines = []
    for row in cells:
        parts = [pad(value, widths[i], align[i] if i < len(align) else "<") for i, value in enumerate(row)]
        lines.append((indent + gap.join(parts)).rstrip())
    return lines
