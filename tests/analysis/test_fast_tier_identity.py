"""The fast tier's outputs are those of the snapshot taken before its speed work (issue 18).

tests/analysis/data/fast_tier_snapshot.json holds a hash of every field of the fast-tier analysis
of each text of `fast_tier_texts.snapshot_texts` (training set, in-repo test sets, and 3,000 corpus
texts where ../shared/data is present), taken with the code before the speed work and the model
versions it names. A change that leaves every output alone keeps every hash; one that moves a
single score in the last digit breaks it. After a retrain the snapshot names other models and this
test skips until `scripts/fast_tier_snapshot.py write` is run with the new models.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from feedbackloop.analysis import Analyzer
from feedbackloop.analysis.model import current_model_version, current_triage_version

from .fast_tier_texts import SNAPSHOT, digest, snapshot_texts


@pytest.mark.slow
def test_fast_tier_outputs_are_identical_to_the_snapshot() -> None:
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    models = {"sentiment": current_model_version(), "triage": current_triage_version()}
    if data["models"] != models:
        pytest.skip(f"snapshot taken with {data['models']}, shipped models are {models}")
    texts = snapshot_texts(corpora=True)
    analyzer = Analyzer()
    different = []
    checked = 0
    # Batches of another size than the snapshot's 500: a text's analysis must not depend on its batch.
    for start in range(0, len(texts), 700):
        batch = texts[start : start + 700]
        for text, analysis in zip(batch, analyzer.analyze_many(batch), strict=True):
            want = data["digests"].get(hashlib.sha1(text.encode()).hexdigest()[:16])
            if want is None:
                continue
            checked += 1
            if digest(analysis.to_dict()) != want:
                different.append(text[:50])
    assert checked >= 4000
    assert not different, f"{len(different)} of {checked} analyses changed, e.g. {different[:5]}"
