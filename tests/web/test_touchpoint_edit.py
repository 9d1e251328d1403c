"""Touchpoints can be renamed (their items follow, the link stays) and deleted; both are audited."""

from __future__ import annotations

from sqlalchemy import select
from web_fixtures import *  # noqa: F403  (fixtures: admin_client)

from feedbackloop.audit.models import AuditEntry
from feedbackloop.feedback.models import Feedback


def test_rename_and_delete_a_touchpoint(admin_client, db, make_feedback):
    r = admin_client.post("/touchpoints", data={"csrf_token": admin_client.csrf, "name": "南京西路店", "kind": "store",
                                                "slug": "nj-west"})
    assert r.status_code == 200
    item = make_feedback(content="店里太吵了", touchpoint="南京西路店")
    r = admin_client.post("/touchpoints/nj-west", data={"csrf_token": admin_client.csrf, "name": "上海南京西路店",
                                                        "kind": "store"})
    assert r.status_code == 200 and "上海南京西路店" in r.text
    db.rollback()
    assert db.get(Feedback, item.id).touchpoint == "上海南京西路店"
    assert "上海南京西路店" in admin_client.get("/f/nj-west").text  # same link, new name
    bad = admin_client.post("/touchpoints/nj-west", data={"csrf_token": admin_client.csrf, "name": "", "kind": "store"})
    assert bad.status_code == 422
    r = admin_client.post("/touchpoints/nj-west/delete", data={"csrf_token": admin_client.csrf})
    assert r.status_code == 200 and "nj-west" not in r.text
    assert admin_client.get("/f/nj-west").status_code == 404
    db.rollback()
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "touchpoints")))
    assert {"touchpoints.create", "touchpoints.update", "touchpoints.delete"} <= actions
    assert db.get(Feedback, item.id).touchpoint == "上海南京西路店"
