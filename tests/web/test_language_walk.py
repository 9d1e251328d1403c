"""Every page in both languages: zh-CN pages carry no English sentence and no raw code, English pages no
Chinese sentence. The walk finds the pages from the app's own routes (every GET page, path parameters
filled with real records), signed in as admin; customer data (what the test stored) is set aside first,
since a customer's own words stay as they wrote them."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from web_fixtures import *  # noqa: F403  (fixtures: admin_client)

from feedbackloop.accounts.models import User
from feedbackloop.feedback.models import Feedback

# Words that are the same in both languages: product names, standards, file formats, our own codes' ids.
ALLOWED_EN = {
    "SLA", "API", "CSV", "XLSX", "QR", "ID", "CRM", "FeedbackLoop", "URL", "JSON", "SVG", "SMTP", "Webhook",
    "HTTP", "HTTPS", "UTF-8", "GBK", "GB18030", "BOM", "Token", "Bearer", "OpenAPI", "App", "OK", "PDF",
    "English", "admin", "iPhone", "Excel", "SHA-256", "CSAT", "FB", "TOP5", "KB", "IP", "RSS", "AI", "FAQ",
}  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff\uff0c\uff1a\uff08\uff09\u3002\uff01\uff1f]{2,}")
EN_SENTENCE = re.compile(r"\b[A-Za-z][a-z]+(?:[ \-/][A-Za-z][a-z]+)+\b")  # two or more English words
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\.[a-z]+(?:_[a-z]+)*\b")  # round_robin, token.create
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,;:?!]\s?[\u4e00-\u9fff]")  # 中文, 中文 — half-width in Chinese


def _visible(page: str) -> str:
    # scripts and styles are not text; <code> is code the user types (a command, a {placeholder})
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # what people typed, shown as they typed it (audit values: a policy's name, a template's text)
    page = re.sub(r"<(dd|td|span|div|p)\b[^>]*\bdata-user-text\b[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    texts = re.findall(r">([^<]+)<", page)
    attrs = re.findall(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"', page)
    return html.unescape(" \n ".join(texts + attrs))


# Pages still held back from the walk, by path prefix (none now: the survey, KPI, dashboard, report and idea-board
# pages of issues 12, 13 and 15 are walked too).
NOT_YET_CLEAN: tuple[str, ...] = ()


def _pages(app, ids: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for route in iter_route_contexts(app.routes):
        if not getattr(route, "methods", None) or "GET" not in route.methods or route.path.startswith("/api/"):
            continue
        path = route.path
        if path in ("/docs", "/openapi.json", "/favicon.ico", "/logout") or path.endswith((".svg", "/qr.svg")):
            continue
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        if "{" not in path and not (NOT_YET_CLEAN and path.startswith(NOT_YET_CLEAN)):
            out.append(path)
    return sorted(set(out))


@pytest.fixture
def walked(admin_client, db, make_feedback, _app):  # type: ignore[no-untyped-def]
    client = admin_client
    r = client.post("/touchpoints", data={"csrf_token": client.csrf, "name": "Store One", "kind": "store", "slug": "store-one"})
    assert r.status_code == 200
    texts = ["外卖送得太慢了，饭都凉了，骑手态度很差", "房间很干净但是早餐很差", "希望增加夜间模式"]
    records = [make_feedback(content=t, customer_name="Li Lei", contact="li@example.com") for t in texts]
    client.post("/api/v1/workflow/teams", headers={"X-CSRF-Token": client.csrf},
                json={"name": "Team One", "kind": "一线客服", "strategy": "round_robin", "is_default": True})
    r = client.post("/surveys", data={"csrf_token": client.csrf, "name": "Survey One", "kind": "nps", "active": "1",
                                      "on_resolve": "1", "on_order": "1", "ask_fcr": "1"}, follow_redirects=False)
    assert r.status_code == 303  # a survey row on /surveys: its kind, triggers and follow-up question are walked too
    db.rollback()
    token = db.scalar(select(Feedback.status_token).where(Feedback.status_token.is_not(None))) or "none"
    ids = {"feedback_id": records[0].id, "slug": "store-one", "token": token}
    admin = db.scalar(select(User).where(User.username == "admin"))
    data = set(texts) | {"Store One", "store-one", "Li Lei", "li@example.com", "Team One", "Survey One", admin.display_name or "admin"}
    for rec in db.scalars(select(Feedback)):  # what the analysis read from the customer's words
        a = rec.analysis or {}
        data |= {str(k) for k in a.get("keywords") or []}
        data |= {str(x.get("evidence")) for x in a.get("aspects") or [] if isinstance(x, dict)}
        sentiment = a.get("sentiment") if isinstance(a.get("sentiment"), dict) else {}
        data |= {str(x.get("term")) for x in sentiment.get("explanation") or [] if isinstance(x, dict)}
    return client, _pages(_app, ids), data


def _strip(text: str, data: set[str]) -> str:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def test_zh_pages_have_no_english_sentences_raw_codes_or_half_width_punctuation(walked):
    client, pages, data = walked
    problems = []
    seen = 0
    for path in pages:
        r = client.get(path, params={"lang": "zh-CN"})
        if r.status_code != 200 or r.history or "text/html" not in r.headers.get("content-type", ""):
            continue
        seen += 1
        text = _strip(_visible(r.text), data)
        for m in EN_SENTENCE.finditer(text):
            words = re.split(r"[ \-/]", m.group(0))
            if not all(w in ALLOWED_EN for w in words):
                problems.append(f"{path}: English '{m.group(0)}'")
        problems += [f"{path}: raw code '{m.group(0)}'" for m in RAW_CODE.finditer(text)
                     if not m.group(0).endswith((".com", ".csv", ".xlsx", ".svg"))]
        problems += [f"{path}: half-width '{m.group(0)}'" for m in HALF_WIDTH.finditer(text)]
    assert seen >= 15, pages
    assert not problems, f"{len(set(problems))} problems:\n" + "\n".join(sorted(set(problems)))


def test_en_pages_have_no_chinese_sentences(walked):
    client, pages, data = walked
    problems = []
    for path in pages:
        r = client.get(path, params={"lang": "en"})
        if r.status_code != 200 or r.history or "text/html" not in r.headers.get("content-type", ""):
            continue
        text = _strip(_visible(r.text), data | {"中文"})  # the language switch names itself
        problems += [f"{path}: Chinese '{m.group(0)}'" for m in CJK.finditer(text)]
    assert not problems, f"{len(set(problems))} problems:\n" + "\n".join(sorted(set(problems)))


def test_the_pages_an_outside_tester_found_chinese_on_now_say_it_in_english(walked):
    client, _pages_walked, _data = walked
    kpis = client.get("/kpis", params={"lang": "en"}).text
    for text in ("KPIs", "Surveys", "Higher is better", "Lower is better", "Set target", "Resolution time",
                 "Compared with the previous period of the same length", "in business minutes"):
        assert text in kpis, text
    surveys = html.unescape(client.get("/surveys", params={"lang": "en"}).text)
    for text in ("Sent when", "Answered", "Net Promoter Score (NPS)", "New survey", "On resolution", "On order completed",
                 "Ask \u201cWas it solved the first time?\u201d", "Change triggers / send in bulk",
                 "A customer gets at most one survey in 30 days"):
        assert text in surveys, text
    assert "Survey scores (CSAT / NPS / CES)" in client.get("/dashboard", params={"lang": "en"}).text
    zh = client.get("/surveys", params={"lang": "zh-CN"}).text
    assert "净推荐值（NPS）" in zh and "同一位客户 30 天内只会收到一次调查（所有渠道合计）；邀请 14 天后过期。" in zh
