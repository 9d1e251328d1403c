"""The deep tier's encoder runs in one thread of lower CPU priority, so that intake and the fast tier go first."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from feedbackloop.analysis import encoder


class _RecordingModel:
    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def query(self, texts: list[str]) -> np.ndarray:
        tid = threading.get_native_id()
        self.seen.append((tid, os.getpriority(os.PRIO_PROCESS, tid)))
        return np.ones((len(texts), encoder.DIM), dtype=np.float32)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread niceness is a Linux feature")
def test_the_encoder_runs_in_its_own_thread_at_lower_cpu_priority(monkeypatch, tmp_path) -> None:
    model = _RecordingModel()
    monkeypatch.setattr(encoder, "encoder", lambda: model)
    monkeypatch.setenv(encoder.ENV_CACHE, str(tmp_path))
    monkeypatch.setattr(encoder, "_runner", [])
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    vectors = encoder.embed(["房间很脏", "服务很好"])
    assert vectors is not None and vectors.shape == (2, encoder.DIM)
    (tid, nice), = model.seen
    assert tid != threading.get_native_id()
    assert nice == max(own, encoder.DEFAULT_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own, "the caller's own priority is kept"
