"""Every KPI against figures computed by hand on kpi_fixture (SQLite and PostgreSQL alike).

The hand computation, in business minutes (Mon–Fri 09–18, 04-04 holiday, 04-07 make-up workday):
- first response: A 60, B 120 (17–18 on 04-03, holiday, 09–10 on 04-05), C 60 (Sat 20:00 → make-up Sunday 10:00),
  D 30 → sorted 30 60 60 120: median 60, p90 60 + 0.7 × 60 = 102. Calendar: 60, 2460, 840, 30 → 450, 1974.
- resolution: A 300, B 240 − 60 waiting = 180, C 540 + 30 = 570 (reopened, resolved again), D 540 →
  180 300 540 570: median 420, p90 540 + 0.7 × 30 = 561. Calendar: 300, 2580 − 60, 2250, 1440 → 1845, 2439.
- hand-off: A 10:05 → 11:00 = 55; C Sat 21:00 → Sun (make-up) 09:30 = 30 business / 750 calendar.
- follow-up: A resolved 04-01 15:00, confirmed (满意) 04-02 10:00 = 180 + 60 = 240 business, 1140 calendar;
  D resolved 04-10 09:00, survey answered 04-11 12:00 = 540 + 180 = 720 / 1620 → median 480, p90 240 + 0.9 × 480 = 672;
  calendar 1380, 1572.
- response rate: 11 invitations sent in April (one answered only in May still counts as answered), 9 answered.
- fcr: A yes (D comes 7 days 18 h after A's resolution), B no (E within 7 days), C no (reopened), D no (the
  customer answered "not solved first time") → 25 %; repeat within 30 days: A (D), B (E) → 50 %.
- SLA: A met, B resolved after its due time, C breached, E still open and not yet due (left out) → 1 / 3.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from feedbackloop.insight import daily, kpi_facts, kpis

APRIL = (date(2024, 4, 1), date(2024, 4, 30))


def values(db, **filters):
    got = kpis.compute_all(db, *APRIL, kpis.Filters(**filters))
    return {k: v.value for k, v in got.items()}, got


EXPECTED = {
    "csat": 66.67, "nps": 40.0, "ces": None, "ces_share": None, "response_rate": 81.82,
    "first_response_minutes_median": 60.0, "first_response_minutes_p90": 102.0,
    "first_response_calendar_minutes_median": 450.0, "first_response_calendar_minutes_p90": 1974.0,
    "resolution_minutes_median": 420.0, "resolution_minutes_p90": 561.0,
    "resolution_calendar_minutes_median": 1845.0, "resolution_calendar_minutes_p90": 2439.0,
    "handoff_minutes_median": 42.5, "handoff_minutes_p90": 52.5,
    "handoff_calendar_minutes_median": 402.5, "handoff_calendar_minutes_p90": 680.5,
    "followup_minutes_median": 480.0, "followup_minutes_p90": 672.0,
    "followup_calendar_minutes_median": 1380.0, "followup_calendar_minutes_p90": 1572.0,
    "handling_rate": 83.33, "sla_compliance": 33.33, "fcr": 25.0, "repeat_rate": 50.0,
    "complaint_rate": 60.0, "positive_rate": 20.0, "retention": 50.0,
}  # fmt: skip


def test_every_kpi_matches_the_hand_computed_figure(month):
    got, _ = values(month)
    assert got == EXPECTED


def test_each_figure_carries_its_n_and_says_when_it_is_below_30(month):
    _, got = values(month)
    assert {k: got[k].n for k in ("csat", "nps", "ces", "response_rate", "fcr", "handling_rate", "sla_compliance")} == {
        "csat": 3, "nps": 5, "ces": 0, "response_rate": 11, "fcr": 4, "handling_rate": 6, "sla_compliance": 3}
    assert got["first_response_minutes_median"].n == 4 and got["handoff_minutes_median"].n == 2
    assert all(v.low_n for v in got.values())


def test_csat_also_gives_the_mean_and_the_distribution_and_nps_its_parts(month):
    _, got = values(month)
    assert got["csat"].extra == {"mean": 3.67, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}
    assert got["nps"].extra == {"promoters": 3, "passives": 1, "detractors": 1}
    assert got["response_rate"].extra["by_kind"] == {"csat": {"value": 80.0, "n": 5}, "nps": {"value": 83.33, "n": 6}}


def test_filters_narrow_surveys_by_their_snapshot_and_items_by_their_own_columns(month):
    got, _ = values(month, channel="tmall")
    assert got["csat"] == 50.0  # the tmall answers: 5 and 2
    assert got["first_response_minutes_median"] == 60.0  # only C
    assert got["fcr"] == 0.0 and got["handling_rate"] == 100.0
    got, _ = values(month, problem_type="价格")
    assert got["repeat_rate"] == 100.0 and got["resolution_calendar_minutes_median"] == 2520.0


def test_an_empty_range_has_no_values_and_n_zero(month):
    got = kpis.compute_all(month, date(2023, 1, 1), date(2023, 1, 31))
    assert all(v.value is None and v.n == 0 for v in got.values())


def test_all_passives_give_an_nps_of_zero_and_ces_has_mean_and_share(db):
    from kpi_fixture import at

    from feedbackloop.surveys.models import Survey, SurveyInvitation, SurveyResponse

    nps = Survey(name="n", kind="nps", question_zh="q", question_en="q", followups=[])
    ces = Survey(name="c", kind="ces", question_zh="q", question_en="q", followups=[])
    db.add_all([nps, ces])
    db.flush()
    for n, (survey, score) in enumerate([(nps, 7), (nps, 8), (ces, 7), (ces, 5), (ces, 4), (ces, 2)]):
        inv = SurveyInvitation(survey_id=survey.id, kind=survey.kind, token=f"t{n}", customer_key=f"k{n}", subject="s",
                               trigger="manual", sent_at=at("2024-04-02"), expires_at=at("2024-04-20"),
                               answered_at=at("2024-04-03"))  # fmt: skip
        db.add(inv)
        db.flush()
        db.add(SurveyResponse(invitation_id=inv.id, survey_id=survey.id, kind=survey.kind, score=score, answers={},
                              trigger="manual", answered_at=at("2024-04-03")))  # fmt: skip
    db.commit()
    daily.rebuild(db)  # rows written straight into the tables
    got = kpis.compute_all(db, *APRIL)
    assert (got["nps"].value, got["nps"].n) == (0.0, 2)
    assert (got["ces"].value, got["ces_share"].value, got["ces"].n) == (4.5, 50.0, 4)


def test_overview_adds_targets_the_previous_period_and_whether_each_is_met(month):
    kpis.set_target(month, "csat", 80, "higher")
    kpis.set_target(month, "first_response_minutes_median", 90, None)
    data = kpis.overview(month, *APRIL)["kpis"]
    assert (data["csat"]["target"], data["csat"]["met"]) == (80, False)
    assert (data["first_response_minutes_median"]["direction"], data["first_response_minutes_median"]["met"]) == ("lower", True)
    assert data["repeat_rate"]["target"] == 15.0 and data["repeat_rate"]["met"] is False  # SPEC §7 default
    assert data["handling_rate"]["previous"] == 0.0 and data["handling_rate"]["change"] == 83.33  # March: 2 open items


def test_a_changed_item_is_recomputed_by_the_next_refresh(month):
    from feedbackloop.db import begin_write
    from feedbackloop.feedback.models import Feedback

    begin_write(month)
    item = month.get(Feedback, "FBD")
    item.resolved_at = datetime.fromisoformat("2024-04-09T10:00+08:00")
    month.commit()
    assert kpi_facts.refresh(month) >= 1
    got, _ = values(month)
    assert got["resolution_minutes_median"] == 240.0  # D now 60: 60 180 300 570 → (180 + 300) / 2


def test_bad_ranges_and_targets_are_refused(month):
    from feedbackloop.errors import NotFound, ValidationFailed

    with pytest.raises(ValidationFailed):
        kpis.compute_all(month, date(2024, 4, 30), date(2024, 4, 1))
    with pytest.raises(ValidationFailed):
        kpis.set_target(month, "nps", 150, None)
    with pytest.raises(NotFound):
        kpis.set_target(month, "nope", 1, None)


def test_a_new_item_from_the_same_customer_turns_an_earlier_resolution_into_a_repeat(month):
    from kpi_fixture import _item, at

    from feedbackloop.db import begin_write

    begin_write(month)
    month.add(_item("FBI", at("2024-04-20", "10:00"), contact="c3", problem_type="物流"))  # C's customer, again
    month.commit()
    kpi_facts.refresh(month)
    got, _ = values(month)
    assert got["repeat_rate"] == 75.0  # A, B and now C
    assert got["handling_rate"] == 71.43  # 5 of 7 received


@pytest.mark.parametrize(("change", "unit", "lang", "shown"), [
    (12.5, "percent", "zh-CN", "+12.5 个百分点"), (-3.0, "percent", "en", "-3.0 pts"), (5.0, "nps", "zh-CN", "+5.0"),
    (0.2, "score", "zh-CN", "+0.20"), (-90.0, "minutes", "zh-CN", "-1 小时 30 分"), (45.0, "minutes", "en", "+45 min"),
    (0.0, "minutes", "zh-CN", "0 分"), (None, "minutes", "zh-CN", ""),
])  # fmt: skip
def test_a_change_is_shown_in_the_kpis_own_unit(change, unit, lang, shown):
    """The report's and the KPI page's 变化: a duration change reads as hours and minutes, a share's as points."""
    assert kpis.human_change(change, unit, lang) == shown
