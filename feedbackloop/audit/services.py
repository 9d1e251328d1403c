"""Append to and verify the hash-chained audit log.

Each entry stores the hash of the previous one, and its own hash is sha256 over a canonical JSON of the
entry plus that previous hash: editing or deleting any row breaks every later link, and `verify` names the
first broken one. Appends lock the single head row (a row lock on PostgreSQL, the database write lock on
SQLite), so concurrent writers still produce one chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import String, Table, cast, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop.audit.models import AuditEntry, AuditHead
from feedbackloop.db import Base, insert_rows, rows_changed
from feedbackloop.lib.clock import clock
from feedbackloop.lib.masking import mask_contact

AUDIT_TABLE = typed(Table, AuditEntry.__table__)  # declarative types it as FromClause

GENESIS = "0" * 64
# The log cannot be edited (that is its point), so personal data never goes into it in the clear: contacts
# are masked and free text is replaced by its length and digest. An erasure then leaves nothing to erase here.
_MASKED = {"contact", "email", "phone", "customer_name"}
_DIGESTED = {"content", "expected_solution", "description"}
_DROPPED = {"password", "password_hash", "token", "token_hash", "secret", "access_token"}


def _redact(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in _DROPPED:
            out[key] = "[redacted]"
        elif key in _MASKED and isinstance(value, str):
            out[key] = mask_contact(value)
        elif key in _DIGESTED and isinstance(value, str):
            out[key] = f"[{len(value)} chars, sha256 {hashlib.sha256(value.encode()).hexdigest()[:16]}]"
        else:
            out[key] = value
    # Round-trip through JSON so that what is hashed is exactly what the database gives back.
    return json.loads(json.dumps(out, default=str, ensure_ascii=False))


def entry_hash(fields: dict[str, Any]) -> str:
    """sha256 over the canonical JSON (sorted keys, no spaces) of an entry's fields and prev_hash."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
        "prev_hash": e.prev_hash,
    }


def _take_head(session: Session, *, in_flush: bool = False, count: int = 1) -> tuple[int, str]:
    """Lock the head row by writing it first (reserving `count` seqs), then read the last reserved seq and the
    tip's hash; creates the head on first use."""
    bump = update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count)
    # The session holds no AuditHead objects worth syncing; skipping that scan matters in large batches.
    bump = bump.execution_options(synchronize_session=False)
    if rows_changed(session, bump) == 0:
        if in_flush:  # no savepoint possible inside a flush; the head is normally made long before
            session.execute(insert(AuditHead).values(id=1, seq=count, last_hash=GENESIS))
            return count, GENESIS
        try:
            with session.begin_nested():
                session.execute(insert(AuditHead).values(id=1, seq=count, last_hash=GENESIS))
        except IntegrityError:
            session.execute(bump)  # another writer created it first
    seq, last = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    return seq, last


def _set_tip(session: Session, last_hash: str) -> None:
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_hash=last_hash),
        execution_options={"synchronize_session": False},
    )


def _actor_name(actor: object) -> str:
    if actor is None:
        return "system"
    return str(getattr(actor, "username", actor))[:100]


def _entry_row(
    seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: object,
    before: dict[str, Any] | None, after: dict[str, Any] | None, prev_hash: str,
) -> dict[str, Any]:
    """The column values of one entry, its hash included."""
    row = {
        "seq": seq, "at": at, "actor": actor, "action": action[:60], "entity": entity[:60],
        "entity_id": str(entity_id)[:100], "before": _redact(before), "after": _redact(after),
        "prev_hash": prev_hash,
    }  # fmt: skip
    row["hash"] = entry_hash({**row, "at": at.isoformat()})
    return row


def record(
    session: Session,
    actor: object,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    flush: bool = True,
) -> AuditEntry:
    """Append one entry in the caller's transaction (commits with it); actor is a User, a name or None."""
    seq, prev = _take_head(session, in_flush=not flush)
    row = _entry_row(seq, clock.now(), _actor_name(actor), action, entity, entity_id, before, after, prev)
    entry = AuditEntry(**row)
    _set_tip(session, entry.hash)
    session.add(entry)
    if flush:
        session.flush()
    return entry


def record_many(
    session: Session,
    actor: object,
    action: str,
    entity: str,
    changes: Sequence[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Append one entry per (entity_id, before, after) in the caller's transaction, as `record` does, with one
    head lock and one multi-row insert: intake audits batches of 1,000 items this way."""
    record_entries(session, [(actor, action, entity, entity_id, before, after) for entity_id, before, after in changes])


Entry = tuple[object, str, str, object, dict[str, Any] | None, dict[str, Any] | None]


def record_entries(session: Session, entries: Sequence[Entry], *, in_flush: bool = False) -> None:
    """Append entries (actor, action, entity, entity_id, before, after), in order, in the caller's transaction:
    one head lock, one multi-row insert and one tip update however many there are (a flush that changed 250
    items costs what one change does, and the head is locked for that long only)."""
    if not entries:
        return
    last_seq, prev = _take_head(session, in_flush=in_flush, count=len(entries))
    at = clock.now()
    rows = []
    for seq, (actor, action, entity, entity_id, before, after) in enumerate(entries, start=last_seq - len(entries) + 1):
        rows.append(_entry_row(seq, at, _actor_name(actor), action, entity, entity_id, before, after, prev))
        prev = rows[-1]["hash"]
    insert_rows(session, AUDIT_TABLE, rows)  # Core (COPY on PostgreSQL): none of the ORM's per-row bookkeeping
    _set_tip(session, prev)


# Rows that must each have a creation entry: (table, entity, action, label zh, label en). Login tokens are
# left out (they are not audited); rules and settings are audited by autolog but may predate it.
CREATION_ENTRIES = (
    ("feedback", "feedback", "feedback.create", "反馈", "feedback items"),
    ("users", "user", "user.create", "用户", "users"),
    ("attachments", "attachment", "attachment.create", "附件", "attachments"),
)
SAMPLE_IDS = 10


@dataclass
class Unaudited:
    """Rows of one table without their creation entry: how many, and the first few ids."""

    entity: str
    label_zh: str
    label_en: str
    count: int
    sample_ids: list[str]

    @property
    def message(self) -> str:
        ids = ", ".join(self.sample_ids) + (" …" if self.count > len(self.sample_ids) else "")
        n = self.count
        return f"{n} 条{self.label_zh}没有创建审计条目 / {n} {self.label_en} without a creation entry: {ids}"


@dataclass
class VerifyResult:
    """Outcome of a check: ok, how many entries, the first broken link if any, and rows never audited."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    unaudited: list[Unaudited] = field(default_factory=list)

    @property
    def chain_ok(self) -> bool:
        return self.broken_seq is None


def verify(session: Session) -> VerifyResult:
    """Check the hash chain and that every feedback item, user and attachment has its creation entry."""
    result = _verify_chain(session)
    result.unaudited = [u for check in CREATION_ENTRIES if (u := _unaudited(session, *check)) is not None]
    result.ok = result.ok and not result.unaudited
    return result


def _verify_chain(session: Session) -> VerifyResult:
    """Walk the chain in order; report the first entry that was edited, removed or re-linked."""
    prev, expected_seq, checked = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=500))
    for entry in rows.scalars():
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"条目 {expected_seq} 缺失 / entry missing (deleted)")
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.seq, "前一条目哈希不符 / previous-hash link broken")
        if entry_hash(_fields(entry)) != entry.hash:
            return VerifyResult(False, checked, entry.seq, "条目内容被修改 / entry content was modified")
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, "链尾条目被删除 / entries at the end were deleted")
    return VerifyResult(True, checked)


def _unaudited(
    session: Session, table_name: str, entity: str, action: str, label_zh: str, label_en: str
) -> Unaudited | None:
    """The rows of `table_name` that no `action` entry names (a change stored without its audit entry)."""
    # The callers (CLI, API, page) run with every model loaded, so the metadata knows the table.
    (pk,) = Base.metadata.tables[table_name].primary_key.columns
    key = pk if isinstance(pk.type, String) else cast(pk, String)
    logged = select(AuditEntry.seq).where(
        AuditEntry.entity == entity, AuditEntry.action == action, AuditEntry.entity_id == key
    )
    missing = select(pk).where(~logged.exists())
    count = session.scalar(select(func.count()).select_from(missing.subquery())) or 0
    if not count:
        return None
    ids = session.scalars(missing.order_by(pk).limit(SAMPLE_IDS))
    return Unaudited(entity, label_zh, label_en, count, [str(i) for i in ids])


def entries(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, with the total count."""
    stmt = select(AuditEntry)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.seq.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total
