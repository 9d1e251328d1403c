"""Every role × every route (introspected from the app), against the declared policy table."""

from __future__ import annotations

from fastapi.testclient import TestClient
from trust_matrix import ANONYMOUS, endpoints, make_role_users, observe

from feedbackloop.accounts.models import ROLES
from feedbackloop.accounts.policy import POLICY, SELF_AUTHENTICATING

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
