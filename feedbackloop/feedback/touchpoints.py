"""Touchpoints (触点): a store or product page with its own public-form link and QR code (SPEC §3)."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime

import segno
from sqlalchemy import String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedbackloop.db import Base, begin_write, utcnow
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate, PublicFeedbackCreate

# Kind code → zh-CN label.
TOUCHPOINT_KINDS: dict[str, str] = {"store": "门店", "product_page": "商品页"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")


class Touchpoint(Base):
    """A place where customers meet the business; feedback from its link is tagged with its name."""

    __tablename__ = "touchpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="store")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return TOUCHPOINT_KINDS.get(self.kind, self.kind)


def _new_slug(session: Session) -> str:
    # Names are usually Chinese, so a short random slug makes a clean, unguessable-enough URL.
    while True:
        slug = secrets.token_hex(4)
        if session.scalar(select(Touchpoint.id).where(Touchpoint.slug == slug)) is None:
            return slug


def create_touchpoint(
    session: Session, name: str, kind: str = "store", slug: str | None = None
) -> Touchpoint:
    """Create a touchpoint; the slug is generated unless given (lower-case letters, digits, hyphens)."""
    name = (name or "").strip()
    slug = (slug or "").strip().lower() or None
    if not name or len(name) > 100:
        raise ValidationFailed(
            "请填写触点名称（1–100 字） / name must have 1–100 characters", details={"field": "name"}
        )
    if kind not in TOUCHPOINT_KINDS:
        raise ValidationFailed(f"未知触点类型 '{kind}' / unknown kind", details={"field": "kind"})
    if slug is not None and not _SLUG.match(slug):
        raise ValidationFailed(
            "链接标识只能包含小写字母、数字和连字符，3–60 位 / slug: 3–60 lower-case letters, digits, hyphens",
            details={"field": "slug"},
        )
    begin_write(session)
    if session.scalar(select(Touchpoint.id).where(Touchpoint.name == name)) is not None:
        raise Conflict(f"触点 '{name}' 已存在 / touchpoint already exists", details={"field": "name"})
    if slug and session.scalar(select(Touchpoint.id).where(Touchpoint.slug == slug)) is not None:
        raise Conflict(f"链接标识 '{slug}' 已被使用 / slug already taken", details={"field": "slug"})
    point = Touchpoint(name=name, kind=kind, slug=slug or _new_slug(session))
    session.add(point)
    session.commit()
    return point


def update_touchpoint(session: Session, slug: str, name: str, kind: str) -> Touchpoint:
    """Rename a touchpoint or change its kind; its items follow the new name. The slug stays: printed QR
    codes carry it. Audited (ORM change); commits."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("请填写触点名称（1–100 字） / name must have 1–100 characters", details={"field": "name"})
    if kind not in TOUCHPOINT_KINDS:
        raise ValidationFailed(f"未知触点类型 '{kind}' / unknown kind", details={"field": "kind"})
    begin_write(session)
    point = get_by_slug(session, slug)
    clash = session.scalar(select(Touchpoint.id).where(Touchpoint.name == name, Touchpoint.id != point.id))
    if clash is not None:
        raise Conflict(f"触点 '{name}' 已存在 / touchpoint already exists", details={"field": "name"})
    old = point.name
    point.name, point.kind = name, kind
    if old != name:
        session.execute(
            update(Feedback).where(Feedback.touchpoint == old).values(touchpoint=name)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return point


def delete_touchpoint(session: Session, slug: str) -> None:
    """Remove a touchpoint: its link and QR code stop working; its items keep the touchpoint's name."""
    begin_write(session)
    session.delete(get_by_slug(session, slug))
    session.commit()


def list_touchpoints(session: Session) -> list[tuple[Touchpoint, int]]:
    """Every touchpoint, newest first, with how many feedback items came through it."""
    rows = session.execute(
        select(Feedback.touchpoint, func.count())
        .where(Feedback.touchpoint.is_not(None))
        .group_by(Feedback.touchpoint)
    )
    counts: dict[str, int] = {name: n for name, n in rows if name is not None}
    points = session.scalars(select(Touchpoint).order_by(Touchpoint.created_at.desc(), Touchpoint.id.desc()))
    return [(p, counts.get(p.name, 0)) for p in points]


def get_by_slug(session: Session, slug: str) -> Touchpoint:
    """The touchpoint behind a public link."""
    point = session.scalar(select(Touchpoint).where(Touchpoint.slug == slug))
    if point is None:
        raise NotFound(f"找不到触点 '{slug}' / touchpoint not found")
    return point


def qr_svg(url: str, *, scale: int = 8) -> str:
    """The QR code of `url` as a standalone SVG document."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(
        buf, kind="svg", scale=scale, border=2, dark="#111", light="#fff", xmldecl=False
    )
    return buf.getvalue().decode("utf-8")


def submit_public(session: Session, item: PublicFeedbackCreate, touchpoint: Touchpoint | None) -> Feedback:
    """Store one public-form submission; a touchpoint link makes it channel `qr` tagged with the touchpoint."""
    data = item.model_dump(exclude={"touchpoint"})
    channel = "qr" if touchpoint else "web_form"
    create = FeedbackCreate(channel=channel, touchpoint=touchpoint.name if touchpoint else None, **data)
    record, _ = services.create_one(session, create)
    return record
