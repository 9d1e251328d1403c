"""Every feature's tables, imported in one place for Alembic and `create_all`."""

from feedbackloop.accounts.models import ApiToken, User
from feedbackloop.db import Base
from feedbackloop.feedback.models import Feedback, IdSequence

__all__ = ["ApiToken", "Base", "Feedback", "IdSequence", "User"]
