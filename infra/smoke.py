"""`make smoke URL=…`: is a running Whistle whole? What a resident's phone and the jobs touch,
tried once each, from outside, through the site's own address:

- the SPA and its config.json load;
- /api/health answers and /api/health/ready finds every dependency (tables, photo bucket,
  secrets, the registry read past its cache);
- the registry and the Open311 service list answer;
- a photo upload is presigned and the photo goes up to the bucket;
- the dispatch and nightly jobs run and report no errors (the local stack's /dev/jobs, or the
  stage's Lambda functions with the caller's AWS credentials).

It files no report, on any stage: nothing a district clerk would see. What it makes is one
photo under incoming/, which the bucket's lifecycle rule removes within two days.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TIMEOUT = 30
# The smallest file S3 and the upload policy take as a JPEG: start- and end-of-image markers.
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class SmokeFailure(Exception):
    """A check found the site not whole; the message says what it saw."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise SmokeFailure(f"HTTP {self.status}, not JSON: {self.body[:120]!r}") from None


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SmokeFailure(f"{url}: only http and https addresses are checked")
    sent = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(sent, timeout=TIMEOUT) as response:  # noqa: S310
            return Answer(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), dict(error.headers))
    except (urllib.error.URLError, OSError) as error:
        raise SmokeFailure(f"{url}: {getattr(error, 'reason', error)}") from None


def expect(answer: Answer, *statuses: int) -> Answer:
    if answer.status not in statuses:
        raise SmokeFailure(f"HTTP {answer.status}: {answer.body[:200]!r}")
    return answer


# -- the checks ------------------------------------------------------------------------------


def spa(site: str) -> str:
    page = expect(request(f"{site}/"), 200)
    if b'id="app"' not in page.body:
        raise SmokeFailure("the page is not the SPA's index.html")
    config = expect(request(f"{site}/config.json"), 200).json()
    if not isinstance(config, dict) or "api" not in config:
        raise SmokeFailure(f"config.json has no api: {config}")
    return f"index.html and config.json (stage {config.get('stage')})"


def health(site: str) -> str:
    body = expect(request(f"{site}/api/health"), 200).json()
    if body != {"status": "ok"}:
        raise SmokeFailure(f"unexpected answer {body}")
    return "ok"


def ready(site: str) -> str:
    answer = request(f"{site}/api/health/ready")
    body = answer.json()
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    failed = sorted(name for name, state in checks.items() if state != "ok")
    if answer.status != 200 or failed or not checks:
        raise SmokeFailure(
            f"not ready (HTTP {answer.status}): {', '.join(failed) or body} failed; the API's "
            "log says why, under the X-Request-Id of this answer: "
            f"{answer.headers.get('X-Request-Id', '?')}"
        )
    return ", ".join(sorted(checks))


def registry(site: str) -> str:
    body = expect(request(f"{site}/api/registry"), 200).json()
    categories = body.get("categories") if isinstance(body, dict) else None
    if not categories:
        raise SmokeFailure("the registry has no categories: load it (whistle first-run)")
    return f"{len(categories)} categories"


def open311(site: str) -> str:
    body = expect(request(f"{site}/open311/v2/services.json"), 200).json()
    if not isinstance(body, list) or not body:
        raise SmokeFailure(f"no services: {body}")
    return f"{len(body)} services"


def upload(site: str) -> str:
    ticket = expect(
        request(
            f"{site}/api/uploads",
            json.dumps({"content_type": "image/jpeg", "size": len(PHOTO)}).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": f"smoke-{uuid.uuid4()}"},
        ),
        201,
    ).json()
    body, content_type = multipart(ticket["fields"], PHOTO)
    stored = request(ticket["url"], body, {"Content-Type": content_type})
    if stored.status not in (200, 201, 204):
        raise SmokeFailure(f"the bucket refused the photo: HTTP {stored.status}")
    return f"presigned and stored ({ticket['key']})"


def multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# -- the jobs ----------------------------------------------------------------------------------

JobRunner = Callable[[str], dict[str, Any]]


def local_jobs(site: str) -> JobRunner:
    def run(job: str) -> dict[str, Any]:
        name = {"dispatch": "dispatch", "nightly": "metrics"}[job]
        report: dict[str, Any] = expect(request(f"{site}/dev/jobs/{name}", b""), 200).json()
        return report

    return run


def scheduled_event(region: str | None) -> bytes:
    """What EventBridge hands a scheduled function (Chalice reads every field)."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region or "",
        "resources": [],
        "detail": {"smoke": True},
    }
    return json.dumps(event).encode()


def lambda_jobs(stage: str, region: str | None) -> JobRunner:
    import boto3

    from .merge import function_name

    client = boto3.client("lambda", region_name=region)

    def run(job: str) -> dict[str, Any]:
        logical_id = {"dispatch": "DispatchTick", "nightly": "NightlyMetrics"}[job]
        answer = client.invoke(
            FunctionName=function_name(stage, logical_id), Payload=scheduled_event(region)
        )
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise SmokeFailure(f"the function failed: {str(payload)[:300]}")
        return dict(payload)

    return run


def jobs(run: JobRunner) -> Callable[[str], str]:
    def dispatch(site: str) -> str:
        report = run("dispatch")
        if report.get("errors"):
            raise SmokeFailure(f"the dispatch job reports {report['errors']} error(s): {report}")
        return f"sent {report.get('sent', 0)}, dead {report.get('dead', 0)}, errors 0"

    return dispatch


def nightly(run: JobRunner) -> Callable[[str], str]:
    def check(site: str) -> str:
        report = run("nightly")
        if report.get("finished") != 1:
            raise SmokeFailure(f"the nightly job did not finish: {report}")
        return f"counted {report.get('day')}"

    return check


def is_local(site: str) -> bool:
    return urllib.parse.urlsplit(site).hostname in LOCAL_HOSTS


def smoke(site: str, stage: str | None = None, region: str | None = None, out: Any = None) -> bool:
    """Run every check against `site`, printing one line each; True when all pass."""
    site = site.rstrip("/")
    if is_local(site):
        runner = local_jobs(site)
    elif stage:
        runner = lambda_jobs(stage, region)
    else:
        raise SmokeFailure("say which stage runs the jobs: make smoke URL=… STAGE=prod")
    checks: list[tuple[str, Callable[[str], str]]] = [
        ("spa", spa),
        ("health", health),
        ("ready", ready),
        ("registry", registry),
        ("open311", open311),
        ("upload", upload),
        ("dispatch job", jobs(runner)),
        ("nightly job", nightly(runner)),
    ]
    passed = True
    for name, check in checks:
        try:
            detail = check(site)
        except SmokeFailure as failure:
            passed = False
            print(f"FAIL {name}: {failure}", file=out, flush=True)
        else:
            print(f"ok   {name}: {detail}", file=out, flush=True)
    print(f"smoke: {site} {'is whole' if passed else 'is NOT whole'}", file=out, flush=True)
    return passed
