"""WeChat service account (微信服务号) template messages: an access token from the AppID and AppSecret
(cgi-bin/token, cached until shortly before it expires), then message/template/send to the customer's
OpenID with the status link as the message's URL. Template fields hold at most 20 characters."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

from feedbackloop.workflow.channels.base import ChannelError, Delivery, clip, http_json

FIELD_MAX = 20  # a template "thing" field holds at most 20 characters


class WechatTemplate:
    name = "wechat_mp"
    channel = "wechat"

    def __init__(self, app_id: str, app_secret: str, template_id: str, endpoint: str = "https://api.weixin.qq.com") -> None:
        self.app_id, self.app_secret, self.template_id = app_id, app_secret, template_id
        self.endpoint = endpoint.rstrip("/")
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            query = urlencode({"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
            data = http_json(f"{self.endpoint}/cgi-bin/token?{query}")
            if not data.get("access_token"):
                raise ChannelError(f"微信 access_token 获取失败: {data.get('errcode')} {data.get('errmsg')}")
            self._token = (str(data["access_token"]), time.monotonic() + int(data.get("expires_in", 7200)) - 300)
            return self._token[0]

    def send(self, to: str, text: str, link: str, *, reference: str = "") -> Delivery:
        content = clip(text, FIELD_MAX)
        message = {
            "touser": to,
            "template_id": self.template_id,
            "url": link,
            "data": {
                "thing1": {"value": content},
                "character_string2": {"value": clip(reference, 32)},
            },
        }
        try:
            token = self.access_token()
            data = http_json(
                f"{self.endpoint}/cgi-bin/message/template/send?{urlencode({'access_token': token})}",
                method="POST",
                body=json.dumps(message, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        except ChannelError as exc:
            return Delivery("wechat", "failed", self.name, to, error=str(exc), text=content)
        if data.get("errcode", 0) != 0:
            if data.get("errcode") in (40001, 42001):  # token revoked or expired early: fetch anew next time
                self._token = None
            return Delivery("wechat", "failed", self.name, to, error=f"{data.get('errcode')}: {data.get('errmsg')}",
                            text=content)
        return Delivery("wechat", "sent", self.name, to, message_id=str(data.get("msgid") or ""), text=content)
