"""The SPA in Chromium against the real local stack (which, like CloudFront, compresses):
first-load gzip KB per page, dashboard code on resident pages, the production
Content-Security-Policy, axe violations per page, and Lighthouse for the pages that have a
Lighthouse budget.

The pages measured are listed in `PAGES`. A page whose route router.js does not declare yet
is reported as "not built yet", never estimated. Staff pages are opened signed in: the
local stack's sample account signs in through the API as the SPA does, and its tokens are
put into the tab's session storage before the SPA starts."""

from __future__ import annotations

import gzip
import json
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

from infra.cfn import load_yaml

from .paths import ROOT, TOOLS

DIST = ROOT / "frontend" / "dist"
ROUTER = ROOT / "frontend" / "src" / "router.js"
DASHBOARD = re.compile(r"dashboard|district|echarts", re.IGNORECASE)
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices")
STAFF_SESSION_KEY = "whistle.staff"  # where frontend/src/staff/auth.js keeps the tokens


@dataclass(frozen=True)
class Page:
    """One page the benchmark opens: its route, who it is for, the local sample account it
    is opened as (None: signed out), and whether Lighthouse runs on it (DESIGN §9 budgets
    Lighthouse for the report page and the dashboard)."""

    name: str
    path: str
    audience: str
    account: str | None = None
    lighthouse: bool = False


PAGES = (
    Page("report", "/", "resident", lighthouse=True),
    Page("submitted", "/submitted/:code", "resident"),
    Page("mine", "/mine", "resident"),
    Page("case", "/case/:code", "resident"),
    Page("phone sign-in", "/me", "resident"),
    Page("dashboard", "/district/dashboard", "district", "district.admin", lighthouse=True),
)


def spa_routes() -> list[str]:
    """The paths router.js declares (the catch-all left out)."""
    text = ROUTER.read_text()
    return [
        match.group(1)
        for match in re.finditer(r"\{\s*path:\s*'([^']+)'", text)
        if "pathMatch" not in match.group(1)
    ]


def built(page: Page) -> bool:
    return page.path in spa_routes()


def as_route(page: Page) -> dict[str, Any]:
    return {"path": page.path, "name": page.name, "audience": page.audience}


def gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)) / 1024


@contextmanager
def running_stack() -> Iterator[Any]:
    from tests.e2e.conftest import free_port_pair, start_stack

    with tempfile.TemporaryDirectory() as scratch:
        stack = start_stack(Path(scratch) / "data", free_port_pair(), "bench-stack.log")
        try:
            yield stack
        finally:
            stack.stop()


@contextmanager
def chromium() -> Iterator[tuple[Any, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser, playwright
        finally:
            browser.close()


def a_case(stack: Any) -> dict[str, Any]:
    from .operations import REPORT, new_key

    response = requests.post(
        f"{stack.url}/api/cases",
        headers={"Idempotency-Key": new_key()},
        json=REPORT,
        timeout=30,
    )
    response.raise_for_status()
    return dict(response.json())


def route_url(stack: Any, page: Page, case: dict[str, Any]) -> str:
    path = page.path.replace(":code", case["code"])
    return f"{stack.url}/#{path}"


def staff_session(stack: Any, username: str) -> str:
    """The session-storage value the SPA writes after signing `username` in (auth.js)."""
    from functions.local.stack import SAMPLE_PASSWORD
    from tests.e2e.conftest import staff_tokens

    tokens = staff_tokens(stack.url, username, SAMPLE_PASSWORD)
    return json.dumps(
        {
            "username": username,
            "access": tokens["access_token"],
            "refresh": tokens["refresh_token"],
            "expiresAt": int(time.time() * 1000) + int(tokens["expires_in"]) * 1000,
        }
    )


def storage_for(stack: Any, page: Page) -> dict[str, str]:
    return {STAFF_SESSION_KEY: staff_session(stack, page.account)} if page.account else {}


def fill_storage(context: Any, storage: dict[str, str]) -> None:
    for key, value in storage.items():
        context.add_init_script(
            f"window.localStorage.setItem({json.dumps(key)}, {json.dumps(value)});"
        )


def landed(page_url: str, page: Page) -> bool:
    """Whether the SPA shows the page asked for (a staff page signed out goes to sign-in)."""
    fragment = urlparse(page_url).fragment.split("?", 1)[0]
    prefix = page.path.split("/:", 1)[0]
    return fragment == page.path or (prefix != "/" and fragment.startswith(prefix))


def production_csp(local_aws: str) -> str:
    """The Content-Security-Policy of the CloudFront response-headers policy, with the photo
    bucket and the sign-in endpoint standing at the local AWS."""
    stack = load_yaml(ROOT / "infra" / "stack.yaml")
    policy = stack["Resources"]["SecurityHeadersPolicy"]["Properties"]
    value = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    template, variables = value["ContentSecurityPolicy"]["Fn::Sub"]
    for name in variables:
        template = template.replace(f"${{{name}}}", local_aws)
    return " ".join(template.split())


def first_loads(
    stack: Any, browser: Any, playwright: Any, case: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every HTML/JS/CSS file each route's first load fetches (idle-time prefetching of other
    pages turned off), as gzip -9 KB, plus CSP violations under the production policy."""
    csp = production_csp(stack.aws_endpoint)
    origin = urlparse(stack.url).netloc
    results = []
    for route in [p for p in PAGES if built(p)]:
        context = playwright_context(browser, playwright)
        fill_storage(context, storage_for(stack, route))
        # The report page prefetches the other resident pages once the phone is idle; that is
        # not part of what the route needs to show itself.
        context.add_init_script("window.requestIdleCallback = () => 0;")
        context.add_init_script(LAYOUT_SHIFTS)
        page = context.new_page()
        fetched: list[str] = []
        violations: list[str] = []
        page.on("request", lambda r, fetched=fetched: fetched.append(r.url))
        page.on(
            "console",
            lambda m, violations=violations: (
                violations.append(m.text)
                if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
                else None
            ),
        )

        def with_csp(route_: Any) -> None:
            response = route_.fetch()
            route_.fulfill(
                response=response,
                headers={**response.headers, "content-security-policy": csp},
            )

        page.route(lambda url: urlparse(url).path in ("", "/", "/index.html"), with_csp)
        throttle(context, page)
        page.goto(route_url(stack, route, case), wait_until="networkidle")
        page.wait_for_timeout(300)
        shown = landed(page.url, route)
        shifts = page.evaluate("window.__shifts")
        registry_ms = page.evaluate(
            "(performance.getEntriesByType('resource').find(e => e.name.endsWith('/api/registry'))"
            " || {}).responseEnd || null"
        )
        files = []
        for url in dict.fromkeys(fetched):
            parsed = urlparse(url)
            if parsed.netloc != origin:
                continue
            if parsed.path in ("", "/"):
                files.append(DIST / "index.html")
            elif parsed.path.endswith((".js", ".css")):
                files.append(DIST / parsed.path.lstrip("/"))
        context.close()
        results.append(
            {
                **as_route(route),
                "shown": shown,
                "files": [f.name for f in files],
                "gzip_kb": sum(gzip_kb(f) for f in files),
                "dashboard_files": [f.name for f in files if DASHBOARD.search(f.name)],
                "csp_violations": violations,
                "layout_shift": sum(s["value"] for s in shifts),
                "shifts": shifts[:5],
                "registry_answered_ms": round(registry_ms) if registry_ms else None,
            }
        )
    return results


# What moved while the page loaded, and how far: the why behind a layout-shift score.
LAYOUT_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shifts.push({
      value: entry.value,
      at_ms: Math.round(entry.startTime),
      sources: (entry.sources || []).slice(0, 3).map((s) => ({
        node: s.node ? (s.node.nodeName.toLowerCase() +
          (s.node.className && typeof s.node.className === 'string'
            ? '.' + s.node.className.trim().split(/\\s+/).join('.') : '')) : '?',
        dy: Math.round(s.currentRect.y - s.previousRect.y),
        dh: Math.round(s.currentRect.height - s.previousRect.height),
      })),
    });
  }
}).observe({ type: 'layout-shift', buffered: true });
"""


def throttle(context: Any, page: Any) -> None:
    """Roughly the phone Lighthouse emulates (4× slower CPU, a mobile network's latency), so
    what shifts under Lighthouse shifts here too, where it can be traced to an element."""
    session = context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 150,
            "downloadThroughput": 1.6 * 1024 * 1024 / 8,
            "uploadThroughput": 750 * 1024 / 8,
        },
    )


def playwright_context(browser: Any, playwright: Any, bypass_csp: bool = False) -> Any:
    context = browser.new_context(
        **playwright.devices["Pixel 5"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(30_000)
    return context


def after_idle(stack: Any, browser: Any, playwright: Any) -> float:
    """The report page with its idle-time prefetch: what a phone holds a few seconds later."""
    context = playwright_context(browser, playwright)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(urlparse(r.url).path))
    page.goto(f"{stack.url}/#/", wait_until="networkidle")
    page.wait_for_timeout(4000)
    context.close()
    files = [DIST / "index.html"] + [
        DIST / p.lstrip("/") for p in dict.fromkeys(fetched) if p.endswith((".js", ".css"))
    ]
    return sum(gzip_kb(f) for f in files)


def axe_per_page(
    stack: Any, browser: Any, playwright: Any, case: dict[str, Any]
) -> list[dict[str, Any]]:
    script = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
    results = []
    for route in [p for p in PAGES if built(p)]:
        # The local stack serves the production Content-Security-Policy, which (rightly)
        # refuses the axe script the benchmark injects: bypass it for this measurement only.
        context = playwright_context(browser, playwright, bypass_csp=True)
        fill_storage(context, storage_for(stack, route))
        page = context.new_page()
        page.goto(route_url(stack, route, case), wait_until="networkidle")
        page.wait_for_timeout(500)
        shown = landed(page.url, route)
        page.add_script_tag(path=str(script))
        report = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
            " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        context.close()
        results.append({**as_route(route), "shown": shown, "violations": report})
    return results


def lighthouse(
    url: str, runs: int, out: Path, storage: dict[str, str] | None = None
) -> dict[str, Any]:
    """Median scores of `runs` Lighthouse runs: its command line for a signed-out page; for a
    page that needs session storage (a signed-in staff page), tools/lighthouse-page.mjs."""
    cli = TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    scores: dict[str, list[float]] = {c: [] for c in LIGHTHOUSE_CATEGORIES}
    metrics: dict[str, list[float]] = {}
    version = ""
    long_tasks: list[dict[str, Any]] = []
    out.mkdir(parents=True, exist_ok=True)
    for run in range(runs):
        report_path = out / f"lighthouse-{run}.json"
        command = [
            "node",
            str(cli),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report_path}",
            f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
            f"--chrome-flags={flags}",
            "--max-wait-for-load=60000",
        ]
        if storage:
            command = [
                "node",
                str(TOOLS / "lighthouse-page.mjs"),
                url,
                str(report_path),
                chromium_path(),
                json.dumps(storage),
                json.dumps(CHROMIUM_ARGS),
            ]
        subprocess.run(
            command,
            env={**_env(), "CHROME_PATH": chromium_path()},
            check=True,
            capture_output=True,
            timeout=300,
        )
        report = json.loads(report_path.read_text())
        version = report["lighthouseVersion"]
        final_url = report.get("finalDisplayedUrl") or report.get("finalUrl") or url
        for category in LIGHTHOUSE_CATEGORIES:
            scores[category].append(report["categories"][category]["score"] * 100)
        for audit in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
        ):
            metrics.setdefault(audit, []).append(report["audits"][audit]["numericValue"])
        # The main thread's long tasks of the last run, by script: what total blocking time is made of.
        long_tasks = [
            {
                "script": urlparse(str(task.get("url", ""))).path.rsplit("/", 1)[-1]
                or str(task.get("url") or "the document"),
                "ms": round(float(task.get("duration", 0))),
            }
            for task in report["audits"].get("long-tasks", {}).get("details", {}).get("items", [])
        ][:6]
        failed = [
            audit_id
            for category in ("accessibility", "best-practices")
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] > 0
            and (audit_id := ref["id"])
            and (report["audits"][audit_id]["score"] is not None)
            and report["audits"][audit_id]["score"] < 1
        ]
    return {
        "url": url,
        "final_url": final_url,
        "version": version,
        "runs": runs,
        "scores": {c: statistics.median(v) for c, v in scores.items()},
        "performance_runs": scores["performance"],
        "long_tasks_last_run": long_tasks,
        "metrics": {m: statistics.median(v) for m, v in metrics.items()},
        "failed_audits_last_run": failed,
    }


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WHISTLE_"))}


def measure_web(lighthouse_runs: int, out: Path) -> dict[str, Any]:
    with running_stack() as stack, chromium() as (browser, playwright):
        case = a_case(stack)
        loads = first_loads(stack, browser, playwright, case)
        idle_kb = after_idle(stack, browser, playwright)
        axe = axe_per_page(stack, browser, playwright, case)
        reports = {}
        for page in PAGES:
            if not (page.lighthouse and built(page)):
                continue
            name = "report page" if page.name == "report" else page.name
            reports[name] = lighthouse(
                route_url(stack, page, case),
                lighthouse_runs,
                out / page.name,
                storage_for(stack, page),
            )
            reports[name]["shown"] = landed(reports[name]["final_url"], page)
    return {
        "pages": [{**as_route(p), "built": built(p), "lighthouse": p.lighthouse} for p in PAGES],
        "first_loads": loads,
        "report_after_idle_kb": idle_kb,
        "axe": axe,
        "lighthouse": reports,
        "dashboard_built": any(p.name == "dashboard" and built(p) for p in PAGES),
    }


def dashboard_lighthouse(runs: int = 3, out: Path | None = None) -> dict[str, Any]:
    """Lighthouse on the district dashboard alone (median of `runs`), as `measure_web` runs it,
    without the rest of the web section:

        .venv/bin/python -c "from tests.bench.web import dashboard_lighthouse as d; print(d())"
    """
    page = next(p for p in PAGES if p.name == "dashboard")
    with running_stack() as stack:
        report = lighthouse(
            f"{stack.url}/#{page.path}",
            runs,
            out or Path(tempfile.mkdtemp(prefix="lighthouse-dashboard-")),
            storage_for(stack, page),
        )
    report["shown"] = landed(report["final_url"], page)
    return report
