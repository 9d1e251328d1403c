"""Exports of the filtered feedback list as CSV or XLSX (issue 13, SPEC §8, §11).

Rows are the inbox's rows for the same filters (one `FeedbackFilter`, one WHERE), read in batches from a
streamed result and written as they come: 100,000 rows never sit in memory at once. CSV is UTF-8 with a BOM
so that Excel shows the Chinese; XLSX uses XlsxWriter's constant-memory mode (rows go to a temporary file).
Formula injection: every CSV cell goes through lib.spreadsheet.safe_cell (a leading quote), every XLSX text
cell is written as a string cell (strings_to_formulas off: never a formula, no visible quote). Contacts are
masked unless the caller may see them, and every export is written to the audit log before the first row
leaves."""

from __future__ import annotations

import csv
import functools
import io
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.accounts.services import list_teams
from feedbackloop.db import begin_write
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, SENTIMENTS, Feedback
from feedbackloop.feedback.services import FeedbackFilter, filter_conditions, ordered
from feedbackloop.insight import daily
from feedbackloop.lib.masking import mask_contact
from feedbackloop.lib.spreadsheet import safe_row, xml_text
from feedbackloop.workflow.states import STATUSES

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 2000
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet's 1,048,576 rows, less the header
HEADERS = [
    "编号", "接收时间", "渠道", "触点", "客户", "联系方式", "客户类型", "问题类型", "产品", "版本", "模块", "状态",
    "优先级", "团队", "内容", "期望解决方案", "评分", "情感", "情感得分", "情感强度", "紧急度", "方面", "关键词",
    "重复于", "内容模糊", "首次响应时间", "解决时间", "重开次数",
]  # fmt: skip
# Only the parts of the analysis the columns show, extracted and joined by the database (json_extract / ->, and
# json_each / jsonb_array_elements for the two lists): decoding the analysis JSON per row in Python was most of
# an export's time (the two short lists alone about 40 % of it), and a per-batch query of feedback_facets for
# the aspects and keywords cost more than decoding them.
ASPECT_SEPARATOR, KEYWORD_SEPARATOR = "; ", "、"


def _columns(session: Session) -> tuple[Any, ...]:
    """The export's columns, text already formatted where the database can do it (times in China time)."""
    at = functools.partial(daily.china_text, session, unit="second")
    return (
        Feedback.id, at(Feedback.received_at), Feedback.channel, Feedback.touchpoint, Feedback.customer_name,
        Feedback.contact, Feedback.customer_type, Feedback.problem_type, Feedback.product, Feedback.product_version,
        Feedback.module, Feedback.status, Feedback.priority, Feedback.team_id, Feedback.content,
        Feedback.expected_solution, Feedback.rating, Feedback.sentiment,
        Feedback.analysis[("sentiment", "score")].as_float(), Feedback.analysis[("sentiment", "intensity")].as_integer(),
        Feedback.urgency, Feedback.duplicate_of, Feedback.is_vague, at(Feedback.first_responded_at),
        at(Feedback.resolved_at), Feedback.reopen_count, *_joined_lists(session.get_bind().dialect.name),
    )  # fmt: skip


def _joined_lists(dialect: str) -> tuple[Any, Any]:
    """The 方面 cell ("卫生:正面; 早餐:负面", aspects without a name left out) and the 关键词 cell ("干净、早餐"),
    each one correlated subquery over the item's analysis, in the analysis's order."""
    return _postgresql_lists() if dialect == "postgresql" else _sqlite_lists()


def _postgresql_lists() -> tuple[Any, Any]:
    def elements(function: Any, key: str) -> Any:
        return function(Feedback.analysis[key]).table_valued("value", with_ordinality="n").render_derived()

    aspects, words = elements(func.jsonb_array_elements, "aspects"), elements(func.jsonb_array_elements_text, "keywords")
    name, polarity = aspects.c.value.op("->>")("aspect"), aspects.c.value.op("->>")("sentiment")
    cell = name + ":" + case(SENTIMENTS, value=polarity, else_="")
    aspect_cell = (
        select(func.string_agg(cell, aggregate_order_by(literal(ASPECT_SEPARATOR), aspects.c.n)))
        .select_from(aspects).where(func.jsonb_typeof(aspects.c.value) == "object", name != "")
    )  # fmt: skip
    word_cell = select(func.string_agg(words.c.value, aggregate_order_by(literal(KEYWORD_SEPARATOR), words.c.n)))
    return aspect_cell.scalar_subquery(), word_cell.select_from(words).scalar_subquery()


def _sqlite_lists() -> tuple[Any, Any]:
    # json_each yields the elements in order, and group_concat over it keeps that order.
    aspects = func.json_each(Feedback.analysis, "$.aspects").table_valued("value", "type")
    words = func.json_each(Feedback.analysis, "$.keywords").table_valued("value", "type")
    name, polarity = func.json_extract(aspects.c.value, "$.aspect"), func.json_extract(aspects.c.value, "$.sentiment")
    cell = name + ":" + case(SENTIMENTS, value=polarity, else_="")
    aspect_cell = (
        select(func.group_concat(cell, ASPECT_SEPARATOR))
        .select_from(aspects).where(aspects.c.type == "object", func.coalesce(name, "") != "")
    )  # fmt: skip
    word_cell = select(func.group_concat(words.c.value, KEYWORD_SEPARATOR)).where(words.c.type == "text")
    return aspect_cell.scalar_subquery(), word_cell.select_from(words).scalar_subquery()


PRIORITIES = {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"}


def count(session: Session, filters: FeedbackFilter) -> int:
    """How many rows an export of these filters holds."""
    return session.scalar(select(func.count()).select_from(Feedback).where(*filter_conditions(filters))) or 0


def record_export(session: Session, actor: object, fmt: str, filters: dict[str, str], rows: int,
                  credential: dict[str, object] | None = None) -> None:  # fmt: skip
    """The audit entry of one export (who, with which credential, which filters, how many rows); commits."""
    begin_write(session)
    after = {"format": fmt, "filters": filters, "rows": rows} | ({"credential": credential} if credential else {})
    audit.record(session, actor, "feedback.export", "feedback", "export", None, after)
    session.commit()


class _RowMaker:
    def __init__(self, teams: dict[int, str], unmasked: bool) -> None:
        self.teams = teams
        self.unmasked = unmasked

    def __call__(self, r: Sequence[Any]) -> list[Any]:
        (fid, received, channel, touchpoint, name, contact, ctype, ptype, product, version, module, status,
         priority, team_id, content, expected, rating, sentiment, score, intensity, urgency, dup, vague,
         responded, resolved, reopened, aspects, keywords) = r  # fmt: skip
        # Plain values: the CSV writer guards them (safe_row), the XLSX writer types text as strings.
        return [
            fid, received, CHANNELS.get(channel, channel), touchpoint or "", name or "",
            (contact or "") if self.unmasked else mask_contact(contact), CUSTOMER_TYPES.get(ctype, ctype), ptype or "",
            product or "", version or "", module or "", STATUSES.get(status, status),
            PRIORITIES.get(priority or "", ""), self.teams.get(team_id or 0, ""), content, expected or "",
            rating if rating is not None else "", SENTIMENTS.get(sentiment or "", ""),
            score if score is not None else "", intensity if intensity is not None else "", urgency or "",
            aspects or "", keywords or "", dup or "", "是" if vague else "", responded or "",
            resolved or "", reopened or 0,
        ]  # fmt: skip


def rows(session: Session, filters: FeedbackFilter, unmasked: bool, sort: str = "newest") -> Iterator[list[Any]]:
    """The export's rows in the inbox's order (one of services.SORTS), as plain values (the writers guard them)."""
    make = _RowMaker({t.id: t.name for t in list_teams(session)}, unmasked)
    stmt = (
        select(*_columns(session))
        .where(*filter_conditions(filters))
        .execution_options(stream_results=True, max_row_buffer=BATCH)
    )
    # Core rows (the connection's result, not the ORM's): plain column values need no ORM row processing.
    for batch in session.connection().execute(ordered(stmt, sort)).partitions(BATCH):
        for row in batch:
            yield make(row)


def csv_chunks(data: Iterator[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with BOM, a chunk every BATCH rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(HEADERS))
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(data, 1):
        writer.writerow(safe_row(row))
        if n % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(data: Iterator[list[Any]], chunk: int = 1 << 16) -> Iterator[bytes]:
    """A workbook written row by row in XlsxWriter's constant-memory mode into a temporary file, then sent in
    chunks (a zip is finished at its end). Text is always a string cell: never a formula, a number or a link."""
    import xlsxwriter

    with tempfile.TemporaryFile() as fh:
        workbook = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})  # fmt: skip
        sheet = workbook.add_worksheet("反馈")
        sheet.write_row(0, 0, HEADERS)
        for n, row in enumerate(data, 1):
            sheet.write_row(n, 0, xml_text(row))
        workbook.close()
        fh.seek(0)
        while block := fh.read(chunk):
            yield block


def stream(session: Session, fmt: str, filters: FeedbackFilter, unmasked: bool, sort: str = "newest"
           ) -> Iterator[bytes]:  # fmt: skip
    """The bytes of the export; the session is closed when the last chunk has gone (or the client left)."""
    try:
        data = rows(session, filters, unmasked, sort)
        yield from (csv_chunks(data) if fmt == "csv" else xlsx_chunks(data))
    finally:
        session.close()
