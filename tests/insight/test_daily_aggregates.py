"""The daily rows (insight/daily.py) never drift from the raw rows: items are changed in every way the product
changes them (intake, analysis, corrections, assignment, every status, merge, SLA breach, survey invitations
and answers, erasure), and after each round every KPI (with and without each filter) and every dashboard
figure computed from the daily rows equals, to the last decimal, the same figure computed from the raw rows."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from feedbackloop.accounts.models import User
from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback.analyzing import analyze_stored, correct
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.services import FeedbackFilter
from feedbackloop.insight import daily, dashboard, kpi_facts, kpis
from feedbackloop.insight.daily_models import (
    DailyCounts,
    DailyItemKeys,
    DailyItems,
    DailyMinutes,
    DailySurveys,
)
from feedbackloop.lib.clock import CHINA, clock
from feedbackloop.privacy.services import erase_customer
from feedbackloop.surveys import answers
from feedbackloop.surveys import services as surveys
from feedbackloop.workflow import services as workflow

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in China
TODAY = date(2026, 11, 30)
TEXTS = [  # text, channel, product, days ago, contact
    ("送餐太慢了, 等了两个小时, 饭都凉了", "meituan", "外卖", 1, "13800000001"),
    ("外卖送餐速度太慢, 超时一个多小时", "meituan", "外卖", 2, "13800000001"),
    ("配送太慢了, 骑手迟到一小时, 差评", "meituan", "外卖", 3, "13800000002"),
    ("房间很干净, 服务很好, 下次还来", "dianping", None, 5, "a@example.com"),
    ("早餐很差, 品种太少", "dianping", None, 9, "a@example.com"),
    ("物流太慢了, 一个星期才到", "jd", "手机", 12, "13800000003"),
    ("手机屏幕有坏点, 质量太差", "jd", "手机", 20, "13800000003"),
    ("价格太贵了, 不值这个价", "tmall", None, 25, None),
    ("东西不错, 物流很快, 好评", "tmall", None, 40, "13800000004"),
    ("APP 闪退, 无法登录", "api", "App", 45, "13800000004"),
    ("客服态度很差, 问题一直没人解决", "web_form", None, 60, "13800000005"),
    ("吃了以后拉肚子, 食物不新鲜", "meituan", "外卖", 75, "13800000005"),
]
RANGES = [(TODAY - timedelta(days=29), TODAY), (TODAY - timedelta(days=89), TODAY), (TODAY - timedelta(days=6), TODAY)]


@contextmanager
def raw_only(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Every reader answers from the raw rows (as it does for a range of part days or a stale item)."""
    with monkeypatch.context() as m:
        m.setattr(daily, "whole_days", lambda lo, hi: None)
        m.setattr(daily, "fresh", lambda session: False)
        yield


def _kpi_filters(db) -> list[kpis.Filters]:  # type: ignore[no-untyped-def]
    agent = db.scalar(select(User.id).where(User.role == "agent"))
    return [kpis.Filters(), kpis.Filters(channel="meituan"), kpis.Filters(product="外卖"), kpis.Filters(team_id=1),
            kpis.Filters(customer_type="new"), kpis.Filters(agent_id=agent), kpis.Filters(problem_type="物流"),
            kpis.Filters(channel="jd", customer_type="returning")]  # fmt: skip


def _views() -> list[dashboard.View]:
    out = []
    for start, end in RANGES:
        lo, hi = dashboard.bounds(start, end)
        for extra in ({}, {"channel": "meituan"}, {"product": "外卖"}, {"customer_type": "new"}, {"team_id": 1},
                      {"channel": "jd", "product": "手机"}):  # fmt: skip
            out.append(dashboard.View(FeedbackFilter(date_from=lo, date_to=hi, **extra), start, end,
                                      lambda **changes: "/inbox"))  # fmt: skip
    return out


def _dashboard(db, view: dashboard.View) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "summary": dashboard.summary(db, view), "volume": dashboard.volume(db, view),
        "weeks": dashboard.volume(db, view, "week"), "channels": dashboard.channels(db, view),
        "problem_types": dashboard.problem_types(db, view), "versions": dashboard.versions(db, view),
        "aspects": dashboard.aspects(db, view), "keywords": dashboard.keywords(db, view),
        "mentions": dashboard.mentions(db, view), "sla": dashboard.sla(db, view),
        "backlog": dashboard.backlog(db, view, TODAY), "themes": dashboard.themes(db, view),
        "kpi_tiles": dashboard.kpi_tiles(db, view), "surveys": dashboard.survey_trend(db, view),
    }  # fmt: skip


def figures(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out: dict[str, Any] = {}
    for start, end in RANGES:
        for f in _kpi_filters(db):
            out[f"kpis {start} {f}"] = kpis.overview(db, start, end, f)
    for n, view in enumerate(_views()):
        out[f"dashboard {n} {view.filters.channel} {view.filters.product}"] = _dashboard(db, view)
    db.rollback()
    return out


def check(db, monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Sync, then every figure from the daily rows equals the raw one (and the daily rows were read)."""
    kpi_facts.refresh(db)
    assert daily.fresh(db)
    view = _views()[0]
    assert dashboard._agg(db, view) is not None, "the dashboard would not read the daily rows"
    got = figures(db)
    with raw_only(monkeypatch):
        want = figures(db)
    for key in want:
        assert got[key] == want[key], (key, _diff(got[key], want[key]))
    return got


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two figures differ (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in {*a, *b} for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for n, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{n}]")]
    return [] if a == b else [f"{path}: daily {a!r} raw {b!r}"]


@pytest.fixture
def world(db, make_feedback, make_user):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)
    make_user("agent")
    make_user("supervisor")
    for n, (text, channel, product, days_ago, contact) in enumerate(TEXTS):
        make_feedback(content=text, channel=channel, product=product, contact=contact,
                      received_at=NOW - timedelta(days=days_ago, minutes=17 * n))  # fmt: skip
    ids = sorted(db.scalars(select(Feedback.id)))
    analyze_stored(db, ids)
    db.commit()
    return ids


def test_every_figure_from_the_daily_rows_equals_the_raw_figure_through_every_kind_of_change(db, world, monkeypatch):
    ids = world
    first = check(db, monkeypatch)
    assert db.scalar(select(func.sum(DailyItems.received)).where(DailyItems.grain == 0)) == len(ids)
    assert first["kpis 2026-11-01 Filters(channel=None, team_id=None, agent_id=None, problem_type=None, "
                 "product=None, customer_type=None)"]["kpis"]["complaint_rate"]["n"] > 0  # fmt: skip

    # Corrections (sentiment, problem type: facets rewritten), assignment, the life cycle, a merge, spam.
    agent = db.scalar(select(User).where(User.role == "agent"))
    boss = db.scalar(select(User).where(User.role == "supervisor"))
    correct(db, db.get(Feedback, ids[3]), "sentiment", "negative", boss.id)
    correct(db, db.get(Feedback, ids[5]), "problem_type", "服务质量", boss.id)
    for fid in ids[:6]:
        workflow.assign(db, fid, agent.id, boss)
    clock.freeze(NOW + timedelta(hours=1))
    workflow.transition(db, ids[0], "resolved", agent)
    workflow.transition(db, ids[1], "in_progress", agent)
    workflow.transition(db, ids[1], "resolved", agent)
    workflow.transition(db, ids[1], "closed", agent)
    workflow.transition(db, ids[2], "waiting_customer", agent)
    workflow.transition(db, ids[4], "merged", agent, merged_into=ids[3])
    workflow.transition(db, ids[7], "spam", boss)
    db.execute(update(Feedback).where(Feedback.id.in_(ids[8:10])).values(first_response_breached_at=NOW))
    db.commit()
    check(db, monkeypatch)

    # A reopen, then surveys: invitations (the response rate) and answers (CSAT, NPS) on resolved items.
    clock.freeze(NOW + timedelta(hours=2))
    workflow.transition(db, ids[1], "reopened", agent)
    workflow.transition(db, ids[2], "resolved", agent)
    nps = surveys.save_survey(db, {"kind": "nps", "name": "NPS"}, None)
    csat = surveys.save_survey(db, {"kind": "csat", "name": "CSAT"}, None)
    sent = [surveys.invite_item(db, nps.id, ids[0], "manual"), surveys.invite_item(db, csat.id, ids[2], "manual"),
            surveys.invite_item(db, csat.id, ids[5], "manual")]  # fmt: skip
    answers.answer(db, sent[0].token, 3)
    answers.answer(db, sent[1].token, 5, "谢谢, 很快就解决了")
    after = check(db, monkeypatch)
    assert db.scalar(select(func.sum(DailySurveys.n)).where(DailySurveys.grain == 0)) == 2
    assert db.scalar(select(func.count()).select_from(DailyMinutes)) > 0

    # Erasure: contacts, texts and facets of one customer are gone; retention and the keyword cloud follow.
    erase_customer(db, boss, "13800000001")
    clock.freeze(NOW + timedelta(hours=3))
    later = check(db, monkeypatch)
    key = next(k for k in later if k.startswith("dashboard 0 "))
    assert later[key]["keywords"] != after[key]["keywords"]


def test_a_stale_item_or_a_part_day_range_is_answered_from_the_raw_rows(db, world):
    kpi_facts.refresh(db)
    view = _views()[0]
    assert dashboard._agg(db, view) is not None
    db.execute(update(Feedback).where(Feedback.id == world[0]).values(sentiment="positive"))  # not yet counted
    db.commit()
    assert not daily.fresh(db) and dashboard._agg(db, view) is None
    before = dashboard.summary(db, view)["negative"]
    daily.sync(db)
    assert dashboard._agg(db, view) is not None and dashboard.summary(db, view)["negative"] == before
    part = dashboard.View(FeedbackFilter(date_from=view.filters.date_from + timedelta(hours=1),
                                         date_to=view.filters.date_to), view.start, view.end, view.href)  # fmt: skip
    assert dashboard._agg(db, part) is None
    assert daily.whole_days(*kpis.bounds(TODAY, TODAY)) == (TODAY.isoformat(), TODAY.isoformat())
    assert daily.whole_days(NOW, NOW + timedelta(days=1)) is None


def test_rebuild_gives_the_rows_the_sync_kept(db, world):
    kpi_facts.refresh(db)
    kept = sorted(tuple(r) for r in db.execute(select(DailyCounts.kind, DailyCounts.grain, DailyCounts.day,
                                                      DailyCounts.channel, DailyCounts.key1, DailyCounts.key2,
                                                      DailyCounts.n)))  # fmt: skip
    daily.rebuild(db)
    again = sorted(tuple(r) for r in db.execute(select(DailyCounts.kind, DailyCounts.grain, DailyCounts.day,
                                                       DailyCounts.channel, DailyCounts.key1, DailyCounts.key2,
                                                       DailyCounts.n)))  # fmt: skip
    assert kept and kept == again


def _count_rows(db) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    db.rollback()
    return sorted(tuple(r) for r in db.execute(select(DailyCounts.kind, DailyCounts.grain, DailyCounts.day,
                                                      DailyCounts.channel, DailyCounts.key1, DailyCounts.key2,
                                                      DailyCounts.n)))  # fmt: skip


def _sync_together(threads: int) -> list[BaseException]:
    """Run daily.sync in this many threads released at the same moment; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def one() -> None:
        session = get_sessionmaker()()
        try:
            start.wait()
            daily.sync(session)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(exc)
        finally:
            session.close()

    running = [threading.Thread(target=one) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join(60)
    return errors


def test_concurrent_syncs_take_turns_and_count_each_item_once(db, world):
    """Dashboard requests and the KPI task sync at the same moment: on PostgreSQL two of them used to delete
    and re-insert the same day's rows side by side (doubled counts, a duplicate key in agg_item_keys)."""
    daily.rebuild(db)
    want = _count_rows(db)
    later = db.scalar(select(func.max(Feedback.updated_at)))
    for round_ in range(1, 6):
        db.execute(update(Feedback).values(updated_at=later + timedelta(minutes=round_)))  # every item is due again
        db.commit()
        assert not daily.fresh(db)
        db.rollback()
        assert _sync_together(6) == []
        assert daily.fresh(db)
        assert _count_rows(db) == want
        assert db.scalar(select(func.sum(DailyItems.received)).where(DailyItems.grain == 0)) == len(world)


def test_value_buckets_cover_every_value_exactly_once():
    edges = [daily.bucket_bounds(b) for b in range(300)]
    for (lo, hi), (lo2, _) in zip(edges, edges[1:], strict=False):
        assert lo < hi == lo2
    assert edges[0][0] == 0.0


def test_a_dashboard_request_decides_freshness_once(client, db, world, admin_headers, monkeypatch):
    """Every chart of a request asks `fresh`; the stale-item probe and the two counts run once, after the sync."""
    daily.sync(db)  # the items of the fixture are counted, as after any earlier request
    calls = []
    real = daily._fresh_now
    monkeypatch.setattr(daily, "_fresh_now", lambda session: calls.append(1) or real(session))
    r = client.get("/api/v1/dashboard/summary?from=2026-11-01&to=2026-11-30", headers=admin_headers)
    assert r.status_code == 200 and r.json()["total"] > 0
    assert len(calls) == 1  # nothing was due: one probe decides for the whole request
    db.execute(update(Feedback).where(Feedback.id == world[0]).values(updated_at=func.now()))
    db.commit()
    calls.clear()
    r = client.get("/api/v1/dashboard/summary?from=2026-11-01&to=2026-11-30", headers=admin_headers)
    assert r.status_code == 200 and len(calls) == 3  # due: the probe, sync's own, the pin after it
    calls.clear()
    assert client.get("/api/v1/kpis?from=2026-11-01&to=2026-11-30", headers=admin_headers).status_code == 200
    assert len(calls) <= 3  # kpi_facts.refresh's sync, maybe a second sync pass, then the pin


def test_an_item_the_window_missed_is_found_by_the_counts_after_the_recheck(db, world, monkeypatch):
    """An item committed with an updated_at long before the last count (a late commit): the stale-item probe
    cannot see it; the item counts find it, and a request trusts their last "all counted" for KEYED_RECHECK."""
    daily.sync(db)
    assert daily.sync_and_pin(db) is True
    late = world[0]
    db.execute(update(Feedback).where(Feedback.id == late).values(updated_at=NOW - timedelta(days=2)))
    db.execute(delete(DailyItemKeys).where(DailyItemKeys.feedback_id == late))  # as if never counted
    db.commit()
    assert daily.sync_and_pin(db) is True  # within the recheck interval: trusted
    monkeypatch.setattr(daily, "KEYED_RECHECK", 0.0)
    assert daily._fresh_now(db) is False  # counted again: one item is missing
    daily.sync(db)
    assert daily._fresh_now(db) is True


@pytest.mark.parametrize("moment", [
    datetime(2026, 11, 20, 15, 59, 59, 999_700, tzinfo=UTC),  # 23:59:59.9997 in China: still the 20th
    datetime(2026, 11, 20, 16, 0, tzinfo=UTC),  # midnight in China: the 21st
    datetime(2026, 11, 19, 23, 30, tzinfo=UTC),
])  # fmt: skip
def test_the_databases_china_day_is_the_day_python_gives(db, make_feedback, moment):
    """Daily rows and drill-down lists are counted by the database's day and checked by Python's: they must
    agree at the edges (SQLite rounds a fraction to milliseconds, which pushed 23:59:59.9997 into the next day)."""
    item = make_feedback(content="送餐太慢了", received_at=moment)
    got = db.scalar(select(daily.china_text(db, Feedback.received_at)).where(Feedback.id == item.id))
    second = db.scalar(select(daily.china_text(db, Feedback.received_at, "second")).where(Feedback.id == item.id))
    assert got == daily.day_of(moment)
    assert second == moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
