"""A small month of work (April 2024) whose KPIs were computed by hand; see test_kpis.py for the figures.

Business calendar: Mon–Fri 09:00–18:00 Asia/Shanghai, 2024-04-04 (清明, Thursday) a holiday, 2024-04-07
(Sunday) a make-up workday."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight import daily
from feedbackloop.surveys.models import Survey, SurveyInvitation, SurveyResponse
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import HistoryEntry

CN = ZoneInfo("Asia/Shanghai")


def at(day: str, hm: str = "00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=CN)


def _item(fid: str, received: datetime, **fields: object) -> Feedback:
    base: dict[str, object] = {"channel": "api", "content": f"内容 {fid}", "content_hash": fid, "received_at": received,
                               "created_at": received}
    base.update(fields)
    return Feedback(id=fid, **base)


def _event(fid: str, when: datetime, kind: str, actor_id: int | None = None, **fields: object) -> HistoryEntry:
    return HistoryEntry(feedback_id=fid, at=when, kind=kind, actor_id=actor_id, actor="t", **fields)


def build(db: Session, agent_x: int, agent_y: int) -> None:
    """Store the fixture (items, history, surveys) in one transaction."""
    begin_write(db)
    sla.update_calendar(db, {"holidays": ["2024-04-04"], "extra_workdays": ["2024-04-07"]})
    db.add_all([
        _item("FBA", at("2024-04-01", "10:00"), contact="c1", problem_type="物流", status="closed", sentiment="negative",
              owner_id=agent_x, first_responded_at=at("2024-04-01", "11:00"), resolved_at=at("2024-04-01", "15:00"),
              first_response_due=at("2024-04-01", "13:00"), resolution_due=at("2024-04-02", "10:00"),
              satisfaction="satisfied", satisfaction_at=at("2024-04-02", "10:00")),
        _item("FBB", at("2024-04-03", "17:00"), contact="c2", problem_type="价格", status="resolved", sentiment="negative",
              first_responded_at=at("2024-04-05", "10:00"), resolved_at=at("2024-04-05", "12:00"),
              resolution_due=at("2024-04-05", "11:00")),
        _item("FBC", at("2024-04-06", "20:00"), contact="c3", problem_type="物流", status="resolved", sentiment="positive",
              channel="tmall", owner_id=agent_y, first_responded_at=at("2024-04-07", "10:00"),
              resolved_at=at("2024-04-08", "09:30"), reopen_count=1, first_response_due=at("2024-04-07", "09:30"),
              first_response_breached_at=at("2024-04-07", "09:30")),
        _item("FBD", at("2024-04-09", "09:00"), contact="c1", problem_type="物流", status="resolved", sentiment="neutral",
              first_responded_at=at("2024-04-09", "09:30"), resolved_at=at("2024-04-10", "09:00")),
        _item("FBE", at("2024-04-10", "10:00"), contact="c2", problem_type="价格", status="new", sentiment="negative",
              first_response_due=at("2024-04-10", "11:00")),
        _item("FBF", at("2024-04-12", "10:00"), status="spam"),
        # March: the previous period's customers (retention)
        _item("FBG", at("2024-03-15", "10:00"), contact="c1", problem_type="物流"),
        _item("FBH", at("2024-03-20", "10:00"), contact="c9", problem_type="价格"),
    ])  # fmt: skip
    db.flush()
    db.add_all([
        _event("FBA", at("2024-04-01", "10:05"), "status", None, to_status="assigned", data={"owner_id": agent_x}),
        _event("FBA", at("2024-04-01", "11:00"), "reply", agent_x),
        _event("FBB", at("2024-04-05", "10:00"), "status", None, from_status="assigned", to_status="waiting_customer"),
        _event("FBB", at("2024-04-05", "11:00"), "status", None, from_status="waiting_customer", to_status="in_progress"),
        _event("FBC", at("2024-04-06", "21:00"), "assign", None, data={"from_owner": None, "to_owner": agent_y}),
        _event("FBC", at("2024-04-07", "09:30"), "status", agent_y, from_status="assigned", to_status="in_progress"),
    ])  # fmt: skip
    csat = Survey(name="CSAT", kind="csat", question_zh="q", question_en="q", followups=[])
    nps = Survey(name="NPS", kind="nps", question_zh="q", question_en="q", followups=[])
    db.add_all([csat, nps])
    db.flush()
    answered = [  # (survey, score or None, channel, answered day, feedback id, fcr answer)
        (csat, 5, "tmall", "2024-04-02", "FBA", None), (csat, 2, "tmall", "2024-04-06", None, None),
        (csat, 4, "api", "2024-04-11", "FBD", False), (csat, None, "api", None, None, None),
        (nps, 10, "api", "2024-04-03", None, None), (nps, 9, "api", "2024-04-04", None, None),
        (nps, 9, "api", "2024-04-05", None, None), (nps, 7, "api", "2024-04-06", None, None),
        (nps, 3, "api", "2024-04-07", None, None), (nps, None, "api", None, None, None),
    ]  # fmt: skip
    late = (csat, 1, "api", "2024-05-02", None, None)  # answered after the range: not counted
    for n, (survey, score, channel, day, fid, fcr) in enumerate([*answered, late]):
        sent = at(day or "2024-04-20", "08:00") - timedelta(days=1) if day != "2024-05-02" else at("2024-04-29", "09:00")
        inv = SurveyInvitation(survey_id=survey.id, kind=survey.kind, token=f"tok{n}", customer_key=f"k{n}",
                               subject=f"s{n}", feedback_id=fid, trigger="manual", channel=channel, sent_at=sent,
                               expires_at=sent + timedelta(days=14),
                               answered_at=at(day, "12:00") if day else None)  # fmt: skip
        db.add(inv)
        db.flush()
        if score is not None and day:
            db.add(SurveyResponse(invitation_id=inv.id, survey_id=survey.id, kind=survey.kind, score=score,
                                  answers={}, fcr_answer=fcr, trigger="manual", feedback_id=fid, channel=channel,
                                  answered_at=at(day, "12:00")))  # fmt: skip
    db.commit()
    daily.rebuild(db)  # the survey rows were written straight into their tables, not through surveys.answers
