"""CSV / XLSX import of review-platform and CRM exports (SPEC §3): column mapping, per-row validation with
zh-CN reasons, and idempotent ingest in committed chunks (the streaming reader is feedback.import_files)."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from feedbackloop.config import get_settings
from feedbackloop.errors import ImportFailed, PayloadTooLarge, ValidationFailed
from feedbackloop.feedback import services
from feedbackloop.feedback.import_files import (
    Source,
    cell_text,
    open_source,
)
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

CHUNK_SIZE = 5000  # rows per committed transaction: fewer, larger commits touch each index page fewer times
RAW_PREVIEW = 300

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
        raise ImportFailed(f"未知渠道 '{channel}'，可用：{', '.join(CHANNELS)} / unknown channel '{channel}'")
    source = open_source(Path(path))
    report = ImportReport(file_format=source.file_format, encoding=source.encoding)
    with source:
        columns = resolve_mapping(source.headers, mapping or {})
        report.mapping = {source.headers[i]: f for i, f in columns.items()}
        report.ignored_columns = [h for i, h in enumerate(source.headers) if i not in columns and h]
        _ingest_rows(session, source, columns, channel, report, progress, chunk_size, max_rows)
    if report.total_rows == 0:
        raise ImportFailed("文件只有表头，没有数据行 / the file has a header but no data rows")
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
                    f"文件超过 {limit // (1 << 20)} MB 上限，请拆分后分批导入 / file larger than the upload limit"
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
            '映射应为 JSON 对象，如 {"评论": "content", "星级": "rating"} / mapping must be a JSON object of strings'
        )
    return value


def parse_mapping_option(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`["评论=content", "星级=rating"]` → {"评论": "content", "星级": "rating"}."""
    out: dict[str, str] = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise ImportFailed(
                f"映射 '{pair}' 格式应为 列名=字段，如 评论=content / mapping must look like COLUMN=field"
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
                f"映射中的列 '{header}' 不在文件中；文件的列：{', '.join(headers)} / column '{header}' not in the file"
            )
        columns[index] = target
    taken = set(columns.values())
    for i, header in enumerate(headers):
        auto = FIELD_ALIASES.get(_header_key(header)) or (header if header in TARGET_FIELDS else None)
        if i not in columns and auto and auto not in taken:
            columns[i] = auto
            taken.add(auto)
    columns = {i: f for i, f in columns.items() if f != "ignore"}
    if "content" not in columns.values():
        raise ImportFailed(
            f"找不到内容列; 文件的列: {', '.join(h or '(空)' for h in headers)}。请把内容列命名为 评论内容/内容/review, "
            '或指定映射, 如 --map 列名=content (API: mapping={"列名": "content"}) '
            "/ no content column found; name it 评论内容 or map one explicitly"
        )
    return columns


# --------------------------------------------------------------------------------------------- conversion


def parse_rating(value: Any) -> int:
    """1–5 stars ("5星", "五星", "★★★★") or a 0–10 score ("8", "8分", 8.0); half stars round up."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _in_range(Decimal(str(value)), False, value)
    return _parse_rating_text(str(value))


@lru_cache(maxsize=512)
def _parse_rating_text(value: str) -> int:
    """parse_rating for a cell's text; an export repeats a handful of values, so results are cached."""
    text = value.strip()
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
    if len(text) in (16, 19) and text[4] == "-" and text[7] == "-" and text[10] in " T" and text[13] == ":":
        # The common export shape 2024-03-01 12:00[:00]: the C parser, about 10× faster than the pattern.
        try:
            return datetime.fromisoformat(text).replace(tzinfo=services.CHINA)
        except ValueError:
            pass
    if re.fullmatch(r"\d+(\.\d+)?", text) and not _COMPACT_DATE.fullmatch(text):
        return _from_number(float(text), value)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        raise _RowError(f"'{text}' 不是可识别的时间，请用 2024-03-01 12:00:00 格式 / unrecognised date")
    groups = (list(match.groups()) + [None] * 7)[:7]
    year, month, day, hour, minute, second = (int(g or 0) for g in groups[:6])
    try:
        stamp = datetime(year, month, day, hour, minute, second)
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
        raise _RowError(f"未知渠道 '{text}'，可用：{', '.join(CHANNELS)} / unknown channel")
    return code


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "rating": parse_rating,
    "received_at": parse_received_at,
    "channel": parse_channel,
    "customer_years": float,
    "customer_spend_6m": float,
}


def _row_item(
    cells: list[Any], columns: dict[int, str], headers: list[str], channel: str
) -> tuple[FeedbackCreate, str]:
    """The row as a validated item, and its content normalised (textnorm.normalize)."""
    data: dict[str, Any] = {"channel": channel}
    for index, target in columns.items():
        value = cells[index]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            data[target] = _CONVERTERS[target](value) if target in _CONVERTERS else cell_text(value)
        except (_RowError, ValueError) as exc:
            raise _RowError(f"{headers[index]} {exc}") from None
    try:
        item = FeedbackCreate(**data)
    except ValidationError as exc:
        raise _RowError(_explain(exc, columns, headers, data)) from None
    norm = textnorm.normalize(item.content)
    if not item.external_id:
        item.external_id = _derived_external_id(item, norm)
    return item, norm


def _explain(exc: ValidationError, columns: dict[int, str], headers: list[str], data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    column = next((headers[i] for i, f in columns.items() if f == name), FIELD_LABELS.get(name, name))
    kind, value = err["type"], data.get(name)
    if name == "content" and kind in ("string_too_short", "missing"):
        return f"{column} 为空 / content is empty"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length", MAX_CONTENT)
        return f"{column} 超过 {limit:,} 字（实际 {len(str(value)):,} 字） / too long"
    message = str(err["msg"]).removeprefix("Value error, ")
    shown = str(value)[:50] if value is not None else ""
    return f"{column} '{shown}' 无效: {message}"


def _derived_external_id(item: FeedbackCreate, normalized_content: str) -> str:
    """A stable id for a row without one, so that the same row in a re-import is recognised."""
    stamp = item.received_at.astimezone(UTC).isoformat() if item.received_at else ""
    key = "\x1f".join((normalized_content, stamp, item.customer_name or ""))
    return "imp-" + hashlib.sha1(key.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------- ingest


def _ingest_rows(
    session: Session,
    source: Source,
    columns: dict[int, str],
    channel: str,
    report: ImportReport,
    progress: Progress | None,
    chunk_size: int,
    max_rows: int | None,
) -> None:
    chunk: dict[tuple[str, str], tuple[FeedbackCreate, str]] = {}
    for line, cells, raw, problem in source.rows:
        if max_rows is not None and report.total_rows >= max_rows:
            break
        report.total_rows += 1
        try:
            if cells is None:
                raise _RowError(problem)
            item, norm = _row_item(cells, columns, source.headers, channel)
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
        chunk[key] = (item, norm)
        if len(chunk) >= chunk_size:
            _flush(session, chunk, report, progress, source.total)
    if chunk:
        _flush(session, chunk, report, progress, source.total)
    if progress:
        progress(report.total_rows, report.total_rows)


def _flush(
    session: Session,
    chunk: dict[tuple[str, str], tuple[FeedbackCreate, str]],
    report: ImportReport,
    progress: Progress | None,
    total: int | None,
) -> None:
    items = list(chunk.values())
    result = services.ingest(session, [item for item, _ in items], [norm for _, norm in items])
    report.created += len(result.created)
    report.existing += len(result.existing)
    chunk.clear()
    if progress:
        progress(report.total_rows, max(total or 0, report.total_rows) if total is not None else None)
