"""Script and HTML in every text field stay inert in a real browser (Chromium through Playwright)."""

from __future__ import annotations

import httpx
import pytest
from trust_helpers import ADMIN_PASSWORD

from feedbackloop.accounts import services as accounts
from feedbackloop.feedback.schemas import FeedbackCreate

pytestmark = pytest.mark.browser
PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(1)">',
    "<svg onload=window.__xss=1>",
    '"><script>window.__xss=1</script>',
    "'><iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
    '<a href="javascript:window.__xss=1" id="xss-link">点我</a>',
    "{{7*7}}${7*7}<details open ontoggle=window.__xss=1>",
]
TEXT_FIELDS = ["content", "customer_name", "contact", "product", "product_version", "module", "expected_solution",
               "occurred", "region", "industry", "touchpoint", "problem_type_other", "external_id"]  # fmt: skip


def _limit(field: str) -> int:
    meta = FeedbackCreate.model_fields[field].metadata
    return min([getattr(m, "max_length", None) or 10_000 for m in meta] or [10_000])


def _hostile_records(db, base: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Payloads in every text field, stored through the HTTP API like an integration would."""
    admin = accounts.authenticate(db, "admin", ADMIN_PASSWORD)
    headers = {"Authorization": f"Bearer {accounts.issue_token(db, admin)}"}
    accounts.create_user(db, "xss-user", "password-123", role="agent", display_name=PAYLOADS[0])
    db.commit()
    ids = []
    for n, payload in enumerate(PAYLOADS):
        fields = {f: payload[: _limit(f)] for f in TEXT_FIELDS}
        fields.update(channel="api", external_id=f"xss-{n}"[: _limit("external_id")], problem_type="其他")
        r = httpx.post(f"{base}/api/v1/feedback", json=fields, headers=headers, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def test_payloads_in_every_field_do_not_run_on_any_page(browser, live_server, db):
    ids = _hostile_records(db, live_server)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    visited = []
    for path in ["/inbox", *[f"/feedback/{i}" for i in ids], f"/workflow/items/{ids[0]}",
                 "/admin/users", "/admin/audit"]:  # fmt: skip
        response = page.goto(f"{live_server}{path}")
        if response is None or response.status == 404:
            continue
        assert response.status == 200, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
        visited.append(path)
        assert page.evaluate("window.__xss === undefined"), f"script ran on {path}"
        if page.locator("#xss-link").count():
            pytest.fail(f"payload became a live link on {path}")
    assert "/inbox" in visited and "/admin/audit" in visited and f"/feedback/{ids[0]}" in visited
    assert dialogs == []
    # Control: the same payloads do run when a page renders them raw, so the checks above can fail.
    control = browser.new_page()
    control.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    control.set_content(f"<html><body>{PAYLOADS[1]}</body></html>")
    control.wait_for_function("window.__xss === 1")
    assert dialogs == ["1"]
    control.close()
    # The payload is shown as text, not swallowed.
    page.goto(f"{live_server}/feedback/{ids[0]}")
    assert "<script>window.__xss=1;alert(1)</script>" in page.inner_text("body")
    page.close()
