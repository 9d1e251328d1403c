"""The report in the web UI and API (HTML, PDF with CJK text, XLSX), TOP issues quoting fitting items, and the
scheduled report mailed with its PDF through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
from auth_helpers import token_for
from mail_sink import Sink, deliver_to, free_port, smtp_server
from openpyxl import load_workbook
from sqlalchemy import select

from feedbackloop.audit.models import AuditEntry
from feedbackloop.config import get_settings
from feedbackloop.insight import schedule
from feedbackloop.insight.report_models import ReportSubscription
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import mail

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in China
SLOW = ["外卖送餐太慢了, 等了两个小时才送到", "送餐速度太慢, 超时一个多小时, 饭都凉了", "配送太慢了, 骑手迟到一小时",
        "等了一个半小时外卖才到, 送餐实在太慢"]  # fmt: skip
NAMES_ROOM_SERVICE = "酒店有24小时送餐服务, 不过房间隔音很差, 晚上很吵"


@pytest.fixture
def period(db, make_feedback):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)
    for n, text in enumerate(SLOW):
        make_feedback(content=text, channel="meituan", received_at=NOW - timedelta(days=2, minutes=n))
    make_feedback(content=NAMES_ROOM_SERVICE, channel="dianping", received_at=NOW - timedelta(days=1))
    make_feedback(content="味道很好, 分量足, 下次还点", channel="web_form", received_at=NOW - timedelta(days=3))


def _report(client, headers, fmt: str, query: str = "period=week"):  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/reports/period?{query}&format={fmt}", headers=headers)
    assert r.status_code == 200, r.text
    return r


def test_top_issues_quote_only_items_that_carry_the_complaint(client, period, admin_headers):
    report = _report(client, admin_headers, "json").json()
    slow = next(i for i in report["top_issues"] if i["key"] == "aspect:送餐速度:negative")
    assert slow["examples"] and all("24小时送餐服务" not in e for e in slow["examples"])
    assert all(any(w in e for w in ("慢", "超时", "迟到", "才到", "才送到")) for e in slow["examples"])


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is in .ci/run's apt line")
def test_the_pdf_carries_the_chinese_text_with_an_embedded_cjk_font(client, period, admin_headers, tmp_path):
    r = _report(client, admin_headers, "pdf")
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert "attachment" in r.headers["content-disposition"]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "反馈周期报告" in text and "送餐速度慢" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts  # the glyphs come from Noto Sans CJK, not a fallback box font


def test_the_xlsx_holds_the_tables_behind_the_report(client, period, admin_headers):
    book = load_workbook(io.BytesIO(_report(client, admin_headers, "xlsx").content))
    assert book.sheetnames == ["概况", "指标", "渠道", "情感", "TOP问题", "改进建议", "改进计划"]
    overview = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["反馈总量"] == 6
    kpis = _report(client, admin_headers, "json").json()["kpis"]
    sheet = {row[0]: row for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    assert set(sheet) == {k["name"] for k in kpis.values()}
    for k in kpis.values():
        row = sheet[k["name"]]
        assert row[2] == k["n"] and (row[7] if row[7] != "" else None) == k["value"], k["name"]
    assert sheet["好评率"][9] == "%" and "分钟" in {row[9] for row in sheet.values()}
    issues = list(book["TOP问题"].iter_rows(min_row=2, values_only=True))
    assert any(row[1] == "送餐速度慢" and row[2] >= 4 and "太慢" in row[7] for row in issues)
    channels = {row[0]: row[1] for row in book["渠道"].iter_rows(min_row=2, values_only=True)}
    assert channels == {"美团": 4, "大众点评": 1, "网页表单": 1}
    text = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert {c.data_type for c in text} == {"s"} and not any(c.value.startswith("'") for c in text)


def test_a_custom_range_and_bad_ranges(client, period, admin_headers):
    r = _report(client, admin_headers, "json", "from=2026-11-22&to=2026-11-23")
    assert r.json()["total"] == 5  # the four on the 23rd and the praise of the 22nd, not the 24th
    for query in ("from=2026-11-23&to=2026-11-22", "from=2026-11-22", "period=year", "from=2026-02-30&to=2026-03-01",
                  "from=9999-12-30&to=9999-12-31", "from=2020-01-01&to=2026-01-01"):
        assert client.get(f"/api/v1/reports/period?{query}", headers=admin_headers).status_code == 422, query


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is in .ci/run's apt line")
def test_every_format_names_the_same_whole_days_as_the_dashboard(client, period, admin_headers, tmp_path):
    """The week is the 7 whole China-time days up to and including today, as the dashboard's and the KPIs'
    default range; JSON, HTML, PDF, XLSX and the file name all say 2026-11-19 至 2026-11-25 (the end inclusive)."""
    days = ("2026-11-19", "2026-11-25", "2026-11-12", "2026-11-18")
    data = _report(client, admin_headers, "json").json()
    assert (data["from"], data["to"], data["previous_from"], data["previous_to"]) == days
    html = _report(client, admin_headers, "html").text
    assert "2026-11-19 至 2026-11-25（上一周期：2026-11-12 至 2026-11-18）" in html and "00:00" not in html
    pdf = tmp_path / "report.pdf"
    response = _report(client, admin_headers, "pdf")
    assert 'filename="feedback-report-20261119-20261125.pdf"' in response.headers["content-disposition"]
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "2026-11-19 至 2026-11-25" in text
    book = load_workbook(io.BytesIO(_report(client, admin_headers, "xlsx").content))
    rows = {row[0]: row[1:] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert rows["开始日期"] == ("2026-11-19", "2026-11-12") and rows["结束日期（含）"] == ("2026-11-25", "2026-11-18")
    board = client.get("/api/v1/dashboard/summary?from=2026-11-19&to=2026-11-25", headers=admin_headers).json()
    default = client.get("/api/v1/dashboard/summary", headers=admin_headers).json()
    assert data["total"] == board["total"] == 6 and default["to"] == data["to"]


def test_the_reports_page_shows_the_report_and_its_downloads(client, period):
    from insight_helpers import login

    login(client)
    page = client.get("/reports?period=week")
    assert page.status_code == 200
    assert 'src="/reports/view?period=week"' in page.text
    assert "/api/v1/reports/period?period=week&amp;format=pdf" in page.text
    view = client.get("/reports/view?period=range&from=2026-11-22&to=2026-11-24")
    assert view.status_code == 200 and "反馈周期报告" in view.text and "送餐速度慢" in view.text
    assert "script-src 'self'" in view.headers["content-security-policy"]
    assert "请选择开始和结束日期" in client.get("/reports?period=range").text
    for query, says in (("from=2016-01-01&to=2026-12-01", "最多 731 天"), ("from=0001-01-01&to=2026-12-01", "1970–2099")):
        assert says in client.get(f"/reports?period=range&{query}").text, query  # said on the page, not a blank
    english = client.get("/reports/view?period=range&from=2026-11-22&to=2026-11-24&lang=en").text
    assert "2026-11-22 to 2026-11-24 (previous period: 2026-11-19 to 2026-11-21)" in english


# --- scheduled reports ----------------------------------------------------------------------------------


@pytest.fixture
def smtp(monkeypatch):  # type: ignore[no-untyped-def]
    with smtp_server(Sink()) as sink:
        yield deliver_to(sink, monkeypatch)


def test_supervisors_subscribe_others_may_not_and_bad_addresses_are_refused(client, db, make_user):
    sup = token_for(client, *make_user("supervisor"))
    r = client.post("/api/v1/report-subscriptions", headers=sup,
                    json={"period": "week", "recipients": "boss@example.com; ops@example.com"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["recipients"] == ["boss@example.com", "ops@example.com"]
    agent = token_for(client, *make_user("agent"))
    assert client.post("/api/v1/report-subscriptions", headers=agent,
                       json={"period": "week", "recipients": ["a@example.com"]}).status_code == 403  # fmt: skip
    again = client.post("/api/v1/report-subscriptions", headers=sup,
                        json={"period": "week", "recipients": "new@example.com，Boss@example.com"})  # fmt: skip
    assert again.status_code == 409 and "boss@example.com" in again.json()["error"]["message"], again.text
    month = client.post("/api/v1/report-subscriptions", headers=sup,
                        json={"period": "month", "recipients": "boss@example.com、cfo@example.com"})  # fmt: skip
    assert month.status_code == 201 and month.json()["recipients"] == ["boss@example.com", "cfo@example.com"]
    bad = client.post("/api/v1/report-subscriptions", headers=sup, json={"period": "week", "recipients": "not-mail"})
    assert bad.status_code == 422 and "not-mail" in bad.json()["error"]["message"]
    db.rollback()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "report_subscription.save")).all()
    assert len(entries) == 2 and all("boss@example.com" not in str(e.after) for e in entries)


def test_the_scheduler_mails_each_ended_week_once_with_the_pdf(client, db, period, smtp, make_user):
    sup = token_for(client, *make_user("supervisor"))
    assert client.post("/api/v1/report-subscriptions", headers=sup,
                       json={"period": "week", "recipients": ["boss@example.com", "ops@example.com"]}).status_code == 201
    assert schedule.send_due(db, mail.send, NOW) == 0  # last week was before the subscription
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in China: the week of the 23rd has ended
    clock.freeze(monday)
    from feedbackloop.insight.tasks import scheduled_reports

    assert scheduled_reports.call_local() == 2  # the periodic task, as the consumer's scheduler runs it
    assert sorted(str(m["To"]) for m in smtp.messages) == ["boss@example.com", "ops@example.com"]
    message = smtp.messages[0]
    assert "2026-11-23 至 2026-11-29" in str(message["Subject"])
    pdf = next(part for part in message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    assert "送餐速度慢" in message.get_body(("plain",)).get_content()
    assert schedule.send_due(db, mail.send, monday + timedelta(hours=1)) == 0  # once per period
    db.rollback()
    sub = db.scalars(select(ReportSubscription)).one()
    assert sub.last_sent_at is not None and sub.last_error is None


def test_a_refused_mail_is_tried_again_at_the_next_run(client, db, period, monkeypatch, make_user):
    sup = token_for(client, *make_user("supervisor"))
    client.post("/api/v1/report-subscriptions", headers=sup, json={"period": "week", "recipients": ["b@example.com"]})
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", free_port())  # nothing listens there
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert schedule.send_due(db, mail.send, monday) == 0
    db.rollback()
    sub = db.scalars(select(ReportSubscription)).one()
    assert sub.last_error and sub.last_sent_at is None
    sent: list[str] = []
    assert schedule.send_due(db, lambda to, *a, **k: sent.append(to), monday + timedelta(hours=1)) == 1
    assert sent == ["b@example.com"]


def test_two_workers_checking_at_once_send_a_period_once(client, db, period, make_user):
    sup = token_for(client, *make_user("supervisor"))
    client.post("/api/v1/report-subscriptions", headers=sup, json={"period": "month", "recipients": ["m@example.com"]})
    sent: list[str] = []
    lock = threading.Lock()

    def send(to, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            sent.append(to)

    from feedbackloop.db import get_read_sessionmaker

    first_of_month = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def worker() -> None:
        session = get_read_sessionmaker()()
        try:
            schedule.send_due(session, send, first_of_month)
        finally:
            session.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sent == ["m@example.com"]


def test_due_periods_are_calendar_weeks_and_months_in_china_time():
    start, end = schedule.due_period("week", datetime(2026, 11, 29, 17, 0, tzinfo=UTC))  # Mon 01:00 in China
    assert (start.date().isoformat(), end.date().isoformat()) == ("2026-11-23", "2026-11-30")
    start, end = schedule.due_period("month", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert (start.date().isoformat(), end.date().isoformat()) == ("2026-11-01", "2026-12-01")
