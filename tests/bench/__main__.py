"""`make bench`: measure the budgets of DESIGN §9 and write BENCHMARKS.md.

    .venv/bin/python -m tests.bench            # everything (several minutes)
    .venv/bin/python -m tests.bench --quick    # smaller history, fewer runs: a smoke test

Every section runs even when another fails; a failed section is written into the report as
such and the command exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .paths import BUILD, REPORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--quick", action="store_true", help="smaller and fewer: a smoke test")
    parser.add_argument("--output", default=str(REPORT), help="where to write the report")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="write the report again from the last run's build/bench/results.json",
    )
    args = parser.parse_args(argv)
    if args.render_only:
        from .report import render

        last = json.loads((BUILD / "results.json").read_text())
        Path(args.output).write_text(render(last), encoding="utf-8")
        print(f"bench: wrote {args.output} from {BUILD / 'results.json'}")
        return 1 if last["errors"] else 0
    quick = args.quick
    settings = {
        "history": [1_000, 10_000] if quick else [10_000, 100_000],
        "job_runs": 5 if quick else 21,
        "intake_rounds": 60 if quick else 300,
        "import_runs": 5 if quick else 21,
        "lighthouse_runs": 1 if quick else 3,
        "quick": quick,
    }
    BUILD.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "settings": settings,
        "errors": {},
        "seconds": {},
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }

    def section(name: str, run: Callable[[], Any]) -> None:
        print(f"bench: {name}…", flush=True)
        started = time.perf_counter()
        try:
            results[name] = run()
        except Exception as error:  # reported, and the run carries on with the next section
            results["errors"][name] = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        results["seconds"][name] = time.perf_counter() - started

    from . import duplicates, history, imports, lists, nearby, operations, web
    from .machine import describe

    section("machine", describe)
    section("operations", lambda: operations.count_requests())
    section(
        "intake_timing",
        lambda: [
            operations.time_intake_against_bare_write(False, settings["intake_rounds"]),
            operations.time_intake_against_bare_write(True, settings["intake_rounds"]),
        ],
    )
    section(
        "history",
        lambda: history.jobs_at_history_sizes(settings["history"], settings["job_runs"]),
    )
    section(
        "nearby",
        lambda: nearby.reads_at_history_sizes(settings["history"], settings["job_runs"]),
    )
    section("duplicates", lambda: [vars(q) for q in duplicates.measure()])
    section(
        "lists",
        lambda: lists.lists_at_history_sizes(settings["history"], 3 if quick else 5),
    )
    section("package", lambda: imports.package_and_imports(settings["import_runs"]))
    section("web", lambda: web.measure_web(settings["lighthouse_runs"], BUILD / "lighthouse"))
    section("cost", lambda: cost_from(results))

    (BUILD / "results.json").write_text(
        json.dumps(results, indent=1, ensure_ascii=False, default=str)
    )
    from .report import render

    text = render(results)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"bench: wrote {args.output}")
    if results["errors"]:
        print(f"bench: sections failed: {', '.join(results['errors'])}", file=sys.stderr)
        return 1
    return 0


def cost_from(results: dict[str, Any]) -> dict[str, Any]:
    from infra.package import ROOT

    from .cost import estimate

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    functions = config["stages"]["prod"].get("lambda_functions", {})
    memory = {
        "api": functions.get("api_handler", {}).get("lambda_memory_size", 128),
        "dispatch": functions.get("dispatch_tick", {}).get("lambda_memory_size", 128),
        "metrics": functions.get("nightly_metrics", {}).get("lambda_memory_size", 128),
    }
    timing = None
    for measured in results.get("intake_timing") or []:
        if "HTTP" in measured["backend"]:
            timing = measured
    report_load = None
    report_files = None
    for load in (results.get("web") or {}).get("first_loads", []):
        if load["path"] == "/":
            report_load, report_files = load["gzip_kb"], len(load["files"])
    template = json.loads((BUILD / "package" / "template.json").read_text())
    alarm_metrics = sum(
        len(r["Properties"].get("Metrics", [])) - 1 if "Metrics" in r["Properties"] else 1
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    )
    return estimate(results["operations"], timing, report_load, report_files, memory, alarm_metrics)


if __name__ == "__main__":
    sys.exit(main())
