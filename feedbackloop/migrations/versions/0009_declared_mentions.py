"""the product and module an item came with count as mentions (issue 13: the 产品与模块 chart left them out)

Rewrites the facet rows of every analysed item that names a product or a module (feedback.facets.store adds
the declared ones beside those the analysis found), then recounts the daily mention rows from them.

Revision ID: 0009
Revises: 0008a
Create Date: 2026-12-03 10:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0009'
down_revision = '0008a'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    from feedbackloop.feedback import facets
    from feedbackloop.feedback.models import Feedback
    from feedbackloop.insight import daily

    session = Session(bind=op.get_bind())
    named = sa.or_(Feedback.product.is_not(None), Feedback.module.is_not(None))
    last = ""
    while True:
        rows = session.execute(
            sa.select(Feedback.id, Feedback.received_at, Feedback.analysis)
            .where(named, Feedback.analysis.is_not(None), Feedback.id > last)
            .order_by(Feedback.id).limit(BATCH)
        ).all()
        if not rows:
            break
        facets.store(session, [(r[0], r[1], r[2]) for r in rows])
        last = rows[-1][0]
    daily.recount_days(session, [daily.MENTION_SPEC], None)
    session.flush()
    session.close()


def downgrade() -> None:
    pass  # the extra facet rows are harmless to the older code, which only counts what it finds
