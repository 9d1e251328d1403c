"""A local stand-in for the SMS and WeChat providers that CHECKS what it receives, as the vendors do:
Aliyun's RPC signature (HMAC-SHA1), Tencent Cloud's TC3-HMAC-SHA256 Authorization header, and WeChat's
AppID/AppSecret → access_token → template message. A request with a wrong signature is refused the way the
vendor refuses it; every request is kept with its verdict for the test to inspect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass
class Received:
    vendor: str
    path: str
    params: dict[str, Any]
    signature_ok: bool
    headers: dict[str, str] = field(default_factory=dict)


def _pop(value: str) -> str:
    return quote(value, safe="~")


def aliyun_expected(params: dict[str, str], secret: str) -> str:
    """The signature Aliyun computes: RFC 3986 encode each name and value, sort, join with &, encode the whole
    again after "GET&%2F&", HMAC-SHA1 with the secret plus "&", base64."""
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(_pop(k) + "=" + _pop(v) for k, v in pairs)
    text = "GET&" + _pop("/") + "&" + _pop(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), text.encode(), hashlib.sha1).digest()).decode()


def tencent_expected(secret_key: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    """(credential scope, signature) Tencent Cloud computes for a POST / with signed content-type and host."""
    ts = int(headers["x-tc-timestamp"])
    day = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    canonical = (f"POST\n/\n\ncontent-type:{headers['content-type']}\nhost:{headers['host']}\n\n"
                 f"content-type;host\n{hashlib.sha256(body).hexdigest()}")
    scope = f"{day}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k_date = hmac.new(("TC3" + secret_key).encode(), day.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, b"sms", hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    return scope, hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()


class ProviderServer:
    """Serves Aliyun (GET /aliyun/), Tencent (POST /tencent/) and WeChat (/wechat/cgi-bin/…) on one port."""

    def __init__(self, *, key_id: str = "LTAI-test-id", secret: str = "test-secret-ABC",
                 wechat_app_id: str = "wx-app", wechat_secret: str = "wx-secret") -> None:
        self.key_id, self.secret = key_id, secret
        self.wechat_app_id, self.wechat_secret = wechat_app_id, wechat_secret
        self.received: list[Received] = []
        self.tokens: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                if url.path.startswith("/aliyun"):
                    ok = params.get("AccessKeyId") == outer.key_id and hmac.compare_digest(
                        params.get("Signature", ""), aliyun_expected(params, outer.secret))
                    outer.received.append(Received("aliyun", url.path, params, ok))
                    if not ok:
                        self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
                    else:
                        self._answer(200, {"Code": "OK", "Message": "OK", "BizId": f"9006197469364984^{len(outer.received)}",
                                           "RequestId": secrets.token_hex(8)})
                elif url.path == "/wechat/cgi-bin/token":
                    ok = params.get("appid") == outer.wechat_app_id and params.get("secret") == outer.wechat_secret
                    outer.received.append(Received("wechat-token", url.path, params, ok))
                    if ok:
                        token = secrets.token_hex(8)
                        outer.tokens.add(token)
                        self._answer(200, {"access_token": token, "expires_in": 7200})
                    else:
                        self._answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
                else:
                    self._answer(404, {})

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if url.path.startswith("/tencent"):
                    ok = False
                    try:
                        scope, expected = tencent_expected(outer.secret, headers, body)
                        want = (f"TC3-HMAC-SHA256 Credential={outer.key_id}/{scope}, "
                                f"SignedHeaders=content-type;host, Signature={expected}")
                        ok = hmac.compare_digest(headers.get("authorization", ""), want)
                    except (KeyError, ValueError):
                        pass
                    data = json.loads(body or b"{}")
                    outer.received.append(Received("tencent", url.path, data, ok, headers))
                    if not ok:
                        self._answer(200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                                  "Message": "signature mismatch"}}})
                    else:
                        self._answer(200, {"Response": {"SendStatusSet": [{"SerialNo": "2640:123", "Code": "Ok",
                                                                            "Message": "send success"}],
                                                        "RequestId": secrets.token_hex(8)}})
                elif url.path == "/wechat/cgi-bin/message/template/send":
                    params = dict(parse_qsl(url.query))
                    ok = params.get("access_token") in outer.tokens
                    outer.received.append(Received("wechat", url.path, json.loads(body or b"{}"), ok))
                    self._answer(200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332} if ok
                                 else {"errcode": 40001, "errmsg": "invalid credential"})
                else:
                    self._answer(404, {})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ProviderServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def of(self, vendor: str) -> list[Received]:
        return [r for r in self.received if r.vendor == vendor]
