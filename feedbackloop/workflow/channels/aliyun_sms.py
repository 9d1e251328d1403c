"""Aliyun SMS (阿里云短信服务, Dysmsapi SendSms, API version 2017-05-25) with its RPC signature:
HMAC-SHA1 over "GET&%2F&" + the percent-encoded, sorted query string, keyed with AccessKeySecret + "&"
(Signature Version 1.0). The message is a template registered with Aliyun; we fill its variables."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from urllib.parse import quote

from feedbackloop.workflow.channels.base import ChannelError, Delivery, clip, http_json

VERSION = "2017-05-25"
VARIABLE_MAX = 35  # Aliyun: each template variable holds at most 35 characters


def percent_encode(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986 (space → %20, * → %2A, ~ kept)."""
    return quote(value, safe="~")


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    name = "aliyun_sms"
    channel = "sms"

    def __init__(
        self, access_key_id: str, access_key_secret: str, sign_name: str, template_code: str,
        endpoint: str = "https://dysmsapi.aliyuncs.com/", region: str = "cn-hangzhou",
    ) -> None:
        self.key_id, self.secret = access_key_id, access_key_secret
        self.sign_name, self.template_code = sign_name, template_code
        self.endpoint, self.region = endpoint.rstrip("/") + "/", region

    def params_for(self, to: str, text: str, link: str, reference: str) -> dict[str, str]:
        variables = {"code": clip(reference, VARIABLE_MAX), "content": clip(text, VARIABLE_MAX), "link": link}
        return {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": to,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(variables, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
        }

    def send(self, to: str, text: str, link: str, *, reference: str = "") -> Delivery:
        params = self.params_for(to, text, link, reference)
        query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
        url = f"{self.endpoint}?Signature={percent_encode(sign(params, self.secret))}&{query}"
        sent_text = json.loads(params["TemplateParam"])["content"]
        try:
            data = http_json(url)
        except ChannelError as exc:
            return Delivery("sms", "failed", self.name, to, error=str(exc), text=sent_text)
        if data.get("Code") != "OK":
            return Delivery("sms", "failed", self.name, to, error=f"{data.get('Code')}: {data.get('Message')}",
                            text=sent_text, details=data)
        return Delivery("sms", "sent", self.name, to, message_id=str(data.get("BizId") or ""), text=sent_text,
                        details={"request_id": data.get("RequestId")})
