"""Surveys through the API (SPEC §11): definitions, invitations, answers, and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.surveys.models import SurveyInvitation, SurveyResponse


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    db.commit()  # a fresh snapshot
    return db.scalar(select(func.count()).select_from(model)) or 0


def _invite(client, headers, survey_id, fid):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/surveys/{survey_id}/invitations", json={"feedback_id": fid}, headers=headers)


def test_a_supervisor_defines_a_survey_and_agents_cannot(client, make_user, new_survey):
    from auth_helpers import token_for

    survey = new_survey("csat")
    assert survey["question_zh"] == "您对本次服务满意吗？" and survey["active"] is True
    agent = token_for(client, *make_user("agent"))
    r = client.post("/api/v1/surveys", json={"name": "x", "kind": "nps"}, headers=agent)
    assert r.status_code == 403
    assert client.post("/api/v1/surveys", json={"name": "x", "kind": "stars"}, headers=token_for(client)).status_code == 422
    assert [s["id"] for s in client.get("/api/v1/surveys", headers=agent).json()] == [survey["id"]]


def test_an_invitation_is_a_192_bit_link_mailed_to_the_customer(client, admin_headers, new_survey, resolved_item, mailbox):
    survey = new_survey("nps")
    fid = resolved_item()
    r = _invite(client, admin_headers, survey["id"], fid)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["token"]) == 32 and body["url"] == f"/survey/{body['token']}"  # 24 random bytes
    mails = mailbox.to("wang@example.com")
    assert any(body["token"] in m.get_content() for m in mails)


def test_the_customer_answers_once_a_second_time_is_409_and_nothing_more_is_written(client, db, admin_headers,
                                                                                      new_survey, resolved_item):
    token = _invite(client, admin_headers, new_survey("nps")["id"], resolved_item()).json()["token"]
    r = client.post(f"/api/v1/public/surveys/{token}", json={"score": 9, "comment": "客服很耐心"})
    assert r.status_code == 201, r.text
    again = client.post(f"/api/v1/public/surveys/{token}", json={"score": 2})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    assert _count(db, SurveyResponse) == 1
    assert db.scalar(select(SurveyResponse.score)) == 9


@pytest.mark.parametrize(("kind", "score"), [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 8),
                                             ("nps", "9"), ("nps", 5.5), ("nps", True), ("nps", None)])
def test_a_score_off_the_scale_or_of_the_wrong_type_is_422_and_nothing_is_written(client, db, admin_headers,
                                                                                   new_survey, resolved_item, kind, score):
    token = _invite(client, admin_headers, new_survey(kind)["id"], resolved_item()).json()["token"]
    r = client.post(f"/api/v1/public/surveys/{token}", json={"score": score})
    assert r.status_code == 422, r.text
    assert "score" in r.text
    assert _count(db, SurveyResponse) == 0
    assert db.scalar(select(SurveyInvitation.answered_at)) is None


def test_an_expired_link_is_410_and_nothing_is_written(client, db, admin_headers, new_survey, resolved_item):
    token = _invite(client, admin_headers, new_survey("csat")["id"], resolved_item()).json()["token"]
    clock.advance(timedelta(days=15))  # invitations expire after 14 days
    r = client.post(f"/api/v1/public/surveys/{token}", json={"score": 5})
    assert r.status_code == 410 and r.json()["error"]["code"] == "expired"
    assert _count(db, SurveyResponse) == 0


def test_an_erased_customer_is_not_surveyed_and_an_old_link_stops_working(client, db, admin_headers, new_survey,
                                                                        resolved_item):
    survey = new_survey("csat")
    token = _invite(client, admin_headers, survey["id"], resolved_item(contact="13900001111")).json()["token"]
    later = resolved_item(contact="13900001111", content="又坏了")
    erased = client.post("/api/v1/privacy/erase", json={"contact": "13900001111", "confirm": True}, headers=admin_headers)
    assert erased.status_code == 200, erased.text
    r = client.post(f"/api/v1/public/surveys/{token}", json={"score": 5})
    assert r.status_code == 410 and r.json()["error"]["code"] == "customer_erased"
    refused = _invite(client, admin_headers, new_survey("nps")["id"], later)
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "customer_erased"
    assert _count(db, SurveyResponse) == 0 and _count(db, SurveyInvitation) == 1


def test_one_invitation_per_item_and_a_quiet_period_across_channels_and_surveys(client, admin_headers, new_survey,
                                                                               resolved_item):
    nps, csat = new_survey("nps"), new_survey("csat")
    first = resolved_item(contact="Li@Example.com", channel="web_form")
    assert _invite(client, admin_headers, nps["id"], first).status_code == 201
    same = _invite(client, admin_headers, nps["id"], first)
    assert same.status_code == 409 and same.json()["error"]["code"] == "already_invited"
    other = resolved_item(contact="li@example.com", channel="email")  # same customer, another channel
    quiet = _invite(client, admin_headers, csat["id"], other)
    assert quiet.status_code == 409 and quiet.json()["error"]["code"] == "quiet_period"
    clock.advance(timedelta(days=31))
    from auth_helpers import token_for

    assert _invite(client, token_for(client), csat["id"], other).status_code == 201  # a fresh sign-in: a month later


def test_bulk_invites_a_filtered_list_and_counts_what_it_skipped(client, db, admin_headers, new_survey, resolved_item):
    survey = new_survey("csat")
    for n in range(3):
        resolved_item(contact=f"c{n}@example.com", content=f"物流太慢 {n}")
    resolved_item(contact="c0@example.com", content="再次反馈物流")  # same customer: quiet period
    r = client.post(f"/api/v1/surveys/{survey['id']}/invitations/bulk", json={"status": "resolved"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 3, "skipped": {"quiet_period": 1}}
    assert _count(db, SurveyInvitation) == 3


def test_resolving_an_item_sends_the_resolve_survey_and_the_status_page_links_it(client, db, admin_headers,
                                                                                new_survey, resolved_item, mailbox):
    new_survey("nps", on_resolve=True, channels=["api"])
    fid = resolved_item(contact="zhao@example.com")
    db.commit()
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.feedback_id == fid))
    assert invitation is not None and invitation.trigger == "resolve"
    assert any(invitation.token in m.get_content() for m in mailbox.to("zhao@example.com"))
    token = db.get(Feedback, fid).status_token
    page = client.get(f"/s/{token}")
    assert f"/survey/{invitation.token}" in page.text and 'data-testid="rate-form"' not in page.text
    skipped = resolved_item(contact="qian@example.com", channel="web_form")  # not one of the survey's channels
    db.commit()
    assert db.scalar(select(SurveyInvitation).where(SurveyInvitation.feedback_id == skipped)) is None


def test_a_detractor_reopens_the_item_and_the_owner_is_told_with_a_new_deadline(client, db, admin_headers,
                                                                               new_survey, resolved_item):
    from feedbackloop.workflow.models import Notification

    new_survey("nps", on_resolve=True)
    fid = resolved_item(contact="sun@example.com")
    db.commit()
    token = db.scalar(select(SurveyInvitation.token).where(SurveyInvitation.feedback_id == fid))
    r = client.post(f"/api/v1/public/surveys/{token}", json={"score": 3, "comment": "问题根本没解决"})
    assert r.status_code == 201 and r.json()["recovery"] is True
    db.commit()
    item = db.get(Feedback, fid)
    assert item.status == "reopened" and item.reopen_count == 1 and item.resolution_due is not None
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.feedback_id == fid, Notification.kind == "reopened")) == 1
    comment = db.scalar(select(Feedback).where(Feedback.channel == "survey"))
    assert comment is not None and comment.content == "问题根本没解决"  # analysed like any feedback text


def test_a_promoter_closes_the_loop_and_keeps_the_agent_who_earned_it(client, db, admin_headers, new_survey,
                                                                      resolved_item, make_user):
    new_survey("csat", on_resolve=True)
    fid = resolved_item(contact="zhou@example.com")
    db.commit()
    owner = db.get(Feedback, fid).owner_id
    token = db.scalar(select(SurveyInvitation.token).where(SurveyInvitation.feedback_id == fid))
    name, _ = make_user("agent")
    from feedbackloop.accounts.models import User

    other = db.scalar(select(User.id).where(User.username == name))
    db.commit()
    assert client.post(f"/api/v1/feedback/{fid}/assign", json={"owner_id": other}, headers=admin_headers).status_code == 200
    assert client.post(f"/api/v1/public/surveys/{token}", json={"score": 5}).status_code == 201
    db.commit()
    response = db.scalar(select(SurveyResponse))
    assert response.agent_id == owner != other
    assert db.get(Feedback, fid).satisfaction == "satisfied"


def test_order_completed_webhook_sends_the_order_survey(client, db, admin_headers, new_survey, mailbox):
    import json
    import time

    from feedbackloop.webhooks.services import sign

    new_survey("csat", on_order=True)
    secret = client.post("/api/v1/webhook-sources", json={"name": "shop"}, headers=admin_headers).json()["secret"]
    event = {"id": "o-1", "type": "order.completed", "data": {"order_id": "SO-88", "email": "buyer@example.com",
                                                               "product": "空气炸锅"}}
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-FeedbackLoop-Timestamp": stamp,
               "X-FeedbackLoop-Signature": sign(secret, stamp, body)}
    r = client.post("/api/v1/webhooks/shop", content=body, headers=headers)
    assert r.status_code == 202, r.text
    db.commit()
    invitation = db.scalar(select(SurveyInvitation))
    assert invitation.subject == "order:shop:SO-88" and invitation.trigger == "order" and invitation.product == "空气炸锅"
    assert any(invitation.token in m.get_content() for m in mailbox.to("buyer@example.com"))
