"""The demo data set: 3,000 real reviews from the public corpora, spread over 90 days and channels."""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from feedbackloop.db import session_scope
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.lib.clock import clock

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "demo_reviews.csv.gz"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_NICKS = ["小{}", "{}先生", "{}女士", "老{}", "{}同学"]
_REGIONS = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆"]
_TOUCHPOINTS = ["上海南京西路店", "北京三里屯店", "杭州西湖店", "官网商品页"]


def demo_items() -> Iterator[FeedbackCreate]:
    """The demo sample as feedback to ingest; deterministic."""
    rng = random.Random(7)
    now = clock.now()
    with gzip.open(DEMO_FILE, "rt", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            surname = rng.choice(_SURNAMES)
            has_contact = rng.random() < 0.6
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            spend = round(rng.expovariate(1 / 2500), 2)
            yield FeedbackCreate(
                content=row["review"],
                channel=row["channel"],
                external_id=f"demo-{n:05d}",
                customer_name=rng.choice(_NICKS).format(surname),
                contact=phone if has_contact else None,
                customer_years=rng.choice([0, 0, 1, 2, 5]),
                customer_spend_6m=spend,
                region=rng.choice(_REGIONS),
                industry={"chnsenticorp_htl": "酒店", "waimai_10k": "外卖"}.get(row["corpus"], "电商"),
                product=row["category"] or None,
                touchpoint=rng.choice(_TOUCHPOINTS) if row["channel"] == "qr" else None,
                rating=(rng.choice([4, 5]) if row["label"] == "1" else rng.choice([1, 2, 3])),
                received_at=now - timedelta(days=float(row["days_ago"])),
                consent_public=rng.random() < 0.3,
            )


def load_demo_if_empty() -> int:
    """Load the demo set into an empty store; returns how many items were added."""
    with session_scope() as session:
        if session.scalar(select(func.count()).select_from(Feedback)):
            return 0
    added = 0
    batch: list[FeedbackCreate] = []
    for item in demo_items():
        batch.append(item)
        if len(batch) == 1000:
            added += _store(batch)
            batch = []
    if batch:
        added += _store(batch)
    from feedbackloop.demo.month import play_month  # a quarter of work on the reviews (issue 12)

    play_month()
    return added


def _store(batch: list[FeedbackCreate]) -> int:
    with session_scope() as session:
        return len(services.ingest(session, batch).created)
