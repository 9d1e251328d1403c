"""Every feature's tables, imported in one place for Alembic and `create_all`."""

from feedbackloop.accounts.models import ApiToken, User
from feedbackloop.db import Base
from feedbackloop.feedback.models import Correction, CustomAspect, Feedback, IdSequence

__all__ = ["ApiToken", "Base", "Correction", "CustomAspect", "Feedback", "IdSequence", "User"]
