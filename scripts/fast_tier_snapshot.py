"""Snapshot of the fast tier's outputs, to show that a speed change leaves them identical.

    .venv/bin/python scripts/fast_tier_snapshot.py write [--full out.jsonl]   # tests/analysis/data/fast_tier_snapshot.json
    .venv/bin/python scripts/fast_tier_snapshot.py check [--full before.jsonl]

The texts: every text of the training set and the in-repo test sets (always present), plus 3,000
corpus texts (seed 7) where ../shared/data is present. Each text's fast-tier analysis (`to_dict()`,
every field, exact floats) is hashed, and so is what it decided without the scores
(`decision_digest`); the snapshot names the model versions it was taken with.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.analysis.fast_tier_texts import SNAPSHOT, decision_digest, digest, snapshot_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "check"))
    parser.add_argument("--full", help="also write (write) or diff against (check) the full analyses, JSONL")
    args = parser.parse_args()
    from feedbackloop.analysis import Analyzer
    from feedbackloop.analysis.model import current_model_version, current_triage_version

    texts = snapshot_texts(corpora=True)
    analyzer = Analyzer()
    outputs = []
    for start in range(0, len(texts), 500):
        outputs.extend(a.to_dict() for a in analyzer.analyze_many(texts[start : start + 500]))
    models = {"sentiment": current_model_version(), "triage": current_triage_version()}
    if args.action == "write":
        keys = [hashlib.sha1(t.encode()).hexdigest()[:16] for t in texts]
        data = {"models": models, "digests": {k: digest(o) for k, o in zip(keys, outputs, strict=True)},
                "decisions": {k: decision_digest(o) for k, o in zip(keys, outputs, strict=True)}}
        SNAPSHOT.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {len(data['digests'])} digests for models {models} to {SNAPSHOT.relative_to(ROOT)}")
        if args.full:
            with open(args.full, "w", encoding="utf-8") as fh:
                for t, o in zip(texts, outputs, strict=True):
                    fh.write(json.dumps({"text": t, "analysis": o}, ensure_ascii=False) + "\n")
        return
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if data["models"] != models:
        sys.exit(f"snapshot was taken with models {data['models']}, current are {models}: nothing to compare")
    before = {}
    if args.full:
        with open(args.full, encoding="utf-8") as fh:
            before = {r["text"]: r["analysis"] for r in map(json.loads, fh)}
    bad = decided = 0
    for t, o in zip(texts, outputs, strict=True):
        key = hashlib.sha1(t.encode()).hexdigest()[:16]
        decided += data["decisions"].get(key) != decision_digest(o)
        if data["digests"].get(key) != digest(o):
            bad += 1
            if bad <= 10:
                print("DIFFERENT:", t[:60])
                if t in before:
                    for k in o:
                        if o[k] != before[t][k]:
                            print(f"   {k}: before {before[t][k]!r}\n   {k}: after  {o[k]!r}")
    print(f"{len(texts) - bad} of {len(texts)} identical; {decided} decided otherwise")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
