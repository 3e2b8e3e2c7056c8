"""Browser tests: the real local stack in a subprocess, driven by Playwright in Debian's
Chromium (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

# Assertions wait as long as actions do: on a loaded two-core machine the first figures of a
# page can take longer than Playwright's default five seconds.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError(
        "Chromium is not installed: `make test` installs it (apt-get install chromium)"
    )


def free_port_pair() -> int:
    """A port P such that P and P+1 (the local AWS) are both free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return int(port)
    raise RuntimeError("no free port pair")


@dataclass
class RunningStack:
    url: str
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def aws_endpoint(self) -> str:
        return str(json.loads((self.data_dir / "stack.json").read_text())["aws_endpoint"])

    def aws(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    # A stack that served a whole test module writes its state on the way out: on a busy
    # machine that has taken more than half a minute.
    def stop(self, sig: int = signal.SIGINT, timeout: float = 120) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)


def start_stack(
    data_dir: Path,
    port: int,
    log_name: str = "stack.log",
    profile: str = "default",
    settings: dict[str, str] | None = None,
) -> RunningStack:
    """`make dev` in a subprocess; `settings` are WHISTLE_* settings of the stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WHISTLE_", "MOTO_"))}
    env.update({"PORT": str(port), "WHISTLE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(settings or {})
    if profile != "default":
        env["WHISTLE_PROFILE"] = profile  # what `WHISTLE_PROFILE=china make dev` sets
    log = data_dir.parent / f"{data_dir.name}-{log_name}"
    handle = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "functions.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                return RunningStack(url, data_dir, port, process, log)
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the local stack did not start: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    data_dir = tmp_path_factory.mktemp("stack") / "data"
    running = start_stack(data_dir, free_port_pair())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield launched, playwright
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A Pixel 5-sized phone context in China's time zone and language."""
    launched, playwright = browser
    context = launched.new_context(
        **playwright.devices["Pixel 5"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        permissions=["geolocation"],
        geolocation={"latitude": 31.6886, "longitude": 118.5108},
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def staff_tokens(url: str, username: str, password: str = "Whistle-2026") -> dict[str, Any]:
    """Sign a (sample) staff account in through the API, as the SPA does."""
    answer = requests.post(
        f"{url}/api/auth/sign-in",
        json={"username": username, "password": password},
        timeout=30,
    )
    answer.raise_for_status()
    tokens = dict(answer.json())
    assert "access_token" in tokens, tokens
    return tokens


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A laptop-sized staff browser."""
    launched, _ = browser
    context = launched.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
