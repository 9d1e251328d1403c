"""What the fault tests share: clients through the proxy, and the database's answer to "is anything lost"."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import psycopg
from cluster import ADMIN_PASSWORD, Cluster


def admin_token(cluster: Cluster) -> str:
    r = httpx.post(
        f"{cluster.url}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def browser_login(cluster: Cluster) -> tuple[httpx.Client, str]:
    """A cookie session signed in through the login form (via the proxy); returns it and its CSRF token."""
    client = httpx.Client(base_url=cluster.url, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
                    follow_redirects=True)  # fmt: skip
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert r.status_code == 200 and r.url.path == "/inbox" and csrf, r.text[:300]
    return client, csrf.group(1)


def sql(cluster: Cluster, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(
        f"host=127.0.0.1 port={cluster.pg_port} user=postgres dbname={cluster.database}"
    ) as conn:
        return conn.execute(query, params).fetchall()


@dataclass
class Load:
    """Clients posting single items through the proxy, each with its own external id, until stopped.

    An answer that is not 201 is retried with the same external id (intake is idempotent by it), as a real
    integration would; `accepted` are the ids that got a 201 (or 200: already stored)."""

    cluster: Cluster
    token: str
    prefix: str
    clients: int = 8
    accepted: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    slowest: float = 0.0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.cluster.url, headers=headers, timeout=15) as http:
            i = 0
            while not self._stop.is_set():
                ext = f"{self.prefix}-{n}-{i}"
                body = {
                    "content": f"外卖送到的时候汤全洒了, 骑手态度很差 {ext}",
                    "channel": "api",
                    "external_id": ext,
                }
                while True:
                    start = time.monotonic()
                    try:
                        r = http.post("/api/v1/feedback", json=body)
                        code, retry = r.status_code, r.headers.get("retry-after")
                    except httpx.HTTPError as exc:
                        code, retry = 0, None
                        with self._lock:
                            self.errors.append(type(exc).__name__)
                    took = time.monotonic() - start
                    with self._lock:
                        self.statuses[code] = self.statuses.get(code, 0) + 1
                        self.slowest = max(self.slowest, took)
                        if code == 503 and retry is None:
                            self.errors.append("503 without Retry-After")
                    if code in (200, 201):
                        with self._lock:
                            self.accepted.append(ext)
                        break
                    if self._stop.is_set() and code != 0:
                        break
                    time.sleep(0.2)
                i += 1

    def start(self) -> Load:
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(self.clients)
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.5)


def owed(cluster: Cluster, prefix: str) -> tuple[int, int]:
    """Items of this test still owed analysis, and still owed triage."""
    (row,) = sql(
        cluster,
        "SELECT count(*) FILTER (WHERE analyzed_at IS NULL),"
        " count(*) FILTER (WHERE prioritized_at IS NULL AND status = 'new') FROM feedback WHERE external_id LIKE %s",
        f"{prefix}-%",
    )
    return int(row[0]), int(row[1])


def analysed(cluster: Cluster, prefix: str) -> int:
    return int(
        sql(
            cluster,
            "SELECT count(*) FROM feedback WHERE external_id LIKE %s AND analyzed_at IS NOT NULL",
            f"{prefix}-%",
        )[0][0]
    )


def assert_nothing_lost(cluster: Cluster, prefix: str, accepted: list[str], timeout: float = 90) -> None:
    """Every accepted item is stored once, and ends analysed and triaged, with exactly one triage entry."""
    stored = {
        ext
        for (ext,) in sql(
            cluster, "SELECT external_id FROM feedback WHERE external_id LIKE %s", f"{prefix}-%"
        )
    }
    missing = set(accepted) - stored
    assert not missing, f"{len(missing)} accepted items are not in the database, e.g. {sorted(missing)[:5]}"
    try:
        wait_until(lambda: owed(cluster, prefix) == (0, 0), timeout, "every item analysed and triaged")
    except AssertionError as exc:
        logs = "\n".join(f"--- {name}\n{cluster.log(name)[-1500:]}" for name in ("worker0", "worker1"))
        raise AssertionError(
            f"{exc}; still owed (analysis, triage): {owed(cluster, prefix)}\n{logs}"
        ) from None
    dupes = sql(
        cluster,
        "SELECT h.feedback_id, count(*) FROM wf_history h JOIN feedback f ON f.id = h.feedback_id"
        " WHERE f.external_id LIKE %s AND h.from_status = 'new' GROUP BY h.feedback_id HAVING count(*) > 1",
        f"{prefix}-%",
    )
    assert dupes == [], f"items triaged more than once: {dupes[:5]}"
