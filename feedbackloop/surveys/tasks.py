"""Survey background work and triggers: on resolution, on a signed `order.completed` webhook, and the
invitation mail. Loaded through tasks.TASK_MODULES by every entry point."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from feedbackloop.db import session_scope
from feedbackloop.errors import ValidationFailed
from feedbackloop.tasks import huey
from feedbackloop.webhooks.services import register_handler
from feedbackloop.workflow import customer
from feedbackloop.workflow import services as workflow_services

log = logging.getLogger(__name__)


@huey.task(retries=3, retry_delay=300)
def send_invitation(invitation_id: int) -> bool:
    """E-mail one survey invitation."""
    from feedbackloop.surveys.services import deliver

    with session_scope() as session:
        return deliver(session, invitation_id)


@huey.task()
def survey_after_resolve(feedback_id: str) -> int | None:
    """Invite the customer of a just-resolved item, if a resolve-triggered survey applies."""
    from feedbackloop.surveys.services import on_resolved

    with session_scope() as session:
        invitation = on_resolved(session, feedback_id)
        made = invitation.id if invitation else None
    if made:
        send_invitation(made)
    return made


def queue_mail(invitation_ids: list[int]) -> None:
    """Hand invitations to the mailer (routes call this after their commit)."""
    for invitation_id in invitation_ids:
        send_invitation(invitation_id)


def _order_completed(session: Session, source: str, event_id: str, data: dict[str, Any]) -> str:
    """`order.completed` → each active order survey invites the buyer (quiet period and once-per-order apply)."""
    from feedbackloop.surveys.services import Customer, on_order_completed

    order = data.get("order_id") or event_id
    contact = data.get("email") or data.get("contact") or data.get("phone")
    if not isinstance(contact, str) or not contact.strip():
        raise ValidationFailed('order.completed 需要客户的 "email" 或 "phone" / the event needs the buyer\'s email or phone')
    customer = Customer(
        contact=contact.strip()[:200],
        name=str(data.get("customer_name") or "")[:100] or None,
        customer_type=data.get("customer_type") if data.get("customer_type") in ("new", "returning", "high_value") else None,
        product=str(data.get("product") or "")[:200] or None,
        channel=str(data.get("channel") or "webhook")[:20],
    )
    made = on_order_completed(session, f"{source}:{order}"[:110], customer)
    queue_mail([i.id for i in made])
    return f"survey invitations {','.join(str(i.id) for i in made)}" if made else "no survey sent (none active or quiet period)"


def _register() -> None:
    if survey_after_resolve not in workflow_services.after_resolve_hooks:
        workflow_services.after_resolve_hooks.append(survey_after_resolve)
    register_handler("order.completed", _order_completed)


_register()


def _status_page_survey(session: Session, record: Any) -> dict[str, Any]:
    """The customer's status page shows the item's open survey in place of the 满意/不满意 buttons."""
    from feedbackloop.surveys.services import open_invitation_for

    invitation = open_invitation_for(session, record.id)
    return {"survey_url": f"/survey/{invitation.token}"} if invitation else {}


if _status_page_survey not in customer.public_view_extras:
    customer.public_view_extras.append(_status_page_survey)
