"""The learning loop: train a versioned model, load it, evaluate it; the shipped model's accuracy."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from feedbackloop.analysis import (
    Analyzer,
    ModelNotFound,
    TrainingDataError,
    current_model_version,
    evaluate,
    load_model,
)
from feedbackloop.analysis.training import is_holdout, parse_label, prepare

DATA = Path(__file__).parent / "data"


def test_train_writes_a_versioned_model_that_loads_and_analyzes(tiny_model_dir: Path) -> None:
    version = current_model_version(tiny_model_dir)
    assert version.startswith("sent-")
    assert (tiny_model_dir / f"sentiment-{version}.npz").exists()
    meta = json.loads((tiny_model_dir / f"sentiment-{version}.json").read_text(encoding="utf-8"))
    assert meta["version"] == version and meta["corrections"] == 1
    model = load_model(version, tiny_model_dir)
    a = Analyzer(model=model).analyze("服务很差，太失望了")
    assert a.model_version == version
    assert a.sentiment.label == "negative"


def test_the_model_learns_a_correction_per_domain_and_routes_texts_to_them(tiny_model_dir: Path) -> None:
    model = load_model(current_model_version(tiny_model_dir), tiny_model_dir)
    assert model.domains is not None and set(model.domains.names) == {"delivery", "ecommerce", "hotel"}
    X = model.featurizer.transform(prepare(["房间很干净，前台服务热情，早餐也不错", "外卖送得太慢了，菜都凉了"]))
    _, mix = model.score(X)
    assert mix is not None
    names = list(model.domains.names)
    assert mix[0].argmax() == names.index("hotel") and mix[1].argmax() == names.index("delivery")


def test_training_again_makes_a_new_version(tiny_model_dir: Path, tmp_path: Path) -> None:
    from feedbackloop.analysis import train

    first = current_model_version(tiny_model_dir)
    calls: list[tuple[str, int, int]] = []
    result = train(output_dir=tiny_model_dir, limit=400, make_current=False,
                   progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert result.version != first
    assert current_model_version(tiny_model_dir) == first  # not made current
    assert calls and calls[-1][1] == calls[-1][2]  # the progress bar reaches 100%


def test_evaluate_counts_right_on_a_hand_made_set() -> None:
    texts = ["服务很好，很满意", "太差了，再也不来", "质量很好", "垃圾，退货", "非常好吃", "难吃死了"]
    labels = [1, 0, 1, 0, 0, 1]  # the last two are deliberately wrong
    result = evaluate(texts, labels)
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["confusion_matrix"] == [[2, 1], [1, 2]]
    assert result["macro_f1"] == pytest.approx(2 / 3)
    assert result["n"] == 6


def test_evaluate_rejects_mismatched_or_bad_labels() -> None:
    with pytest.raises(TrainingDataError):
        evaluate(["好"], [1, 0])
    with pytest.raises(TrainingDataError):
        parse_label("maybe")


def test_labels_accept_words() -> None:
    assert [parse_label(v) for v in ("1", "positive", "正面", 0, "negative")] == [1, 1, 1, 0, 0]


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        load_model("sent-1999.01.01-1", tmp_path)


def test_shipped_model_is_accurate_on_the_held_out_slice() -> None:
    """The committed model never saw these texts (is_holdout keeps them out of training)."""
    with (DATA / "sentiment_holdout.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(is_holdout(r["text"]) for r in rows)
    result = evaluate([r["text"] for r in rows], [r["label"] for r in rows])
    assert result["accuracy"] >= 0.85, result
    for corpus in ("chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats"):
        sub = [r for r in rows if r["corpus"] == corpus]
        acc = evaluate([r["text"] for r in sub], [r["label"] for r in sub])["accuracy"]
        assert acc >= 0.8, (corpus, acc)


def test_package_has_a_small_public_api_and_no_web_imports() -> None:
    import subprocess
    import sys

    code = ("import sys, feedbackloop.analysis as a; a.analyze('好');"
            "print(sorted(m for m in ('fastapi', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import feedbackloop.analysis as pkg

    assert {"analyze", "analyze_many", "Analysis", "themes", "train", "evaluate", "load_model",
            "current_model_version"} <= set(pkg.__all__)
