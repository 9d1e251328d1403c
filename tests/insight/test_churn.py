"""流失预警: repeated negative feedback, detractors, open and reopened complaints, weighted by customer value,
ranked; reasons and item links; a CSM takes one on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from auth_helpers import token_for
from sqlalchemy import select, update
from starlette.datastructures import QueryParams

from feedbackloop.audit.models import AuditEntry
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight.churn import Signals, customer_key
from feedbackloop.lib.clock import clock
from feedbackloop.web.filters import InboxQuery

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
BAD = ["送餐太慢了, 等了两个小时, 太差了", "客服态度很差, 问题一直没人解决", "质量太差了, 用了一天就坏了"]
GOOD = "东西很好, 物流很快, 非常满意"


@pytest.fixture
def customers(db, make_feedback):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)

    def item(contact, text, days, **fields):  # type: ignore[no-untyped-def]
        return make_feedback(content=text, channel="jd", contact=contact, customer_name="张三",
                             received_at=NOW - timedelta(days=days), **fields).id  # fmt: skip

    for n in range(2):
        item("13800000001", BAD[n], 3 + n, customer_spend_6m=20_000)  # A: high value, two open complaints
        item("13800000002", BAD[n], 3 + n)  # B: the same signals, no spend on record
    c = item("13800000003", BAD[2], 5)  # C: one complaint, resolved: not at risk
    d = item("13800000004", BAD[2], 6)  # D: resolved, then reopened, and said 不满意
    item("13800000005", GOOD, 2)  # E: happy
    item("13800000006", BAD[0], 120)  # F: a complaint long ago, outside the 90 days
    item("13800000006", BAD[1], 100)
    db.execute(update(Feedback).where(Feedback.id == c).values(status="resolved"))
    db.execute(update(Feedback).where(Feedback.id == d).values(status="reopened", reopen_count=1,
                                                                 satisfaction="dissatisfied"))  # fmt: skip
    db.commit()


def test_the_score_weights_value_and_each_signal():
    base = Signals(negative=2, open_complaints=2)
    assert base.risk() == 1 + 2 + 2 * 2.5
    assert Signals(negative=2, open_complaints=2, spend=20_000).value() == 3.0
    assert Signals(negative=1, high_value=True).value() == 2.0
    assert Signals(negative=1, detractor=True, reopened=1, open_complaints=1).risk() == 1 + 3 + 3 + 2.5
    assert Signals(negative=1).risk() < 3  # one bad item is not a churn signal


def test_customers_at_risk_are_ranked_high_value_first_with_reasons(client, customers, make_user):
    headers = token_for(client, *make_user("csm"))
    rows = client.get("/api/v1/dashboard/churn", headers=headers).json()["customers"]
    assert [r["contact"] for r in rows] == ["13800000001", "13800000004", "13800000002"]
    assert [r["score"] for r in rows] == [24.0, 9.5, 8.0]
    assert rows[0]["reasons"][0] == "2 条负面反馈" and any("高价值" in x for x in rows[0]["reasons"])
    assert "1 条反馈被重开" in rows[1]["reasons"] and "不满意 / 低分评价" in rows[1]["reasons"]
    assert rows[0]["name"] == "张*"


def test_the_list_masks_contacts_for_roles_that_may_not_see_them(client, customers, make_user):
    headers = token_for(client, *make_user("analyst"))
    rows = client.get("/api/v1/dashboard/churn", headers=headers).json()["customers"]
    assert [r["contact"] for r in rows] == ["138****0001", "138****0004", "138****0002"]


def test_each_customer_links_to_their_items(client, db, customers, admin_headers):
    rows = client.get("/api/v1/dashboard/churn", headers=admin_headers).json()["customers"]
    for row in rows:
        parts = urlsplit(row["href"])
        found, total = services.search(db, InboxQuery.parse(QueryParams(parts.query)).filters, 1, 100)
        assert total == len(row["ids"]) and {f.contact for f in found} == {row["contact"]}


def test_a_csm_takes_a_customer_on_and_nobody_else_can_then(client, db, customers, make_user):
    first = token_for(client, *make_user("csm"))
    key = customer_key("13800000001")
    r = client.post(f"/api/v1/dashboard/churn/{key}/take", headers=first)
    assert r.status_code == 201, r.text
    rows = client.get("/api/v1/dashboard/churn", headers=first).json()["customers"]
    assert rows[0]["owner"] == r.json()["owner"]
    second = token_for(client, *make_user("csm"))
    assert client.post(f"/api/v1/dashboard/churn/{key}/take", headers=second).status_code == 409
    agent = token_for(client, *make_user("agent"))
    assert client.post(f"/api/v1/dashboard/churn/{key}/take", headers=agent).status_code == 403
    unknown = customer_key("13800000005")  # happy customer: not on the list
    assert client.post(f"/api/v1/dashboard/churn/{unknown}/take", headers=first).status_code == 404
    db.rollback()
    assert db.scalars(select(AuditEntry).where(AuditEntry.entity == "churn_tasks")).first() is not None
