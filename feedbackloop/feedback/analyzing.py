"""Running the Chinese analysis over stored feedback, and agents' corrections of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.errors import ValidationFailed
from feedbackloop.feedback import facets
from feedbackloop.feedback.models import PROBLEM_TYPES, URGENCIES, Correction, CustomAspect, Feedback
from feedbackloop.lib.clock import clock

CHUNK = 500
CORRECTABLE = ("sentiment", "problem_type", "urgency", "aspects")
# Called with the ids of a chunk once its analysis is committed: the workflow registers triage here
# (workflow/tasks.py), so that priority, routing and escalation read what the analysis found.
after_analysis_hooks: list[Callable[[list[str]], None]] = []
# Called with the item's id after an agent's correction is committed: the workflow triages it again.
after_correction_hooks: list[Callable[[str], None]] = []


def custom_aspects(session: Session) -> list[dict[str, Any]]:
    """Admin-defined aspects as the analysis takes them: [{"name": "停车", "terms": ["停车", "车位"]}]."""
    return [{"name": a.name, "terms": list(a.words)} for a in session.scalars(select(CustomAspect).order_by(CustomAspect.id))]


def set_custom_aspect(session: Session, name: str, words: list[str]) -> None:
    """Add an admin-defined aspect, or replace the words of an existing one; commits."""
    begin_write(session)
    existing = session.scalar(select(CustomAspect).where(CustomAspect.name == name))
    if existing:
        existing.words = words
    else:
        session.add(CustomAspect(name=name, words=words))
    session.commit()


def _latest_corrections(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """For each item, the newest correction per field (they survive re-analysis)."""
    out: dict[str, dict[str, Any]] = {}
    rows = session.scalars(
        select(Correction).where(Correction.feedback_id.in_(ids)).order_by(Correction.id)
    )
    for c in rows:
        out.setdefault(c.feedback_id, {})[c.field] = c.new_value
    return out


def _apply_corrections(result: dict[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    for field, value in corrections.items():
        if field == "sentiment":
            result["sentiment"] = {**result.get("sentiment", {}), "label": value, "corrected": True}
        else:
            result[field] = value
    if corrections:
        result["corrected_fields"] = sorted(corrections)
    return result


def analyze_stored(session: Session, ids: Sequence[str], *, deep: bool = False,
                   wanted: list[str] | None = None) -> int:
    """Analyse the given items and store the results with the model version; returns how many.

    The fast tier runs here; the ids whose analysis asks for the deep tier are appended to `wanted` (for
    the background task). With deep=True the deep tier runs on them at once (`deepen_stored`, the
    re-analysis job); each field records the tier that decided it (`analysis.tiers`).
    """
    aspects = custom_aspects(session)
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        begin_write(session)
        rows = session.execute(
            select(Feedback.id, Feedback.content, Feedback.problem_type, Feedback.received_at,
                   Feedback.analysis).where(Feedback.id.in_(chunk))
        ).all()
        if not rows:
            continue
        _store_analysis(session, [tuple(r) for r in rows], aspects, deep=deep, wanted=wanted)
        session.commit()
        done += len(rows)
        for hook in after_analysis_hooks:
            hook([r[0] for r in rows])
    return done


def analyze_owed(session: Session, limit: int = CHUNK, on_full_batch: Callable[[], None] | None = None,
                 wanted: list[str] | None = None) -> list[str]:
    """Claim up to `limit` of the items still owed analysis (oldest first), analyse them in one
    `analyze_many` call, store the results and commit; returns their ids.

    On PostgreSQL the claim is `FOR NO KEY UPDATE SKIP LOCKED`: rows another worker is analysing are skipped, so
    concurrent workers take disjoint batches and no item is analysed twice; a worker that dies rolls back
    and its items are owed again. `on_full_batch` is called (after the claim, before the analysis) when the
    batch is full, so that the caller can wake another worker for the rest.
    """
    aspects = custom_aspects(session)
    begin_write(session)
    claim = (
        select(Feedback.id, Feedback.content, Feedback.problem_type, Feedback.received_at, Feedback.analysis)
        .where(Feedback.analyzed_at.is_(None))
        .order_by(Feedback.created_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: new items that reference a claimed one (duplicate_of) only need KEY SHARE,
        # so intake never waits for a batch under analysis.
        claim = claim.with_for_update(skip_locked=True, key_share=True)
    rows = [tuple(r) for r in session.execute(claim).all()]
    if len(rows) == limit and on_full_batch is not None:
        on_full_batch()
    if rows:
        _store_analysis(session, rows, aspects, wanted=wanted)
    session.commit()
    ids = [str(r[0]) for r in rows]
    if ids:
        for hook in after_analysis_hooks:
            hook(ids)
    return ids


def _store_analysis(session: Session, rows: Sequence[Sequence[Any]], aspects: list[dict[str, Any]], *,
                    deep: bool = False, wanted: list[str] | None = None) -> None:
    """Analyse (id, content, problem_type, received_at, analysis) rows in one batch and write the results in
    one executemany (agents' corrections kept; a problem type the item came with is kept too, one that an
    earlier analysis set follows the newer analysis), with the countable facet rows the dashboard groups
    (issue 13). With deep, the deep tier refines the texts that ask for it."""
    from feedbackloop.analysis import analyze_many

    texts = [r[1] for r in rows]
    results = analyze_many(texts, extra_aspects=aspects or None)
    if deep:
        from feedbackloop.analysis.deep import deepen

        results = deepen(texts, results)
    corrections = _latest_corrections(session, [r[0] for r in rows])
    now = clock.now()
    values = []
    stored = []
    for (fid, _, ptype, received, old), analysis in zip(rows, results, strict=True):
        data = _apply_corrections(analysis.to_dict(), corrections.get(fid, {}))
        if wanted is not None and analysis.deep_reasons and not analysis.deep_version:
            wanted.append(fid)
        if ptype is not None and old and ptype == old.get("problem_type") and \
                "problem_type" not in corrections.get(fid, {}):
            ptype = None  # set by the earlier analysis, not by the customer: follow the newer one
        values.append(
            {
                "id": fid,
                "analysis": data,
                "model_version": data.get("model_version"),
                "analyzed_at": now,
                "sentiment": data["sentiment"]["label"],
                "urgency": data.get("urgency"),
                "problem_type": ptype if ptype is not None else data.get("problem_type"),
            }
        )
        stored.append((fid, received, data))
    session.execute(update(Feedback), values)  # ORM bulk UPDATE by primary key
    facets.store(session, stored)


def deepen_stored(session: Session, ids: Sequence[str]) -> int:
    """Run both tiers over these items (the background deep task); returns how many were stored. An item whose
    urgency the deep tier changed (a paraphrased safety case found) is triaged again at once, as after an
    agent's correction: its priority and escalation must follow what the system now reads."""
    urgency = select(Feedback.id, Feedback.urgency).where(Feedback.id.in_(list(ids)))
    before = {fid: u for fid, u in session.execute(urgency)}
    done = analyze_stored(session, ids, deep=True)
    changed = [fid for fid, u in session.execute(urgency) if before.get(fid) != u]
    session.commit()
    for fid in changed:
        for hook in after_correction_hooks:
            hook(fid)
    return done


def pending_deep(session: Session) -> list[str]:
    """Items whose stored analysis asked for the deep tier and never got it, and items analysed before
    there were tiers (old items): what `reanalyze --deep` deepens."""
    out = []
    for fid, analysis in session.execute(select(Feedback.id, Feedback.analysis).order_by(Feedback.id)):
        a = analysis or {}
        if not a or "tiers" not in a or (a.get("deep_reasons") and not a.get("deep_version") and not a.get("notes")):
            out.append(fid)
    return out


def reanalyze_all(session: Session, progress: Callable[[int, int], None] | None = None, *,
                  deep: bool = False) -> int:
    """Re-run the pipeline over every stored item (e.g. after switching models); with deep, both tiers."""
    ids = list(session.scalars(select(Feedback.id).order_by(Feedback.id)))
    done = 0
    for start in range(0, len(ids), CHUNK):
        done += analyze_stored(session, ids[start : start + CHUNK], deep=deep)
        if progress:
            progress(done, len(ids))
    return done


def _validate(field: str, value: Any) -> Any:
    if field == "sentiment" and value not in ("negative", "neutral", "positive"):
        raise ValidationFailed("情感只能是 negative / neutral / positive")
    if field == "problem_type" and value is not None and value not in PROBLEM_TYPES:
        raise ValidationFailed(f"问题类型只能是: {', '.join(PROBLEM_TYPES)}, 或 null (无问题)")
    if field == "urgency" and value not in URGENCIES:
        raise ValidationFailed(f"紧急程度只能是: {', '.join(URGENCIES)}")
    if field == "aspects":
        ok = isinstance(value, list) and all(
            isinstance(a, dict) and isinstance(a.get("aspect"), str)
            and a.get("sentiment") in ("negative", "neutral", "positive")
            for a in value
        )
        if not ok:
            raise ValidationFailed('方面应为 [{"aspect": "早餐", "sentiment": "negative"}, …]')
    if field not in CORRECTABLE:
        raise ValidationFailed(f"只能更正: {', '.join(CORRECTABLE)}")
    return value


def correct(session: Session, record: Feedback, field: str, value: Any, user_id: int | None) -> Feedback:
    """Store an agent's correction and apply it to the item's analysis at once."""
    _validate(field, value)
    begin_write(session)
    session.refresh(record)
    analysis = dict(record.analysis or {})
    old = analysis.get("sentiment", {}).get("label") if field == "sentiment" else analysis.get(field)
    session.add(
        Correction(
            feedback_id=record.id, field=field, old_value=old, new_value=value, text=record.content,
            user_id=user_id, model_version=record.model_version,
        )
    )
    record.analysis = _apply_corrections(analysis, {field: value})
    if field == "sentiment":
        record.sentiment = value
    elif field == "urgency":
        record.urgency = value
    elif field == "problem_type":
        record.problem_type = value
    facets.store(session, [(record.id, record.received_at, record.analysis)])
    session.commit()
    for hook in after_correction_hooks:
        hook(record.id)
    session.refresh(record)
    return record


def sentiment_corrections(session: Session) -> list[tuple[str, int]]:
    """Corrected (text, 0/1) pairs for retraining; neutral corrections carry no binary label."""
    rows = session.execute(
        select(Correction.text, Correction.new_value).where(Correction.field == "sentiment").order_by(Correction.id)
    )
    latest = {text: value for text, value in rows}
    return [(t, 1 if v == "positive" else 0) for t, v in latest.items() if v in ("positive", "negative")]


def triage_corrections(session: Session) -> list[tuple[str, str, Any]]:
    """Corrected (text, field, value) triples for the problem-type / urgency heads (newest per text and field);
    a problem type corrected to 无 is None, as the analysis stores it."""
    rows = session.execute(
        select(Correction.text, Correction.field, Correction.new_value)
        .where(Correction.field.in_(("problem_type", "urgency", "sentiment"))).order_by(Correction.id)
    )
    latest = {(text, field): value for text, field, value in rows}
    return [(t, f, None if f == "problem_type" and v in (None, "无") else v) for (t, f), v in latest.items()]
