"""KPI benchmark: every KPI for a 90-day range over N items and M survey responses, on SQLite or PostgreSQL.

    .venv/bin/python bench/kpi_bench.py --items 1000000 --responses 200000            # SQLite file in /tmp
    .venv/bin/python bench/kpi_bench.py --items 200000 --responses 40000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:55432/fl_h12_bench

Fills a fresh database (the real schema, through the migrations) with synthetic items spread over a year,
their per-item durations (kpi_item_times, kpi_handoffs: what kpi_facts.refresh keeps current) and survey
invitations and responses, then times each KPI request (`kpis.compute`) for the last 90 days, `--runs` times,
and prints the median and the worst in milliseconds, with the database's row counts. Also times
`kpi_facts.refresh` on a sample of changed items (items per second).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 20_000
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PROBLEMS = ["产品功能", "服务质量", "价格", "物流", "界面/交互", "其他"]
CHANNELS = ["api", "web_form", "tmall", "jd", "meituan", "email"]


def _reset_pg(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def _fill(engine, items: int, responses: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from feedbackloop.feedback.models import Feedback
    from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes
    from feedbackloop.surveys.models import Survey, SurveyInvitation, SurveyResponse

    customers = max(1000, items // 3)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Survey), [{"name": k, "kind": k, "question_zh": "q", "question_en": "q", "followups": [],
                                       "channels": [], "team_ids": [], "active": True, "on_resolve": False,
                                       "on_order": False, "created_at": NOW, "updated_at": NOW}
                                      for k in ("csat", "nps", "ces")])  # fmt: skip
    for lo in range(0, items, CHUNK):
        rows, facts, handoffs = [], [], []
        for n in range(lo, min(items, lo + CHUNK)):
            received = NOW - timedelta(minutes=rng.uniform(0, 365 * 1440))
            done = received < NOW - timedelta(days=2) and rng.random() < 0.85
            first = received + timedelta(minutes=rng.lognormvariate(4, 1)) if rng.random() < 0.95 else None
            resolved = (first or received) + timedelta(minutes=rng.lognormvariate(6.5, 1)) if done else None
            fid = f"FB{n:011d}"
            problem, channel = rng.choice(PROBLEMS), rng.choice(CHANNELS)
            team, owner = rng.randint(1, 8), None
            rows.append({"id": fid, "channel": channel, "content": "x", "content_hash": "h", "received_at": received,
                         "created_at": received, "updated_at": received, "contact": f"c{rng.randrange(customers)}",
                         "customer_type": rng.choice(["new", "returning", "high_value"]), "problem_type": problem,
                         "status": "closed" if done else "in_progress", "sentiment": rng.choice(["negative", "neutral", "positive"]),
                         "team_id": team, "owner_id": owner, "resolved_at": resolved, "first_responded_at": first,
                         "first_response_due": received + timedelta(hours=4), "resolution_due": received + timedelta(days=2),
                         "reopen_count": 1 if rng.random() < 0.05 else 0, "consent_public": False, "is_vague": False,
                         "mh0": 0, "mh1": 0, "mh2": 0, "mh3": 0, "mh4": 0, "escalation_level": 1,
                         "priority_score": 0, "sla_paused_seconds": 0})  # fmt: skip
            fu = rng.lognormvariate(7, 0.8)  # resolution → the customer's confirmation: a day or so, spread out
            fr = (first - received).total_seconds() / 60 if first else None
            rs = (resolved - received).total_seconds() / 60 if resolved else None
            facts.append({"feedback_id": fid, "computed_at": NOW, "source_updated_at": received, "channel": channel,
                          "team_id": team, "agent_id": owner, "problem_type": problem, "product": None,
                          "customer_type": rows[-1]["customer_type"], "first_response_at": first,
                          "first_response_minutes": fr, "first_response_business_minutes": fr and fr * 0.4,
                          "resolved_at": resolved, "resolution_minutes": rs, "resolution_business_minutes": rs and rs * 0.4,
                          "confirmed_at": resolved + timedelta(minutes=fu) if resolved and rng.random() < 0.4 else None,
                          "followup_minutes": fu, "followup_business_minutes": fu * 0.4,
                          "reopened": rows[-1]["reopen_count"] > 0})  # fmt: skip
            if first:
                handoffs.append({"feedback_id": fid, "owner_id": None, "team_id": team, "channel": channel,
                                 "problem_type": problem, "product": None, "customer_type": rows[-1]["customer_type"],
                                 "assigned_at": received + timedelta(minutes=5), "acted_at": first,
                                 "minutes": fr or 0.0, "business_minutes": (fr or 0.0) * 0.4})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Feedback), rows)
            conn.execute(insert(KpiItemTimes), facts)
            conn.execute(insert(KpiHandoff), handoffs)
    invitations = int(responses * 2.5)
    kinds = ["csat", "nps", "ces"]
    for lo in range(0, invitations, CHUNK):
        invs, resps = [], []
        for n in range(lo, min(invitations, lo + CHUNK)):
            kind = rng.choice(kinds)
            sent = NOW - timedelta(minutes=rng.uniform(0, 365 * 1440))
            answered = sent + timedelta(hours=rng.uniform(0, 48)) if n % 5 < 2 else None
            snap = {"channel": rng.choice(CHANNELS), "team_id": rng.randint(1, 8), "agent_id": None,
                    "problem_type": rng.choice(PROBLEMS), "product": None, "customer_type": "returning"}  # fmt: skip
            invs.append({"id": n + 1, "survey_id": kinds.index(kind) + 1, "kind": kind, "token": f"t{n}",
                         "customer_key": f"k{n}", "subject": f"s{n}", "feedback_id": None, "trigger": "resolve",
                         "sent_at": sent, "expires_at": sent + timedelta(days=14), "answered_at": answered, **snap})  # fmt: skip
            if answered:
                lo_s, hi_s = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}[kind]
                resps.append({"invitation_id": n + 1, "survey_id": kinds.index(kind) + 1, "kind": kind,
                              "score": rng.randint(lo_s, hi_s), "answers": {}, "trigger": "resolve", "recovery": False,
                              "answered_at": answered, **snap})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(SurveyInvitation), invs)
            if resps:
                conn.execute(insert(SurveyResponse), resps)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("ANALYZE"))
    print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--url", default="", help="SQLAlchemy URL (default: a fresh SQLite file in /tmp)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--raw", action="store_true", help="time the raw-row path instead of the daily rows")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='kpibench-')) / 'bench.db'}"
    if url.startswith("postgresql"):
        _reset_pg(url)
    os.environ["FEEDBACKLOOP_DATABASE_URL"] = url
    from sqlalchemy import func, select

    from feedbackloop.db import get_engine, get_read_sessionmaker
    from feedbackloop.feedback.models import Feedback
    from feedbackloop.insight import daily, kpis
    from feedbackloop.lib.clock import clock
    from feedbackloop.migrations import migrate
    from feedbackloop.surveys.models import SurveyResponse

    migrate(url)
    _fill(get_engine(), args.items, args.responses, random.Random(1))
    clock.freeze(NOW)
    session = get_read_sessionmaker()()
    t = time.perf_counter()
    daily.rebuild(session)  # the daily rows, as migration 0008a / `feedbackloop kpi --rebuild` build them
    print(f"daily rows rebuilt in {time.perf_counter() - t:.1f} s")
    if not args.raw:
        daily.pin_fresh(session)  # as GET /api/v1/kpis does after its refresh: the daily rows answer
    else:
        session.info[daily._PINNED] = False  # every KPI from the raw rows
    n_items = session.scalar(select(func.count()).select_from(Feedback))
    n_resp = session.scalar(select(func.count()).select_from(SurveyResponse))
    to = NOW.astimezone(kpis.CHINA).date()
    fr = to - timedelta(days=args.days - 1)
    print(f"{get_engine().dialect.name}: {n_items:,} items, {n_resp:,} survey responses; range {fr} – {to}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'KPI':42} {'median ms':>10} {'max ms':>8}  value (n)")
    medians = []
    for key in kpis.DEFINITIONS:
        times, value = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            value = kpis.compute(session, key, fr, to)
            times.append((time.perf_counter() - t) * 1000)
            session.rollback()
        med = statistics.median(times)
        medians.append(med)
        assert value is not None
        print(f"{key:42} {med:10.1f} {max(times):8.1f}  {value.value} ({value.n:,})", flush=True)
    t = time.perf_counter()
    kpis.compute_all(session, fr, to)
    print(f"all KPIs in one call: {(time.perf_counter() - t) * 1000:.0f} ms; median per KPI "
          f"{statistics.median(medians):.1f} ms, worst KPI {max(medians):.1f} ms")  # fmt: skip
    session.close()


if __name__ == "__main__":
    main()
