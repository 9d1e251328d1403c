"""Dashboard, report and export benchmark (issue 13).

Usage: .venv/bin/python bench/dashboard_bench.py [--items 1000000] [--days 365] [--range-days 90]
                                                 [--export-rows 100000] [--runs 5] [--no-pdf]
Runs on a fresh SQLite file in a temporary folder, or on FEEDBACKLOOP_BENCH_DATABASE_URL (e.g. PostgreSQL; the
database is emptied first). Items are written straight into the tables with real analyses (40 review texts
analysed once), their facets and a spread of statuses, SLA breaches and channels.

Targets: every dashboard data endpoint answers a 90-day range in < 300 ms median; the monthly report (HTML)
builds in < 10 s and its PDF in < 20 s; an export of 100,000 rows streams at ≥ 20,000 rows/s with flat memory.
What a query costs depends on the items inside its range, so `--items 250000 --days 91` puts as many items
into the 90-day range as 1,000,000 over 365 days do (the full size takes long to write on a small machine).
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="fl-dash-bench-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["FEEDBACKLOOP_DATABASE_URL"] = os.environ.get(
    "FEEDBACKLOOP_BENCH_DATABASE_URL", f"sqlite:///{_TMP / 'bench.db'}"
)
os.environ["FEEDBACKLOOP_VAR_DIR"] = str(_TMP)
os.environ["FEEDBACKLOOP_QUEUE_IMMEDIATE"] = "true"
os.environ.setdefault("FEEDBACKLOOP_ADMIN_PASSWORD", "bench-admin-pass")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Table, func, select, text  # noqa: E402

from feedbackloop.bootstrap import prepare_database  # noqa: E402
from feedbackloop.config import get_settings  # noqa: E402
from feedbackloop.db import get_engine, get_read_sessionmaker  # noqa: E402
from feedbackloop.feedback import facets  # noqa: E402
from feedbackloop.feedback.facets import FeedbackFacet  # noqa: E402
from feedbackloop.feedback.models import Feedback  # noqa: E402
from feedbackloop.feedback.services import FeedbackFilter  # noqa: E402
from feedbackloop.insight import daily, dashboard, exports  # noqa: E402
from feedbackloop.insight.dashboard import View, bounds  # noqa: E402
from feedbackloop.models import Base  # noqa: E402

TEXTS = [
    "送餐太慢了, 等了两个小时, 饭都凉了", "外卖送餐速度太慢, 超时一个多小时", "配送太慢了, 骑手迟到一小时, 差评",
    "房间很干净, 服务很好, 下次还来", "早餐很差, 品种太少", "物流太慢了, 一个星期才到", "手机屏幕有坏点, 质量太差",
    "价格太贵了, 不值这个价", "东西不错, 物流很快, 好评", "客服态度很差, 问题一直没人解决", "APP 闪退, 无法登录",
    "味道很好, 分量足, 包装也很用心", "隔音很差, 晚上很吵, 没睡好", "前台服务热情, 办理入住很快", "包装破损, 商品有划痕",
    "吃了以后拉肚子, 食物不新鲜", "性价比很高, 推荐购买", "电池不耐用, 半天就没电", "退款一直不到账, 太失望了",
    "快递员态度很好, 送货上门", "卫生间有异味, 床单不干净", "软件更新后经常卡顿", "尺码偏小, 建议买大一码",
    "酒店位置很好, 交通方便", "外卖洒了一半, 商家也不处理", "质量很好, 用了一个月没问题", "停车不方便, 车位太少",
    "菜品分量太少, 价格偏贵", "售后很及时, 帮忙换了新的", "一般般吧, 没有想象中好", "发货很快, 第二天就到了",
    "服务员态度冷淡, 上菜很慢", "界面设计不合理, 找不到入口", "屏幕清晰, 运行流畅", "房间有蟑螂, 太恶心了",
    "赠品没有收到, 客服推脱", "口味偏咸, 不太好吃", "早餐丰富, 环境优雅", "订单被取消了也没有通知", "按键不灵敏",
]  # fmt: skip
CHANNELS = ["meituan", "dianping", "jd", "tmall", "web_form", "email", "qr", "api"]
STATUSES = ["new", "triaged", "assigned", "in_progress", "resolved", "resolved", "closed", "closed", "reopened"]
ENDPOINTS = {
    "summary": lambda s, v, t: dashboard.summary(s, v),
    "volume (day)": lambda s, v, t: dashboard.volume(s, v, "day"),
    "volume (week)": lambda s, v, t: dashboard.volume(s, v, "week"),
    "channels": lambda s, v, t: dashboard.channels(s, v),
    "problem-types": lambda s, v, t: dashboard.problem_types(s, v),
    "aspects": lambda s, v, t: dashboard.aspects(s, v),
    "keywords": lambda s, v, t: dashboard.keywords(s, v),
    "mentions": lambda s, v, t: dashboard.mentions(s, v),
    "versions": lambda s, v, t: dashboard.versions(s, v),
    "sla": lambda s, v, t: dashboard.sla(s, v),
    "backlog": lambda s, v, t: dashboard.backlog(s, v, t),
    "themes": lambda s, v, t: dashboard.themes(s, v),
    "alerts": lambda s, v, t: dashboard.alerts(s, v, datetime.now(UTC)),
}


def _fresh_schema() -> None:
    prepare_database(get_settings())
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    prepare_database(get_settings())


def load(items: int, days: int, now: datetime, seed: int = 7) -> float:
    """Write `items` analysed items over the last `days` days; returns the seconds it took."""
    from feedbackloop.analysis import analyze_many

    analyses = [a.to_dict() for a in analyze_many(TEXTS)]
    rng = random.Random(seed)
    started = time.perf_counter()
    feedback_table, facet_table = Feedback.__table__, FeedbackFacet.__table__
    assert isinstance(feedback_table, Table) and isinstance(facet_table, Table)
    batch = 5000
    with get_engine().begin() as conn:
        for start in range(0, items, batch):
            rows, facet_rows = [], []
            for n in range(start, min(start + batch, items)):
                k = rng.randrange(len(TEXTS))
                a = analyses[k]
                received = now - timedelta(seconds=rng.uniform(0, days * 86400))
                status = rng.choice(STATUSES)
                due = received + timedelta(hours=4)
                rows.append({
                    "id": f"FB{n:012d}", "channel": rng.choice(CHANNELS), "content": f"{TEXTS[k]} #{n}",
                    "received_at": received, "created_at": received, "updated_at": received, "status": status,
                    "content_hash": f"{n:040x}", "analysis": a, "sentiment": a["sentiment"]["label"],
                    "urgency": a["urgency"], "problem_type": a["problem_type"], "model_version": a["model_version"],
                    "analyzed_at": received, "first_response_due": due, "contact": f"138{n % 200_000:08d}",
                    "first_response_breached_at": due if rng.random() < 0.12 else None,
                    "customer_spend_6m": rng.choice([None, 200.0, 1500.0, 8000.0]),
                    "customer_type": rng.choice(["new", "returning", "high_value"]),
                    "product_version": rng.choice([None, None, "v2.1", "v2.2", "v3.0"]),
                    "reopen_count": 1 if status == "reopened" else 0,
                })  # fmt: skip
                facet_rows += [
                    {"feedback_id": f"FB{n:012d}", "received_at": received, "kind": kind, "value": value,
                     "polarity": polarity}
                    for kind, value, polarity in facets.facts(a)
                ]  # fmt: skip
            conn.execute(feedback_table.insert(), rows)
            conn.execute(facet_table.insert(), facet_rows)
    with get_engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _view(end: date, range_days: int) -> View:
    start = end - timedelta(days=range_days - 1)
    lo, hi = bounds(start, end)
    return View(FeedbackFilter(date_from=lo, date_to=hi), start, end, lambda **changes: "/inbox")


def time_endpoints(range_days: int, runs: int, today: date, daily_rows: bool = True) -> dict[str, float]:
    """Median milliseconds of each dashboard endpoint over `runs` calls (a fresh session each), from the daily
    rows as the API answers (or, with daily_rows False, from the raw rows)."""
    view = _view(today, range_days)
    out = {}
    for name, call in ENDPOINTS.items():
        times, cpu = [], []
        for _ in range(runs):
            session = get_read_sessionmaker()()
            t0, c0 = time.perf_counter(), time.process_time()
            if daily_rows:  # what the API's dependency does per request (web/api/dashboard._view)
                daily.sync_and_pin(session)
            else:
                session.info[daily._PINNED] = False  # as when an item is not yet counted
            call(session, view, today)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            session.close()
        out[name] = statistics.median(times)
        print(f"  {name:<14} median {out[name]:8.1f} ms wall, {statistics.median(cpu):8.1f} ms CPU of this process"
              f"   (wall min {min(times):.1f}, max {max(times):.1f})", flush=True)  # fmt: skip
    return out


def time_report(pdf: bool, today: date) -> None:
    from feedbackloop.insight import build_report
    from feedbackloop.insight.render import as_html
    from feedbackloop.insight.report_files import as_pdf

    lo, hi = bounds(today - timedelta(days=29), today)
    session = get_read_sessionmaker()()
    t0, c0 = time.perf_counter(), time.process_time()
    report = build_report(session, lo, hi + timedelta(microseconds=1))
    html = as_html(report)
    t1, c1 = time.perf_counter(), time.process_time()
    print(f"  monthly report (HTML): {t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU; {report.total:,} items, "
          f"{len(html):,} characters", flush=True)  # fmt: skip
    if pdf:
        data = as_pdf(report)
        print(f"  monthly report (PDF): {time.perf_counter() - t1:.2f} s wall, {time.process_time() - c1:.2f} s CPU, "
              f"{len(data):,} bytes", flush=True)  # fmt: skip
    session.close()


def time_export(rows: int, fmt: str) -> None:
    session = get_read_sessionmaker()()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    sent = chunks = 0
    limited = _limited(exports.rows(session, FeedbackFilter(), unmasked=False), rows)
    for chunk in exports.csv_chunks(limited) if fmt == "csv" else exports.xlsx_chunks(limited):
        sent += len(chunk)
        chunks += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    session.close()
    print(f"  export {fmt}: {rows:,} rows in {wall:.2f} s = {rows / wall:,.0f} rows/s wall "
          f"({rows / cpu:,.0f} per CPU-second); {sent / 1e6:.1f} MB in {chunks} chunks; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (+{grew / 1024:.0f} MB)",
          flush=True)  # fmt: skip


def _limited(source, n):  # type: ignore[no-untyped-def]
    for i, row in enumerate(source):
        if i >= n:
            return
        yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--range-days", type=int, default=90)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--raw-too", action="store_true", help="also time the raw-row path")
    parser.add_argument("--no-load", action="store_true",
                        help="time the items already in FEEDBACKLOOP_BENCH_DATABASE_URL (a previous run's) instead of "
                             "writing new ones")  # fmt: skip
    args = parser.parse_args()
    print(f"database: {get_engine().dialect.name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    now = datetime.now(UTC)
    if args.no_load:
        prepare_database(get_settings())
        with get_engine().connect() as conn:
            args.items = conn.scalar(select(func.count()).select_from(Feedback)) or 0
        print(f"timing the {args.items:,} items already there", flush=True)
    else:
        _fresh_schema()
        seconds = load(args.items, args.days, now)
        print(f"wrote {args.items:,} items over {args.days} days in {seconds:.0f} s", flush=True)
    session = get_read_sessionmaker()()
    t0 = time.perf_counter()
    daily.rebuild(session)  # as migration 0008a / `feedbackloop kpi --rebuild` do after a bulk load
    session.close()
    print(f"daily rows rebuilt from the raw rows in {time.perf_counter() - t0:.0f} s", flush=True)
    today = now.astimezone(dashboard.CHINA).date()
    in_range = args.items * min(args.range_days, args.days) / args.days
    print(f"dashboard endpoints, {args.range_days}-day range (~{in_range:,.0f} items), median of {args.runs}:")
    medians = time_endpoints(args.range_days, args.runs, today)
    print(f"  slowest median {max(medians.values()):.1f} ms (target < 300 ms)")
    if args.raw_too:
        print("the same from the raw rows (a range of part days, or another filter than the shared ones):")
        raw = time_endpoints(args.range_days, args.runs, today, daily_rows=False)
        print(f"  slowest median {max(raw.values()):.1f} ms")
    time_report(not args.no_pdf, today)
    for fmt in ("csv", "xlsx"):
        time_export(min(args.export_rows, args.items), fmt)


if __name__ == "__main__":
    main()
