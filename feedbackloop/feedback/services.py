"""Intake and reading of feedback: plain functions over a SQLAlchemy session (the unit of work)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop.audit.services import record_many
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write, engine_of, in_list, insert_rows, list_value
from feedbackloop.errors import NotFound
from feedbackloop.feedback import facets
from feedbackloop.feedback import search as content_search
from feedbackloop.feedback.ids import reserve_ids
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.lib import cjk, textnorm
from feedbackloop.lib.clock import CHINA, clock
from feedbackloop.lib.group_commit import GroupCommit

# Called with the ids of newly stored items after their transaction commits (analysis, routing…). Nothing that
# must not be lost goes here: a process that dies after the commit never runs them.
after_ingest_hooks: list[Callable[[list[str]], None]] = []
# The columns of a new item that its `feedback.create` audit entry records.
AUDITED_FIELDS = (
    "channel", "external_id", "touchpoint", "customer_name", "contact", "problem_type", "content", "status",
)  # fmt: skip


@dataclass
class IngestResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    # Per input item, in order: its id, and whether this call stored it (False: already stored, or a second
    # copy of an earlier item of the same batch).
    ids: list[str] = field(default_factory=list)
    new: list[bool] = field(default_factory=list)


def _customer_type(item: FeedbackCreate, known_contacts: set[str]) -> str:
    if item.customer_type:
        return item.customer_type
    if item.customer_spend_6m is not None and item.customer_spend_6m >= get_settings().high_value_threshold:
        return "high_value"
    if (item.customer_years or 0) > 0 or (item.contact and item.contact in known_contacts):
        return "returning"
    return "new"


def _existing_by_external_id(
    session: Session, dialect: str, items: Sequence[FeedbackCreate]
) -> dict[tuple[str, str], str]:
    by_channel: dict[str, set[str]] = {}
    for i in items:
        if i.external_id:
            by_channel.setdefault(i.channel, set()).add(i.external_id)
    found: dict[tuple[str, str], str] = {}
    for channel, exts in by_channel.items():
        rows = session.execute(_lookups(dialect).existing, {"channel": channel, "ids": list_value(dialect, exts)})
        found.update({(c, e): i for c, e, i in rows})
    return found


def _known_contacts(session: Session, dialect: str, items: Sequence[FeedbackCreate]) -> set[str]:
    contacts = {i.contact for i in items if i.contact}
    if not contacts:
        return set()
    return {r for r in session.scalars(_lookups(dialect).contacts, {"contacts": list_value(dialect, contacts)}) if r}


NEAR_DUPLICATE_JACCARD = 0.7
# Per item, the store's near-duplicate candidates are the first NEAR_CANDIDATES records (by id) sharing a band
# key. They are fetched for the whole batch at once: the first n of a union are always among the first n of
# each part, so n per band key suffices and the result equals one query per item.
NEAR_CANDIDATES = 20
_BAND_COLUMNS = [Feedback.mh0, Feedback.mh1, Feedback.mh2, Feedback.mh3, Feedback.mh4]


@dataclass(frozen=True)
class _Lookups:
    """Intake's look-up statements, built once per database dialect (lists are bound, see db.in_list)."""

    existing: Any
    contacts: Any
    exact: Any
    near: Any


@lru_cache
def _lookups(dialect: str) -> _Lookups:
    near = []
    for pos, column in enumerate(_BAND_COLUMNS):
        ranked = (
            select(
                Feedback.id,
                Feedback.content,
                column.label("key"),
                literal(pos).label("pos"),
                func.row_number().over(partition_by=column, order_by=Feedback.id).label("rank"),
            )
            # coalesce(): an indexable "duplicate_of IS NULL" lures SQLite onto that index, which holds
            # most rows, instead of the band index; the result is the same.
            .where(in_list(dialect, column, f"band{pos}"), func.coalesce(Feedback.duplicate_of, "") == "")
            .subquery()
        )
        near.append(
            select(ranked.c.pos, ranked.c.key, ranked.c.id, ranked.c.content).where(ranked.c.rank <= NEAR_CANDIDATES)
        )
    return _Lookups(
        existing=select(Feedback.channel, Feedback.external_id, Feedback.id).where(
            Feedback.channel == bindparam("channel"), in_list(dialect, Feedback.external_id, "ids")
        ),
        contacts=select(Feedback.contact).where(in_list(dialect, Feedback.contact, "contacts")),
        exact=select(Feedback.content_hash, func.min(Feedback.id))
        .where(in_list(dialect, Feedback.content_hash, "hashes"))
        .group_by(Feedback.content_hash),
        near=union_all(*near),
    )


class _DuplicateIndex:
    """Finds the first earlier record with the same or nearly the same text, in the store or the batch."""

    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect
        self.hashes: dict[str, str] = {}
        self.bands: dict[tuple[int, int], list[tuple[str, textnorm.Fingerprint]]] = {}
        self.stored_bands: dict[tuple[int, int], list[str]] = {}
        self.stored_content: dict[str, str] = {}
        self.stored_grams: dict[str, set[str]] = {}

    def load_exact(self, hashes: Iterable[str]) -> None:
        rows = self.session.execute(_lookups(self.dialect).exact, {"hashes": list_value(self.dialect, set(hashes))})
        self.hashes.update({h: fid for h, fid in rows})

    def load_near(self, all_bands: Iterable[tuple[int, ...]]) -> None:
        """Fetch the stored near-duplicate candidates of every band key of the batch (one query)."""
        wanted: list[set[int]] = [set() for _ in _BAND_COLUMNS]
        for bands in all_bands:
            if any(bands):
                for pos, key in enumerate(bands):
                    wanted[pos].add(key)
        if not wanted[0]:
            return
        params = {f"band{pos}": list_value(self.dialect, keys) for pos, keys in enumerate(wanted)}
        for pos, key, fid, content in self.session.execute(_lookups(self.dialect).near, params):
            self.stored_bands.setdefault((pos, key), []).append(fid)
            self.stored_content[fid] = content

    def _stored_grams(self, fid: str) -> set[str]:
        grams = self.stored_grams.get(fid)
        if grams is None:
            grams = self.stored_grams[fid] = textnorm.shingles(self.stored_content[fid])
        return grams

    def find(self, fp: textnorm.Fingerprint) -> tuple[str | None, str | None]:
        if fp.content_hash in self.hashes:
            return self.hashes[fp.content_hash], "exact"
        if not any(fp.bands):
            return None, None
        for pos, key in enumerate(fp.bands):
            for fid, other in self.bands.get((pos, key), []):
                if textnorm.jaccard(fp.grams, other.grams) >= NEAR_DUPLICATE_JACCARD:
                    return fid, "near"
        candidates = {fid for pos, key in enumerate(fp.bands) for fid in self.stored_bands.get((pos, key), ())}
        for fid in sorted(candidates)[:NEAR_CANDIDATES]:
            if textnorm.jaccard(fp.grams, self._stored_grams(fid)) >= NEAR_DUPLICATE_JACCARD:
                return fid, "near"
        return None, None

    def remember(self, fp: textnorm.Fingerprint, fid: str) -> None:
        self.hashes.setdefault(fp.content_hash, fid)
        if any(fp.bands):
            for pos, key in enumerate(fp.bands):
                self.bands.setdefault((pos, key), []).append((fid, fp))


def _rows_for(
    session: Session, dialect: str, items: Sequence[FeedbackCreate], prints: Sequence[textnorm.Fingerprint],
    now: datetime,
) -> list[dict[str, Any]]:
    known = _known_contacts(session, dialect, items)
    dup_index = _DuplicateIndex(session, dialect)
    dup_index.load_exact(p.content_hash for p in prints)
    dup_index.load_near(p.bands for p in prints)
    received = [i.received_at or now for i in items]
    days: dict[Any, list[int]] = {}
    for pos, ts in enumerate(received):
        local = ts.astimezone(CHINA) if ts.tzinfo else ts.replace(tzinfo=CHINA)
        days.setdefault(local.date(), []).append(pos)
    ids: list[str] = [""] * len(items)
    for day, positions in sorted(days.items()):
        for pos, fid in zip(positions, reserve_ids(session, day, len(positions)), strict=True):
            ids[pos] = fid
    rows = []
    for pos, item in enumerate(items):
        fp = prints[pos]
        dup_of, kind = dup_index.find(fp)
        if dup_of is None:
            dup_index.remember(fp, ids[pos])
        data = item.model_dump(exclude={"customer_type", "received_at"})
        data.update(
            id=ids[pos],
            received_at=received[pos],
            customer_type=_customer_type(item, known),
            status="new",
            content_hash=fp.content_hash,
            **{f"mh{n}": key for n, key in enumerate(fp.bands)},
            duplicate_of=dup_of,
            duplicate_kind=kind,
            is_vague=fp.is_vague,
            search_terms=cjk.document_terms(item.content),
            created_at=now,
            updated_at=now,
        )
        rows.append(data)
    return rows


def ingest(
    session: Session, items: Sequence[FeedbackCreate], normalized: Sequence[str] | None = None
) -> IngestResult:
    """Store new items, skipping those whose (channel, external_id) is already stored; audited; commits.

    `normalized` is each item's content after textnorm.normalize, when the caller already has it (the
    importer does, for the derived external id).
    """
    if normalized is None:
        normalized = [textnorm.normalize(i.content) for i in items]
    prints = textnorm.fingerprints_normalized(normalized)
    for attempt in range(3):
        try:
            result = _ingest_once(session, items, prints)
            session.commit()
            break
        except IntegrityError:
            # A concurrent writer stored one of our external ids first: retry, now seeing it as existing.
            session.rollback()
            if attempt == 2:
                raise
    if result.created:
        for hook in after_ingest_hooks:
            hook(result.created)
    return result


def _ingest_once(
    session: Session, items: Sequence[FeedbackCreate], prints: Sequence[textnorm.Fingerprint]
) -> IngestResult:
    begin_write(session)
    result = IngestResult()
    dialect = session.get_bind().dialect.name
    existing = _existing_by_external_id(session, dialect, items)
    fresh: list[FeedbackCreate] = []
    fresh_prints: list[textnorm.Fingerprint] = []
    seen: dict[tuple[str, str], int] = {}  # key → its index in fresh
    repeats: list[int] = []  # a second copy in this batch: reported as existing, with the first copy's id
    # Per input: ("stored", id), ("fresh", index in fresh) or ("repeat", index in fresh of the first copy).
    origin: list[tuple[str, Any]] = []
    for item, fp in zip(items, prints, strict=True):
        key = (item.channel, item.external_id) if item.external_id else None
        if key and key in existing:
            result.existing.append(existing[key])
            origin.append(("stored", existing[key]))
        elif key and key in seen:
            repeats.append(seen[key])
            origin.append(("repeat", seen[key]))
        else:
            if key:
                seen[key] = len(fresh)
            origin.append(("fresh", len(fresh)))
            fresh.append(item)
            fresh_prints.append(fp)
    rows: list[dict[str, Any]] = []
    if fresh:
        rows = _rows_for(session, dialect, fresh, fresh_prints, clock.now())
        insert_rows(session, cast(Table, Feedback.__table__), rows)  # declarative types it as FromClause
        result.created = [r["id"] for r in rows]
        result.existing.extend(rows[j]["id"] for j in repeats)
        # In this transaction, so that no item is ever stored without its creation entry (SPEC §9).
        changes = [(r["id"], None, {f: r.get(f) for f in AUDITED_FIELDS}) for r in rows]
        record_many(session, "intake", "feedback.create", "feedback", changes)
    result.ids = [where if kind == "stored" else rows[where]["id"] for kind, where in origin]
    result.new = [kind == "fresh" for kind, _ in origin]
    return result


def create_one(session: Session, item: FeedbackCreate) -> tuple[Feedback, bool]:
    """Store one item; returns (record, created) where created is False for a known external id.

    Items that several threads of this process store at the same moment share one transaction (see
    intake_group): under load a single-item POST costs a share of one commit, one audit-head lock and one id
    reservation instead of a whole one each."""
    if session.in_transaction():
        session.commit()  # as ingest's begin_write does: the caller's earlier changes are committed first
    fid, created = _intake_group(session).submit(session, item, on_failure=lambda s: s.rollback())
    return get(session, fid), created


def _ingest_each(session: Session, items: list[FeedbackCreate]) -> list[tuple[str, bool]]:
    result = ingest(session, items)
    return list(zip(result.ids, result.new, strict=True))


# One group per connection pool (a process's writer and reader engines share one): sessions of other
# databases (tests switch them) never share a transaction.
_groups: weakref.WeakKeyDictionary[Any, GroupCommit[Session, FeedbackCreate, tuple[str, bool]]]
_groups = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def _intake_group(session: Session) -> GroupCommit[Session, FeedbackCreate, tuple[str, bool]]:
    pool = engine_of(session).pool
    with _groups_lock:
        group = _groups.get(pool)
        if group is None:
            group = _groups[pool] = GroupCommit(_ingest_each)
        return group


def get(session: Session, feedback_id: str) -> Feedback:
    record = session.get(Feedback, feedback_id)
    if record is None:
        raise NotFound(f"反馈 {feedback_id} 不存在 / feedback {feedback_id} not found")
    return record


def sla_parts() -> tuple[Any, Any, Any]:
    """(has an SLA, outcome known, missed) as SQL conditions: the one definition of SLA compliance that the
    KPI, the dashboard and the inbox's sla= filter share. Missed: a deadline passed (flagged by the sweep) or
    the answer or resolution came after it (an item resolved late between two sweeps is late all the same).
    Known: resolved or closed, or missed."""
    f = Feedback

    def after(moment: Any, due: Any) -> Any:  # never NULL: NOT missed must hold for an item never answered yet
        return and_(moment.is_not(None), due.is_not(None), moment > due)

    missed = or_(f.first_response_breached_at.is_not(None), f.resolution_breached_at.is_not(None),
                 after(f.first_responded_at, f.first_response_due), after(f.resolved_at, f.resolution_due))
    done = or_(Feedback.status.in_(("resolved", "closed")), missed)
    has_sla = or_(Feedback.first_response_due.is_not(None), Feedback.resolution_due.is_not(None))
    return has_sla, done, missed


def sla_outcomes() -> tuple[Any, Any]:
    """(met, breached) as SQL conditions: met = had a deadline, resolved or closed, never late; breached = had a
    deadline and missed it. An open item whose deadlines lie ahead is neither yet, and a duplicate is neither
    (its original carries the SLA, as in the KPI): the dashboard's SLA figures are the KPI's, to the decimal."""
    has_sla, done, missed = sla_parts()
    original = Feedback.duplicate_of.is_(None)
    return and_(original, has_sla, done, ~missed), and_(original, has_sla, missed)


@dataclass
class FeedbackFilter:
    """Inbox filters; every field optional."""

    channel: str | None = None
    problem_type: str | None = None
    status: str | None = None
    customer_type: str | None = None
    sentiment: str | None = None
    urgency: str | None = None
    touchpoint: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    q: str | None = None
    vague: bool | None = None
    duplicates: bool | None = None
    # The dashboard's filters and drill-downs (issue 13): each chart element is one of these.
    team_id: int | None = None
    product: str | None = None
    product_version: str | None = None
    aspect: str | None = None
    aspect_sentiment: str | None = None
    keyword: str | None = None
    mention: str | None = None  # a product or module the analysis found in the text
    risk: str | None = None
    sla: str | None = None  # "met" | "breached"
    ids: tuple[str, ...] | None = None
    # The work queue's views (workflow/queue.py sets them): owner, unowned, open items only, and the next
    # SLA target due before / after a moment.
    owner_id: int | None = None
    unowned: bool | None = None
    statuses: tuple[str, ...] | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None


_EQUAL = ("channel", "problem_type", "status", "customer_type", "sentiment", "urgency", "touchpoint", "team_id",
          "product", "product_version")  # fmt: skip


def filter_conditions(f: FeedbackFilter) -> list[Any]:
    """The WHERE conditions of a filter on `feedback` (the inbox, the export and the dashboard share them)."""
    conds: list[Any] = [getattr(Feedback, c) == getattr(f, c) for c in _EQUAL if getattr(f, c) not in (None, "")]
    if f.aspect:
        conds.append(facets.has("aspect", f.aspect, f.aspect_sentiment))
    if f.keyword:
        conds.append(facets.has("keyword", f.keyword))
    if f.mention:
        conds.append(facets.has("product", f.mention) | facets.has("module", f.mention))
    if f.risk:
        conds.append(facets.has("risk", f.risk))
    if f.sla:
        met, breached = sla_outcomes()
        conds.append(breached if f.sla == "breached" else met)
    if f.ids is not None:
        conds.append(Feedback.id.in_(f.ids))
    if f.owner_id is not None:
        conds.append(Feedback.owner_id == f.owner_id)
    if f.unowned is not None:
        conds.append(Feedback.owner_id.is_(None) if f.unowned else Feedback.owner_id.is_not(None))
    if f.statuses:
        conds.append(Feedback.status.in_(f.statuses))
    if f.due_before is not None or f.due_after is not None:
        due = next_due()
        conds.extend([due.is_not(None), Feedback.sla_paused_at.is_(None)])
        if f.due_before is not None:
            conds.append(due < f.due_before)
        if f.due_after is not None:
            conds.append(due >= f.due_after)
    if f.date_from:
        conds.append(Feedback.received_at >= f.date_from)
    if f.date_to:
        conds.append(Feedback.received_at <= f.date_to)
    if f.q:
        # The content search index (feedback/search.py): every term of q must be in the item's text.
        conds.append(content_search.matches(f.q))
    if f.vague is not None:
        conds.append(Feedback.is_vague.is_(f.vague))
    if f.duplicates is not None:
        cond = Feedback.duplicate_of.is_not(None)
        conds.append(cond if f.duplicates else ~cond)
    return conds


def _filtered(f: FeedbackFilter) -> Any:
    return select(Feedback).where(*filter_conditions(f))


SORTS = ("newest", "oldest", "priority", "sla")
_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def _const(value: int | str) -> Any:
    # Sort keys are written with their constants inline (not bound): an index over the same expression
    # (migrations 0008d, 0011) only serves an ORDER BY that spells it identically, on SQLite and on PostgreSQL.
    return literal_column(repr(value) if isinstance(value, str) else str(value))


def next_due() -> Any:
    """The item's next SLA target: first response until answered, then resolution (SQL expression)."""
    return case(
        (and_(Feedback.first_responded_at.is_(None), Feedback.first_response_due.is_not(None)),
         Feedback.first_response_due),
        else_=Feedback.resolution_due,
    )


def priority_rank() -> Any:
    """urgent 0, high 1, normal 2, low 3, none 9 (SQL expression)."""
    return case(*((Feedback.priority == _const(k), _const(v)) for k, v in _PRIORITY_RANK.items()), else_=_const(9))


# Statuses whose SLA no longer runs: sort=sla puts them after every open item (their due times lie in the past).
SLA_DONE = ("resolved", "closed", "merged", "spam")


def no_due() -> Any:
    """1 for an item without a running SLA target (none set, or the item is handled; sorted after the
    others), else 0. Spelled as migration 0011's index spells it."""
    stopped = or_(next_due().is_(None), Feedback.status.in_([_const(s) for s in SLA_DONE]))
    return case((stopped, _const(1)), else_=_const(0))


def ordered(stmt: Any, sort: str) -> Any:
    """The statement in one of the inbox's SORTS (the list and the export share it)."""
    due, rank = next_due(), priority_rank()
    if sort == "oldest":
        return stmt.order_by(Feedback.received_at.asc(), Feedback.id.asc())
    if sort == "priority":
        return stmt.order_by(rank, no_due(), due.asc(), Feedback.received_at.desc(), Feedback.id.desc())
    if sort == "sla":
        return stmt.order_by(no_due(), due.asc(), rank, Feedback.id.desc())
    return stmt.order_by(Feedback.received_at.desc(), Feedback.id.desc())


# The inbox counts at most this many matches (then shows "共 1,000+ 条"; at least the rows up to the page shown):
# counting is reading every match, which at 1,000,000 items costs far more than the page (README "Benchmarks":
# a common word, 不错, 231,175 matches, took 949 ms to count to 10,000). Exports, KPIs and the API count exactly.
COUNT_LIMIT = 1_000
# PostgreSQL memory for the inbox's statements (SET LOCAL: this transaction only, fine behind PgBouncer). With the
# server default of 4 MB, the bitmap that combines a common word with a view (房间 + 未分配: 95,225 and 135,507
# rows) turns lossy and every row of the lossy pages is checked again: 362 ms instead of 92 ms at 1,000,000 items.
INBOX_WORK_MEM = "32MB"


@dataclass
class Page:
    rows: list[Feedback]
    total: int  # the number of matches, or count_limit when there are more
    exact: bool  # False when there are more than `total`


def page_of(
    session: Session, f: FeedbackFilter, page: int = 1, per_page: int = 50, sort: str = "newest",
    count_limit: int | None = COUNT_LIMIT,
) -> Page:
    """One page of records matching the filter, sorted (see `search`), and their count up to `count_limit`."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{INBOX_WORK_MEM}'"))
    stmt = _filtered(f)
    counted: Any = select(literal_column("1")).select_from(Feedback).where(*filter_conditions(f))
    if count_limit is not None:
        count_limit = max(count_limit, page * per_page)
        counted = counted.limit(count_limit + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    rows = list(session.scalars(ordered(stmt, sort).offset((page - 1) * per_page).limit(per_page)).all())
    if count_limit is not None and total > count_limit:
        return Page(rows, count_limit, False)
    return Page(rows, total, True)


def search(
    session: Session, f: FeedbackFilter, page: int = 1, per_page: int = 50, sort: str = "newest"
) -> tuple[list[Feedback], int]:
    """One page of records matching the filter and the total count; sorted newest first, oldest first,
    by priority (then SLA due) or by SLA due (soonest first; items with no SLA last)."""
    result = page_of(session, f, page, per_page, sort, count_limit=None)
    return result.rows, result.total


def duplicates_of(session: Session, feedback_id: str) -> list[Feedback]:
    """The records linked as duplicates of `feedback_id`, oldest first."""
    return list(
        session.scalars(select(Feedback).where(Feedback.duplicate_of == feedback_id).order_by(Feedback.id)).all()
    )
