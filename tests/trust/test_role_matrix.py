"""Every role × every route (introspected from the app), against the declared policy table."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from trust_matrix import ANONYMOUS, endpoints, make_role_users, observe

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ROLES, User
from feedbackloop.accounts.policy import POLICY, SELF_AUTHENTICATING
from feedbackloop.web.deps import scope_for

# (endpoint, role, observed-allowed) pairs that differ from the policy on purpose-to-fix: each names its
# owner. The test fails when one is fixed, so that the entry is removed here too.
KNOWN_GAPS: set[tuple[str, str, bool]] = set()


def test_every_endpoint_is_declared_in_the_policy_table(_app):
    missing = [f"{m} {p}" for m, p in endpoints(_app) if f"{m} {p}" not in POLICY]
    assert missing == [], (
        "endpoints without a declared policy; add them to feedbackloop/accounts/policy.py: " + ", ".join(missing)
    )


def test_every_role_gets_exactly_what_the_policy_allows(client, db, _app):
    client = TestClient(_app, raise_server_exceptions=False)  # a crash is reported as a 500 below
    make_role_users(db)
    differences, server_errors, present = set(), [], set()
    for method, path in endpoints(_app):
        key = f"{method} {path}"
        present.add(key)
        expected = POLICY.get(key)
        if expected is None:
            continue  # reported by the test above
        for role in (ANONYMOUS, *ROLES):
            ok, status = observe(client, db, method, path, role)
            if status >= 500:
                server_errors.append((key, role, status))
            elif expected is not SELF_AUTHENTICATING and ok != (role in expected):
                differences.add((key, role, ok))
    assert server_errors == [], f"server errors (endpoint, role, status): {server_errors}"
    unexpected = sorted(differences - KNOWN_GAPS)
    assert unexpected == [], "\n".join(
        f"{key}: {role} was {'ALLOWED' if ok else 'DENIED'} against the policy" for key, role, ok in unexpected
    )
    fixed = sorted(gap for gap in KNOWN_GAPS - differences if gap[0] in present)
    assert fixed == [], "a known gap was fixed: remove it from KNOWN_GAPS"


def test_anonymous_callers_get_401_from_every_non_public_api_endpoint(client, db, _app):
    client = TestClient(_app, raise_server_exceptions=False)
    for method, path in endpoints(_app):
        expected = POLICY.get(f"{method} {path}")
        if expected is None or ANONYMOUS in expected or expected is SELF_AUTHENTICATING:
            continue
        _, status = observe(client, db, method, path, ANONYMOUS)
        assert status == (401 if path.startswith("/api/") else 303), f"{method} {path} answered {status}"


def _needed_scope(method: str, path: str) -> str | None:
    from starlette.requests import Request

    return scope_for(Request({"type": "http", "method": method, "path": path, "headers": []}))


def test_scoped_tokens_open_only_their_area_and_never_a_page(client, db, _app):
    """Scopes × routes: an admin-owned integration token reaches the API routes of its scopes only, and no
    web page at all (pages accept only the browser session), whatever its scopes."""
    client = TestClient(_app, raise_server_exceptions=False)
    make_role_users(db)
    wrong = []
    for scopes in (["feedback:write"], ["workflow:write"], ["analyze:write"], ["*"]):
        for method, path in endpoints(_app):
            expected = POLICY.get(f"{method} {path}")
            if expected is None or expected is SELF_AUTHENTICATING or ANONYMOUS in expected:
                continue
            ok, status = observe(client, db, method, path, "admin", scopes=scopes)
            if path.startswith("/api/"):
                should = accounts.scope_allows(scopes, _needed_scope(method, path))
            else:
                should = False  # a bearer token never opens the web UI
            if ok != should or status >= 500:
                wrong.append(f"{scopes} {method} {path}: {'ALLOWED' if ok else 'DENIED'} ({status})")
    assert wrong == [], "\n".join(wrong)


def test_a_feedback_write_token_cannot_reach_the_admin_pages_or_change_the_password(client, db, admin_headers):
    """The attack of issue 17: such a token got 200, a cookie and a CSRF token on /admin/users."""
    r = client.post(
        "/api/v1/tokens", json={"name": "shop", "scopes": ["feedback:write"]}, headers=admin_headers
    )
    assert r.status_code == 201, r.text
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    client.cookies.clear()
    for path in ("/admin/users", "/inbox", "/admin/audit", "/admin/tokens"):
        page = client.get(path, headers=bearer, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login"), path
        assert "csrf_token" not in page.text
    created = client.post(
        "/admin/users", headers=bearer, data={"username": "evil", "password": "password-123", "role": "admin"},
        follow_redirects=False,
    )
    assert created.status_code in (303, 403) and db.scalar(select(User).where(User.username == "evil")) is None
    changed = client.post(
        "/api/v1/auth/password", headers=bearer, json={"old_password": "admin-pass-123", "new_password": "x" * 12}
    )
    assert changed.status_code == 403
    assert client.post("/api/v1/feedback", headers=bearer, json={"content": "物流太慢了"}).status_code == 201


def test_the_intake_scope_pushes_feedback_in_but_never_handles_items(client, db, admin_headers, make_feedback):
    """Probe 14b: a feedback:write token (the README's scope for an intake integration) could reassign, bulk-
    change, reply to customers, escalate and correct the analysis. Those need workflow:write."""
    record = make_feedback(content="快递三天了还没到")
    admin_id = db.scalar(select(User.id).where(User.username == "admin"))  # not 1 on PostgreSQL: sequences run on
    push = client.post("/api/v1/tokens", json={"name": "shop", "scopes": ["feedback:write"]}, headers=admin_headers)
    bearer = {"Authorization": f"Bearer {push.json()['token']}"}
    assert client.post("/api/v1/feedback", headers=bearer, json={"content": "物流太慢了"}).status_code == 201
    base = f"/api/v1/feedback/{record.id}"
    attempts = [("/api/v1/feedback/bulk", {"ids": [record.id], "action": "tag", "tag": "x"}),
                (f"{base}/assign", {"owner_id": admin_id}), (f"{base}/replies", {"body": "您好"}),
                (f"{base}/escalate", {"reason": "x"}), (f"{base}/transition", {"to": "spam"}),
                (f"{base}/corrections", {"field": "sentiment", "value": "positive"}), (f"{base}/claim", None)]  # fmt: skip
    for path, body in attempts:
        r = client.post(path, headers=bearer, json=body)
        assert r.status_code == 403 and "workflow:write" in r.json()["error"]["message"], (path, r.text)
    handle = client.post("/api/v1/tokens", json={"name": "desk", "scopes": ["workflow:write"]}, headers=admin_headers)
    desk = {"Authorization": f"Bearer {handle.json()['token']}"}
    assert client.post(f"{base}/assign", headers=desk, json={"owner_id": admin_id}).status_code == 200
    assert client.post("/api/v1/feedback", headers=desk, json={"content": "物流太慢了"}).status_code == 403


def test_no_narrow_scope_reaches_the_areas_that_grant_rights(client, admin_headers):
    """The probe's escalation: a tokens:write token minted an admin token, a users:write one an admin user."""
    for scope in ("users:write", "tokens:write", "teams:write", "audit:read", "privacy:write", "account:write"):
        r = client.post("/api/v1/tokens", json={"name": "esc", "scopes": [scope]}, headers=admin_headers)
        assert r.status_code == 422 and "admin" in r.json()["error"]["message"], (scope, r.text)
    ok = client.post("/api/v1/tokens", json={"name": "shop", "scopes": ["analyze:write"]}, headers=admin_headers)
    assert ok.status_code == 201
    bearer = {"Authorization": f"Bearer {ok.json()['token']}"}
    assert client.post("/api/v1/analyze", json={"texts": ["物流太慢了"]}, headers=bearer).status_code == 200
