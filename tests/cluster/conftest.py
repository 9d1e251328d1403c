"""The scaled-out topology (scripts/cluster.py) for the fault tests: PostgreSQL, Redis, two web nodes behind
HAProxy and two workers, started once per session. Selected with `-m cluster` and run only when
FEEDBACKLOOP_CLUSTER_TESTS=1 (`.ci/run` sets it), as they need root, Debian's postgresql, redis-server and
haproxy, and the ports FEEDBACKLOOP_CLUSTER_BASE_PORT … +11 (default 8160)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from cluster import Cluster  # noqa: E402

ENABLED = os.environ.get("FEEDBACKLOOP_CLUSTER_TESTS") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)
            if not ENABLED:
                item.add_marker(
                    pytest.mark.skip(reason="cluster fault tests: set FEEDBACKLOOP_CLUSTER_TESTS=1")
                )


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="fl-cluster-"))
    topology = Cluster(
        base, base_port=int(os.environ.get("FEEDBACKLOOP_CLUSTER_BASE_PORT", "8160")), web_nodes=2, workers=2,
        extra_env={"FEEDBACKLOOP_PUBLIC_RATE_LIMIT_PER_MINUTE": "10", "FEEDBACKLOOP_RECONCILE_AFTER_SECONDS": "3"},
    )  # fmt: skip
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()
        if os.environ.get("FEEDBACKLOOP_CLUSTER_KEEP") != "1":  # keep the logs to look at
            shutil.rmtree(base, ignore_errors=True)
