"""The public feedback form: no login, per-field Chinese errors, touchpoint tagging, CSRF."""

from __future__ import annotations

import re

import pytest
from web_helpers import csrf_from

from feedbackloop.feedback import services, touchpoints


@pytest.fixture
def store(db):
    return touchpoints.create_touchpoint(db, "上海南京西路店", "store", "sh-njxl")


def submit(client, path, **fields):
    token = csrf_from(client.get(path).text)
    return client.post(path, data={"csrf_token": token, **fields})


def test_form_needs_no_login_and_has_all_fields(client, db):
    html = client.get("/f").text
    for text in (
        "反馈内容",
        "问题类型",
        "整体评分",
        "称呼",
        "联系方式",
        "期望的解决方案",
        "同意公开引用我的反馈",
        "仅用于回复您的反馈",
        "10,000",
        "产品功能",
        "界面/交互",
    ):
        assert text in html
    assert 'name="viewport"' in html


def test_touchpoint_submission_is_recorded_with_touchpoint(client, db, store):
    r = submit(
        client,
        "/f/sh-njxl",
        content="店员服务很热情, 但排队结账太久",
        problem_type="服务质量",
        rating="4",
        customer_name="陈先生",
        contact="13912345678",
        expected_solution="多开收银台",
        consent_public="1",
    )
    assert r.status_code == 200 and r.url.path == "/f/thanks"
    fid = re.search(r"FB\d{11,}", r.text).group(0)
    assert "您的反馈编号" in r.text
    record = services.get(db, fid)
    assert (record.channel, record.touchpoint) == ("qr", "上海南京西路店")
    assert (record.problem_type, record.rating, record.consent_public) == ("服务质量", 4, True)
    assert record.expected_solution == "多开收银台" and record.contact == "13912345678"


def test_general_form_is_channel_web_form(client, db):
    r = submit(client, "/f", content="官网的结算页面打不开")
    record = services.get(db, re.search(r"FB\d{11,}", r.text).group(0))
    assert (record.channel, record.touchpoint, record.consent_public) == ("web_form", None, False)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"content": ""}, "请填写反馈内容"),
        ({"content": "   "}, "请填写反馈内容"),
        ({"content": "字" * 10_001}, "反馈内容最多 10,000 字"),
        ({"content": "好", "contact": "随便写写"}, "请填写有效的手机号或邮箱"),
        ({"content": "好", "rating": "9"}, "评分应为 1–5 星"),
        ({"content": "好", "problem_type": "天气"}, "请从列表中选择问题类型"),
    ],
)
def test_errors_are_shown_next_to_the_field_and_nothing_is_stored(client, db, fields, message):
    r = submit(client, "/f", **fields)
    assert r.status_code == 422
    assert message in r.text and "请检查以下标红的内容" in r.text
    assert services.search(db, services.FeedbackFilter())[1] == 0


def test_typed_values_survive_an_error(client, db):
    r = submit(client, "/f", content="屏幕有划痕", contact="bad", customer_name="小王")
    assert "屏幕有划痕" in r.text and 'value="小王"' in r.text


def test_ten_thousand_characters_are_accepted(client, db):
    r = submit(client, "/f", content="字" * 10_000)
    assert r.url.path == "/f/thanks"


def test_post_without_csrf_is_refused(client, db):
    client.get("/f")
    r = client.post("/f", data={"content": "没有令牌"})
    assert r.status_code == 403
    assert "请求来源无效" in r.text and "CSRF" not in r.text
    assert services.search(db, services.FeedbackFilter())[1] == 0


def test_unknown_touchpoint_is_a_friendly_404(client, db):
    r = client.get("/f/no-such-store")
    assert r.status_code == 404
    assert "该反馈链接无效或已停用" in r.text and 'href="/f"' in r.text


def test_thanks_page_without_a_submission_goes_to_the_form(client, db):
    assert client.get("/f/thanks").url.path == "/f"


def test_submitted_html_is_stored_as_text(client, db):
    r = submit(client, "/f", content="<script>alert(1)</script>屏幕坏了")
    record = services.get(db, re.search(r"FB\d{11,}", r.text).group(0))
    assert record.content == "<script>alert(1)</script>屏幕坏了"


def test_too_many_submissions_keep_the_text_and_explain(client, db, monkeypatch):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", 1)
    assert submit(client, "/f", content="第一条反馈").url.path == "/f/thanks"
    r = submit(client, "/f", content="第二条反馈")
    assert r.status_code == 429
    assert "提交过于频繁" in r.text and "第二条反馈" in r.text
    assert services.search(db, services.FeedbackFilter())[1] == 1
