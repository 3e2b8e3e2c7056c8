"""Sign-in with the work-chat app staff already use: a one-time OAuth code becomes the
platform's user id, which district staff have linked to a Whistle account.

- WeCom (企业微信): the corp's access token (`gettoken` with corp id and app secret, kept
  until it expires), then `auth/getuserinfo?code=` → `userid`. Codes come from WeCom's web
  login (QR code) or, inside the WeCom app, from its OAuth page.
- DingTalk (钉钉): the code of DingTalk's OAuth 2 web login → a user access token → the user's
  `unionId` → (with the app's own access token) the corp's `userid`.

Base addresses are configuration, so tests point them at a local stand-in.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..config import DingTalkApp, WeComApp, WorkChatEndpoints
from ..domain.accounts import WorkChat
from ..domain.clock import Clock
from ..ports import WorkChatUnavailable

log = logging.getLogger("whistle.work_chat")

Fetch = Callable[[str, str, dict[str, Any] | None, dict[str, str]], dict[str, Any]]
"""(method, url, JSON body or None, headers) → the JSON answer, whatever its HTTP status."""


def fetch_json(
    method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - configured https base addresses
        url, data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        try:
            return dict(json.loads(error.read()))
        except ValueError:
            raise WorkChatUnavailable(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:
        raise WorkChatUnavailable(type(error).__name__) from None


class _AppToken:
    """An app's own access token, fetched once and reused until shortly before it expires."""

    def __init__(self, clock: Clock, fetch_token: Callable[[], tuple[str, int]]) -> None:
        self._clock = clock
        self._fetch_token = fetch_token
        self._token: tuple[str, datetime] | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            now = self._clock.now()
            if self._token is None or self._token[1] <= now:
                token, lifetime = self._fetch_token()
                # Five minutes early, so a token never expires between check and use.
                self._token = (token, now + timedelta(seconds=max(lifetime - 300, 60)))
            return self._token[0]

    def drop(self) -> None:
        with self._lock:
            self._token = None


# WeCom's answers: a code that is wrong, used or expired, and an app token to fetch again.
_WECOM_BAD_CODE = {40029, 40163}
_WECOM_STALE_TOKEN = {40001, 40014, 42001}


class WeComSignIn:
    def __init__(self, app: WeComApp, api: str, clock: Clock, fetch: Fetch) -> None:
        self._app = app
        self._api = api.rstrip("/")
        self._fetch = fetch
        self._token = _AppToken(clock, self._new_token)

    def links(self) -> dict[str, str]:
        app = urllib.parse.quote(self._app.corp_id)
        agent = urllib.parse.quote(self._app.agent_id)
        return {
            # A QR code to scan with the WeCom app, in any browser.
            "authorize_url": "https://login.work.weixin.qq.com/wwlogin/sso/login"
            f"?login_type=CorpApp&appid={app}&agentid={agent}",
            # Inside WeCom's own browser: no scan, the member is known.
            "in_app_url": "https://open.weixin.qq.com/connect/oauth2/authorize"
            f"?appid={app}&response_type=code&scope=snsapi_base&agentid={agent}",
        }

    def _new_token(self) -> tuple[str, int]:
        query = urllib.parse.urlencode(
            {"corpid": self._app.corp_id, "corpsecret": self._app.secret}
        )
        answer = self._fetch("GET", f"{self._api}/cgi-bin/gettoken?{query}", None, {})
        if answer.get("errcode") != 0 or not answer.get("access_token"):
            raise WorkChatUnavailable(f"wecom gettoken errcode {answer.get('errcode')}")
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def user_id(self, code: str) -> str | None:
        for attempt in range(2):
            query = urllib.parse.urlencode({"access_token": self._token.get(), "code": code})
            answer = self._fetch("GET", f"{self._api}/cgi-bin/auth/getuserinfo?{query}", None, {})
            error = answer.get("errcode")
            if error == 0:
                # Someone outside the corp gets an `openid` and no user id: not staff.
                user = answer.get("userid") or answer.get("UserId")
                return str(user) if user else None
            if error in _WECOM_BAD_CODE:
                return None
            if error in _WECOM_STALE_TOKEN and attempt == 0:
                self._token.drop()
                continue
            raise WorkChatUnavailable(f"wecom getuserinfo errcode {error}")
        return None  # pragma: no cover - the loop always returns or raises


class DingTalkSignIn:
    def __init__(self, app: DingTalkApp, api: str, oapi: str, clock: Clock, fetch: Fetch) -> None:
        self._app = app
        self._api = api.rstrip("/")
        self._oapi = oapi.rstrip("/")
        self._fetch = fetch
        self._token = _AppToken(clock, self._new_token)

    def links(self) -> dict[str, str]:
        client = urllib.parse.quote(self._app.client_id)
        return {
            "authorize_url": "https://login.dingtalk.com/oauth2/auth"
            f"?response_type=code&client_id={client}&scope=openid&prompt=consent"
        }

    def _new_token(self) -> tuple[str, int]:
        query = urllib.parse.urlencode(
            {"appkey": self._app.client_id, "appsecret": self._app.client_secret}
        )
        answer = self._fetch("GET", f"{self._oapi}/gettoken?{query}", None, {})
        if answer.get("errcode") != 0 or not answer.get("access_token"):
            raise WorkChatUnavailable(f"dingtalk gettoken errcode {answer.get('errcode')}")
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    def user_id(self, code: str) -> str | None:
        granted = self._fetch(
            "POST",
            f"{self._api}/v1.0/oauth2/userAccessToken",
            {
                "clientId": self._app.client_id,
                "clientSecret": self._app.client_secret,
                "code": code,
                "grantType": "authorization_code",
            },
            {},
        )
        user_token = granted.get("accessToken")
        if not user_token:
            if str(granted.get("code", "")).lower().startswith("invalid"):
                return None  # a wrong, used or expired code
            raise WorkChatUnavailable(f"dingtalk userAccessToken {granted.get('code')}")
        me = self._fetch(
            "GET",
            f"{self._api}/v1.0/contact/users/me",
            None,
            {"x-acs-dingtalk-access-token": str(user_token)},
        )
        union_id = me.get("unionId")
        if not union_id:
            raise WorkChatUnavailable("dingtalk users/me without unionId")
        query = urllib.parse.urlencode({"access_token": self._token.get()})
        found = self._fetch(
            "POST", f"{self._oapi}/topapi/user/getbyunionid?{query}", {"unionid": union_id}, {}
        )
        if found.get("errcode") == 0:
            user = (found.get("result") or {}).get("userid")
            return str(user) if user else None
        if found.get("errcode") == 60121:  # not a member of the corp
            return None
        raise WorkChatUnavailable(f"dingtalk getbyunionid errcode {found.get('errcode')}")


class WorkChatClients:
    """The configured work-chat apps (none, one or both)."""

    def __init__(
        self,
        clock: Clock,
        endpoints: WorkChatEndpoints,
        wecom: WeComApp | None = None,
        dingtalk: DingTalkApp | None = None,
        fetch: Fetch = fetch_json,
    ) -> None:
        self._apps: dict[WorkChat, WeComSignIn | DingTalkSignIn] = {}
        if wecom is not None:
            self._apps[WorkChat.WECOM] = WeComSignIn(wecom, endpoints.wecom_api, clock, fetch)
        if dingtalk is not None:
            self._apps[WorkChat.DINGTALK] = DingTalkSignIn(
                dingtalk, endpoints.dingtalk_api, endpoints.dingtalk_oapi, clock, fetch
            )

    def providers(self) -> list[dict[str, str]]:
        return [{"provider": kind.value, **app.links()} for kind, app in self._apps.items()]

    def user_id(self, kind: WorkChat, code: str) -> str | None:
        app = self._apps.get(kind)
        if app is None:
            raise WorkChatUnavailable(f"{kind.value} sign-in is not configured")
        try:
            return app.user_id(code)
        except WorkChatUnavailable as error:
            log.warning("%s sign-in unavailable: %s", kind.value, error)
            raise
