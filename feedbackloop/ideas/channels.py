"""How the board reaches a customer: e-mail through the product's SMTP path (workflow/mail.py); text
messages through the SMS channel once one is installed. Until then a phone-only recipient's notice waits
(state pending_channel) and a verification code cannot be sent to a phone."""

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


# The SMS sender: (phone, text) → None, raising on failure; None while no SMS channel is installed.
sms_sender: Callable[[str, str], None] | None = None


def sms_available() -> bool:
    return sms_sender is not None


def require(kind: str) -> None:
    """Refuse (422) a contact kind no installed channel can reach."""
    if kind == "phone" and sms_sender is None:
        raise ChannelUnavailable(_NO_SMS)


_NO_SMS = "短信通道尚未开通，请改用邮箱或反馈状态链接 / SMS is not available yet; use e-mail or your status link"


def send_email(to: str, subject: str, body: str) -> None:
    try:
        mail.send(to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"邮件发送失败，请稍后再试 / could not send the mail ({type(exc).__name__})") from exc


def send_sms(phone: str, text: str) -> None:
    if sms_sender is None:
        raise ChannelUnavailable(_NO_SMS)
    try:
        sms_sender(phone, text)
    except FeedbackLoopError:
        raise
    except Exception as exc:  # a provider's own errors: the caller retries later
        raise DeliveryFailed(f"短信发送失败，请稍后再试 / could not send the text message ({type(exc).__name__})") from exc


def send_code(kind: str, contact: str, code: str) -> None:
    """Send a one-time voting code."""
    text = f"您的投票验证码是 {code}, 10 分钟内有效。如非本人操作请忽略。"
    if kind == "email":
        send_email(contact, "投票验证码 / your voting code", f"{text}\n\nYour voting code is {code} (valid for 10 minutes).")
    else:
        send_sms(contact, f"【FeedbackLoop】{text}")
