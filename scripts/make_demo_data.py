"""Draw the committed demo sample from ../shared/data: real reviews, spread over channels.

Run once by a developer: `python scripts/make_demo_data.py`; the output ships in feedbackloop/demo/.
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "feedbackloop" / "demo" / "demo_reviews.csv.gz"
PLAN = [  # corpus, how many, channels it plausibly came from
    ("chnsenticorp_htl", 700, ["dianping", "web_form", "email", "qr"]),
    ("waimai_10k", 1000, ["meituan", "dianping", "qr", "web_form"]),
    ("online_shopping_10_cats", 1300, ["tmall", "jd", "crm", "api", "email"]),
]


def main() -> None:
    rng = random.Random(20261125)
    rows = []
    for corpus, count, channels in PLAN:
        with open(DATA / corpus / "train.csv", encoding="utf-8") as fh:
            reviews = [r for r in csv.DictReader(fh) if 6 <= len(r["review"]) <= 400]
        for r in rng.sample(reviews, count):
            rows.append(
                {
                    "corpus": corpus,
                    "category": r.get("cat", ""),
                    "label": r["label"],
                    "channel": rng.choice(channels),
                    "days_ago": f"{rng.random() * 90:.4f}",
                    "review": r["review"],
                }
            )
    rng.shuffle(rows)
    with gzip.open(OUT, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
