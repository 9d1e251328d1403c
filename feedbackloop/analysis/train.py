"""`python -m feedbackloop.analysis.train`: train the sentiment model with a progress bar."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import AnalysisError
from .training import DEFAULT_C, train


def _rich_progress():  # pragma: no cover - exercised by hand; tests call train() directly
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    tasks: dict[str, int] = {}

    def callback(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, callback


def main(argv: Sequence[str] | None = None) -> int:
    """Train, write a versioned model and (unless --no-current) make it the current one."""
    parser = argparse.ArgumentParser(prog="python -m feedbackloop.analysis.train", description=main.__doc__)
    parser.add_argument("--data", help="folder with the labelled corpora (default ../shared/data)")
    parser.add_argument("--output", help="models folder (default: the package's models/)")
    parser.add_argument("--corrections", help="CSV with text,label columns of agent corrections")
    parser.add_argument("--no-current", action="store_true", help="write the model without making it current")
    parser.add_argument("--limit", type=int, help="train on a random sample of this many texts")
    parser.add_argument("--C", type=float, default=DEFAULT_C, help="SVM regularisation (default %(default)s)")
    args = parser.parse_args(argv)
    extra: list[tuple[str, str]] = []
    if args.corrections:
        import csv

        with open(args.corrections, encoding="utf-8-sig", newline="") as fh:
            extra = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    bar, callback = _rich_progress()
    try:
        with bar:
            result = train(data=args.data, extra=extra, output_dir=args.output, make_current=not args.no_current,
                           progress=callback, C=args.C, limit=args.limit)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "current" if result.current else "not current"
    print(f"model {result.version} ({state}) trained on {result.n_examples} texts → {result.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
