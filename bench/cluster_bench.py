"""Load figures for the scaled-out topology (issue 16), against the SQLite single process in the same run.

    .venv/bin/python bench/cluster_bench.py                       # defaults below, about 3 minutes
    .venv/bin/python bench/cluster_bench.py --seconds 20 --batches 20 --drain-items 20000

1. SQLite, one `feedbackloop serve` with its in-process consumer: single-record POSTs from --clients clients
   for --seconds → requests/s, p50, p99.
2. The cluster (scripts/cluster.py: PostgreSQL, Redis, 2 web nodes behind HAProxy, 2 workers): the same
   single POSTs through the proxy; then --batches batch requests of 1,000 items (4 at a time) → items/s
   accepted, and the time until every item is analysed and triaged (the drain).
3. Analysis throughput by worker count: workers stopped, --drain-items items stored, then 1 (and then 2)
   worker processes started and the drain timed → items/s and the 2:1 ratio.

The load generator runs on the same machine (httpx, threads) and takes CPU from the servers: the figures
are for the whole machine, load generator included. Needs what scripts/cluster.py needs (root, postgresql,
redis-server, haproxy) and ports --base-port … +11.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from cluster import ADMIN_PASSWORD, CLI, Cluster, wait_http  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "waimai_10k" / "train.csv"
GENERATOR = "wrk" if shutil.which("wrk") else "httpx"


def texts(n: int) -> list[str]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        reviews = [row["review"] for row in csv.DictReader(fh) if row["review"].strip()]
    return [f"{reviews[i % len(reviews)]} (#{i})" for i in range(n)]


def token(base: str) -> str:
    r = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


WRK_SCRIPT = """
counter = 0
function setup(thread) thread:set("tid", tostring(math.random(1, 1e9))) end
request = function()
  counter = counter + 1
  local n = (tonumber(tid) + counter * 997) %% #pool + 1
  local body = '{"content":' .. pool[n] .. ',"channel":"api","external_id":"%(tag)s-' .. tid .. '-' .. counter .. '"}'
  return wrk.format("POST", "/api/v1/feedback", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def singles_wrk(base: str, clients: int, seconds: float, tag: str) -> dict[str, float]:
    """The same load from wrk (C, 2 threads): the load generator then takes far less of the machine's CPU than
    Python's httpx threads, which on 2 cores took CPU the servers needed. Non-2xx answers count as failed."""
    pool = texts(2000)
    lua = "pool = {" + ",".join(json.dumps(json.dumps(t, ensure_ascii=False), ensure_ascii=False) for t in pool) + "}\n"
    lua += f'headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token(base)}"}}\n'
    lua += WRK_SCRIPT % {"tag": tag}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
        fh.write(lua)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", fh.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(fh.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, failed, duration_us, p50, p99, worst = (float(v) for v in line.split()[1:])
    return {"rps": (requests - failed) / (duration_us / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000,
            "ok": requests - failed, "failed": failed, "max_ms": worst / 1000}  # fmt: skip


def singles(base: str, clients: int, seconds: float, tag: str) -> dict[str, float]:
    """Single-record POSTs from `clients` threads for `seconds`: requests/s and latency percentiles."""
    if GENERATOR == "wrk":
        return singles_wrk(base, clients, seconds, tag)
    headers = {"Authorization": f"Bearer {token(base)}"}
    pool = texts(5000)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                body = {
                    "content": pool[(n * 997 + i) % len(pool)],
                    "channel": "api",
                    "external_id": f"{tag}-{n}-{i}",
                }
                start = time.perf_counter()
                r = http.post("/api/v1/feedback", json=body)
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took) if r.status_code == 201 else failures.__setitem__(
                        0, failures[0] + 1
                    )
                i += 1

    began = time.monotonic()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(client, range(clients)))
    wall = time.monotonic() - began
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "ok": len(latencies),
        "failed": failures[0],
    }


def batches(base: str, count: int, size: int, parallel: int, tag: str) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token(base)}"}
    pool = texts(count * size)
    durations: list[float] = []

    def send(b: int) -> None:
        items = [
            {"content": pool[b * size + i], "channel": "api", "external_id": f"{tag}-{b}-{i}"}
            for i in range(size)
        ]
        start = time.perf_counter()
        r = httpx.post(f"{base}/api/v1/feedback/batch", json={"items": items}, headers=headers, timeout=120)
        r.raise_for_status()
        durations.append(time.perf_counter() - start)

    began = time.monotonic()
    with ThreadPoolExecutor(parallel) as ex:
        list(ex.map(send, range(count)))
    wall = time.monotonic() - began
    return {"items_per_s": count * size / wall, "slowest_request_s": max(durations), "wall_s": wall}


def owed(cluster: Cluster) -> tuple[int, int]:
    with psycopg.connect(
        f"host=127.0.0.1 port={cluster.pg_port} user=postgres dbname={cluster.database}"
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE analyzed_at IS NULL),"
            " count(*) FILTER (WHERE prioritized_at IS NULL AND status = 'new') FROM feedback"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def wait_drained(cluster: Cluster, limit: float) -> float:
    """Seconds until nothing is owed; also prints when the analysis alone was done (triage follows it)."""
    began = time.monotonic()
    analysed_at = None
    while True:
        analysis, triage = owed(cluster)
        if analysis == 0 and analysed_at is None:
            analysed_at = time.monotonic() - began
        if (analysis, triage) == (0, 0):
            break
        if time.monotonic() - began > limit:
            print(f"  (not drained after {limit:.0f} s: owed {owed(cluster)})")
            break
        time.sleep(0.2)
    took = time.monotonic() - began
    print(
        f"  analysis done after {analysed_at if analysed_at is not None else float('nan'):.1f} s, triage after {took:.1f} s"
    )
    return took


def sqlite_baseline(args: argparse.Namespace) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="fl-bench-sqlite-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKLOOP_")}
    env.update(
        FEEDBACKLOOP_VAR_DIR=str(tmp), FEEDBACKLOOP_ADMIN_PASSWORD=ADMIN_PASSWORD, FEEDBACKLOOP_SECRET_KEY="b"
    )
    server = subprocess.Popen([CLI, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=90)
        return singles(f"http://127.0.0.1:{port}", args.clients, args.seconds, "sqlite")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batches", type=int, default=10, help="batch requests of 1,000 items")
    parser.add_argument("--drain-items", type=int, default=10_000, help="items for the 1-vs-2-worker drain")
    parser.add_argument("--base-port", type=int, default=8160)
    parser.add_argument("--generator", choices=["wrk", "httpx"], default=GENERATOR,
                        help="load generator for the single POSTs (wrk: Debian's package, if installed)")
    args = parser.parse_args()
    globals()["GENERATOR"] = args.generator
    print(f"single POSTs generated by {args.generator}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start (shared machine?)")

    base = sqlite_baseline(args)
    print(f"SQLite single process, {args.clients} clients: {base['rps']:.0f} req/s, p50 {base['p50_ms']:.0f} ms, "
          f"p99 {base['p99_ms']:.0f} ms")  # fmt: skip

    tmp = Path(tempfile.mkdtemp(prefix="fl-bench-cluster-"))
    cluster = Cluster(tmp, base_port=args.base_port, web_nodes=2, workers=2, worker_threads=1)
    try:
        cluster.start()
        time.sleep(3)
        one = singles(cluster.url, args.clients, args.seconds, "single")
        print(f"PG + Redis, 2 web + 2 workers, {args.clients} clients: {one['rps']:.0f} req/s "
              f"({one['rps'] / base['rps']:.2f}× SQLite), p50 {one['p50_ms']:.0f} ms, p99 {one['p99_ms']:.0f} ms, "
              f"failed {one['failed']:.0f}")  # fmt: skip
        print(f"  drained the single POSTs in {wait_drained(cluster, 300):.1f} s after the load stopped")
        batch = batches(cluster.url, args.batches, 1000, 4, "batch")
        drain = wait_drained(cluster, 600)
        total = batch["wall_s"] + drain
        print(f"batch intake, {args.batches} × 1,000 items, 4 at a time: {batch['items_per_s']:.0f} items/s, "
              f"slowest request {batch['slowest_request_s']:.1f} s; analysed and triaged "
              f"{args.batches * 1000 / total:.0f} items/s end to end ({drain:.1f} s after the last batch)")  # fmt: skip

        rates = {}
        for workers in (1, 2):
            for name in [n for n in cluster.procs if n.startswith("worker")]:
                cluster.kill(name)
            batches(cluster.url, max(1, args.drain_items // 1000), 1000, 4, f"drain{workers}")
            began = time.monotonic()
            for n in range(workers):
                cluster.start_worker(n)
            took = wait_drained(cluster, 900)
            # Start-up (importing the model, ~2-3 s) is inside the figure, as it is for a real restart.
            rates[workers] = args.drain_items / (time.monotonic() - began)
            print(f"drain of {args.drain_items} items with {workers} worker process(es): {rates[workers]:.0f} items/s "
                  f"({took:.1f} s, start-up included)")  # fmt: skip
        print(f"analysis throughput 1 → 2 workers: {rates[2] / rates[1]:.2f}×")
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
