"""GET /api/v1/feedback/export: the inbox's rows for the same filters as CSV (BOM) or XLSX, formula cells
neutralised, contacts masked by role, every export audited, bad filters refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from auth_helpers import token_for
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.datastructures import QueryParams

from feedbackloop.audit.models import AuditEntry
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight import exports
from feedbackloop.web.filters import InboxQuery

DAY = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


@pytest.fixture
def items(make_feedback):  # type: ignore[no-untyped-def]
    rows = [
        ("送餐太慢了, 等了两个小时", "meituan", "13812345678"),
        ("=HYPERLINK(\"http://evil.example\",\"点我\") 差评", "meituan", "a.b@example.com"),
        ("房间很干净, 服务很好", "dianping", "13900001111"),
        ("@SUM(1+1) 物流太慢", "jd", None),
        ("-2+3 客服态度差", "meituan", None),
    ]
    for n, (text, channel, contact) in enumerate(rows):
        make_feedback(content=text, channel=channel, contact=contact, received_at=DAY + timedelta(hours=n),
                      customer_name="+86 张先生" if n == 0 else None)  # fmt: skip
    make_feedback(content="三天后又一单送餐太慢", channel="meituan", received_at=DAY + timedelta(days=3))


def _csv(client, headers, query: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/feedback/export?format=csv&{query}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_exported_rows_are_the_inbox_rows_for_the_same_query(client, db, items, admin_headers):
    query = "channel=meituan&from=2026-11-20&to=2026-11-20"
    table = _csv(client, admin_headers, query)
    expected, total = services.search(db, InboxQuery.parse(QueryParams(query)).filters, 1, 100)
    assert [row[0] for row in table[1:]] == [f.id for f in expected]
    assert total == 3 and table[0][:3] == ["编号", "接收时间", "渠道"]
    assert len(_csv(client, admin_headers, "channel=meituan")) == 1 + 4  # the later day comes back without dates
    assert {row[2] for row in table[1:]} == {"美团"}


def test_cells_that_would_start_a_formula_are_quoted(client, items, admin_headers):
    contents = {row[14] for row in _csv(client, admin_headers, "")[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\") 差评" in contents
    assert "'@SUM(1+1) 物流太慢" in contents and "'-2+3 客服态度差" in contents
    assert not any(c.startswith(("=", "@", "+", "-")) for c in contents)
    assert "'+86 张先生" in {row[4] for row in _csv(client, admin_headers, "")[1:]}


@pytest.mark.parametrize(("role", "masked"), [("agent", True), ("analyst", True), ("csm", False)])
def test_contacts_are_masked_unless_the_role_may_see_them(client, items, make_user, role, masked):
    headers = token_for(client, *make_user(role))
    contacts = {row[5] for row in _csv(client, headers, "channel=meituan")[1:]} - {""}
    if masked:
        assert contacts == {"138****5678", "a***@example.com"} or "13812345678" not in contacts
        assert "13812345678" not in contacts and "a.b@example.com" not in contacts
    else:
        assert contacts == {"13812345678", "a.b@example.com"}


def _integration_token(db, owner: str, scopes: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from feedbackloop.accounts.models import User
    from feedbackloop.accounts.services import create_integration_token

    admin = db.scalars(select(User).where(User.username == "admin")).one()
    secret, _ = create_integration_token(db, admin, name=f"crm-{owner}-{scopes[0]}", scopes=scopes,
                                         expires_in_days=None, username=owner)  # fmt: skip
    return {"Authorization": f"Bearer {secret}"}


RAW = {"13812345678", "a.b@example.com"}


@pytest.mark.parametrize("role", ["agent", "analyst", "csm", "admin"])
@pytest.mark.parametrize("credential", ["login", "feedback:read", "admin-scope", "browser"])
def test_contacts_are_unmasked_only_for_a_contact_role_whose_credential_allows_it(
    client, db, items, make_user, role, credential
):  # type: ignore[no-untyped-def]
    """Role × credential: raw contacts need both a role that may see them (admin, csm) and, for an API token,
    the scope that reaches the privacy area (`admin`, or a login token's "*"); a feedback:read token may list
    and export, always masked. CSV and XLSX alike."""
    from insight_helpers import login

    name, password = make_user(role) if role != "admin" else ("admin", "admin-pass-123")
    headers: dict[str, str] = {}
    if credential == "login":
        headers = token_for(client, name, password)
    elif credential == "browser":
        login(client, name, password)
    else:
        headers = _integration_token(db, name, ["feedback:read" if credential == "feedback:read" else "admin"])
    unmasked = role in ("csm", "admin") and credential != "feedback:read"
    contacts = {row[5] for row in _csv(client, headers, "channel=meituan")[1:]} - {""}
    r = client.get("/api/v1/feedback/export?format=xlsx&channel=meituan", headers=headers)
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    in_xlsx = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)} - {None, ""}
    for found in (contacts, in_xlsx):
        if unmasked:
            assert found == RAW, found
        else:
            assert found == {"138****5678", "a***@example.com"}, found


def test_the_contact_endpoint_follows_the_same_rule(client, db, items, make_user):
    from feedbackloop.feedback.models import Feedback

    item = db.scalars(select(Feedback).where(Feedback.contact == "13812345678")).one()
    csm, _ = make_user("csm")
    narrow, wide = _integration_token(db, csm, ["feedback:read"]), _integration_token(db, csm, ["admin"])
    r = client.get(f"/api/v1/feedback/{item.id}/contact", headers=narrow)
    assert r.status_code == 403 and "admin" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/feedback/{item.id}/contact", headers=wide).json()["contact"] == "13812345678"


def test_xlsx_holds_the_same_rows_with_analysis_columns(client, items, admin_headers):
    r = client.get("/api/v1/feedback/export?format=xlsx&channel=meituan", headers=admin_headers)
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][17] == "情感" and len(table) == 1 + 4
    slow = next(row for row in table[1:] if row[14].startswith("送餐太慢"))
    assert slow[17] == "负面" and "送餐速度" in slow[21]



def test_xlsx_text_cells_are_strings_without_the_csv_quote(client, items, admin_headers):
    """In XLSX a string cell is never run: the text reads back exactly as written, never as a formula."""
    r = client.get("/api/v1/feedback/export?format=xlsx", headers=admin_headers)
    sheet = load_workbook(io.BytesIO(r.content)).active  # not read-only: data_type tells string from formula
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://evil.example","点我") 差评' in values
    assert {"@SUM(1+1) 物流太慢", "-2+3 客服态度差", "+86 张先生"} <= values
    assert not any(v.startswith("'") for v in values), sorted(v for v in values if v.startswith("'"))
    assert {c.data_type for c in cells} == {"s"}, "a text cell written as a formula"
    assert all(c.data_type == "s" for c in sheet[1])


def test_xlsx_drops_what_xml_cannot_hold_and_keeps_the_rest(client, make_feedback, admin_headers):
    make_feedback(content="送餐太慢\x01了\x0b，差评", channel="jd")
    r = client.get("/api/v1/feedback/export?format=xlsx&channel=jd", headers=admin_headers)
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert [row[14] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["送餐太慢了，差评"]


def test_an_xlsx_export_beyond_what_a_sheet_holds_is_refused_before_a_row_is_written(
    client, db, items, admin_headers, monkeypatch
):  # fmt: skip
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    r = client.get("/api/v1/feedback/export?format=xlsx&channel=meituan", headers=admin_headers)
    assert r.status_code == 422 and "CSV" in r.json()["error"]["message"], r.text
    db.rollback()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.export")).first() is None
    assert client.get("/api/v1/feedback/export?format=csv&channel=meituan", headers=admin_headers).status_code == 200


def test_every_export_is_audited_with_its_filters_and_row_count(client, db, items, admin_headers):
    _csv(client, admin_headers, "channel=meituan")
    db.rollback()  # a fresh snapshot: the request wrote in its own transaction
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.export")).one()
    assert entry.actor == "admin"
    assert entry.after["rows"] == 4 and entry.after["filters"] == {"channel": "meituan"}
    assert entry.after["format"] == "csv"
    assert entry.after["credential"]["kind"] == "login"


def test_an_export_through_an_integration_token_names_the_token_in_the_audit_log(client, db, items, make_user):
    """A token acts as its owner; the entry must still say which token took the data out."""
    owner, _ = make_user("analyst")
    headers = _integration_token(db, owner, ["feedback:read"])
    _csv(client, headers, "channel=meituan")
    db.rollback()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.export")).one()
    assert entry.actor == owner
    assert entry.after["credential"]["kind"] == "integration"
    assert entry.after["credential"]["name"] == f"crm-{owner}-feedback:read"


def test_the_export_of_a_queue_view_holds_that_views_items_in_its_order(client, db, items, admin_headers):
    from feedbackloop.accounts.models import User

    db.rollback()  # a fresh transaction: the intake requests wrote in their own
    mine = db.scalars(select(Feedback).where(Feedback.channel == "jd")).one()
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    mine.owner_id, mine.status = admin.id, "assigned"
    db.commit()
    assert [row[0] for row in _csv(client, admin_headers, "view=mine")[1:]] == [mine.id]
    newest = [row[0] for row in _csv(client, admin_headers, "sort=newest")[1:]]
    oldest = [row[0] for row in _csv(client, admin_headers, "sort=oldest")[1:]]
    assert len(newest) == 6 and oldest == newest[::-1]


@pytest.mark.parametrize("query", ["chanel=meituan", "bogus=1", "from=2026-12-01&to=2026-11-01", "view=all-of-it",
                                   "sort=evil"])  # fmt: skip
def test_a_parameter_it_does_not_know_or_a_reversed_range_is_refused(client, db, items, admin_headers, query):
    """A typo (chanel=) must not export every channel: 422 naming what to fix, nothing exported or audited."""
    r = client.get(f"/api/v1/feedback/export?format=csv&{query}", headers=admin_headers)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert message.split(" / ")[0].endswith("。") or "可选" in message, message
    db.rollback()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.export")).first() is None


@pytest.mark.parametrize("query", ["channel=nope", "from=2026-13-01", "format=pdf", "team=abc"])
def test_a_filter_it_cannot_read_is_refused_with_what_to_fix(client, db, items, admin_headers, query):
    r = client.get(f"/api/v1/feedback/export?{query}", headers=admin_headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"]
    db.rollback()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.export")).first() is None


def test_the_inbox_offers_the_export_of_its_current_filters(client, items):
    from insight_helpers import login

    login(client)
    page = client.get("/inbox?channel=meituan")
    assert "/api/v1/feedback/export?channel=meituan&amp;format=xlsx" in page.text
    r = client.get("/api/v1/feedback/export?channel=meituan&format=xlsx")  # with the browser's cookie
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_analysis_and_time_cells_are_the_items_own_values_in_its_order(client, db, make_feedback, admin_headers):
    """The database formats the times and joins the aspects and keywords: the cells must read as the item's
    analysis says, in its order, with unnamed or malformed aspects left out and a time never rounded up."""
    item = make_feedback(content="房间很干净, 但是早餐很差", channel="meituan",
                         received_at=datetime(2026, 11, 20, 15, 59, 59, 999_700, tzinfo=UTC))  # fmt: skip
    bare = make_feedback(content="一般般吧", channel="meituan", received_at=DAY)
    analysis = dict(item.analysis or {})
    analysis["aspects"] = [{"aspect": "早餐", "sentiment": "negative"}, {"aspect": "", "sentiment": "positive"},
                           "卫生", {"aspect": "卫生", "sentiment": "positive"}, {"aspect": "位置", "sentiment": None}]
    analysis["keywords"] = ["早餐", "房间", "干净"]
    item.analysis = analysis
    bare.analysis = {**(bare.analysis or {}), "aspects": [], "keywords": []}
    db.commit()
    rows = {row[0]: row for row in _csv(client, admin_headers, "channel=meituan")[1:]}
    assert rows[item.id][1] == "2026-11-20 23:59:59", "China time, cut to the second as Python does, not rounded"
    assert rows[item.id][21] == "早餐:负面; 卫生:正面; 位置:"
    assert rows[item.id][22] == "早餐、房间、干净"
    assert rows[bare.id][21:23] == ["", ""]
