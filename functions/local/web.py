"""The one local origin: the SPA at /, the Chalice app at /api, runtime config, dev pages."""

from __future__ import annotations

import gzip
import html
import json
import mimetypes
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/manifest+json",
)
OUTBOX_PAGE_SIZE = 50
CHINA = timezone(timedelta(hours=8), "CST")


def china_time(text: str) -> str:
    """An ISO time as the district reads it: China time, to the second."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ApiGateway:
    """Chalice's local API Gateway emulation, mounted under /api.

    Chalice keeps the current request on the app object, so calls are serialised, as one
    Lambda instance serves one request at a time.
    """

    def __init__(self, app: Any, project_dir: Path, stage: str) -> None:
        from chalice.cli.factory import CLIFactory
        from chalice.local import LocalGateway

        config = CLIFactory(str(project_dir)).create_config_obj(chalice_stage_name=stage)
        self._gateway = LocalGateway(app, config)
        self._lock = threading.Lock()

    def __call__(self, request: Request, path: str) -> Response:
        from chalice.local import LocalGatewayException

        query = request.query_string.decode()
        target = path + (f"?{query}" if query else "")
        headers = {k: v for k, v in request.headers.items()}
        body = request.get_data()
        with self._lock:
            try:
                result = self._gateway.handle_request(request.method, target, headers, body)
            except LocalGatewayException as error:
                if error.CODE == 403 and b"Missing Authentication Token" in (error.body or b""):
                    return _error(404, "not_found", "No such API route.")
                return _error(
                    error.CODE, "unauthorized" if error.CODE == 401 else "forbidden", "Not allowed."
                )
        response = Response(status=result["statusCode"])
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = value
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, value)
        payload = result.get("body") or b""
        if result.get("isBase64Encoded"):
            import base64

            payload = base64.b64decode(payload)
        response.set_data(payload)
        return response


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        json.dumps({"error": {"code": code, "message": message, "details": []}}),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _compress(request: Request, response: Response) -> None:
    """gzip JSON and HTML answers too, as CloudFront does in front of the API."""
    if (
        "gzip" in request.headers.get("Accept-Encoding", "")
        and "Content-Encoding" not in response.headers
        and response.mimetype in ("application/json", "text/html")
        and not response.is_streamed
    ):
        data = response.get_data()
        if len(data) > 1024:
            response.set_data(gzip.compress(data, compresslevel=6))
            response.headers["Content-Encoding"] = "gzip"
            response.headers.add("Vary", "Accept-Encoding")


class StaticFiles:
    """The built SPA, gzip-compressed on the fly (cached), long-cached where hashed."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._gzipped: dict[tuple[str, float], bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        relative = request.path.lstrip("/") or "index.html"
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            if "." in relative.rsplit("/", 1)[-1]:
                return Response("Not found", status=404, content_type="text/plain")
            path = self._root / "index.html"  # hash routing: every page is the one document
        if not path.is_file():
            return Response(
                "The front end is not built yet: run `make dev` (or `make frontend`).",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        data = path.read_bytes()
        response = Response(content_type=content_type)
        hashed = relative.startswith("assets/")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if hashed else "no-cache"
        )
        response.headers["Vary"] = "Accept-Encoding"
        if (
            "gzip" in request.headers.get("Accept-Encoding", "")
            and content_type.startswith(COMPRESSIBLE)
            and len(data) > 256
        ):
            data = self._gzip(path, data)
            response.headers["Content-Encoding"] = "gzip"
        response.set_data(data)
        return response

    def _gzip(self, path: Path, data: bytes) -> bytes:
        key = (str(path), path.stat().st_mtime)
        with self._lock:
            cached = self._gzipped.get(key)
            if cached is None:
                cached = self._gzipped[key] = gzip.compress(data, compresslevel=9, mtime=0)
            return cached


class LocalSite:
    def __init__(
        self,
        api: ApiGateway,
        static: StaticFiles,
        runtime_config: dict[str, Any],
        outbox: Callable[[], list[dict[str, Any]]],
        run_job: Callable[[str], dict[str, Any]],
        content_security_policy: str,
        pause_scheduler: Callable[[bool], None] = lambda paused: None,
        sms_provider: Callable[[Request], Response] | None = None,
        received: Callable[[], dict[str, list[dict[str, Any]]]] = lambda: {},
    ) -> None:
        self._api = api
        self._static = static
        self._config = runtime_config
        self._outbox = outbox
        self._run_job = run_job
        self._csp = content_security_policy
        self._pause = pause_scheduler
        self._sms_provider = sms_provider
        self._received = received

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", self._csp)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/api" or path.startswith("/api/"):
            return self._api(request, path[len("/api") :] or "/")
        if path.startswith("/open311/"):
            return self._api(request, path)  # CloudFront maps /open311/* the same way
        if path == "/config.json":
            response = Response(json.dumps(self._config), content_type="application/json")
            response.headers["Cache-Control"] = "no-cache"
            return response
        if path == "/dev/outbox":
            return self._outbox_page(request)
        if path == "/dev/received.json":
            return Response(
                json.dumps(self._received(), ensure_ascii=False), content_type="application/json"
            )
        if path.rstrip("/") == "/dev/aliyun-sms" and self._sms_provider is not None:
            # The China profile's stand-in for Alibaba Cloud SMS (dysmsapi.aliyuncs.com).
            return self._sms_provider(request)
        if path.startswith("/dev/webhooks/") and request.method == "POST":
            # Work-chat robots "receive" here locally; the outbox shows what they got.
            return Response('{"errcode":0,"code":0}', content_type="application/json")
        if path == "/dev/scheduler" and request.method == "POST":
            paused = request.args.get("paused") == "true"
            self._pause(paused)
            return Response(json.dumps({"paused": paused}), content_type="application/json")
        if path.startswith("/dev/jobs/") and request.method == "POST":
            name = path.rsplit("/", 1)[1]
            if name not in ("dispatch", "metrics"):
                return Response("Unknown job", status=404)
            result = self._run_job(name)
            if request.form.get("back") == "outbox":
                # The outbox page's buttons come back to it, saying what the job did.
                done = urllib.parse.urlencode({"ran": name, "report": json.dumps(result)})
                return Response(status=303, headers={"Location": f"/dev/outbox?{done}"})
            return Response(json.dumps(result), content_type="application/json")
        if request.method not in ("GET", "HEAD"):
            return Response("Method not allowed", status=405)
        return self._static(request)

    def _outbox_page(self, request: Request) -> Response:
        messages = self._outbox()
        pages = max(1, -(-len(messages) // OUTBOX_PAGE_SIZE))
        wanted = request.args.get("page", "1")
        number = min(int(wanted), pages) if wanted.isascii() and wanted.isdigit() else 1
        number = max(number, 1)
        shown = messages[(number - 1) * OUTBOX_PAGE_SIZE : number * OUTBOX_PAGE_SIZE]
        rows = []
        for message in shown:
            message = {**message, "at": china_time(str(message.get("at", "")))}
            cells = {
                k: html.escape(str(message.get(k, "")))
                for k in (
                    "at",
                    "channel",
                    "to",
                    "subject",
                    "body",
                    "status",
                    "case",
                    "link",
                    "template",
                    "params",
                )
            }
            anchor = f'<a href="{cells["link"]}" data-testid="action-link">'
            link = f"{anchor}打开办理链接 Open action link</a>" if message.get("link") else ""
            template = (
                f'<p class="template">模板 Template {cells["template"]} {cells["params"]}</p>'
                if message.get("params")
                else ""
            )
            rows.append(
                f'<tr data-case="{cells["case"]}"><td>{cells["at"]}</td><td>{cells["channel"]}</td>'
                f"<td>{cells['to']}</td><td>{cells['status']}</td><td><b>{cells['subject']}</b>"
                f"<pre>{cells['body']}</pre>{template}{link}</td></tr>"
            )
        empty = (
            '<p class="empty">还没有发出任何邮件、短信或机器人消息。Nothing has been sent yet.</p>'
        )
        paging = (
            f'<p class="paging" data-testid="outbox-paging">共 {len(messages)} 条 · 第 {number}/{pages} 页 '
            f"{len(messages)} messages · page {number} of {pages} "
            + (f'<a href="/dev/outbox?page={number - 1}">← 较新 Newer</a> ' if number > 1 else "")
            + (
                f'<a href="/dev/outbox?page={number + 1}">较早 Older →</a>'
                if number < pages
                else ""
            )
            + "</p>"
        )
        ran = ""
        if request.args.get("ran") in ("dispatch", "metrics"):
            job = {"dispatch": "派单任务 Dispatch tick", "metrics": "夜间统计 Nightly metrics"}
            ran = (
                f'<p class="ran" role="status" data-testid="job-ran">已运行 {job[request.args["ran"]]}'
                f"：<code>{html.escape(request.args.get('report', ''))}</code></p>"
            )
        table = (
            (
                "<table><thead><tr><th>时间 Time</th><th>渠道 Channel</th><th>收件人 To</th>"
                "<th>状态 Status</th><th>内容 Message</th></tr></thead><tbody>"
                + "".join(rows)
                + "</tbody></table>"
            )
            if rows
            else empty
        )
        table = paging + table if rows else table
        page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>开发发件箱 · Dev outbox — Whistle</title>
<style>
body{{font-family:system-ui,"WenQuanYi Micro Hei",sans-serif;margin:1.5rem;color:#1f2329}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #dcdfe6;padding:.4rem;
vertical-align:top;text-align:left}}pre{{white-space:pre-wrap;margin:0}}
.empty{{color:#646a73}}form{{display:inline-block;margin-right:.5rem}}
.template{{margin:.3rem 0 0;color:#646a73;font-size:.9em}}h2{{margin-top:2rem}}
.ran{{padding:.5rem .8rem;background:#eef6ee;border-radius:6px}}.paging a{{margin-left:.6rem}}
</style></head><body>
<h1>开发发件箱 <small>Dev outbox</small></h1>
<p>本地环境“发出”的每一封邮件、每一条短信和机器人消息，最新的在前，时间为北京时间。仅用于本地开发。<br>
Every email, SMS and webhook the local stack “sent”, newest first, in China time (UTC+8).
Local development only.</p>
{ran}
<p><form method="post" action="/dev/jobs/dispatch"><input type="hidden" name="back" value="outbox">
<button>运行派单任务 Run dispatch tick</button></form>
<form method="post" action="/dev/jobs/metrics"><input type="hidden" name="back" value="outbox">
<button>运行夜间统计 Run nightly metrics</button></form>
<a href="/">返回首页 Back to Whistle</a></p>
{table}
{self._received_sections()}
</body></html>"""
        response = Response(page, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        return response

    def _received_sections(self) -> str:
        """The China profile: what the SMS provider's stand-in and the SMTP sink received."""
        received = self._received()
        if not received:
            return ""
        e = html.escape
        sms_rows = "".join(
            f'<tr data-testid="sms-received" data-template-code="{e(r["template_code"])}">'
            f"<td>{e(china_time(r['at']))}</td><td>{e(r['phone'])}</td><td>{e(r['sign_name'])}</td>"
            f"<td>{e(r['template_code'])}</td>"
            f'<td data-testid="sms-params">{e(json.dumps(r["params"], ensure_ascii=False))}</td>'
            f"<td>{e(r['text'])}</td></tr>"
            for r in received.get("sms", [])
        )
        mail_rows = "".join(
            f'<tr data-testid="mail-received"><td>{e(china_time(r["at"]))}</td><td>{e(r["from"])}</td>'
            f"<td>{e(', '.join(r['to']))}</td><td><b>{e(r['subject'])}</b>"
            f"<pre>{e(r['body'])}</pre></td></tr>"
            for r in received.get("mail", [])
        )
        nothing = '<p class="empty">还没有收到。Nothing received yet.</p>'
        sms = (
            "<table><thead><tr><th>时间 Time</th><th>手机 Phone</th><th>签名 Signature</th>"
            "<th>模板 Template code</th><th>参数 Parameters</th><th>短信 Text</th></tr></thead>"
            f"<tbody>{sms_rows}</tbody></table>"
            if sms_rows
            else nothing
        )
        mail = (
            "<table><thead><tr><th>时间 Time</th><th>发件人 From</th><th>收件人 To</th>"
            f"<th>邮件 Message</th></tr></thead><tbody>{mail_rows}</tbody></table>"
            if mail_rows
            else nothing
        )
        return (
            "<h2>短信平台收到的请求 <small>Received by the SMS provider (local Alibaba Cloud "
            f"SMS stand-in)</small></h2>{sms}"
            "<h2>SMTP 收件箱 <small>Received by the SMTP sink</small></h2>"
            f"{mail}"
        )
