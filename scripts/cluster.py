"""Start the scaled-out topology on one machine, from Debian's packages: PostgreSQL, Redis, N web nodes
(`feedbackloop serve`, no in-process consumer) behind HAProxy, and M `feedbackloop worker` processes.

    .venv/bin/python scripts/cluster.py up [--web 2] [--workers 2] [--base-port 8160] [--dir /tmp/fl_cluster]

prints the proxy's address and the admin password and runs until Ctrl-C. Tests and benchmarks use the
`Cluster` class, which can also kill and restart each part (the fault tests).

Ports: the proxy on BASE, web nodes on BASE+1…, PostgreSQL on BASE+10, Redis on BASE+11.
Needs: postgresql (initdb, pg_ctl), redis-server, haproxy; run as root, PostgreSQL runs as `postgres`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("feedbackloop"))
ADMIN_PASSWORD = "cluster-admin-pw-1"


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    return found[-1].parent


def _in_use(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
        return True
    except OSError:
        return False


def wait_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answers on {host}:{port} after {timeout:.0f} s") from None
            time.sleep(0.05)


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.1)


@dataclass
class Cluster:
    """One machine's cluster. `start()` brings everything up; each part can be stopped, killed, restarted."""

    base_dir: Path
    base_port: int = 8160
    web_nodes: int = 2
    workers: int = 2
    worker_threads: int = 2
    web_processes: int = 1  # uvicorn workers per web node
    database: str = "feedbackloop"
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    # -- addresses -------------------------------------------------------------------------------------
    @property
    def proxy_port(self) -> int:
        return self.base_port

    @property
    def pg_port(self) -> int:
        return self.base_port + 10

    @property
    def redis_port(self) -> int:
        return self.base_port + 11

    def web_port(self, n: int) -> int:
        return self.base_port + 1 + n

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKLOOP_")}
        env.update(
            FEEDBACKLOOP_DATABASE_URL=self.database_url,
            FEEDBACKLOOP_QUEUE_URL=self.redis_url,
            FEEDBACKLOOP_SECRET_KEY="cluster-shared-secret-key-0123456789",
            FEEDBACKLOOP_ADMIN_PASSWORD=ADMIN_PASSWORD,
            FEEDBACKLOOP_RUN_CONSUMER_IN_PROCESS="false",
            FEEDBACKLOOP_DB_BUSY_TIMEOUT_SECONDS="5",
            FEEDBACKLOOP_DB_POOL_SIZE="10",
            FEEDBACKLOOP_DB_MAX_OVERFLOW="10",
            FEEDBACKLOOP_BASE_URL=self.url,
            # Attachments live under VAR_DIR: every node must see the same folder (NFS or a shared volume
            # on several hosts; one folder here).
            FEEDBACKLOOP_VAR_DIR=str(self.base_dir / "var"),
        )
        env.update(self.extra_env)
        return env

    # -- PostgreSQL ------------------------------------------------------------------------------------
    @property
    def pg_data(self) -> Path:
        return self.base_dir / "pg"

    def _as_postgres(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def init_postgres(self) -> None:
        if (self.pg_data / "PG_VERSION").exists():
            return
        self.pg_data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg_data, "postgres", "postgres")
            shutil.chown(self.base_dir, "postgres", "postgres")
        subprocess.run(
            self._as_postgres(str(_pg_bin() / "initdb"), "-D", str(self.pg_data), "-U", "postgres",
                              "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        with (self.pg_data / "postgresql.conf").open("a") as conf:
            # Durable (fsync and synchronous_commit stay on); sized for a dozen processes' pools.
            conf.write(
                f"port = {self.pg_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.base_dir}'\n"
                "max_connections = 300\nshared_buffers = 256MB\nwal_level = minimal\nmax_wal_senders = 0\n"
            )

    def start_postgres(self) -> None:
        self.init_postgres()
        subprocess.run(
            self._as_postgres(str(_pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "-l", str(self.pg_data / "log"),
                              "-w", "-t", "60", "start"),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.pg_port)
        exists = subprocess.run(
            self._psql("-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"),
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        if exists != "1":
            subprocess.run(self._psql("-c", f"CREATE DATABASE {self.database}"), check=True, stdout=subprocess.DEVNULL)

    def _psql(self, *args: str) -> list[str]:
        return [str(_pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", "postgres", *args]

    def stop_postgres(self, mode: str = "fast") -> None:
        subprocess.run(
            self._as_postgres(str(_pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop"),
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def restart_postgres(self, down_seconds: float = 0.5) -> None:
        self.stop_postgres()
        time.sleep(down_seconds)
        self.start_postgres()

    # -- Redis -----------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        (self.base_dir / "redis").mkdir(parents=True, exist_ok=True)
        # No persistence on purpose: the database, not the queue, records the work each item is owed.
        self._spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.base_dir / "redis")],
        )  # fmt: skip
        wait_port(self.redis_port)

    # -- web nodes and the proxy -----------------------------------------------------------------------
    def start_web(self, n: int) -> None:
        logs = self.base_dir / f"web{n}"
        logs.mkdir(parents=True, exist_ok=True)
        cmd = [CLI, "serve", "--host", "127.0.0.1", "--port", str(self.web_port(n)), "--workers", str(self.web_processes)]
        self._spawn(f"web{n}", cmd, log=logs / "serve.log")
        wait_http(f"http://127.0.0.1:{self.web_port(n)}/healthz", timeout=120)

    def haproxy_config(self) -> str:
        servers = "\n".join(
            f"    server web{n} 127.0.0.1:{self.web_port(n)} check inter 500ms fall 2 rise 2" for n in range(self.web_nodes)
        )
        return f"""global
    maxconn 4096
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
    option redispatch
    retries 3
    retry-on conn-failure empty-response
frontend feedbackloop
    bind 127.0.0.1:{self.proxy_port}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""

    def start_proxy(self) -> None:
        cfg = self.base_dir / "haproxy.cfg"
        cfg.write_text(self.haproxy_config())
        self._spawn("proxy", ["haproxy", "-db", "-f", str(cfg)], log=self.base_dir / "haproxy.log")
        wait_port(self.proxy_port)

    # -- workers ---------------------------------------------------------------------------------------
    def start_worker(self, n: int) -> None:
        logs = self.base_dir / f"worker{n}"
        logs.mkdir(parents=True, exist_ok=True)
        cmd = [CLI, "worker", "--workers", str(self.worker_threads)]
        self._spawn(f"worker{n}", cmd, log=logs / "worker.log")

    # -- the whole ------------------------------------------------------------------------------------
    def start(self) -> Cluster:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for tool in ("redis-server", "haproxy"):
            if shutil.which(tool) is None:
                raise SystemExit(f"{tool} is not installed (apt-get install {tool})")
        ports = [self.proxy_port, self.pg_port, self.redis_port, *map(self.web_port, range(self.web_nodes))]
        busy = [p for p in ports if _in_use(p)]
        if busy:
            raise SystemExit(f"ports {busy} are in use (another cluster still running?); choose --base-port")
        self.start_postgres()
        self.start_redis()
        # One node migrates the fresh database first (the others would wait on its advisory lock anyway).
        for n in range(self.web_nodes):
            self.start_web(n)
        self.start_proxy()
        wait_http(f"{self.url}/healthz")
        for n in range(self.workers):
            self.start_worker(n)
        return self

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> None:
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
        self.procs[name] = subprocess.Popen(cmd, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)  # fmt: skip

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a part and its children (uvicorn workers, forked task processes), then reap it."""
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for name in [n for n in self.procs if n.startswith("worker")]:
            self.kill(name, signal.SIGTERM)
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)
        self.stop_postgres("immediate")

    def log(self, name: str) -> str:
        path = {"proxy": self.base_dir / "haproxy.log"}.get(name) or next(
            iter((self.base_dir / name).glob("*.log")), None
        )
        return path.read_text(errors="replace")[-4000:] if path and path.exists() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--web", type=int, default=2, help="web nodes behind the proxy")
    parser.add_argument("--web-processes", type=int, default=1, help="uvicorn workers per web node")
    parser.add_argument("--workers", type=int, default=2, help="feedbackloop worker processes")
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("FEEDBACKLOOP_CLUSTER_BASE_PORT", 8160)))
    parser.add_argument("--dir", type=Path, default=Path("/tmp/fl_cluster"))
    args = parser.parse_args()
    cluster = Cluster(
        args.dir, base_port=args.base_port, web_nodes=args.web, workers=args.workers,
        worker_threads=args.worker_threads, web_processes=args.web_processes,
    )  # fmt: skip
    try:
        cluster.start()
        print(f"FeedbackLoop cluster → {cluster.url}  (admin / {ADMIN_PASSWORD})")
        print(f"  PostgreSQL {cluster.database_url}\n  Redis {cluster.redis_url}")
        print(f"  {args.web} web nodes on ports {cluster.web_port(0)}–{cluster.web_port(args.web - 1)}, {args.workers} workers")
        print("Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second signal must not cut the shutdown short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()


if __name__ == "__main__":
    main()
