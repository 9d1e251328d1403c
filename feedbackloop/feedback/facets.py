"""The analysis of each stored item as rows one can count: its aspects (with polarity), keywords, product and
module mentions (with the item's sentiment) and risk categories (issue 13).

The analysis itself is one JSON document per item, which neither SQLite nor PostgreSQL can group by
portably or quickly. These rows are written with the analysis (and replaced when it changes), carry the
item's `received_at`, and have one covering index, so that "aspect × sentiment over 90 days" is an index
range scan and a GROUP BY, and "the items behind this cell" is an EXISTS on the same rows: the dashboard's
counts and the inbox's filtered list come from one definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, Integer, String, Table, delete, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedbackloop.db import Base, insert_rows
from feedbackloop.feedback.models import Feedback

KINDS = ("aspect", "keyword", "product", "module", "risk")
MAX_VALUE = 60


class FeedbackFacet(Base):
    """One countable fact of one item's analysis: (kind, value, polarity)."""

    __tablename__ = "feedback_facets"
    __table_args__ = (Index("ix_feedback_facets_kind_time", "kind", "received_at", "value", "polarity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(MAX_VALUE))
    polarity: Mapped[str | None] = mapped_column(String(10))


def facts(analysis: Mapping[str, Any] | None, product: str | None = None,
          module: str | None = None) -> list[tuple[str, str, str | None]]:
    """(kind, value, polarity) of one analysed item, each once. The product and module the item came with
    (a form's or an API client's fields) count as mentions beside those the analysis found in the text."""
    if not analysis:
        return []
    found: list[tuple[str, str, str | None]] = []
    for asp in analysis.get("aspects") or []:
        if isinstance(asp, Mapping) and asp.get("aspect"):
            found.append(("aspect", str(asp["aspect"]), asp.get("sentiment")))
    found += [("keyword", str(k), None) for k in analysis.get("keywords") or [] if k]
    # A mention carries the item's sentiment, so that "mentions and how many are negative" needs no join.
    mentions = analysis.get("mentions") or {}
    sentiment = (analysis.get("sentiment") or {}).get("label")
    products = [product] if product and product.strip() else []
    modules = [module] if module and module.strip() else []
    found += [("product", str(p).strip(), sentiment) for p in products + list(mentions.get("products") or []) if p]
    found += [("module", str(m).strip(), sentiment) for m in modules + list(mentions.get("modules") or []) if m]
    if analysis.get("urgency") == "紧急":
        for reason in analysis.get("urgency_reasons") or []:
            category = str(reason).split(":", 1)[0].strip()
            if category:
                found.append(("risk", category, None))
    return list(dict.fromkeys((k, v[:MAX_VALUE], p) for k, v, p in found))


def store(session: Session, items: Iterable[tuple[str, datetime, Mapping[str, Any] | None]]) -> None:
    """Replace the facet rows of these (feedback id, received_at, analysis) triples, in the caller's transaction."""
    items = list(items)
    if not items:
        return
    ids = [fid for fid, _, _ in items]
    session.execute(delete(FeedbackFacet).where(FeedbackFacet.feedback_id.in_(ids)))
    declared = {fid: (p, m) for fid, p, m in session.execute(
        select(Feedback.id, Feedback.product, Feedback.module).where(Feedback.id.in_(ids)))}  # fmt: skip
    rows = [
        {"feedback_id": fid, "received_at": received, "kind": kind, "value": value, "polarity": polarity}
        for fid, received, analysis in items
        for kind, value, polarity in facts(analysis, *declared.get(fid, (None, None)))
    ]
    if rows:
        insert_rows(session, cast(Table, FeedbackFacet.__table__), rows)  # COPY on PostgreSQL


def drop(session: Session, ids: Iterable[str]) -> None:
    """Forget the facets of these items (their analysis was erased)."""
    session.execute(delete(FeedbackFacet).where(FeedbackFacet.feedback_id.in_(list(ids))))


def has(kind: str, value: str, polarity: str | None = None) -> Any:
    """A WHERE clause: the feedback row has this facet."""
    conds = [FeedbackFacet.feedback_id == Feedback.id, FeedbackFacet.kind == kind, FeedbackFacet.value == value]
    if polarity:
        conds.append(FeedbackFacet.polarity == polarity)
    return exists(select(FeedbackFacet.id).where(*conds))

