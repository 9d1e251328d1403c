"""Tables of the idea board. Voters are known only by a keyed hash of their identity (phone, e-mail or the
feedback item whose status link they hold); the address itself is kept only to tell them when an idea
ships, and is cleared when they unsubscribe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

# Idea life cycle, as customers read it on the board.
IDEA_STATUSES: dict[str, str] = {
    "open": "征集中",
    "planned": "已计划",
    "in_progress": "开发中",
    "shipped": "已上线",
    "declined": "暂不考虑",
    "duplicate": "重复",
}
IDEA_STATUS_EN = {
    "open": "Open for votes", "planned": "Planned", "in_progress": "In development", "shipped": "Shipped",
    "declined": "Not planned", "duplicate": "Duplicate",
}  # fmt: skip
# Moderation: nothing a customer wrote is public before a person has looked at it.
MODERATION = {"pending": "待审核", "published": "已发布", "rejected": "未通过"}
# The stage an idea takes from its improvement plan's status.
IDEA_STATUS_FOR_PLAN = {"planned": "planned", "in_progress": "in_progress", "shipped": "shipped",
                        "verified": "shipped"}  # fmt: skip
VOTABLE = ("open", "planned", "in_progress")


class Idea(Base):
    """One idea on the board; `vote_count` is maintained by the database from idea_votes (never sent in)."""

    __tablename__ = "idea_ideas"
    # The board's page walks ix_idea_ideas_board in vote order; its count is answered from
    # ix_idea_ideas_public alone (a count that visited every row took 96 ms at 50,000 ideas, 8 ms so).
    __table_args__ = (
        Index("ix_idea_ideas_board", "moderation", "vote_count"),
        Index("ix_idea_ideas_public", "moderation", "status"),
        # Search (ideas/search.py): the tokens as a tsvector, one lexeme per token; PostgreSQL only (SQLite
        # searches idea_tokens). The expression must stay identical to search.SEARCH_VECTOR's.
        Index("ix_idea_ideas_search", text("array_to_tsvector(string_to_array(search_tokens, ' '))"),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    moderation: Mapped[str] = mapped_column(String(20), default="pending")
    moderation_reason: Mapped[str | None] = mapped_column(String(200))
    # What customers read: the team's answer, and the changelog text once it ships.
    public_reply: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")  # staff only, never on a public page
    source: Mapped[str] = mapped_column(String(20), default="customer")  # customer | staff | feedback | theme
    theme_key: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_improvement_plans.id", ondelete="SET NULL"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("idea_ideas.id", ondelete="SET NULL"))
    submitter_voter_id: Mapped[int | None] = mapped_column(ForeignKey("idea_voters.id", ondelete="SET NULL"))
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    # The idea's index tokens separated by spaces (search.reindex): PostgreSQL searches them through the GIN
    # index ix_idea_ideas_search (migration 0008b, an expression index the model cannot declare).
    search_tokens: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]  # entered the product manager's priority queue
    shipped_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def status_label(self) -> str:
        return IDEA_STATUSES.get(self.status, self.status)


class Voter(Base):
    """A verified identity: `identity_hash` is HMAC-SHA256 of the normalised phone / e-mail / feedback id."""

    __tablename__ = "idea_voters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # email | phone | feedback
    contact: Mapped[str | None] = mapped_column(String(200))  # only to notify; NULL once unsubscribed
    feedback_id: Mapped[str | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language the person last used on the board (zh-CN or en): their notices and codes are written in it.
    lang: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(Base):
    """One vote (and, with a comment, a co-signature); one per idea and voter, enforced by the database."""

    __tablename__ = "idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "voter_id", name="uq_idea_votes_idea_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea_ideas.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("idea_voters.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    comment_published: Mapped[bool] = mapped_column(Boolean, default=False)  # after moderation only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A verified person who follows an idea without voting for it: told when it ships, like its voters."""

    __tablename__ = "idea_subscriptions"
    __table_args__ = (UniqueConstraint("idea_id", "voter_id", name="uq_idea_subscriptions_idea_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea_ideas.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("idea_voters.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerificationCode(Base):
    """A one-time code sent to a phone or an e-mail address; good for one use, a few tries, 10 minutes."""

    __tablename__ = "idea_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge: Mapped[str] = mapped_column(String(40), unique=True)
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    contact: Mapped[str | None] = mapped_column(String(200))  # cleared once used or expired
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaFeedback(Base):
    """A feedback item that asked for the idea: its customer is told when the idea ships."""

    __tablename__ = "idea_feedback"
    __table_args__ = (UniqueConstraint("idea_id", "feedback_id", name="uq_idea_feedback_idea_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea_ideas.id", ondelete="CASCADE"))
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaToken(Base):
    """The search index: one row per (jieba token, idea) of the idea's title and description."""

    __tablename__ = "idea_tokens"
    __table_args__ = (Index("ix_idea_tokens_idea_id", "idea_id"),)

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea_ideas.id", ondelete="CASCADE"), primary_key=True)


class IdeaTask(Base):
    """The product manager's task for an idea that passed the vote threshold (the priority queue)."""

    __tablename__ = "idea_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea_ideas.id", ondelete="CASCADE"), unique=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("wf_improvement_plans.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | done
    votes_at_entry: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class Notice(Base):
    """The outbox of "已上线" notices: one row per announcement and recipient, so nobody is told twice."""

    __tablename__ = "idea_notices"
    __table_args__ = (UniqueConstraint("subject", "recipient_hash", name="uq_idea_notices_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(40))  # "plan:3" | "idea:7"
    recipient_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str | None] = mapped_column(String(200))  # cleared once sent
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("idea_voters.id", ondelete="SET NULL"))
    feedback_id: Mapped[str | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # queued → sent | failed (retried) | pending_channel (no SMS channel yet) | unsubscribed
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    error: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaKey(Base):
    """The installation's secret for identity hashes and signed voter tokens, made on first use (a database
    row rather than the cookie secret, which may change at every start and would let everyone vote again)."""

    __tablename__ = "idea_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
