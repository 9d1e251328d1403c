"""The public survey page (/survey/<token>): no login, one question per screen, clear answers to misuse."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from feedbackloop.lib.clock import clock
from feedbackloop.surveys.models import SurveyResponse


def _token(client, headers, survey, fid) -> str:  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/surveys/{survey['id']}/invitations", json={"feedback_id": fid}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_page_asks_the_question_with_its_scale_and_a_progress_bar(client, admin_headers, new_survey, resolved_item):
    followups = [{"key": "fcr", "kind": "yes_no", "text_zh": "问题一次就解决了吗?", "text_en": "Solved first time?"}]
    token = _token(client, admin_headers, new_survey("nps", followups=followups), resolved_item())
    client.cookies.clear()
    page = client.get(f"/survey/{token}")
    assert page.status_code == 200
    assert "您有多大可能向朋友或同事推荐我们？" in page.text and "问题一次就解决了吗?" in page.text
    assert page.text.count('name="score"') == 11 and 'role="progressbar"' in page.text and 'aria-valuemax="3"' in page.text
    assert "How likely are you to recommend us" in client.get(f"/survey/{token}?lang=en").text


def test_submitting_stores_the_answer_and_a_second_submit_gets_a_friendly_409(client, db, admin_headers, new_survey,
                                                                            resolved_item):
    followups = [{"key": "fcr", "kind": "yes_no", "text_zh": "问题一次就解决了吗?", "text_en": "Solved first time?"}]
    token = _token(client, admin_headers, new_survey("csat", followups=followups), resolved_item())
    client.cookies.clear()
    csrf = _csrf(client.get(f"/survey/{token}").text)
    form = {"csrf_token": csrf, "score": "4", "a_fcr": "no", "comment": "还行"}
    r = client.post(f"/survey/{token}", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/survey/{token}?done=1"
    assert "感谢您的评价" in client.get(r.headers["location"]).text
    again = client.post(f"/survey/{token}", data=form, follow_redirects=False)
    assert again.status_code == 409 and "您已完成这份调查" in again.text
    db.commit()
    row = db.scalar(select(SurveyResponse))
    assert (row.score, row.fcr_answer, row.comment) == (4, False, "还行")
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_a_bad_score_keeps_the_form_and_says_what_is_wrong(client, db, admin_headers, new_survey, resolved_item):
    token = _token(client, admin_headers, new_survey("csat"), resolved_item())
    client.cookies.clear()
    csrf = _csrf(client.get(f"/survey/{token}").text)
    r = client.post(f"/survey/{token}", data={"csrf_token": csrf, "score": "9", "comment": "保留这段话"})
    assert r.status_code == 422 and "1–5" in r.text and "保留这段话" in r.text
    missing = client.post(f"/survey/{token}", data={"csrf_token": csrf})
    assert missing.status_code == 422
    db.commit()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_unknown_and_expired_links_get_their_own_page(client, admin_headers, new_survey, resolved_item):
    token = _token(client, admin_headers, new_survey("csat"), resolved_item())
    client.cookies.clear()
    assert client.get("/survey/not-a-token").status_code == 404
    clock.advance(timedelta(days=15))
    page = client.get(f"/survey/{token}")
    assert page.status_code == 410 and "已过期" in page.text


def test_an_agent_sends_a_survey_from_the_item_page_and_sees_the_link_for_an_sms(client, db, make_user, new_survey,
                                                                                resolved_item):
    from auth_helpers import sign_in

    survey = new_survey("nps")
    fid = resolved_item(contact="13800001234")  # phone only: no mail, the link goes by SMS or QR code
    name, _ = make_user("supervisor")
    csrf = sign_in(client, db, name)
    page = client.get(f"/feedback/{fid}")
    assert f"/feedback/{fid}/survey" in page.text
    r = client.post(f"/feedback/{fid}/survey", data={"csrf_token": csrf, "survey_id": str(survey["id"])})
    assert r.status_code == 200 and 'data-testid="survey-link"' in r.text and "/survey/" in r.text
    again = client.post(f"/feedback/{fid}/survey", data={"csrf_token": csrf, "survey_id": str(survey["id"])})
    assert again.status_code == 409 and "已为这位客户" in again.text


def test_the_english_page_is_english_throughout(client, admin_headers, new_survey, resolved_item):
    token = _token(client, admin_headers, new_survey("ces"), resolved_item())
    client.cookies.clear()
    page = client.get(f"/survey/{token}?lang=en").text
    text = re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1]).replace("中文", "")
    assert re.findall(r"[\u4e00-\u9fff]+", text) == []
    assert "It was easy to get my problem solved." in page and "Strongly agree" in page


def test_the_english_nps_page_and_its_answered_page_are_english(client, admin_headers, new_survey, resolved_item):
    def chinese(page: str) -> list[str]:
        text = re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1]).replace("中文", "")
        return re.findall(r"[\u4e00-\u9fff]+", text) + re.findall(r'(?:title|aria-label|data-msg)="[^"]*[\u4e00-\u9fff]', page)

    token = _token(client, admin_headers, new_survey("nps"), resolved_item())
    client.cookies.clear()
    page = client.get(f"/survey/{token}?lang=en").text
    assert chinese(page) == [] and "Not at all likely" in page and "Extremely likely" in page
    assert "Rate our service" in page and ">Next<" in page and ">Back<" in page
    form = {"csrf_token": _csrf(page), "score": "9", "comment": ""}
    assert client.post(f"/survey/{token}", data=form, follow_redirects=False).status_code == 303
    again = client.post(f"/survey/{token}", data=form, follow_redirects=False)
    assert again.status_code == 409 and chinese(again.text) == [] and "You have already answered" in again.text
    assert chinese(client.get(f"/survey/{token}").text) == []  # the language stays with the visitor
    zh = client.get(f"/survey/{token}?lang=zh-CN")
    assert zh.status_code == 409 and "您已完成这份调查" in zh.text and "感谢您的反馈，您的回答已记录" in zh.text
