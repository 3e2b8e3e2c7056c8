"""A stand-in for WeCom's and DingTalk's sign-in APIs on 127.0.0.1, answering as they do:
app tokens for the right credentials, a user id for a one-time code issued to a user (once),
their error codes for everything else."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CORP_ID = "ww-test-corp"
AGENT_ID = "1000002"
WECOM_SECRET = "wecom-app-secret"
DINGTALK_KEY = "ding-app-key"
DINGTALK_SECRET = "ding-app-secret"


class FakeWorkChat:
    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, str]] = {}  # code → (platform, user id)
        self.members: dict[str, str] = {}  # DingTalk unionId → corp user id
        self.app_tokens: set[str] = set()
        self.user_tokens: dict[str, str] = {}  # DingTalk user token → unionId
        self.calls: list[str] = []
        self.down = False
        self._count = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(json.loads(self.rfile.read(length) or b"{}"))

            def _answer(self, body: dict[str, Any] | None) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                fake.calls.append(url.path)
                if fake.down:
                    status, answer = 502, {"message": "bad gateway"}
                else:
                    status, answer = fake.route(url.path, query, body or {}, self.headers)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def code_for(self, platform: str, user_id: str) -> str:
        """A one-time code, as the platform's sign-in page would hand to the browser."""
        self._count += 1
        code = f"{platform}-code-{self._count}"
        self.codes[code] = (platform, user_id)
        return code

    def _app_token(self) -> str:
        self._count += 1
        token = f"app-token-{self._count}"
        self.app_tokens.add(token)
        return token

    def expire_app_tokens(self) -> None:
        self.app_tokens.clear()

    def route(
        self, path: str, query: dict[str, str], body: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") == CORP_ID and query.get("corpsecret") == WECOM_SECRET:
                return 200, {"errcode": 0, "access_token": self._app_token(), "expires_in": 7200}
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        if path == "/cgi-bin/auth/getuserinfo":
            if query.get("access_token") not in self.app_tokens:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            platform, user = self.codes.pop(query.get("code", ""), ("", ""))
            if platform != "wecom":
                return 200, {"errcode": 40029, "errmsg": "invalid code"}
            return 200, {"errcode": 0, "errmsg": "ok", "userid": user, "user_ticket": "t"}
        if path == "/v1.0/oauth2/userAccessToken":
            platform, user = self.codes.pop(str(body.get("code")), ("", ""))
            if body.get("clientId") != DINGTALK_KEY or body.get("clientSecret") != DINGTALK_SECRET:
                return 400, {"code": "invalidClientIdOrSecret", "message": "bad client"}
            if platform != "dingtalk":
                return 400, {"code": "invalidAuthCode", "message": "bad code"}
            union = f"union-{user}"
            self.members.setdefault(union, user)
            token = f"user-token-{union}"
            self.user_tokens[token] = union
            return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200}
        if path == "/v1.0/contact/users/me":
            union = self.user_tokens.get(headers.get("x-acs-dingtalk-access-token", ""))
            if union is None:
                return 401, {"code": "InvalidAuthentication"}
            return 200, {"nick": "某某", "unionId": union, "openId": "o"}
        if path == "/gettoken":
            if query.get("appkey") == DINGTALK_KEY and query.get("appsecret") == DINGTALK_SECRET:
                return 200, {"errcode": 0, "access_token": self._app_token(), "expires_in": 7200}
            return 200, {"errcode": 40089, "errmsg": "invalid appkey"}
        if path == "/topapi/user/getbyunionid":
            if query.get("access_token") not in self.app_tokens:
                return 200, {"errcode": 88, "errmsg": "invalid token"}
            user = self.members.get(str(body.get("unionid")))
            if user is None:
                return 200, {"errcode": 60121, "errmsg": "找不到该用户"}
            return 200, {"errcode": 0, "result": {"contact_type": 0, "userid": user}}
        return 404, {"errcode": 404}
