"""Inbox benchmark (issue 16): the first page of the inbox, with filters and sorts, and Chinese searches over
1,000,000 items, on PostgreSQL and SQLite.

    nice .venv/bin/python bench/inbox_bench.py                                  # 1,000,000 items, both databases
    nice .venv/bin/python bench/inbox_bench.py --rows 100000 --skip-sqlite
    nice .venv/bin/python bench/inbox_bench.py --reuse --explain                # time again, print the plans

Fills a fresh database (the real schema, through the migrations: PostgreSQL `fl16b_bench` by default, a SQLite
file under /tmp) with items whose texts are real Chinese reviews (/work/shared/data: hotel, food delivery and
e-commerce; 30 % of the items join two reviews, so texts repeat little), a year of received_at, statuses,
owners, priorities and SLA deadlines around now. PostgreSQL is filled with COPY and SQLite with executemany,
both with feedback's secondary indexes (and the FTS5 triggers) dropped and rebuilt afterwards, each build
timed. Then it times what the inbox does for one page (`feedback.services.search`: the page of 50 and the
count up to 10,000, as the inbox shows it) `--runs` times per view × sort and per search query, and prints the median and p90 in milliseconds,
with the index sizes and the load average.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = Path(os.environ.get("FEEDBACKLOOP_CORPORA", "/work/shared/data"))
CORPORA = ("chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats")
CHANNELS = ["api", "web_form", "tmall", "jd", "meituan", "dianping", "email", "import"]
PROBLEMS = ["产品功能", "服务质量", "价格", "物流", "界面/交互", "其他"]
SENTIMENTS = ["negative", "neutral", "positive"]
URGENCIES = ["紧急", "一般", "建议"]
# (status, share): most items of a year are done; the open ones are what the views show.
STATUSES = [("closed", 45), ("resolved", 25), ("assigned", 10), ("in_progress", 6), ("triaged", 5), ("new", 4),
            ("waiting_customer", 3), ("reopened", 2)]  # fmt: skip
OPEN = {"new", "triaged", "assigned", "in_progress", "waiting_customer", "reopened"}
PRIORITIES = [("urgent", 5), ("high", 15), ("normal", 60), ("low", 20)]
AGENTS = 20
VIEWS = [None, "mine", "unassigned", "due_soon", "breached"]
SORTS = ["newest", "priority", "sla", "oldest"]
# Filters an agent combines with a view (the inbox's own query parameters).
FILTERED = [
    ("channel=jd & sentiment=negative", {"channel": "jd", "sentiment": "negative"}),
    ("problem_type=物流 & last 30 days", {"problem_type": "物流", "days": 30}),
    ("status=in_progress & urgency=紧急", {"status": "in_progress", "urgency": "紧急"}),
    ("customer_type=high_value", {"customer_type": "high_value"}),
]
# Chinese searches of 1, 2 and 3 words, common and rare (the counts found are printed beside the times).
SEARCHES = [
    ("1 word, common", "不错"), ("1 word, common", "质量"), ("1 word, common", "房间"),
    ("1 word, rare", "蟑螂"), ("1 word, rare", "过敏"), ("1 character", "差"),
    ("2 words, common", "服务 态度"), ("2 words, mixed", "送餐 太慢"), ("2 words, rare", "前台 蟑螂"),
    ("3 words, common", "房间 干净 早餐"), ("3 words, rare", "快递 破损 退货"),
    ("phrase", "性价比很高"), ("Latin+digits", "iphone"), ("no match", "量子纠缠"),
]  # fmt: skip


def load_reviews() -> list[str]:
    texts: list[str] = []
    for name in CORPORA:
        with open(DATA / name / "train.csv", encoding="utf-8", newline="") as fh:
            texts += [r["review"].strip() for r in csv.DictReader(fh) if r.get("review", "").strip()]
    return list(dict.fromkeys(t[:2000] for t in texts))


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def generate(rows: int, owners: list[int], now: datetime, seed: int = 16) -> Iterator[dict[str, Any]]:
    """Items, newest last; each one's search_terms made by lib/cjk like intake does."""
    from feedbackloop.lib import cjk

    rng = random.Random(seed)
    reviews = load_reviews()
    terms = [cjk.document_terms(t).split(" ") for t in reviews]
    start = now - timedelta(days=365)
    step = timedelta(days=365) / rows
    for n in range(rows):
        i = rng.randrange(len(reviews))
        content, words = reviews[i], terms[i]
        if rng.random() < 0.3:  # two reviews in one item: the terms of "a；b" are the union of theirs
            j = rng.randrange(len(reviews))
            content = f"{content}；{reviews[j]}"
            words = list(dict.fromkeys(words + terms[j]))
        received = start + step * n
        status = pick(rng, STATUSES)
        is_open = status in OPEN
        priority = pick(rng, PRIORITIES)
        owner = rng.choice(owners) if status not in ("new", "triaged") and rng.random() < 0.95 else None
        due = None
        if is_open and rng.random() < 0.9:
            # Open items: most deadlines passed long ago (the breached backlog), some ahead, a few within 2 h.
            due = now + timedelta(minutes=rng.choice([-100_000, -3000, -30, 30, 90, 600, 3000]) * rng.random())
        responded = is_open and status not in ("new", "triaged") and rng.random() < 0.6
        yield {
            "id": f"FB{received.strftime('%Y%m%d')}{n:07d}",
            "channel": rng.choice(CHANNELS),
            "customer_type": rng.choices(["new", "returning", "high_value"], [60, 35, 5])[0],
            "received_at": received,
            "created_at": received,
            "updated_at": received,
            "content": content,
            "search_terms": " ".join(words),
            "consent_public": False,
            "status": status,
            "content_hash": hashlib.sha1(content.encode()).hexdigest(),
            "mh0": 0, "mh1": 0, "mh2": 0, "mh3": 0, "mh4": 0,
            "is_vague": False,
            "problem_type": rng.choice(PROBLEMS),
            "sentiment": rng.choice(SENTIMENTS),
            "urgency": rng.choices(URGENCIES, [5, 70, 25])[0],
            "analyzed_at": received,
            "owner_id": owner,
            "priority": priority,
            "priority_score": {"urgent": 90, "high": 70, "normal": 40, "low": 10}[priority],
            "prioritized_at": received,
            "escalation_level": 1,
            "sla_paused_seconds": 0,
            "reopen_count": 0,
            "first_response_due": due if not responded else None,
            "first_responded_at": received if responded else None,
            "resolution_due": (due + timedelta(hours=24)) if due else None,
            "resolved_at": received if status in ("resolved", "closed") else None,
        }  # fmt: skip


COLUMNS = list(next(generate(1, [1], datetime.now(UTC))).keys())


def reset_postgres(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def make_agents(session: Any) -> list[int]:
    from feedbackloop.accounts.models import User
    from feedbackloop.db import begin_write

    begin_write(session)
    users = [User(username=f"agent{n}", display_name=f"客服{n}", role="agent", password_hash="x", is_active=True,
                  failed_logins=0) for n in range(AGENTS)]  # fmt: skip
    session.add_all(users)
    session.commit()
    return [u.id for u in users]


def secondary_indexes(conn: Any, dialect: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of feedback's indexes that a bulk load need not maintain row by row."""
    from sqlalchemy import text

    if dialect == "postgresql":
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'feedback' "
                                 "AND indexname NOT IN ('pk_feedback', 'uq_feedback_channel_external_id', "
                                 "'uq_feedback_status_token')"))  # fmt: skip
    else:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'feedback' "
                                 "AND sql IS NOT NULL"))  # fmt: skip
    return [(n, s) for n, s in rows]


def fill(url: str, rows: int) -> dict[str, Any]:
    """A fresh database with `rows` items; returns load and index build times (s) and sizes."""
    from sqlalchemy import create_engine, text

    from feedbackloop.db import session_scope
    from feedbackloop.feedback import search

    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    if dialect == "postgresql":
        reset_postgres(url)
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    bootstrap(url)
    with session_scope() as session:
        owners = make_agents(session)
    engine = create_engine(url)
    now = datetime.now(UTC)
    out: dict[str, Any] = {}
    with engine.begin() as conn:
        indexes = secondary_indexes(conn, dialect)
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
        if dialect == "sqlite":
            for statement in search.SQLITE_DROP:
                conn.execute(text(statement))
    started = time.perf_counter()
    if dialect == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY feedback ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for item in generate(rows, owners, now):
                    copy.write_row([item[c] for c in COLUMNS])
            raw.commit()
        finally:
            raw.close()
    else:
        from feedbackloop.feedback.models import Feedback

        table = Feedback.__table__
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for item in generate(rows, owners, now):
                batch.append(item)
                if len(batch) == 20_000:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
    out["load_s"] = time.perf_counter() - started
    builds: dict[str, float] = {}
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
        for name, ddl in indexes:
            t0 = time.perf_counter()
            conn.execute(text(ddl))
            builds[name] = time.perf_counter() - t0
        if dialect == "sqlite":
            t0 = time.perf_counter()
            for statement in (*search.SQLITE_DDL, search.SQLITE_REBUILD):
                conn.execute(text(statement))
            builds[search.FTS_TABLE] = time.perf_counter() - t0
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE feedback"))
    out["builds"] = builds
    out["sizes"] = sizes(engine, dialect)
    return out


def sizes(engine: Any, dialect: str) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        if dialect == "postgresql":
            rows = conn.execute(text("SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                                     "WHERE c.relname = 'feedback' OR c.oid IN (SELECT indexrelid FROM pg_index "
                                     "WHERE indrelid = 'feedback'::regclass)"))  # fmt: skip
            found = {n: int(s) for n, s in rows}
            found["feedback (with TOAST)"] = int(conn.scalar(text("SELECT pg_table_size('feedback')")) or 0)
            return found
        try:
            rows = conn.execute(text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
            found = {n: int(s) for n, s in rows if n.startswith(("feedback", "ix_feedback", "sqlite_autoindex_feedback"))}
        except Exception:  # dbstat is optional in SQLite builds
            found = {}
        found["database file"] = os.path.getsize(engine.url.database)
        return found


def bootstrap(url: str) -> None:
    os.environ["FEEDBACKLOOP_DATABASE_URL"] = url
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import reset_caches

    get_settings.cache_clear()
    reset_caches()
    prepare_database(get_settings())


def timed(fn: Any, runs: int) -> tuple[float, float, Any]:
    fn()  # warm: the first run reads the pages from disk
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))], result


def measure(url: str, runs: int, explain: bool) -> list[tuple[str, str, float, float, int]]:
    from sqlalchemy import select, text

    from feedbackloop.accounts.models import User
    from feedbackloop.db import get_read_sessionmaker
    from feedbackloop.feedback import services
    from feedbackloop.workflow import queue

    bootstrap(url)
    session = get_read_sessionmaker()()
    agent = session.scalar(select(User).where(User.username == "agent3"))
    assert agent is not None, "no agents: run without --reuse first"
    dialect = session.get_bind().dialect.name
    results = []

    def run(kind: str, name: str, filters: services.FeedbackFilter, sort: str,
            count_limit: int | None = services.COUNT_LIMIT) -> None:
        def once() -> int:
            page = services.page_of(session, filters, 1, 50, sort, count_limit=count_limit)
            session.rollback()
            return page.total

        median, p90, total = timed(once, runs)
        results.append((kind, name, median, p90, total))
        shown = f"{total:,}" + ("+" if count_limit is not None and total >= count_limit else "")
        print(f"  {kind:<22} {name:<40} median {median:8.1f} ms  p90 {p90:8.1f} ms  ({shown} items)", flush=True)
        if explain:
            stmt = services.ordered(services._filtered(filters), sort).limit(50)
            sql = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
            for line in session.execute(text(prefix + str(sql))):
                print("      " + " | ".join(str(v) for v in line))
            session.rollback()

    now = datetime.now(UTC)
    run("exact count (API)", "all · newest", services.FeedbackFilter(), "newest", count_limit=None)
    for view in VIEWS:
        for sort in SORTS:
            run("view × sort", f"{view or 'all'} · {sort}", services.FeedbackFilter(**queue.view_filters(view, agent, now)), sort)
    for name, spec in FILTERED:
        fields = dict(spec)
        days = fields.pop("days", None)
        if days:
            fields["date_from"] = now - timedelta(days=int(days))
        for sort in ("newest", "priority", "sla"):
            run("filters", f"{name} · {sort}", services.FeedbackFilter(**fields), sort)
    for kind, q in SEARCHES:
        run(f"search: {kind}", q, services.FeedbackFilter(q=q), "newest")
    run("search + view", "房间 · unassigned · priority",
        services.FeedbackFilter(q="房间", **queue.view_filters("unassigned", agent, now)), "priority")
    session.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=None, help="default: --rows")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:55432/fl16b_bench")
    parser.add_argument("--sqlite-path", default=str(Path(tempfile.gettempdir()) / "fl16b_inbox_bench.db"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="time the databases a previous run filled")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    os.environ.setdefault("FEEDBACKLOOP_VAR_DIR", tempfile.mkdtemp(prefix="fl16b-bench-"))
    targets = []
    if not args.skip_postgres:
        targets.append((args.pg_url, args.rows))
    if not args.skip_sqlite:
        targets.append((f"sqlite:///{args.sqlite_path}", args.sqlite_rows or args.rows))
    for url, rows in targets:
        print(f"\n== {url.split('@')[-1]} · {rows:,} items · load average {os.getloadavg()[0]:.2f} ==", flush=True)
        if not args.reuse:
            built = fill(url, rows)
            print(f"  load {built['load_s']:.1f} s ({rows / built['load_s']:,.0f} items/s), "
                  f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
            for name, seconds in sorted(built["builds"].items(), key=lambda kv: -kv[1]):
                print(f"  build {name:<40} {seconds:7.1f} s")
            for name, size in sorted(built["sizes"].items(), key=lambda kv: -kv[1]):
                print(f"  size  {name:<40} {size / 2**20:9.1f} MiB")
        measure(url, args.runs, args.explain)
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
