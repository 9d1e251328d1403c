"""Who a voter is, without accounts: a verified phone or e-mail (one-time code) or the status link of the
customer's own feedback. Only a keyed hash of the identity identifies the voter."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.errors import AuthenticationFailed, ValidationFailed
from feedbackloop.ideas.models import IdeaKey

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
VOTER_TOKEN_SECONDS = 24 * 3600
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def installation_secret(session: Session) -> str:
    """The installation's key for identity hashes, made on first use in the caller's transaction (so that it
    is kept exactly when the hashes made with it are: a rolled-back first vote takes both with it)."""
    key = session.scalar(select(IdeaKey.secret).where(IdeaKey.id == 1))
    if key is None:
        key = secrets.token_hex(32)
        session.add(IdeaKey(id=1, secret=key))
        session.flush()
    return key


def normalize_contact(contact: str) -> tuple[str, str]:
    """(kind, canonical form) of a phone number or an e-mail address; 422 with what to fix otherwise."""
    value = (contact or "").strip()
    if _EMAIL.match(value):
        return "email", value.lower()
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if _CN_MOBILE.match(digits):
        return "phone", digits
    raise ValidationFailed(
        "请填写有效的手机号（11 位）或邮箱地址 / enter a valid mobile number (11 digits) or e-mail address",
        code="invalid_contact",
    )


def identity_hash(secret: str, kind: str, canonical: str) -> str:
    """HMAC-SHA256 of the identity: equal for the same person, useless to anyone without the key."""
    return hmac.new(secret.encode(), f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()


def code_hash(secret: str, challenge: str, code: str) -> str:
    return hmac.new(secret.encode(), f"code:{challenge}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="feedbackloop-idea-voter")


def voter_token(secret: str, voter_id: int) -> str:
    """A signed token naming a verified voter, good for a day (the browser keeps it in its session)."""
    return _serializer(secret).dumps(voter_id)


def voter_from_token(secret: str, token: str) -> int:
    """The voter id in a token we signed; 401 for anything else (forged, altered, expired)."""
    try:
        value = _serializer(secret).loads(token, max_age=VOTER_TOKEN_SECONDS)
    except SignatureExpired:
        raise AuthenticationFailed(
            "验证已过期，请重新获取验证码 / verification expired, request a new code", code="voter_expired"
        ) from None
    except BadSignature:
        raise AuthenticationFailed(
            "投票凭证无效，请先验证手机号或邮箱 / invalid voter token, verify your phone or e-mail first",
            code="invalid_voter",
        ) from None
    if not isinstance(value, int):
        raise AuthenticationFailed("投票凭证无效 / invalid voter token", code="invalid_voter")
    return value


def unsubscribe_token(secret: str, voter_id: int) -> str:
    """The token of a voter's unsubscribe link (derived, so nothing more is stored)."""
    mac = hmac.new(secret.encode(), f"unsubscribe:{voter_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{voter_id}.{mac}"


def voter_of_unsubscribe(secret: str, token: str) -> int | None:
    head, _, _ = token.partition(".")
    if not head.isdigit() or len(head) > 10:
        return None
    return int(head) if hmac.compare_digest(unsubscribe_token(secret, int(head)), token) else None
