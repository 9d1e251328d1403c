"""Reading review exports as a stream of numbered rows: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030 detected
on the whole stream, or UTF-8 and GBK lines mixed, decoded line by line) and XLSX (openpyxl read-only, after a check of what its zip unpacks to), with
whole-file errors that say what to do."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections import deque
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from feedbackloop.config import get_settings
from feedbackloop.errors import ImportFailed, PayloadTooLarge
from feedbackloop.feedback.import_encoding import MIXED, PerLineText, scan_lines

SAMPLE_BYTES = 64 * 1024
SAVE_AS = "请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX / please save the file as a UTF-8 or GBK encoded CSV, or as XLSX"
# A review may hold a long quoted field; the csv module's default limit (128 KiB) would reject it as broken
# instead of letting validation say "too long". The limit still bounds memory for an unclosed quote.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


class Record(NamedTuple):
    """One non-blank row of the file: cells, or None with a problem when the row itself is broken."""

    line: int
    cells: list[Any] | None
    raw: str
    problem: str = ""


@dataclass
class Source:
    """A file opened for streaming: headers, an estimated row total and an iterator of numbered rows."""

    file_format: str
    encoding: str | None
    headers: list[str]
    total: int | None
    rows: Iterator[Record]
    closer: Callable[[], None]

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closer()


def open_source(path: Path) -> Source:
    """Open a CSV or XLSX file for streaming, or raise ImportFailed saying what is wrong with it."""
    if not path.is_file():
        raise ImportFailed(f"文件不存在：{path} / file not found")
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ImportFailed("文件是空的，没有表头也没有数据 / the file is empty")
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    _reject_binary(sample)
    return _open_csv(path, sample)


class XlsxLimits(NamedTuple):
    """What an XLSX may unpack to, checked on the zip directory before any of its XML is parsed."""

    max_unpacked: int
    max_ratio: int
    ratio_min_bytes: int
    max_shared_strings: int = 1_000_000

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        s = get_settings()
        return cls(s.xlsx_unpacked_limit(), s.xlsx_max_ratio, s.xlsx_ratio_min_bytes, s.xlsx_max_shared_strings)


def check_archive(path: Path, limits: XlsxLimits | None = None) -> None:
    """If the file is a zip (XLSX), refuse it when it would unpack past the limits: a zip bomb."""
    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            return
    limits = limits or XlsxLimits.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            # The declared sizes can be trusted as bounds: zipfile stops reading a member at its file_size
            # (and then fails the CRC check), so a member that lies about its size cannot unpack to more.
            _check_ratios(members, limits)
            _check_total(members, limits)
            _check_shared_strings(archive, limits)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_a_workbook(exc) from exc


def _check_ratios(members: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise PayloadTooLarge(
                f"XLSX 中的 {info.filename} 压缩比为 {ratio:,.0f}:1（解压后 {_mb(info.file_size)}），"
                f"超过 {limits.max_ratio}:1 的上限，疑似压缩炸弹，已拒绝。如果这是正常的工作簿，请另存为 CSV 后导入"
                f" / {info.filename} in the XLSX is compressed {ratio:,.0f}:1, over the {limits.max_ratio}:1 "
                "limit (a zip bomb?); if the workbook is genuine, save it as CSV and import that"
            )


def _check_total(members: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    total = sum(info.file_size for info in members)
    if total > limits.max_unpacked:
        raise PayloadTooLarge(
            f"XLSX 解压后共 {_mb(total)}，超过 {_mb(limits.max_unpacked)} 的上限。"
            "请删除无关的工作表、另存为 CSV，或拆分成多个文件分批导入"
            f" / the XLSX unpacks to {_mb(total)}, over the {_mb(limits.max_unpacked)} limit; "
            "remove other sheets, save it as CSV, or split it into several files"
        )


# A shared-string entry: <si>, <si …> or a prefixed <x:si>, never <sis…> or <sheet…>.
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _check_shared_strings(archive: zipfile.ZipFile, limits: XlsxLimits) -> None:
    """Count the shared strings by streaming their XML (1 MiB at a time) before openpyxl loads them all."""
    name = next((n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return
    count, tail = 0, b""
    with archive.open(name) as fh:
        while chunk := fh.read(1024 * 1024):
            data = tail + chunk
            # A tag that may run past the chunk's end is counted with the next chunk: tags starting in the
            # last 64 bytes are kept back (a prefix longer than that does not occur in real workbooks).
            cut = max(len(data) - 64, 0)
            count += sum(1 for m in _SHARED_STRING_TAG.finditer(data) if m.start() < cut)
            tail = data[cut:]
            if count > limits.max_shared_strings:
                break
    count += len(_SHARED_STRING_TAG.findall(tail))
    if count > limits.max_shared_strings:
        raise PayloadTooLarge(
            f"XLSX 中的不同文本超过 {limits.max_shared_strings:,} 条，读入会占用过多内存，已拒绝。"
            "请把工作簿另存为 CSV（UTF-8）后导入，CSV 没有这个限制"
            f" / the XLSX holds over {limits.max_shared_strings:,} distinct strings, too many to load safely; "
            "save it as CSV (UTF-8) and import that"
        )


def _mb(size: int) -> str:
    if size < 1 << 20:
        return f"{size / 1024:,.0f} KB"
    return f"{size / (1 << 20):,.1f} MB".replace(".0 MB", " MB")


def _not_a_workbook(exc: Exception) -> ImportFailed:
    return ImportFailed(f"文件是 zip 压缩包但不是有效的 XLSX 工作簿 ({type(exc).__name__})。{SAVE_AS}")


def _reject_binary(sample: bytes) -> None:
    kinds = {b"%PDF": "PDF", b"\xd0\xcf\x11\xe0": "旧版 Excel (.xls) / legacy .xls", b"\x89PNG": "PNG 图片",
             b"\xff\xd8\xff": "JPEG 图片", b"\x1f\x8b": "gzip 压缩包", b"Rar!": "RAR 压缩包", b"7z\xbc\xaf": "7z 压缩包"}  # fmt: skip
    for magic, kind in kinds.items():
        if sample.startswith(magic):
            raise ImportFailed(f"这是 {kind} 文件, 不是 CSV 或 XLSX。{SAVE_AS}")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16_or_binary(sample):
        guess = _guess_encoding(sample)
        raise ImportFailed(f"文件不是文本 CSV (可能是 UTF-16 或二进制文件{guess})。{SAVE_AS}")


def _looks_utf16_or_binary(sample: bytes) -> bool:
    # A stray NUL inside one cell is that row's problem; many NULs, or NULs that vanish when the bytes are
    # read as UTF-16, mean the whole file is UTF-16 or binary.
    nuls = sample.count(b"\x00")
    if nuls < 2:
        return False
    if nuls >= 16 and nuls * 100 >= len(sample):
        return True
    even = sample[: len(sample) // 2 * 2]
    return any(
        "\n" in t and "\x00" not in t for t in (even.decode(e, "replace") for e in ("utf-16-le", "utf-16-be"))
    )


def _guess_encoding(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return f", 检测结果: {best.encoding}" if best is not None else ""


def _detect_csv_encoding(path: Path, sample: bytes) -> tuple[str, int]:
    """UTF-8 (BOM optional), GBK, GB18030 or MIXED (UTF-8 and GBK lines) for the WHOLE file; its record count.

    The sample only says whether to try UTF-8 first: a GBK export whose first 64 KiB are ASCII must not be
    taken for UTF-8, so the choice is checked against the full stream before anything is stored. A file that
    is not UTF-8 throughout is read as GBK / GB18030 only if no line of it is UTF-8: as a whole, UTF-8 and
    GBK pasted together (or UTF-8 with a corrupted line) often decode as GB18030, into mojibake.
    """
    if _decodes(sample, "utf-8-sig"):
        try:
            records = _count_records(path.open(encoding="utf-8-sig", errors="strict", newline=""))
        except UnicodeDecodeError:
            pass
        else:
            # Decoded as utf-8-sig either way; the name tells the user whether the file had a BOM.
            return ("utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"), records
    kinds = scan_lines(path)
    if kinds.utf8 and kinds.gb:
        return MIXED, _count_records(PerLineText(path))
    if not kinds.utf8 and not kinds.bad:
        for encoding in ("gbk", "gb18030"):
            try:
                return encoding, _count_records(path.open(encoding=encoding, errors="strict", newline=""))
            except UnicodeDecodeError:
                continue
    where = f"第 {kinds.first_bad} 行" if kinds.first_bad else "文件"
    raise ImportFailed(
        f"无法识别文件编码（{where}不是 UTF-8 / GBK / GB18030{_guess_encoding(sample)}）。{SAVE_AS}"
    )


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _count_records(text: io.TextIOBase) -> int:
    with text:
        return sum(1 for row in csv.reader(text) if any(row))


class _LineFeed:
    """Lines for csv.reader that remember which physical lines each record used, and can replay some."""

    def __init__(self, stream: io.TextIOBase, undecodable: Container[int] = frozenset()) -> None:
        self.stream = stream
        self.undecodable = undecodable
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.next_no = 1

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            line = self.stream.readline()
            if not line:
                raise StopIteration
            item = (self.next_no, line)
            self.next_no += 1
        self.taken.append(item)
        return item[1]

    def take(self) -> list[tuple[int, str]]:
        taken, self.taken = self.taken, []
        return taken


def _open_csv(path: Path, sample: bytes) -> Source:
    encoding, records = _detect_csv_encoding(path, sample)
    fh = _open_text(path, encoding)
    feed = _LineFeed(fh, fh.undecodable if isinstance(fh, PerLineText) else frozenset())
    records_iter = _csv_records(feed)
    for first in records_iter:
        if first.cells is None:
            fh.close()
            raise ImportFailed(f"表头 (第 {first.line} 行) 无法解析: {first.problem}。{SAVE_AS}")
        headers = [str(c).replace("\ufeff", "").strip() for c in first.cells]
        rows = _fit_columns(records_iter, len(headers))
        return Source("csv", encoding, headers, max(records - 1, 0), rows, fh.close)
    fh.close()
    raise ImportFailed("文件是空的，没有表头也没有数据 / the file is empty")


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    if encoding == MIXED:
        return PerLineText(path)
    return path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="strict", newline="")


def _csv_records(feed: _LineFeed) -> Iterator[Record]:
    """Non-blank records, numbered by their first physical line.

    strict=True makes an unclosed or stray quote an error instead of silently swallowing the rows after
    it; the swallowed lines are then parsed again, so one bad quote costs one row, not the rest of the file.
    """
    reader = csv.reader(feed, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            taken = feed.take()
            if not taken:
                return
            feed.pending.extendleft(reversed(taken[1:]))
            problem = (
                _undecodable(feed, taken[:1])
                or f"CSV 格式错误（引号未闭合或多余引号：{exc}） / malformed CSV row"
            )
            yield Record(taken[0][0], None, taken[0][1], problem)
            continue
        taken = feed.take()
        if any(c.strip() for c in cells):
            raw = "".join(line for _, line in taken)
            problem = _undecodable(feed, taken)
            yield Record(taken[0][0], None if problem else cells, raw, problem)


def _undecodable(feed: _LineFeed, taken: list[tuple[int, str]]) -> str:
    """The problem of a record with a line that is neither UTF-8 nor GBK, or "" when every line decoded."""
    bad = next((number for number, _ in taken if number in feed.undecodable), None)
    if bad is None:
        return ""
    return (
        f"编码无法识别（第 {bad} 行既不是 UTF-8 也不是 GBK / GB18030，可能已损坏），未导入。"
        "请修正该行，或把整个文件另存为 UTF-8"
        f" / line {bad} is neither UTF-8 nor GBK; fix it or save the file as UTF-8"
    )


def _fit_columns(records: Iterator[Record], width: int) -> Iterator[Record]:
    for record in records:
        cells = record.cells
        if cells is not None and len(cells) != width:
            if len(cells) > width and not any(c is not None and str(c).strip() for c in cells[width:]):
                record = record._replace(cells=cells[:width])  # trailing empty cells, as Excel writes them
            else:
                problem = f"列数不符：表头 {width} 列，此行 {len(cells)} 列 / wrong number of columns"
                record = record._replace(cells=None, problem=problem)
        yield record


def _open_xlsx(path: Path) -> Source:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_archive(path)
    try:
        with warnings.catch_warnings():
            # Files from WPS and online tools often lack a default style; openpyxl warns and copes.
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _not_a_workbook(exc) from exc
    ws = wb.active if wb.active is not None else wb.worksheets[0]
    rows = _xlsx_records(ws.iter_rows(values_only=True))
    for first in rows:
        headers = [cell_text(c) or "" for c in first.cells or []]
        while headers and not headers[-1]:
            headers.pop()
        total = (ws.max_row - 1) if ws.max_row else None
        return Source("xlsx", None, headers, total, _to_width(rows, len(headers)), wb.close)
    wb.close()
    raise ImportFailed("工作簿的第一个工作表是空的 / the first worksheet is empty")


def _xlsx_records(rows: Iterator[tuple[Any, ...]]) -> Iterator[Record]:
    for n, values in enumerate(rows, start=1):
        cells = list(values)
        if any(c is not None and str(c).strip() for c in cells):
            yield Record(n, cells, ",".join("" if c is None else str(c) for c in cells))


def _to_width(rows: Iterator[Record], width: int) -> Iterator[Record]:
    # A sheet has no "wrong column count": rows are as wide as its widest row, and a note typed in a
    # column without a header is ignored like any unmapped column.
    for record in rows:
        cells = record.cells or []
        yield record._replace(cells=(cells + [None] * (width - len(cells)))[:width])


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        # Phone numbers and ids typed into Excel come back as floats: 13812345678.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = str(value).strip()
    return text or None
