"""Second-labeller agreement on the analysis training set (issue 18).

A second labeller re-labelled a random sample of the training rows from their texts alone, by
ANALYSIS_LABELS.md (bench/data/second_labeller_sample.jsonl, keyed by the training row id). This prints, per
field, the share of rows where both labellers agree and Cohen's kappa (agreement beyond chance), plus the
confusion tables that say where they part ways.

Usage:
  .venv/bin/python bench/label_agreement.py                      # training set in this checkout
  .venv/bin/python bench/label_agreement.py --git-ref br-18      # training set as committed on a branch
  .venv/bin/python bench/label_agreement.py --training PATH.jsonl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRAINING = Path("feedbackloop/analysis/data/train_labelled.jsonl")
SECOND = ROOT / "bench" / "data" / "second_labeller_sample.jsonl"
NONE = "无"
# The locked set and this sample name one escalation class; the training set splits it by channel.
ESCALATION = {"legal_threat": "escalation_threat", "media_threat": "escalation_threat",
              "regulator_threat": "escalation_threat"}

Row = dict[str, Any]


def read_jsonl(lines: Iterable[str]) -> list[Row]:
    """Parse JSON lines, skipping blank ones."""
    return [json.loads(line) for line in lines if line.strip()]


def load_training(path: Path | None, git_ref: str | None) -> dict[str, Row]:
    """The training rows by id, from a file or from `git show REF:path`."""
    if git_ref:
        shown = subprocess.run(
            ["git", "show", f"{git_ref}:{TRAINING.as_posix()}"], cwd=ROOT, check=True, capture_output=True, text=True
        )
        rows = read_jsonl(shown.stdout.splitlines())
    else:
        with (path or ROOT / TRAINING).open(encoding="utf-8") as f:
            rows = read_jsonl(f)
    return {str(r["id"]): r for r in rows}


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float:
    """Cohen's kappa of two labellers over the same items: (p_o - p_e) / (1 - p_e)."""
    n = len(pairs)
    if n == 0:
        return float("nan")
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def _value(row: Row, field: str) -> Hashable:
    value = row.get(field)
    return NONE if value is None else str(value)


FIELDS: dict[str, Callable[[Row], Hashable]] = {
    "sentiment (3 classes)": lambda r: _value(r, "sentiment"),
    "problem_type (7 incl. 无)": lambda r: _value(r, "problem_type"),
    "problem found (type vs 无)": lambda r: r.get("problem_type") is not None,
    "urgency (3 levels)": lambda r: _value(r, "urgency"),
    "紧急 (yes/no)": lambda r: r.get("urgency") == "紧急",
    "safety flag (class vs none)": lambda r: r.get("safety_class") is not None,
}


def aspect_scores(pairs: list[tuple[Row, Row]], key: Callable[[str], str]) -> tuple[float, float, float, float]:
    """Micro precision/recall/F1 of the second labeller against the training labels, and exact-set agreement."""
    tp = fp = fn = same = 0
    for train, second in pairs:
        a, b = {key(x) for x in train.get("aspects") or []}, {key(x) for x in second.get("aspects") or []}
        tp, fp, fn, same = tp + len(a & b), fp + len(b - a), fn + len(a - b), same + (a == b)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), same / len(pairs)


def crosstab(pairs: list[tuple[Row, Row]], field: str) -> str:
    """Rows = training label, columns = second labeller."""
    cells = Counter((_value(t, field), _value(s, field)) for t, s in pairs)
    rows = sorted({a for a, _ in cells}, key=str)
    cols = sorted({b for _, b in cells}, key=str)
    width = max(len(str(x)) for x in [*rows, *cols, "training \\ second"]) + 2
    lines = ["training \\ second".ljust(width) + "".join(str(c).rjust(width) for c in cols)]
    lines += [str(r).ljust(width) + "".join(str(cells[(r, c)]).rjust(width) for c in cols) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--training", type=Path, help=f"training JSONL (default: {TRAINING})")
    parser.add_argument("--git-ref", help="read the training JSONL from this git ref instead")
    parser.add_argument("--second", type=Path, default=SECOND, help="second labeller's JSONL")
    args = parser.parse_args(argv)

    try:
        training = load_training(args.training, args.git_ref)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"error: cannot read the training set: {exc}", file=sys.stderr)
        return 1
    with args.second.open(encoding="utf-8") as f:
        second = read_jsonl(f)
    missing = [r["id"] for r in second if str(r["id"]) not in training]
    if missing:
        print(f"error: {len(missing)} sample ids are not in the training set, e.g. {missing[:3]}", file=sys.stderr)
        return 1
    pairs = [(training[str(r["id"])], r) for r in second]
    n = len(pairs)
    print(f"second-labeller agreement on {n} training rows ({sum(t.get('source') == 'written' for t, _ in pairs)} "
          f"written, {sum(t.get('source') != 'written' for t, _ in pairs)} corpus)\n")
    print(f"{'field':32}{'agree':>8}{'kappa':>8}")
    for name, get in FIELDS.items():
        values = [(get(t), get(s)) for t, s in pairs]
        agree = sum(a == b for a, b in values) / n
        print(f"{name:32}{agree:8.3f}{cohen_kappa(values):8.3f}")
    both = [(t, s) for t, s in pairs if t.get("safety_class") and s.get("safety_class")]
    if both:
        same = sum(t["safety_class"] == s["safety_class"] for t, s in both) / len(both)
        print(f"{'safety class, both flagged':32}{same:8.3f}{'':>8}  (n={len(both)}; names as written)")
        coarse = [(ESCALATION.get(t["safety_class"], t["safety_class"]), s["safety_class"]) for t, s in both]
        print(f"{'  threats as one class':32}{sum(a == b for a, b in coarse) / len(both):8.3f}"
              f"{cohen_kappa(coarse):8.3f}  (legal_threat, media_threat = escalation_threat)")
    for label, key in (("aspect:polarity pairs", lambda x: x), ("aspect names", lambda x: x.split(":")[0])):
        p, r, f1, exact = aspect_scores(pairs, key)
        print(f"{label:32} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  exact set {exact:.3f}")
    for field in ("urgency", "problem_type", "sentiment", "safety_class"):
        print(f"\n{field}\n{crosstab(pairs, field)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
