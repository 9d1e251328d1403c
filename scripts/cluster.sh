#!/usr/bin/env bash
# The scaled-out topology on one machine: PostgreSQL, Redis, 2 web nodes behind HAProxy, N workers.
# Usage: scripts/cluster.sh [--web 2] [--workers 2] [--base-port 8160] [--dir /tmp/fl_cluster]   (Ctrl-C stops it)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || make .venv >/dev/null
exec .venv/bin/python scripts/cluster.py up "$@"
