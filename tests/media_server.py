"""A web server on 127.0.0.1 that serves what a 311 client's `media_url` might point at, and a
fetcher wired to reach it: names resolve through a table (never DNS), and the server's own
address stands for "the internet" while every other loopback, private or link-local address
is refused as in production. No test traffic leaves the loopback range."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from functions.core.adapters.media_fetch import SafeFetcher, public_address
from functions.core.services.intake import MAX_PHOTO_BYTES, PHOTO_TYPES
from tests.images import photo

SERVER = ipaddress.ip_address("127.0.0.1")
NAMES = {
    "photos.fms.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],  # the cloud metadata service
    "intranet.test": ["10.0.0.7"],
    "router.test": ["192.168.1.1"],
    "loopback.test": ["127.0.0.2"],
    "v6-loopback.test": ["::1"],
    "link-local.test": ["fe80::1"],
}
BIG = 20 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        if self.path == "/photo.jpg":
            self._send(200, "image/jpeg", photo("image/jpeg"))
        elif self.path == "/page.html":
            self._send(200, "text/html; charset=utf-8", b"<html><body>photo</body></html>")
        elif self.path == "/disguised.jpg":
            self._send(200, "image/jpeg", b"<html><body>not a photo</body></html>")
        elif self.path == "/big.jpg":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()  # no length: the fetcher must stop reading by itself
            chunk = b"\xff" * (1024 * 1024)
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the fetcher hung up, as it should
        elif self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", f"http://{self.path[4:]}/latest/meta-data")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, "text/plain", b"no")

    def do_POST(self) -> None:  # a 311 client's callback receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status = self.server.callback_status  # type: ignore[attr-defined]
        if status == 200:
            self.server.received.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self._send(status, "text/plain", b"ok" if status == 200 else b"down")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def media_server() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hits = []  # type: ignore[attr-defined]
    server.received = []  # type: ignore[attr-defined]
    server.callback_status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def resolve(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError(f"{host} is not in the test's table")
    return NAMES[host]


def fetcher(allow_http: bool = True, clock: Callable[[], float] = time.monotonic) -> SafeFetcher:
    return SafeFetcher(
        frozenset(PHOTO_TYPES),
        MAX_PHOTO_BYTES,
        allow_http=allow_http,
        resolver=resolve,
        allowed=lambda address: address == SERVER or public_address(address),
        timeout=5.0,
        clock=clock,
    )


def url(server: Any, path: str, host: str = "photos.fms.test") -> str:
    return f"http://{host}:{server.server_address[1]}{path}"
