"""Fetching a 311 client's `media_url` from the server, without becoming a way into the
network it runs in (SSRF): only https (http in local mode), only public addresses — checked
after DNS resolution and for every redirect, and the connection is made to the very address
that was checked, so a name that resolves differently a moment later cannot slip through —
only images, within a size and a time limit."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from ..ports import FetchedMedia, MediaRefused

Resolver = Callable[[str, int], list[str]]
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable: not private, loopback, link-local (169.254.169.254, the cloud
    metadata service, among them), shared, reserved or multicast."""
    return address.is_global and not address.is_multicast


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate verified for the name."""

    def __init__(
        self, name: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._name = name
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._name)


class SafeFetcher:
    def __init__(
        self,
        content_types: frozenset[str],
        max_bytes: int,
        *,
        allow_http: bool = False,
        resolver: Resolver = system_resolver,
        allowed: Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool] = public_address,
        timeout: float = 10.0,
        max_redirects: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._types = content_types
        self._max_bytes = max_bytes
        self._allow_http = allow_http
        self._resolve = resolver
        self._allowed = allowed
        self._timeout = timeout
        self._max_redirects = max_redirects
        self._clock = clock

    def fetch(self, url: str) -> FetchedMedia:
        deadline = self._clock() + self._timeout
        for _ in range(self._max_redirects + 1):
            connection, response = self._open(url, deadline)
            try:
                if response.status in REDIRECTS:
                    location = response.getheader("Location")
                    if not location:
                        raise MediaRefused("fetch_failed", "A redirect without a Location.")
                    url = urljoin(url, location)
                    continue
                return self._body(response, deadline)
            finally:
                connection.close()
        raise MediaRefused("too_many_redirects", "media_url redirects too many times.")

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST to a public address under the same rules (a client's callback); a redirect is
        not followed. MediaRefused "no_answer" when the request went out and no answer came."""
        deadline = self._clock() + self._timeout
        connection, response = self._open(url, deadline, "POST", body, headers)
        try:
            return response.status, response.read(CHUNK)
        except (OSError, http.client.HTTPException):
            raise MediaRefused("no_answer", "The answer could not be read.") from None
        finally:
            connection.close()

    def _open(
        self,
        url: str,
        deadline: float,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        parts = urlsplit(url)
        schemes = ("https", "http") if self._allow_http else ("https",)
        if parts.scheme not in schemes or not parts.hostname:
            raise MediaRefused("insecure_url", "The URL must be an https URL.")
        if parts.username or parts.password:
            raise MediaRefused("insecure_url", "The URL must not carry a user or password.")
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = self._resolve(host, port)
        except (OSError, ValueError):
            raise MediaRefused("unresolvable", f"The name {host} does not resolve.") from None
        checked = [ipaddress.ip_address(a.split("%")[0]) for a in addresses]
        if not checked or not all(self._allowed(a) for a in checked):
            raise MediaRefused(
                "private_address",
                f"{host} resolves to a private, loopback or link-local address.",
            )
        address = str(checked[0])
        remaining = self._remaining(deadline)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context()
            connection = _PinnedHttps(host, address, port, remaining, context)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=remaining)
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        default_port = port == (443 if parts.scheme == "https" else 80)
        try:
            connection.connect()
        except OSError:
            connection.close()
            raise MediaRefused("fetch_failed", f"Could not connect to {host}.") from None
        try:
            connection.request(
                method,
                target,
                body=body,
                headers={
                    "Host": host if default_port else f"{host}:{port}",
                    "Accept": ", ".join(sorted(self._types)),
                    "User-Agent": "Whistle-Open311/1",
                    **(headers or {}),
                },
            )
            return connection, connection.getresponse()
        except (OSError, http.client.HTTPException):
            connection.close()
            raise MediaRefused("no_answer", f"{host} sent no answer.") from None

    def _body(self, response: http.client.HTTPResponse, deadline: float) -> FetchedMedia:
        if response.status != 200:
            raise MediaRefused("fetch_failed", f"media_url answered HTTP {response.status}.")
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in self._types:
            raise MediaRefused("not_an_image", "media_url is not a JPEG, PNG or WebP image.")
        too_large = MediaRefused(
            "too_large", f"media_url is larger than {self._max_bytes // (1024 * 1024)} MB."
        )
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > self._max_bytes:
                    raise too_large
                self._remaining(deadline)
                chunks.append(chunk)
        except (OSError, http.client.HTTPException):
            raise MediaRefused("fetch_failed", "media_url could not be read.") from None
        return FetchedMedia(b"".join(chunks), content_type)

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise MediaRefused("too_slow", "media_url took too long to fetch.")
        return remaining
