"""Who may call what: the declared access policy of every endpoint and page (SPEC §1, §9).

`tests/trust/test_role_matrix.py` calls every route of the app as every role and as nobody, and fails on
any difference from this table, and on any route missing from it. Adding an endpoint? Add one line here.
The table declares intent; the routes enforce it with `require_role()` / `StaffUser` / `AdminUser`… .
"""

from __future__ import annotations

from feedbackloop.accounts.models import ROLES

ANONYMOUS = "anonymous"
ALL_ROLES = frozenset(ROLES)
PUBLIC = ALL_ROLES | {ANONYMOUS}  # anybody, signed in or not
SIGNED_IN = ALL_ROLES  # any account, customers included
STAFF = ALL_ROLES - {"customer"}
WRITERS = frozenset({"agent", "supervisor", "csm", "admin"})
HANDLERS = frozenset({"agent", "supervisor", "admin"})
MANAGERS = frozenset({"supervisor", "admin"})
PLANNERS = frozenset({"product_manager", "supervisor", "admin"})
CONTACT_VIEWERS = frozenset({"csm", "admin"})
ADMIN = frozenset({"admin"})
# Endpoints that authenticate the caller themselves (credentials, signatures): the matrix only checks that
# they exist and never fail with a server error; their own tests cover who gets in.
SELF_AUTHENTICATING = frozenset({"self-authenticating"})

POLICY: dict[str, frozenset[str]] = {
    # meta and sign-in
    "GET /healthz": PUBLIC,
    "GET /favicon.ico": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/me": SIGNED_IN,
    "POST /api/v1/auth/logout": SIGNED_IN,
    "POST /api/v1/auth/password": SIGNED_IN,
    "GET /": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": SELF_AUTHENTICATING,
    "POST /logout": SELF_AUTHENTICATING,
    "GET /logout": SELF_AUTHENTICATING,
    # feedback intake and reading
    "POST /api/v1/feedback": WRITERS,
    "POST /api/v1/feedback/batch": WRITERS,
    "GET /api/v1/feedback": STAFF,
    "GET /api/v1/feedback/{feedback_id}": STAFF,
    "POST /api/v1/public/feedback": PUBLIC,
    "POST /api/v1/imports": WRITERS,
    "GET /api/v1/imports/{job_id}": WRITERS,
    "GET /inbox": STAFF,
    "POST /inbox/views": STAFF,
    "POST /inbox/views/{view_id}/delete": STAFF,
    "GET /feedback/{feedback_id}": STAFF,
    "POST /feedback/{feedback_id}/correct": WRITERS,
    "GET /import": WRITERS,
    # public form, touchpoints, status links
    "GET /f": PUBLIC,
    "POST /f": PUBLIC,
    "GET /f/thanks": PUBLIC,
    "GET /f/{slug}": PUBLIC,
    "POST /f/{slug}": PUBLIC,
    "GET /touchpoints": MANAGERS,
    "POST /touchpoints": MANAGERS,
    "POST /touchpoints/{slug}": MANAGERS,
    "POST /touchpoints/{slug}/delete": MANAGERS,
    "GET /touchpoints/{slug}/qr.svg": STAFF,
    "GET /touchpoints/{slug}/print": STAFF,
    "GET /api/v1/public/status/{token}": PUBLIC,
    "POST /api/v1/public/status/{token}/satisfaction": PUBLIC,
    "GET /s/{token}": PUBLIC,
    "POST /s/{token}/satisfaction": PUBLIC,
    # analysis
    "POST /api/v1/analyze": STAFF,
    "POST /api/v1/feedback/{feedback_id}/corrections": WRITERS,
    "GET /api/v1/aspects": STAFF,
    "POST /api/v1/aspects": MANAGERS,
    "GET /api/v1/themes": STAFF,
    # accounts, tokens, audit, privacy (trust)
    "GET /api/v1/roles": STAFF,
    "GET /api/v1/users": ADMIN,
    "POST /api/v1/users": ADMIN,
    "PATCH /api/v1/users/{user_id}": ADMIN,
    "POST /api/v1/users/{user_id}/password": ADMIN,
    "GET /api/v1/teams": STAFF,
    "POST /api/v1/teams": ADMIN,
    "POST /api/v1/tokens": ADMIN,
    "GET /api/v1/tokens": ADMIN,
    "DELETE /api/v1/tokens/{token_id}": ADMIN,
    "GET /api/v1/audit": ADMIN,
    "GET /api/v1/audit/verify": ADMIN,
    "GET /api/v1/feedback/{feedback_id}/contact": CONTACT_VIEWERS,
    "POST /api/v1/privacy/export": CONTACT_VIEWERS,
    "POST /api/v1/privacy/erase": ADMIN,
    "GET /api/v1/public/quotes": PUBLIC,
    "POST /api/v1/webhooks/{source}": SELF_AUTHENTICATING,
    "POST /api/v1/webhook-sources": ADMIN,
    "GET /api/v1/webhook-sources": ADMIN,
    "POST /api/v1/feedback/{feedback_id}/attachments": WRITERS,
    "GET /api/v1/feedback/{feedback_id}/attachments": STAFF,
    "GET /api/v1/attachments/{attachment_id}": STAFF,
    "GET /admin": ADMIN,
    "GET /admin/users": ADMIN,
    "POST /admin/users": ADMIN,
    "POST /admin/users/{user_id}": ADMIN,
    "GET /admin/tokens": ADMIN,
    "POST /admin/tokens": ADMIN,
    "POST /admin/tokens/{token_id}/revoke": ADMIN,
    "GET /admin/audit": ADMIN,
    "GET /account/password": SIGNED_IN,
    "POST /account/password": SIGNED_IN,
    # workflow
    "GET /api/v1/feedback/{feedback_id}/workflow": STAFF,
    "POST /api/v1/feedback/{feedback_id}/transition": WRITERS,
    "POST /api/v1/feedback/{feedback_id}/claim": HANDLERS,
    "POST /api/v1/feedback/{feedback_id}/assign": HANDLERS,
    "POST /api/v1/feedback/bulk": HANDLERS,
    "GET /api/v1/saved-views": STAFF,
    "POST /api/v1/saved-views": STAFF,
    "DELETE /api/v1/saved-views/{view_id}": STAFF,
    "POST /api/v1/feedback/{feedback_id}/escalate": WRITERS,
    "GET /api/v1/feedback/{feedback_id}/history": STAFF,
    "GET /api/v1/feedback/{feedback_id}/replies": STAFF,
    "POST /api/v1/feedback/{feedback_id}/replies": WRITERS,
    "GET /api/v1/feedback/{feedback_id}/suggested-reply": STAFF,
    "POST /api/v1/feedback/{feedback_id}/render-template": STAFF,
    "POST /api/v1/feedback/{feedback_id}/kb": WRITERS,
    "GET /api/v1/routing-rules": STAFF,
    "POST /api/v1/routing-rules": MANAGERS,
    "PUT /api/v1/routing-rules/{rule_id}": MANAGERS,
    "DELETE /api/v1/routing-rules/{rule_id}": MANAGERS,
    "GET /api/v1/workflow/teams": STAFF,
    "POST /api/v1/workflow/teams": MANAGERS,
    "PUT /api/v1/workflow/teams/{team_id}": MANAGERS,
    "GET /api/v1/sla-policies": STAFF,
    "PUT /api/v1/sla-policies/{priority}": MANAGERS,
    "GET /api/v1/business-calendar": STAFF,
    "PUT /api/v1/business-calendar": MANAGERS,
    "POST /api/v1/workflow/sla-sweep": MANAGERS,
    "GET /api/v1/templates": STAFF,
    "POST /api/v1/templates": MANAGERS,
    "PUT /api/v1/templates/{template_id}": MANAGERS,
    "DELETE /api/v1/templates/{template_id}": MANAGERS,
    "GET /api/v1/kb": STAFF,
    "POST /api/v1/kb": WRITERS,
    "GET /api/v1/kb/{article_id}": STAFF,
    "PUT /api/v1/kb/{article_id}": WRITERS,
    "DELETE /api/v1/kb/{article_id}": MANAGERS,
    "GET /api/v1/alert-rules": STAFF,
    "POST /api/v1/alert-rules": MANAGERS,
    "PUT /api/v1/alert-rules/{rule_id}": MANAGERS,
    "DELETE /api/v1/alert-rules/{rule_id}": MANAGERS,
    "POST /api/v1/alert-rules/evaluate": MANAGERS,
    "GET /api/v1/alert-events": STAFF,
    "GET /api/v1/notifications": STAFF,
    "POST /api/v1/notifications/read": STAFF,
    # improvement plans (SPEC §6): product managers own them, supervisors and admins may act for them
    "GET /api/v1/improvements": STAFF,
    "POST /api/v1/improvements": PLANNERS,
    "GET /api/v1/improvements/{plan_id}": STAFF,
    "PATCH /api/v1/improvements/{plan_id}": PLANNERS,
    "GET /workflow/improvements": STAFF,
    "POST /workflow/improvements": PLANNERS,
    "POST /workflow/improvements/{plan_id}": PLANNERS,
    "GET /workflow/items/{feedback_id}": STAFF,
    "GET /workflow/admin": MANAGERS,
    "GET /workflow/knowledge": STAFF,
    "GET /workflow/notifications": STAFF,
    "POST /workflow/notifications/read": STAFF,
}


def allowed(method: str, path: str) -> frozenset[str] | None:
    """The declared callers of an endpoint, or None when it is not in the table."""
    return POLICY.get(f"{method} {path}")
