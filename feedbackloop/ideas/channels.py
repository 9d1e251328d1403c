"""How the board reaches a customer: e-mail through the product's SMTP path (workflow/mail.py); text
messages through the configured SMS provider (workflow/channels: Aliyun or Tencent Cloud SMS). Where no
provider is configured, a phone-only recipient's notice waits (state pending_channel) and a verification
code cannot be sent to a phone."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from feedbackloop.errors import FeedbackLoopError
from feedbackloop.workflow import mail


class ChannelUnavailable(FeedbackLoopError):
    status = 422
    code = "channel_unavailable"


class DeliveryFailed(FeedbackLoopError):
    status = 503
    code = "delivery_failed"
    retry_after = 60


# An SMS sender that replaces the provider (phone, content, link, code) → None, raising on failure; None: the
# provider. A Chinese SMS is a provider template whose variables we fill: content (≤ 35 characters), link, code.
sms_sender: Callable[[str, str, str, str], None] | None = None


def _provider_sms(phone: str, text: str, link: str, code: str) -> None:
    from feedbackloop.workflow.channels import send_to_customer

    delivery = send_to_customer(phone, text, link, channel="sms", reference=code)
    if delivery.state != "sent":
        raise DeliveryFailed(f"短信发送失败，请稍后再试 / could not send the text message ({delivery.error})")


def _sender() -> Callable[[str, str, str, str], None] | None:
    from feedbackloop.workflow.channels import sms_adapter

    if sms_sender is not None:
        return sms_sender
    return _provider_sms if sms_adapter() is not None else None


def sms_available() -> bool:
    return _sender() is not None


def require(kind: str) -> None:
    """Refuse (422) a contact kind no configured channel can reach."""
    if kind == "phone" and _sender() is None:
        raise ChannelUnavailable(_NO_SMS)


_NO_SMS = "本站未开通短信，请改用邮箱或反馈状态链接 / text messages are not set up here; use e-mail or your status link"


def send_email(to: str, subject: str, body: str, unsubscribe: str | None = None) -> None:
    try:
        mail.send(to, subject, body, unsubscribe=unsubscribe)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"邮件发送失败，请稍后再试 / could not send the mail ({type(exc).__name__})") from exc


def send_sms(phone: str, text: str, link: str = "", code: str = "idea") -> None:
    """One text message: `text` fills the template's content variable, `link` its link, `code` its code."""
    sender = _sender()
    if sender is None:
        raise ChannelUnavailable(_NO_SMS)
    try:
        sender(phone, text, link, code)
    except FeedbackLoopError:
        raise
    except Exception as exc:  # a provider's own errors: the caller retries later
        raise DeliveryFailed(f"短信发送失败，请稍后再试 / could not send the text message ({type(exc).__name__})") from exc


def send_code(kind: str, contact: str, code: str, lang: str | None = None) -> None:
    """Send a one-time voting code, in the customer's language (zh-CN unless "en")."""
    if lang == "en":
        text = f"Your voting code is {code}, valid for 10 minutes. If you did not ask for it, ignore this message."
        subject, mail_body, sms = "Your voting code", text, f"Voting code {code}, valid 10 min"
    else:
        text = f"您的投票验证码是 {code}，10 分钟内有效。如非本人操作请忽略。"
        subject, mail_body, sms = "投票验证码", text, f"您的投票验证码 {code}，10 分钟内有效"
    if kind == "email":
        send_email(contact, subject, mail_body)
    else:
        send_sms(contact, sms, code=code)
