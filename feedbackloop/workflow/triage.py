"""Triage of analysed items: priority, SLA due dates, routing to a team and an owner, early escalation.

It runs once an item's analysis is committed (feedback.analyzing.after_analysis_hooks), so priority and the
routing rules read what the analysis found, and again when an agent corrects the analysis."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import priority as prio
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import PRIORITY_LEVELS, HistoryEntry
from feedbackloop.workflow.routing import Router
from feedbackloop.workflow.services import add_history, assigned_title, ensure_token, escalate, notify
from feedbackloop.workflow.states import DONE_STATUSES

REPEAT_WINDOW = timedelta(days=30)


def _similar_counts(
    session: Session, records: list[Feedback], now: datetime
) -> Counter[tuple[str | None, str | None]]:
    keys = {(r.problem_type, r.product) for r in records if r.problem_type}
    counts: Counter[tuple[str | None, str | None]] = Counter()
    if not keys:
        return counts
    rows = session.execute(
        select(Feedback.problem_type, Feedback.product, func.count())
        .where(Feedback.received_at >= now - timedelta(hours=24))
        .where(Feedback.problem_type.in_({k[0] for k in keys}))
        .group_by(Feedback.problem_type, Feedback.product)
    )
    for ptype, product, n in rows:
        counts[(ptype, product)] += n
    return counts


def prioritise(record: Feedback, similar: int, work: sla.Clockwork, now: datetime) -> prio.Priority:
    """Score the record, store level and reasons, and set its SLA due dates."""
    result = prio.score(record, similar)
    changed = result.level != record.priority
    record.priority, record.priority_score, record.priority_reasons = (
        result.level,
        result.score,
        result.reasons,
    )
    record.prioritized_at = now
    if changed or record.first_response_due is None:
        sla.apply_policy(record, work, now)
    return result


def _repeat_contacts(session: Session, records: list[Feedback], now: datetime) -> set[str]:
    contacts = {r.contact for r in records if r.contact}
    if not contacts:
        return set()
    rows = session.execute(
        select(Feedback.contact)
        .where(Feedback.contact.in_(contacts), Feedback.received_at >= now - REPEAT_WINDOW)
        .where(Feedback.status.not_in(("spam", "merged")))
        .group_by(Feedback.contact)
        .having(func.count() > 1)
    )
    return {contact for contact in rows.scalars() if contact is not None}


def triage(session: Session, ids: list[str], busy: list[str] | None = None) -> dict[str, int]:
    """Prioritise, start the SLA clock, route and (for repeat or public complaints) escalate new items.

    On PostgreSQL an item whose row another transaction holds is skipped; if it is still untriaged it is
    appended to `busy`, for the caller to try again shortly (else only the reconciler would, minutes later)."""
    begin_write(session)
    now = clock.now()
    claim = select(Feedback).where(Feedback.id.in_(ids), Feedback.status == "new")
    if session.get_bind().dialect.name == "postgresql":
        # Exactly once with several workers: a batch another worker is triaging is skipped, not waited for
        # and then triaged again (it is no longer 新建 once that worker commits).
        claim = claim.with_for_update(skip_locked=True, key_share=True)
    records = list(session.scalars(claim))
    if busy is not None and len(records) < len(ids):
        claimed = {r.id for r in records}
        # Skipped: locked by another writer for a moment (the deep tier storing its refinement, another
        # worker's triage), or no longer new. Only the untriaged ones are owed a retry.
        busy.extend(session.scalars(
            select(Feedback.id).where(Feedback.id.in_([i for i in ids if i not in claimed]),
                                      Feedback.status == "new", Feedback.prioritized_at.is_(None))
        ))  # fmt: skip
    if not records:
        session.commit()
        return {"triaged": 0, "assigned": 0}
    work = sla.Clockwork.load(session)
    similar = _similar_counts(session, records, now)
    repeats = _repeat_contacts(session, records, now)
    router = Router(session)
    by_team: dict[int | None, list[Feedback]] = {}
    results = {}
    for record in records:
        ensure_token(record)
        results[record.id] = prioritise(
            record, similar.get((record.problem_type, record.product), 0), work, now
        )
        team, _rule = router.team_for(record)
        record.team_id = team.id if team else None
        by_team.setdefault(team.id if team else None, []).append(record)
    assigned = 0
    for tid, items in by_team.items():
        owners = router.owners_for(router.teams[tid], len(items)) if tid is not None else [None] * len(items)
        with session.no_autoflush:  # one flush at commit instead of one per escalation lookup
            for record, owner in zip(items, owners, strict=True):
                assigned += _settle(session, record, owner, router, results[record.id], repeats)
    session.commit()
    return {"triaged": len(records), "assigned": assigned}


def priority_note(zh: str, en: str, old: str | None, new: str) -> str:
    """A history reason for a changed priority, as "中文 / English" (the English side names the level)."""
    return (f"{zh}，优先级 {PRIORITY_LEVELS.get(old or '', '—')} → {PRIORITY_LEVELS[new]} / "
            f"{en}: priority {old or '—'} → {new}")  # fmt: skip


def _settle(
    session: Session,
    record: Feedback,
    owner: int | None,
    router: Router,
    result: prio.Priority,
    repeats: set[str],
) -> int:
    team = router.teams.get(record.team_id) if record.team_id else None
    why = (f"自动分派到{team.name}", f"Routed to {team.name}") if team else ("无匹配团队，待认领", "No team matched: waiting to be claimed")
    record.owner_id = owner
    record.status = "assigned" if owner else "triaged"
    add_history(
        session,
        record,
        "status",
        None,
        f"{why[0]}；优先级 {PRIORITY_LEVELS.get(result.level, result.level)}（{result.score} 分） / "
        f"{why[1]}; priority {result.level} (score {result.score})",
        from_status="new",
        to_status=record.status,
        data={"team_id": record.team_id, "owner_id": owner},
    )
    if owner:
        notify(session, [owner], record, "assigned", assigned_title(record.id, new=True))
    if record.contact and record.contact in repeats:
        escalate(
            session,
            record,
            "同一客户的重复问题 / A repeat issue from the same customer",
            to_level=2,
            members=router.level_cache,
        )
    elif "public" in result.risks or (
        record.channel in prio.REVIEW_PLATFORMS and record.priority in ("high", "urgent")
    ):
        escalate(session, record, "公开平台上的投诉 / A complaint on a public platform", to_level=2, members=router.level_cache)
    _escalate_safety(session, record, result, router.level_cache)
    return 1 if owner else 0


def _escalate_safety(
    session: Session, record: Feedback, result: prio.Priority, members: dict[int, list[int]] | None = None
) -> None:
    """A safety, legal or health case goes to the expert level at once (no-op if it is there already)."""
    if prio.is_safety_case(record, result):
        kinds = "/".join(prio.RISK_LABELS[k] for k in result.risks if k in ("safety", "legal", "health"))
        escalate(session, record, f"{kinds or '紧急'}风险，立即升级 / A safety, legal or health risk: escalated at once", to_level=2, members=members)


def _manually_placed(session: Session, record: Feedback) -> bool:
    """Whether a person assigned or claimed the item (then a correction does not move it)."""
    return (
        session.scalar(
            select(HistoryEntry.id)
            .where(HistoryEntry.feedback_id == record.id, HistoryEntry.kind.in_(("assign", "claim")))
            .limit(1)
        )
        is not None
    )


def retriage(session: Session, feedback_id: str) -> dict[str, int]:
    """Triage an item again after an agent corrected its analysis: priority and SLA, routing (unless a person
    placed it), safety escalation. A still-new item gets its first triage; finished items are left alone."""
    begin_write(session)
    record = session.get(Feedback, feedback_id)
    if record is None or record.status in DONE_STATUSES:
        session.commit()
        return {"triaged": 0, "assigned": 0}
    if record.status == "new":
        session.commit()
        return triage(session, [feedback_id])
    now = clock.now()
    work = sla.Clockwork.load(session)
    old = record.priority
    similar = _similar_counts(session, [record], now)
    result = prioritise(record, similar.get((record.problem_type, record.product), 0), work, now)
    if result.level != old:
        add_history(session, record, "priority", None,
                    priority_note("分析已更正", "The analysis was corrected", old, result.level))
    router = Router(session)
    team, _rule = router.team_for(record)
    assigned = 0
    if team is not None and team.id != record.team_id and not _manually_placed(session, record):
        owner = router.owners_for(team, 1)[0]
        before = record.status
        record.team_id, record.owner_id = team.id, owner
        if record.status in ("triaged", "assigned"):
            record.status = "assigned" if owner else "triaged"
        add_history(
            session, record, "status", None, f"分析已更正，改派到{team.name} / The analysis was corrected: moved to {team.name}",
            from_status=before, to_status=record.status, data={"team_id": team.id, "owner_id": owner},
        )
        if owner:
            notify(session, [owner], record, "assigned", assigned_title(record.id, new=True))
            assigned = 1
    _escalate_safety(session, record, result, router.level_cache)
    session.commit()
    return {"triaged": 1, "assigned": assigned}


def triage_stale(session: Session, older_than: timedelta = timedelta(minutes=10), limit: int = 1000) -> int:
    """Triage items still new long after intake (their analysis failed for good), so none waits unowned."""
    ids = list(
        session.scalars(
            select(Feedback.id)
            # created_at, not received_at: an imported review received last year is not "stale" on arrival
            .where(Feedback.status == "new", Feedback.created_at < clock.now() - older_than)
            .limit(limit)
        )
    )
    session.commit()
    return triage(session, ids)["triaged"] if ids else 0


def reprioritise_analysed(session: Session, limit: int = 5000) -> int:
    """Re-score open items whose analysis arrived after they were prioritised; commits."""
    begin_write(session)
    now = clock.now()
    records = list(
        session.scalars(
            select(Feedback)
            .where(Feedback.status.in_(("triaged", "assigned", "in_progress", "reopened")))
            .where(Feedback.analyzed_at.is_not(None), Feedback.prioritized_at < Feedback.analyzed_at)
            .limit(limit)
        )
    )
    if records:
        work = sla.Clockwork.load(session)
        similar = _similar_counts(session, records, now)
        for record in records:
            old = record.priority
            result = prioritise(record, similar.get((record.problem_type, record.product), 0), work, now)
            if result.level != old:
                add_history(session, record, "priority", None,
                            priority_note("分析完成", "Analysed", old, result.level))
            _escalate_safety(session, record, result)
    session.commit()
    return len(records)
