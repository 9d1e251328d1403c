"""Every feature's tables, imported in one place for Alembic and `create_all`."""

from feedbackloop.accounts.models import ApiToken, Team, User  # noqa: F401
from feedbackloop.attachments.models import Attachment  # noqa: F401
from feedbackloop.audit.models import AuditEntry, AuditHead  # noqa: F401
from feedbackloop.db import Base
from feedbackloop.feedback.facets import FeedbackFacet  # noqa: F401  (dashboard counts)
from feedbackloop.feedback.models import Correction, CustomAspect, Feedback, IdSequence
from feedbackloop.feedback.touchpoints import Touchpoint  # noqa: F401  (web UI: touchpoints)
from feedbackloop.ideas.models import (  # noqa: F401
    Idea,
    IdeaFeedback,
    IdeaKey,
    IdeaTask,
    IdeaToken,
    Notice,
    Subscription,
    VerificationCode,
    Vote,
    Voter,
)
from feedbackloop.insight.daily_models import (  # noqa: F401  (daily aggregates, issues 12 and 13)
    ContactDays,
    DailyCounts,
    DailyInvitations,
    DailyItemKeys,
    DailyItems,
    DailyMinutes,
    DailyResolved,
    DailySurveys,
)
from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes, KpiTarget  # noqa: F401
from feedbackloop.insight.models import ImprovementPlan  # noqa: F401
from feedbackloop.insight.report_models import ChurnTask, ReportSubscription  # noqa: F401  (issue 13)
from feedbackloop.surveys.models import Survey, SurveyInvitation, SurveyResponse  # noqa: F401
from feedbackloop.webhooks.models import WebhookEvent, WebhookSource  # noqa: F401
from feedbackloop.workflow.models import (  # noqa: F401
    AlertEvent,
    AlertRule,
    BusinessCalendar,
    HistoryEntry,
    KbArticle,
    Notification,
    Reply,
    ReplyTemplate,
    RoutingRule,
    SavedView,
    SlaPolicy,
    TeamSettings,
)

__all__ = ["ApiToken", "Base", "Correction", "CustomAspect", "Feedback", "IdSequence", "User"]
