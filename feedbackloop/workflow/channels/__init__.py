"""Replies that reach the customer where they are: e-mail (SMTP), SMS (Aliyun or Tencent Cloud, chosen by
FEEDBACKLOOP_SMS_PROVIDER) and WeChat service-account template messages. Each vendor is one adapter module
behind `base.Adapter`; `send_to_customer` picks the channel from the contact and the adapter from the
configuration, and never raises for a provider problem: it returns a Delivery that says sent, failed or
manual (no provider for that channel: 待人工外呼, a person calls the customer).

    from feedbackloop.workflow.channels import send_to_customer
    delivery = send_to_customer("13812345678", "您的反馈已处理", "https://fb.example.com/s/…", reference="FB…")

No database here: the caller records the Delivery (workflow/replies.py does, on the item)."""

from __future__ import annotations

import re
from functools import lru_cache

from feedbackloop.config import Settings, get_settings
from feedbackloop.workflow.channels.aliyun_sms import AliyunSms
from feedbackloop.workflow.channels.base import Adapter, ChannelError, Delivery, clip
from feedbackloop.workflow.channels.tencent_sms import TencentSms
from feedbackloop.workflow.channels.wechat_mp import WechatTemplate

__all__ = ["Adapter", "ChannelError", "Delivery", "channel_for", "send_to_customer", "sms_adapter", "wechat_adapter"]

PHONE_RE = re.compile(r"^(?:\+?86[- ]?)?(1[3-9]\d{9})$")
WECHAT_PREFIX = "wechat:"
CHANNEL_LABELS = {"email": "邮件", "sms": "短信", "wechat": "微信", "phone": "电话"}
PROVIDER_LABELS = {"smtp": "SMTP", "aliyun_sms": "阿里云短信", "tencent_sms": "腾讯云短信", "wechat_mp": "微信服务号"}
PROVIDER_LABELS_EN = {"smtp": "SMTP", "aliyun_sms": "Aliyun SMS", "tencent_sms": "Tencent Cloud SMS", "wechat_mp": "WeChat service account"}
CHANNEL_LABELS_EN = {"email": "E-mail", "sms": "SMS", "wechat": "WeChat", "phone": "Phone"}


def phone_number(contact: str | None) -> str | None:
    """The mainland mobile number in a contact (13812345678, +86 138…), else None."""
    found = PHONE_RE.match((contact or "").strip().replace(" ", ""))
    return found.group(1) if found else None


def channel_for(contact: str | None) -> str | None:
    """email, sms (a mobile number), wechat ("wechat:<OpenID>"), or None when the contact is none of them."""
    from feedbackloop.workflow.mail import is_email

    value = (contact or "").strip()
    if is_email(value):
        return "email"
    if value.startswith(WECHAT_PREFIX) and len(value) > len(WECHAT_PREFIX):
        return "wechat"
    if phone_number(value):
        return "sms"
    return None


def _sms_key(s: Settings) -> tuple[str, ...]:
    return (s.sms_provider, s.sms_endpoint, s.sms_key_id, s.sms_key_secret, s.sms_sign_name, s.sms_template,
            s.sms_app_id, s.sms_region)  # fmt: skip


@lru_cache(maxsize=4)
def _sms(key: tuple[str, ...]) -> Adapter | None:
    provider, endpoint, key_id, secret, sign_name, template, app_id, region = key
    if provider == "aliyun" and key_id and secret:
        return AliyunSms(key_id, secret, sign_name, template, endpoint or "https://dysmsapi.aliyuncs.com/",
                         region or "cn-hangzhou")
    if provider == "tencent" and key_id and secret:
        return TencentSms(key_id, secret, app_id, sign_name, template, endpoint or "https://sms.tencentcloudapi.com/",
                          region or "ap-guangzhou")
    return None


def sms_adapter(settings: Settings | None = None) -> Adapter | None:
    """The configured SMS provider, or None (then SMS replies become 待人工外呼)."""
    return _sms(_sms_key(settings or get_settings()))


@lru_cache(maxsize=4)
def _wechat(app_id: str, secret: str, template: str, endpoint: str) -> Adapter | None:
    if app_id and secret and template:
        return WechatTemplate(app_id, secret, template, endpoint or "https://api.weixin.qq.com")
    return None


def wechat_adapter(settings: Settings | None = None) -> Adapter | None:
    s = settings or get_settings()
    return _wechat(s.wechat_app_id, s.wechat_app_secret, s.wechat_template_id, s.wechat_endpoint)


def send_to_customer(
    contact: str | None,
    text: str,
    link: str,
    *,
    reference: str = "",
    subject: str | None = None,
    channel: str | None = None,
) -> Delivery:
    """Send `text` (plus the status `link`) to the customer on `channel` (default: the one the contact is)."""
    chosen = channel or channel_for(contact)
    value = (contact or "").strip()
    if chosen == "email":
        from feedbackloop.workflow.mail import send

        body = text if link in text else f"{text.rstrip()}\n\n{link}"
        try:
            mid = send(value, subject or reference or "FeedbackLoop", body)
        except OSError as exc:
            return Delivery("email", "failed", "smtp", value, error=f"{type(exc).__name__}: {exc}", text=body)
        return Delivery("email", "sent", "smtp", value, message_id=mid, text=body)
    if chosen == "sms":
        number = phone_number(value)
        adapter = sms_adapter()
        if number is None:
            return Delivery("sms", "failed", None, value, error="不是有效的手机号码 / Not a valid mobile number", text=text)
        if adapter is None:
            return Delivery("sms", "manual", None, number, error="未配置短信服务，请电话联系客户 / No SMS provider is configured: call the customer", text=text)
        return adapter.send(number, text, link, reference=reference)
    if chosen == "wechat":
        adapter = wechat_adapter()
        openid = value[len(WECHAT_PREFIX):] if value.startswith(WECHAT_PREFIX) else value
        if adapter is None:
            return Delivery("wechat", "manual", None, openid, error="未配置微信服务号，请人工联系客户 / No WeChat service account is configured: contact the customer yourself", text=text)
        return adapter.send(openid, text, link, reference=reference)
    return Delivery("phone", "manual", None, value or None, error="客户没有可用的邮箱、手机或微信，请人工联系 / The customer has no e-mail, mobile or WeChat contact: contact them yourself",
                    text=clip(text, 500))
