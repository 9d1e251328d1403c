"""API benchmark: single-record POST /api/v1/feedback against the real app served by uvicorn.

    .venv/bin/python bench/api_bench.py                       # 2,000 requests from 8 concurrent clients
    .venv/bin/python bench/api_bench.py --requests 5000 --clients 16 --max-seconds 120

The server runs in a subprocess on a free localhost port over a fresh SQLite database in a temporary
directory, exactly as `feedbackloop serve` builds it (in-process task consumer and every after-ingest hook
other features registered, e.g. background analysis). The load generator is httpx with a thread pool; it
stops issuing requests after --max-seconds so that a slow server cannot hang the run.
"""

from __future__ import annotations

import argparse
import csv
import os
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

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "waimai_10k" / "train.csv"
PASSWORD = "bench-admin-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _texts(n: int) -> list[str]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        reviews = [row["review"] for row in csv.DictReader(fh) if row["review"].strip()]
    return [f"{reviews[i % len(reviews)]} (#{i})" for i in range(n)]


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(os.environ, FEEDBACKLOOP_VAR_DIR=str(tmp), FEEDBACKLOOP_ADMIN_PASSWORD=PASSWORD,
               FEEDBACKLOOP_DATABASE_URL=f"sqlite:///{tmp}/bench.db", FEEDBACKLOOP_SECRET_KEY="bench")  # fmt: skip
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "feedbackloop.web.app:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited early:\n{(tmp / 'server.log').read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("server did not start within 60 s")


def run_load(base: str, token: str, texts: list[str], clients: int, max_seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    local = threading.local()
    stop_at = time.monotonic() + max_seconds

    def one(text: str) -> None:
        if time.monotonic() > stop_at:
            return
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
        started = time.perf_counter()
        try:
            status = local.client.post(
                "/api/v1/feedback", json={"content": text, "channel": "api"}
            ).status_code
        except httpx.HTTPError:
            status = 0
        elapsed = time.perf_counter() - started
        with lock:
            if status == 201:
                latencies.append(elapsed)
            else:
                failures.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, texts))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "ok": len(latencies),
        "failed": len(failures),
        "wall_s": wall,
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0,
        "statuses": ",".join(sorted({str(s) for s in failures})),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=180)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fl-api-bench-") as tmp_name:
        server, base = start_server(Path(tmp_name))
        try:
            r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
            r.raise_for_status()
            token = r.json()["access_token"]
            result = run_load(base, token, _texts(args.requests), args.clients, args.max_seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"POST /api/v1/feedback: {result['ok']:,} ok, {result['failed']:,} failed {result['statuses']} "
          f"from {args.clients} clients in {result['wall_s']:.1f}s")  # fmt: skip
    print(
        f"  {result['rps']:,.0f} requests/s   p50 {result['p50_ms']:.1f} ms   p99 {result['p99_ms']:.1f} ms"
    )
    print(f"  (load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, load generator on the same machine)")


if __name__ == "__main__":
    main()
