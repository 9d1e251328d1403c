"""Import benchmark: a 100,000-row review export (built from ../shared/data) into a fresh SQLite database.

    .venv/bin/python bench/import_bench.py                  # 20k, 100k and 200k rows, UTF-8
    .venv/bin/python bench/import_bench.py --encoding gbk   # the same as a GBK export
    .venv/bin/python bench/import_bench.py --rows 100000 --sizes 100000

Each size runs in its own child process pinned to one CPU core (fresh database, fresh interpreter), so its
peak RSS (resource.getrusage) is that import's own; comparing 20k, 100k and 200k rows shows memory is flat
in the file size (what grows is SQLite's page cache, up to its 64 MB cap). The after-ingest hooks (analysis, routing, set by other features) are cleared in the child:
this measures reading, validation, dedup and storage only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPORA = ["chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats"]
PLATFORMS = ["天猫", "京东", "美团", "大众点评", ""]


def _reviews() -> list[tuple[str, str]]:
    out = []
    for corpus in CORPORA:
        with (DATA / corpus / "train.csv").open(encoding="utf-8", newline="") as fh:
            out.extend((row["review"], row["label"]) for row in csv.DictReader(fh) if row["review"].strip())
    return out


def write_export(path: Path, rows: int, encoding: str) -> None:
    """A review-platform style export: 评论内容, 星级, 昵称, 评论时间, 平台."""
    rng = random.Random(11)
    reviews = _reviews()
    start = datetime(2024, 1, 1)
    with path.open("w", encoding=encoding, newline="", errors="strict") as fh:
        writer = csv.writer(fh)
        writer.writerow(["评论内容", "星级", "昵称", "评论时间", "平台"])
        written = n = 0
        while written < rows:
            text, label = reviews[n % len(reviews)]
            n += 1
            stars = rng.choice([4, 5]) if label == "1" else rng.choice([1, 2, 3])
            stamp = start + timedelta(minutes=n * 3 + rng.randrange(3))
            row = [text, f"{stars}星", f"用户{rng.randrange(10**6):06d}", stamp.strftime("%Y-%m-%d %H:%M:%S"),
                   rng.choice(PLATFORMS)]  # fmt: skip
            try:
                writer.writerow(row)
            except UnicodeEncodeError:  # a review with a character GBK lacks: take the next one
                continue
            written += 1


def child(path: Path, limit: int) -> dict[str, float]:
    """Run one import in this (fresh) process and return its figures."""
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope
    from feedbackloop.feedback import services
    from feedbackloop.feedback.importer import import_file

    prepare_database(get_settings())
    services.after_ingest_hooks.clear()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    with session_scope() as session:
        report = import_file(session, path, max_rows=limit)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "rows": report.total_rows,
        "created": report.created,
        "existing": report.existing,
        "rejected": len(report.rejected),
        "encoding": report.encoding or "",
        "seconds": elapsed,
        "rows_per_s": report.total_rows / elapsed,
        "cpu_s": cpu,
        "rows_per_cpu_s": report.total_rows / cpu,
        "base_rss_mb": base_rss / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_size(path: Path, size: int, tmp: Path) -> dict[str, float]:
    var = tmp / f"var-{size}"
    env = dict(os.environ, FEEDBACKLOOP_VAR_DIR=str(var), FEEDBACKLOOP_DATABASE_URL=f"sqlite:///{var}/bench.db",
               FEEDBACKLOOP_ADMIN_PASSWORD="bench-admin-pw", FEEDBACKLOOP_QUEUE_IMMEDIATE="true")  # fmt: skip
    var.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", str(path), "--limit", str(size)]
    if hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", "0", *cmd]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"import of {size} rows failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--sizes", default="20000,100000,200000")
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "utf-8-sig", "gbk", "gb18030"])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.limit)))
        return
    with tempfile.TemporaryDirectory(prefix="fl-import-bench-") as tmp:
        path = Path(tmp) / "export.csv"
        t0 = time.perf_counter()
        write_export(path, args.rows, args.encoding)
        print(f"wrote {args.rows:,} rows ({path.stat().st_size / 2**20:.1f} MiB, {args.encoding}) "
              f"in {time.perf_counter() - t0:.1f}s")  # fmt: skip
        print(
            "after_ingest_hooks cleared in the child: no analysis, reading + validation + dedup + storage only"
        )
        print(f"machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; rows/cpu-s is the figure to "
              "compare on a busy machine (CPU time of the one-core importer process)")  # fmt: skip
        print(f"{'rows':>8} {'created':>8} {'rejected':>8} {'wall s':>7} {'rows/s':>7} {'cpu s':>7} "
              f"{'rows/cpu-s':>10} {'base MB':>8} {'peak MB':>8}")  # fmt: skip
        for size in (int(s) for s in args.sizes.split(",")):
            r = run_size(path, size, Path(tmp))
            print(f"{r['rows']:>8,} {r['created']:>8,} {r['rejected']:>8,} {r['seconds']:>7.1f} "
                  f"{r['rows_per_s']:>7,.0f} {r['cpu_s']:>7.1f} {r['rows_per_cpu_s']:>10,.0f} "
                  f"{r['base_rss_mb']:>8.0f} {r['peak_rss_mb']:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
