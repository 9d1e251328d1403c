"""Tencent Cloud SMS (腾讯云短信, SendSms, API version 2021-01-11) signed with TC3-HMAC-SHA256: a canonical
request (method, path, query, signed headers content-type and host, SHA-256 of the body), a string to sign
with the date-scoped credential, and a signing key derived HMAC by HMAC from "TC3" + SecretKey."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedbackloop.workflow.channels.base import ChannelError, Delivery, clip, http_json

SERVICE = "sms"
VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
VARIABLE_MAX = 35


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(host: str, payload: str) -> str:
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\n"
    return "\n".join(["POST", "/", "", headers, "content-type;host", hashlib.sha256(payload.encode()).hexdigest()])


def signature(secret_key: str, host: str, payload: str, timestamp: int) -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical_request(host, payload).encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSms:
    name = "tencent_sms"
    channel = "sms"

    def __init__(
        self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str, template_id: str,
        endpoint: str = "https://sms.tencentcloudapi.com/", region: str = "ap-guangzhou",
    ) -> None:
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id
        self.endpoint, self.region = endpoint.rstrip("/") + "/", region

    def send(self, to: str, text: str, link: str, *, reference: str = "") -> Delivery:
        phone = to if to.startswith("+") else f"+86{to}"
        content = clip(text, VARIABLE_MAX)
        payload = json.dumps(
            {
                "PhoneNumberSet": [phone],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": self.template_id,
                "TemplateParamSet": [clip(reference, VARIABLE_MAX), content, link],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        host = urlsplit(self.endpoint).netloc
        now = int(time.time())
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        auth = (
            f"{ALGORITHM} Credential={self.secret_id}/{day}/{SERVICE}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature(self.secret_key, host, payload, now)}"
        )
        headers = {
            "Authorization": auth, "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(now), "X-TC-Version": VERSION, "X-TC-Region": self.region,
        }
        try:
            data = http_json(self.endpoint, method="POST", body=payload.encode(), headers=headers)
        except ChannelError as exc:
            return Delivery("sms", "failed", self.name, to, error=str(exc), text=content)
        answer = data.get("Response") or {}
        if "Error" in answer:
            err = answer["Error"]
            return Delivery("sms", "failed", self.name, to, error=f"{err.get('Code')}: {err.get('Message')}", text=content)
        status = (answer.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            return Delivery("sms", "failed", self.name, to, error=f"{status.get('Code')}: {status.get('Message')}",
                            text=content)
        return Delivery("sms", "sent", self.name, to, message_id=str(status.get("SerialNo") or ""), text=content,
                        details={"request_id": answer.get("RequestId")})
