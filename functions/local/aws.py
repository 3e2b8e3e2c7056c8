"""The in-process moto server: DynamoDB, S3, SES and SNS on one local port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import requests

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class SerialisedApp:
    """Serve moto requests one at a time, recorder endpoints excepted.

    moto's recorder appends to its log without a lock, so concurrent requests interleave
    (and corrupt) lines and reorder generated ids; the replay endpoint itself must stay
    outside the lock because it calls back into this server.
    """

    def __init__(self, app: Callable[[Environ, StartResponse], Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/moto-api/recorder/"):
            return self._app(environ, start_response)
        with self._lock:
            result = self._app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]


class MotoServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # Imported here: moto reads MOTO_ENABLE_RECORDING when it is first imported.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from . import moto_speed

        moto_speed.install()
        app = SerialisedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def seed(self, value: int) -> None:
        requests.post(f"{self.url}/moto-api/seed?a={value}", timeout=30).raise_for_status()

    def replay(self) -> bool:
        """Replay the recording; False when its last line was unusable (what came before it
        is applied regardless)."""
        response = requests.post(f"{self.url}/moto-api/recorder/replay-recording", timeout=600)
        return response.status_code == 200
