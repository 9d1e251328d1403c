"""CSV / XLSX import of review-platform and CRM exports (SPEC §3): streaming reader, column mapping,
per-row validation with zh-CN reasons, and idempotent ingest in committed chunks."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import tempfile
import warnings
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy.orm import Session

from feedbackloop.config import get_settings
from feedbackloop.errors import ImportFailed, PayloadTooLarge, ValidationFailed
from feedbackloop.feedback import services
from feedbackloop.feedback.models import CHANNELS
from feedbackloop.feedback.schemas import MAX_CONTENT, FeedbackCreate
from feedbackloop.lib import textnorm

__all__ = [
    "CHUNK_SIZE",
    "FIELD_ALIASES",
    "ImportReport",
    "RejectedRow",
    "import_file",
    "import_upload",
    "parse_mapping_json",
    "parse_mapping_option",
]

CHUNK_SIZE = 1000
SAMPLE_BYTES = 64 * 1024
RAW_PREVIEW = 300
SAVE_AS = "请另存为 UTF-8 或 GBK 编码的 CSV, 或 XLSX / please save the file as a UTF-8 or GBK encoded CSV, or as XLSX"
# A review may hold a long quoted field; the csv module's default limit (128 KiB) would reject it as broken
# instead of letting validation say "too long". The limit still bounds memory for an unclosed quote.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

# Normalised header (see _header_key) → FeedbackCreate field.
FIELD_ALIASES: dict[str, str] = {}
for _field, _names in {
    "content": "评论内容 评价内容 内容 评论 反馈内容 评价 反馈 留言 意见 问题描述 review content comment text feedback",
    "rating": "评分 星级 打分 评星 分数 rating score stars",
    "customer_name": "昵称 用户名 用户 客户名称 姓名 客户 客户姓名 用户昵称 买家 买家昵称 nickname name username customer",
    "received_at": "时间 评论时间 评价时间 日期 创建时间 反馈时间 提交时间 time date datetime created createdat",
    "contact": "手机 手机号 手机号码 电话 联系电话 联系方式 邮箱 email phone mobile",
    "external_id": "订单号 评价id 评论id id 编号 externalid",
    "product": "商品 商品名称 产品 产品名称 门店 店铺 product",
    "region": "地区 城市 省份 region city",
    "channel": "渠道 平台 来源 channel platform",
    "problem_type": "问题类型 problemtype",
    "expected_solution": "期望 期望解决方案 expectedsolution",
    "industry": "行业 部门 industry",
    "touchpoint": "触点 touchpoint",
    "module": "模块 module",
    "occurred": "发生时间 occurred",
    "product_version": "版本 产品版本 version",
}.items():
    for _name in _names.split():
        FIELD_ALIASES[_name] = _field

# Fields a column may be mapped to (explicitly or automatically).
TARGET_FIELDS = set(FeedbackCreate.model_fields) - {"consent_public", "customer_type"}
FIELD_LABELS = {
    "content": "内容", "rating": "评分", "customer_name": "昵称", "received_at": "时间", "contact": "联系方式",
    "external_id": "编号", "product": "商品", "region": "地区", "channel": "渠道", "problem_type": "问题类型",
    "expected_solution": "期望解决方案",
}  # fmt: skip

CHANNEL_ALIASES: dict[str, str] = {code: code for code in CHANNELS}
CHANNEL_ALIASES.update({label.lower(): code for code, label in CHANNELS.items()})
CHANNEL_ALIASES.update(
    {"天猫商城": "tmall", "淘宝天猫": "tmall", "京东商城": "jd", "美团外卖": "meituan", "点评": "dianping",
     "大众点评网": "dianping", "网页": "web_form", "官网": "web_form", "客服": "chat", "问卷调查": "survey"}
)  # fmt: skip

_CN_DIGITS = {c: n for n, c in enumerate("零一二三四五六七八九十")} | {"两": 2}
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass
class RejectedRow:
    """One row that was not stored, with its line (CSV) or row (XLSX) number and the reason."""

    line: int
    reason: str
    raw: str


@dataclass
class ImportReport:
    """What an import did: counts, every rejected row, and how the file was read."""

    file_format: str = "csv"
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    total_rows: int = 0
    created: int = 0
    existing: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the upload endpoint."""
        return {
            "format": self.file_format,
            "encoding": self.encoding,
            "mapping": self.mapping,
            "ignored_columns": self.ignored_columns,
            "total_rows": self.total_rows,
            "created": self.created,
            "existing": self.existing,
            "rejected": [{"line": r.line, "reason": r.reason, "raw": r.raw} for r in self.rejected],
        }


class _RowError(Exception):
    """A single row cannot be stored; the message is the user-facing reason (without the line prefix)."""


Progress = Callable[[int, int | None], None]


class _Record(NamedTuple):
    """One non-blank row of the file: cells, or None with a problem when the row itself is broken."""

    line: int
    cells: list[Any] | None
    raw: str
    problem: str = ""


# ---------------------------------------------------------------------------------------------- public API


def import_file(
    session: Session,
    path: str | Path,
    *,
    channel: str = "import",
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_rows: int | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file through feedback.services.ingest, one committed transaction per chunk.

    Raises ImportFailed when the whole file is unusable; bad rows are reported in the result instead.
    `max_rows` stops after that many data rows (used to resume-test and to preview).
    """
    if channel not in CHANNELS:
        raise ImportFailed(f"未知渠道 '{channel}', 可用: {', '.join(CHANNELS)} / unknown channel '{channel}'")
    source = open_source(Path(path))
    report = ImportReport(file_format=source.file_format, encoding=source.encoding)
    with source:
        columns = resolve_mapping(source.headers, mapping or {})
        report.mapping = {source.headers[i]: f for i, f in columns.items()}
        report.ignored_columns = [h for i, h in enumerate(source.headers) if i not in columns and h]
        _ingest_rows(session, source, columns, channel, report, progress, chunk_size, max_rows)
    if report.total_rows == 0:
        raise ImportFailed("文件只有表头, 没有数据行 / the file has a header but no data rows")
    return report


def import_upload(
    session: Session, upload: IO[bytes], filename: str, *, channel: str | None, mapping_json: str | None
) -> ImportReport:
    """Import an uploaded file: spooled to a temporary file (size-limited), then imported like a path."""
    mapping = parse_mapping_json(mapping_json)
    suffix = Path(filename or "upload").suffix.lower()[:10]
    with tempfile.TemporaryDirectory(prefix="fl-import-") as tmp:
        path = spool_upload(upload, Path(tmp) / f"upload{suffix}")
        return import_file(session, path, channel=channel or "import", mapping=mapping)


def spool_upload(upload: IO[bytes], path: Path) -> Path:
    """Copy an upload to `path` in blocks, refusing more than the configured upload limit."""
    limit = get_settings().max_upload_bytes
    copied = 0
    with path.open("wb") as out:
        while block := upload.read(1 << 20):
            copied += len(block)
            if copied > limit:
                raise PayloadTooLarge(
                    f"文件超过 {limit // (1 << 20)} MB 上限, 请拆分后分批导入 / file larger than the upload limit"
                )
            out.write(block)
    return path


def parse_mapping_json(text: str | None) -> dict[str, str]:
    """The API's mapping form field: a JSON object {"列名": "字段"}; empty means automatic."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(
            '映射应为 JSON 对象, 如 {"评论": "content", "星级": "rating"} / mapping must be a JSON object of strings'
        )
    return value


def parse_mapping_option(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`["评论=content", "星级=rating"]` → {"评论": "content", "星级": "rating"}."""
    out: dict[str, str] = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise ImportFailed(
                f"映射 '{pair}' 格式应为 列名=字段, 如 评论=content / mapping must look like COLUMN=field"
            )
        out[header.strip()] = target.strip()
    return out


# ------------------------------------------------------------------------------------------------- mapping


def _header_key(header: str) -> str:
    return re.sub(r"[\s_\-*:：()（）]+", "", header.replace("\ufeff", "")).lower()


def resolve_mapping(headers: list[str], explicit: Mapping[str, str]) -> dict[int, str]:
    """Column index → field: explicit entries first, then the automatic aliases for the remaining columns."""
    by_key = {_header_key(h): i for i, h in reversed(list(enumerate(headers)))}
    columns: dict[int, str] = {}
    for header, target in explicit.items():
        if target not in TARGET_FIELDS and target != "ignore":
            raise ImportFailed(
                f"映射目标 '{target}' 不是可导入的字段, 可用: {', '.join(sorted(TARGET_FIELDS))} "
                f"/ '{target}' is not an importable field"
            )
        index = headers.index(header) if header in headers else by_key.get(_header_key(header))
        if index is None:
            raise ImportFailed(
                f"映射中的列 '{header}' 不在文件中; 文件的列: {', '.join(headers)} / column '{header}' not in the file"
            )
        columns[index] = target
    taken = set(columns.values())
    for i, header in enumerate(headers):
        target = FIELD_ALIASES.get(_header_key(header)) or (
            _header_key(header) if header in TARGET_FIELDS else None
        )
        if i not in columns and target and target not in taken:
            columns[i] = target
            taken.add(target)
    columns = {i: f for i, f in columns.items() if f != "ignore"}
    if "content" not in columns.values():
        raise ImportFailed(
            f"找不到内容列; 文件的列: {', '.join(h or '(空)' for h in headers)}。请把内容列命名为 评论内容/内容/review, "
            '或指定映射, 如 --map 列名=content (API: mapping={"列名": "content"}) '
            "/ no content column found; name it 评论内容 or map one explicitly"
        )
    return columns


# ------------------------------------------------------------------------------------------------- reading


@dataclass
class _Source:
    """A file opened for streaming: headers, an estimated row total and an iterator of numbered rows."""

    file_format: str
    encoding: str | None
    headers: list[str]
    total: int | None
    rows: Iterator[_Record]
    closer: Callable[[], None]

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closer()


def open_source(path: Path) -> _Source:
    """Open a CSV or XLSX file for streaming, or raise ImportFailed saying what is wrong with it."""
    if not path.is_file():
        raise ImportFailed(f"文件不存在: {path} / file not found")
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ImportFailed("文件是空的, 没有表头也没有数据 / the file is empty")
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    _reject_binary(sample)
    return _open_csv(path, sample)


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
    """The first of UTF-8 (BOM optional), GBK, GB18030 that decodes the WHOLE file; and its record count.

    The sample only orders the candidates: a GBK export whose first 64 KiB are ASCII must not be
    taken for UTF-8, so every candidate is checked against the full stream before anything is stored.
    """
    candidates = ["utf-8-sig", "gbk", "gb18030"]
    if not _decodes(sample, "utf-8-sig"):
        candidates.remove("utf-8-sig")
    for encoding in candidates:
        try:
            records = _count_records(path, encoding)
        except UnicodeDecodeError:
            continue
        # Decoded as utf-8-sig either way; the name tells the user whether the file had a BOM.
        if encoding == "utf-8-sig" and not sample.startswith(codecs.BOM_UTF8):
            encoding = "utf-8"
        return encoding, records
    raise ImportFailed(f"无法识别文件编码 (不是 UTF-8 / GBK / GB18030{_guess_encoding(sample)})。{SAVE_AS}")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _count_records(path: Path, encoding: str) -> int:
    with path.open(encoding=encoding, errors="strict", newline="") as fh:
        return sum(1 for row in csv.reader(fh) if any(row))


class _LineFeed:
    """Lines for csv.reader that remember which physical lines each record used, and can replay some."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream
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


def _open_csv(path: Path, sample: bytes) -> _Source:
    encoding, records = _detect_csv_encoding(path, sample)
    fh = path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="strict", newline="")
    feed = _LineFeed(fh)
    records_iter = _csv_records(feed)
    for first in records_iter:
        if first.cells is None:
            fh.close()
            raise ImportFailed(f"表头 (第 {first.line} 行) 无法解析: {first.problem}。{SAVE_AS}")
        headers = [str(c).replace("\ufeff", "").strip() for c in first.cells]
        rows = _fit_columns(records_iter, len(headers))
        return _Source("csv", encoding, headers, max(records - 1, 0), rows, fh.close)
    fh.close()
    raise ImportFailed("文件是空的, 没有表头也没有数据 / the file is empty")


def _csv_records(feed: _LineFeed) -> Iterator[_Record]:
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
            problem = f"CSV 格式错误 (引号未闭合或多余引号: {exc}) / malformed CSV row"
            yield _Record(taken[0][0], None, taken[0][1], problem)
            continue
        taken = feed.take()
        if any(c.strip() for c in cells):
            yield _Record(taken[0][0], cells, "".join(line for _, line in taken))


def _fit_columns(records: Iterator[_Record], width: int) -> Iterator[_Record]:
    for record in records:
        cells = record.cells
        if cells is not None and len(cells) != width:
            if len(cells) > width and not any(c is not None and str(c).strip() for c in cells[width:]):
                record = record._replace(cells=cells[:width])  # trailing empty cells, as Excel writes them
            else:
                problem = f"列数不符: 表头 {width} 列, 此行 {len(cells)} 列 / wrong number of columns"
                record = record._replace(cells=None, problem=problem)
        yield record


def _open_xlsx(path: Path) -> _Source:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # Files from WPS and online tools often lack a default style; openpyxl warns and copes.
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFailed(
            f"文件是 zip 压缩包但不是有效的 XLSX 工作簿 ({type(exc).__name__})。{SAVE_AS}"
        ) from exc
    ws = wb.active if wb.active is not None else wb.worksheets[0]
    rows = _xlsx_records(ws.iter_rows(values_only=True))
    for first in rows:
        headers = [_cell_text(c) or "" for c in first.cells or []]
        while headers and not headers[-1]:
            headers.pop()
        total = (ws.max_row - 1) if ws.max_row else None
        return _Source(
            "xlsx", None, headers, total, _fit_columns(_pad(rows, len(headers)), len(headers)), wb.close
        )
    wb.close()
    raise ImportFailed("工作簿的第一个工作表是空的 / the first worksheet is empty")


def _xlsx_records(rows: Iterator[tuple[Any, ...]]) -> Iterator[_Record]:
    for n, values in enumerate(rows, start=1):
        cells = list(values)
        if any(c is not None and str(c).strip() for c in cells):
            yield _Record(n, cells, ",".join("" if c is None else str(c) for c in cells))


def _pad(rows: Iterator[_Record], width: int) -> Iterator[_Record]:
    # XLSX rows are as wide as the widest row of the sheet; empty trailing cells are not "wrong columns".
    for record in rows:
        if record.cells is not None and len(record.cells) < width:
            record = record._replace(cells=record.cells + [None] * (width - len(record.cells)))
        yield record


# --------------------------------------------------------------------------------------------- conversion


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        # Phone numbers and ids typed into Excel come back as floats: 13812345678.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = str(value).strip()
    return text or None


def parse_rating(value: Any) -> int:
    """1–5 stars ("5星", "五星", "★★★★") or a 0–10 score ("8", "8分", 8.0); half stars round up."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, stars = Decimal(str(value)), False
    else:
        text = str(value).strip()
        if text and set(text) <= set("★☆"):
            return _in_range(Decimal(text.count("★")), True, value)
        stars = text.endswith(("星", "颗星"))
        core = text.removesuffix("颗星").removesuffix("星").removesuffix("分").strip()
        if core in _CN_DIGITS:
            number = Decimal(_CN_DIGITS[core])
        else:
            try:
                number = Decimal(core)
            except InvalidOperation:
                raise _RowError(f"'{text}' 不是 1–5 星或 0–10 分 / not 1–5 stars or a 0–10 score") from None
    return _in_range(number, stars, value)


def _in_range(number: Decimal, stars: bool, original: Any) -> int:
    if not number.is_finite():
        raise _RowError(f"'{original}' 不是数字 / not a number")
    rounded = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    low, high = (1, 5) if stars else (0, 10)
    if not low <= rounded <= high:
        scale = "1–5 星" if stars else "0–10 分 (或 1–5 星)"
        raise _RowError(f"'{original}' 不在 {scale} 范围内 / out of range")
    return rounded


def parse_received_at(value: Any) -> datetime:
    """A timestamp from common export formats; times without a zone are China time (UTC+8)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=services.CHINA)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(float(value), value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text) and not _COMPACT_DATE.fullmatch(text):
        return _from_number(float(text), value)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        raise _RowError(f"'{text}' 不是可识别的时间, 请用 2024-03-01 12:00:00 格式 / unrecognised date")
    groups = (list(match.groups()) + [None] * 7)[:7]
    try:
        stamp = datetime(*(int(g or 0) for g in groups[:6]))  # type: ignore[misc]
    except ValueError:
        raise _RowError(f"'{text}' 不是有效日期 / not a valid date") from None
    zone = groups[6]
    if zone:
        return datetime.fromisoformat(stamp.isoformat() + ("+00:00" if zone == "Z" else zone))
    return stamp.replace(tzinfo=services.CHINA)


def _from_number(number: float, original: Any) -> datetime:
    if 1e9 <= number < 1e10:  # Unix seconds
        return datetime.fromtimestamp(number, UTC)
    if 1e12 <= number < 1e13:  # Unix milliseconds
        return datetime.fromtimestamp(number / 1000, UTC)
    if 1 <= number < 2958466:  # Excel serial day (1900 date system)
        return (_EXCEL_EPOCH + timedelta(days=number)).replace(tzinfo=services.CHINA)
    raise _RowError(f"'{original}' 不是可识别的时间 / unrecognised date")


def parse_channel(value: Any) -> str:
    """A channel code from a code or a platform name (天猫 → tmall, 大众点评 → dianping)."""
    text = str(value).strip()
    code = CHANNEL_ALIASES.get(text.lower())
    if code is None:
        raise _RowError(f"未知渠道 '{text}', 可用: {', '.join(CHANNELS)} / unknown channel")
    return code


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "rating": parse_rating,
    "received_at": parse_received_at,
    "channel": parse_channel,
    "customer_years": float,
    "customer_spend_6m": float,
}


def _row_item(cells: list[Any], columns: dict[int, str], headers: list[str], channel: str) -> FeedbackCreate:
    data: dict[str, Any] = {"channel": channel}
    for index, target in columns.items():
        value = cells[index]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            data[target] = _CONVERTERS[target](value) if target in _CONVERTERS else _cell_text(value)
        except (_RowError, ValueError) as exc:
            raise _RowError(f"{headers[index]} {exc}") from None
    try:
        item = FeedbackCreate(**data)
    except ValidationError as exc:
        raise _RowError(_explain(exc, columns, headers, data)) from None
    if not item.external_id:
        item.external_id = _derived_external_id(item)
    return item


def _explain(exc: ValidationError, columns: dict[int, str], headers: list[str], data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    column = next((headers[i] for i, f in columns.items() if f == name), FIELD_LABELS.get(name, name))
    kind, value = err["type"], data.get(name)
    if name == "content" and kind in ("string_too_short", "missing"):
        return f"{column} 为空 / content is empty"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length", MAX_CONTENT)
        return f"{column} 超过 {limit:,} 字 (实际 {len(str(value)):,} 字) / too long"
    message = str(err["msg"]).removeprefix("Value error, ")
    shown = str(value)[:50] if value is not None else ""
    return f"{column} '{shown}' 无效: {message}"


def _derived_external_id(item: FeedbackCreate) -> str:
    """A stable id for a row without one, so that the same row in a re-import is recognised."""
    stamp = item.received_at.astimezone(UTC).isoformat() if item.received_at else ""
    key = "\x1f".join((textnorm.normalize(item.content), stamp, item.customer_name or ""))
    return "imp-" + hashlib.sha1(key.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------- ingest


def _ingest_rows(
    session: Session,
    source: _Source,
    columns: dict[int, str],
    channel: str,
    report: ImportReport,
    progress: Progress | None,
    chunk_size: int,
    max_rows: int | None,
) -> None:
    chunk: dict[tuple[str, str], FeedbackCreate] = {}
    for line, cells, raw, problem in source.rows:
        if max_rows is not None and report.total_rows >= max_rows:
            break
        report.total_rows += 1
        try:
            if cells is None:
                raise _RowError(problem)
            item = _row_item(cells, columns, source.headers, channel)
        except _RowError as exc:
            report.rejected.append(
                RejectedRow(line, f"第 {line} 行: {exc}", raw.rstrip("\r\n")[:RAW_PREVIEW])
            )
            continue
        key = (item.channel, item.external_id or "")
        if key in chunk:
            # The same row twice in one chunk: ingest would skip it silently; count it as already present.
            report.existing += 1
            continue
        chunk[key] = item
        if len(chunk) >= chunk_size:
            _flush(session, chunk, report, progress, source.total)
    if chunk:
        _flush(session, chunk, report, progress, source.total)
    if progress:
        progress(report.total_rows, report.total_rows)


def _flush(
    session: Session,
    chunk: dict[tuple[str, str], FeedbackCreate],
    report: ImportReport,
    progress: Progress | None,
    total: int | None,
) -> None:
    result = services.ingest(session, list(chunk.values()))
    report.created += len(result.created)
    report.existing += len(result.existing)
    chunk.clear()
    if progress:
        progress(report.total_rows, max(total or 0, report.total_rows) if total is not None else None)
