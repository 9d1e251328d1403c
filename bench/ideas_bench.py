"""Idea-board benchmark: the public list (most votes first) and Chinese search with many ideas and votes.

Usage: .venv/bin/python bench/ideas_bench.py [--ideas 50000] [--votes 2000000] [--runs 50]
Runs on a fresh SQLite file in a temporary folder, or on FEEDBACKLOOP_BENCH_DATABASE_URL (e.g. PostgreSQL).
Target (issue 15): list and search answer in under 100 ms median with 50,000 ideas and 2,000,000 votes.

It times the service call behind GET /api/v1/public/ideas (services.board: count + one page of 20), i.e.
the database work and the view building, not HTTP. Ideas are indexed by the real jieba tokenizer; votes are
bulk-inserted rows (200,000 voters, 10 ideas each for 2,000,000), and vote_count is recounted by one UPDATE.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="fl-ideas-bench-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["FEEDBACKLOOP_DATABASE_URL"] = os.environ.get(
    "FEEDBACKLOOP_BENCH_DATABASE_URL", f"sqlite:///{_TMP / 'bench.db'}"
)
os.environ["FEEDBACKLOOP_VAR_DIR"] = str(_TMP)
os.environ["FEEDBACKLOOP_QUEUE_IMMEDIATE"] = "true"
os.environ.setdefault("FEEDBACKLOOP_ADMIN_PASSWORD", "bench-admin-pass")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from feedbackloop.bootstrap import prepare_database  # noqa: E402
from feedbackloop.config import get_settings  # noqa: E402
from feedbackloop.db import get_engine, get_read_sessionmaker  # noqa: E402
from feedbackloop.ideas import search, services  # noqa: E402
from feedbackloop.ideas.models import Idea, IdeaToken, Vote, Voter  # noqa: E402

SUBJECTS = ["夜间模式", "微信支付", "早餐种类", "送餐速度", "发票开具", "会员积分", "退款流程", "客服响应", "字体大小",
            "离线下载", "物流跟踪", "优惠券", "停车位", "儿童座椅", "无线网络", "健身房", "深色主题", "语音播报",
            "分期付款", "电子合同", "预约挂号", "排队叫号", "门店自提", "包装环保", "多语言", "数据导出"]  # fmt: skip
VERBS = ["增加", "优化", "支持", "改进", "提供", "简化", "加快", "开放"]
DETAILS = ["高峰期体验很差", "希望尽快上线", "和竞品相比落后", "老人用起来不方便", "每次都要等很久", "晚上使用刺眼",
           "出差时很需要", "家里孩子也在用", "经常找不到入口", "手机上操作困难"]  # fmt: skip
QUERIES = {"one common word": "优化", "one rarer word": "儿童座椅", "two words": "夜间模式 刺眼",
           "a word nobody used": "火锅"}  # fmt: skip
VOTERS_PER_IDEA_SET = 10  # each voter votes for this many distinct ideas


def _ideas(n: int, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for i in range(1, n + 1):
        title = f"{rng.choice(VERBS)}{rng.choice(SUBJECTS)} #{i}"
        rows.append({"id": i, "title": title, "description": f"{rng.choice(DETAILS)}, {rng.choice(DETAILS)}",
                     "status": rng.choice(["open"] * 6 + ["planned", "in_progress", "shipped", "declined"]),
                     "moderation": "published" if rng.random() < 0.95 else "pending", "public_reply": "",
                     "internal_note": "", "source": "customer", "vote_count": 0})  # fmt: skip
    return rows


def load(n_ideas: int, n_votes: int) -> dict[str, float]:
    rng = random.Random(15)
    engine = get_engine()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    ideas = _ideas(n_ideas, rng)
    cache: dict[str, set[str]] = {}  # the generated texts repeat; jieba runs once per distinct text
    tokens = []
    for row in ideas:
        base, _, number = str(row["title"]).partition(" #")
        key = f"{base}\n{row['description']}"
        if key not in cache:
            cache[key] = search.index_tokens(key)
        row_tokens = cache[key] | {number}
        row["search_tokens"] = search.token_text(row_tokens)
        tokens += [{"token": tok, "idea_id": row["id"]} for tok in row_tokens]
    timings["tokenize (jieba) s"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, len(ideas), 5000):
            conn.execute(insert(Idea), ideas[start : start + 5000])
        for start in range(0, len(tokens), 20000):
            conn.execute(insert(IdeaToken), tokens[start : start + 20000])
    timings["insert ideas + index s"] = time.perf_counter() - t
    t = time.perf_counter()
    n_voters = max(1, n_votes // VOTERS_PER_IDEA_SET)
    with engine.begin() as conn:
        for start in range(0, n_voters, 20000):
            conn.execute(insert(Voter), [{"id": v, "identity_hash": f"{v:064x}", "kind": "email", "notify": False}
                                         for v in range(start + 1, min(n_voters, start + 20000) + 1)])  # fmt: skip
        batch: list[dict[str, int]] = []
        # a few ideas gather most votes (weights 1 / rank^0.8)
        cum = list(itertools.accumulate(1.0 / (i**0.8) for i in range(1, n_ideas + 1)))
        population = range(1, n_ideas + 1)
        for voter in range(1, n_voters + 1):
            chosen = dict.fromkeys(rng.choices(population, cum_weights=cum, k=VOTERS_PER_IDEA_SET * 2))
            for idea_id in list(chosen)[:VOTERS_PER_IDEA_SET]:
                batch.append({"idea_id": idea_id, "voter_id": voter})
            if len(batch) >= 50000:
                conn.execute(insert(Vote), batch)
                batch = []
        if batch:
            conn.execute(insert(Vote), batch)
    timings["insert votes s"] = time.perf_counter() - t
    t = time.perf_counter()
    counted = select(func.count()).where(Vote.idea_id == Idea.id).scalar_subquery()
    with engine.begin() as conn:
        conn.execute(update(Idea).values(vote_count=counted))
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # what autovacuum does for a table this size: statistics, visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    timings["recount by the database s"] = time.perf_counter() - t
    return timings


def timed(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()  # warm the caches once
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="time the board already in the database (no load)")
    args = parser.parse_args()
    settings = get_settings()
    prepare_database(settings)
    print(f"database: {get_engine().dialect.name}; ideas {args.ideas:,}; votes {args.votes:,}; load {os.getloadavg()[0]:.1f}")
    if not args.reuse:
        with get_engine().begin() as conn:  # a fresh board
            for table in (Vote.__table__, Voter.__table__, IdeaToken.__table__, Idea.__table__):
                conn.execute(table.delete())
        for name, seconds in load(args.ideas, args.votes).items():
            print(f"  {name}: {seconds:.1f}")
    session = get_read_sessionmaker()()
    votes = session.scalar(select(func.count()).select_from(Vote))
    print(f"  rows: {votes:,} votes, {session.scalar(select(func.count()).select_from(IdeaToken)):,} index rows")
    cases = {"list, most votes first": lambda: services.board(session),
             "list, newest first": lambda: services.board(session, sort="new"),
             "list, page 100": lambda: services.board(session, page=100),
             "list, status 已计划": lambda: services.board(session, status="planned")}  # fmt: skip
    for label, query in QUERIES.items():
        cases[f"search {label} ({query})"] = (lambda q=query: services.board(session, q=q))
    print(f"{'case':44} {'median ms':>10} {'p90 ms':>8} {'total':>8}")
    for label, fn in cases.items():
        median, p90 = timed(fn, args.runs)
        print(f"{label:44} {median:10.1f} {p90:8.1f} {fn()[1]:8,}")
        session.rollback()
    session.close()


if __name__ == "__main__":
    main()
