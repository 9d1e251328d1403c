"""Fixtures for the analysis tests: the shipped model, and a tiny model trained into a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedbackloop.analysis.training import data_dir

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def corpora_available() -> bool:
    return (data_dir() / "waimai_10k" / "train.csv").exists()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, corpora_available: bool) -> Path:
    """A model trained on 1,500 corpus texts, written to a temporary models folder."""
    if not corpora_available:
        pytest.skip("training corpora (../shared/data) not present")
    from feedbackloop.analysis import train

    out = tmp_path_factory.mktemp("models")
    train(output_dir=out, limit=1500, extra=[("这家店的招牌菜绝了", 1)])
    return out
