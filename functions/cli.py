"""`whistle`: the project's command line.

whistle dev                      serve the whole product locally (what `make dev` runs)
whistle registry validate FILE   check a registry file, listing every problem
whistle registry load FILE       validate and load a registry file into the tables
whistle staff create-district    the first district account (prints its temporary password)
whistle lists rebuild            once after an upgrade: recount the work lists' tallies
whistle first-run                day one of a stage: the registry, the first district account,
                                 and what to do next
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="whistle", description="Whistle (吹哨) tools")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="serve the product locally on one origin")
    dev.add_argument("--port", type=int, help="HTTP port (default $PORT or 8000)")
    dev.add_argument("--data-dir", type=Path, help="local data (default .whistle-data)")

    registry = commands.add_parser(
        "registry", help="the registry of places, departments, categories"
    )
    registry_commands = registry.add_subparsers(dest="action", required=True)
    validate = registry_commands.add_parser("validate", help="check a registry file")
    validate.add_argument("file", type=Path)
    load = registry_commands.add_parser(
        "load",
        help="load a registry file into the tables of the running local stack, or of the "
        "stage in the environment (WHISTLE_TABLE_PREFIX, AWS credentials) with --env",
    )
    load.add_argument("file", type=Path)
    load.add_argument("--env", action="store_true", help="use the environment, not the local stack")

    metrics = commands.add_parser("metrics", help="the nightly aggregation, by hand")
    metrics_commands = metrics.add_subparsers(dest="action", required=True)
    run_one = metrics_commands.add_parser("run", help="aggregate one day (default: yesterday)")
    run_one.add_argument("--date", type=_date)
    run_one.add_argument(
        "--env", action="store_true", help="use the environment, not the local stack"
    )
    fill = metrics_commands.add_parser("backfill", help="aggregate a range of days, in order")
    fill.add_argument("--from", dest="start", type=_date, required=True)
    fill.add_argument("--to", dest="end", type=_date, required=True)
    fill.add_argument("--env", action="store_true", help="use the environment, not the local stack")

    lists = commands.add_parser("lists", help="the staff work lists")
    lists_commands = lists.add_subparsers(dest="action", required=True)
    rebuild = lists_commands.add_parser(
        "rebuild",
        help="once after upgrading a stage with cases: recount the per-stage tallies and set "
        "the open-case index keys (scans the cases table; run it while nobody works)",
    )
    rebuild.add_argument(
        "--env", action="store_true", help="use the environment, not the local stack"
    )

    demo = commands.add_parser("demo", help="play sample cases into the local stack (sample data)")
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument(
        "--per-day",
        type=float,
        default=1.5,
        help="average reports a day (the district's own "
        "report: 528 problems in about two and a half years)",
    )
    demo.add_argument("--seed", type=int, default=2022)

    staff = commands.add_parser("staff", help="staff accounts")
    staff_commands = staff.add_subparsers(dest="action", required=True)
    first = staff_commands.add_parser(
        "create-district",
        help="create a district account (区专班) — the first one of a stage — and print its "
        "temporary password once; its owner chooses a password at the first sign-in",
    )
    first.add_argument("--username", required=True)
    first.add_argument("--name", required=True)
    first.add_argument("--email", required=True)
    first.add_argument(
        "--stage",
        help="a deployed stage of .chalice/config.json (e.g. prod), with the AWS credentials "
        "and AWS_REGION of the environment; default: the running local stack",
    )

    day_one = commands.add_parser(
        "first-run",
        help="day one of a stage: load the district's registry, create the first district "
        "account and print what to do next (safe to run again)",
    )
    day_one.add_argument("--registry", type=Path, required=True, help="the registry file")
    for flag in ("--username", "--name", "--email"):
        day_one.add_argument(flag, required=True, help="of the first district account")
    day_one.add_argument(
        "--stage",
        help="a deployed stage (AWS credentials and AWS_REGION of the environment); "
        "default: the running local stack",
    )

    args = parser.parse_args(argv)
    if args.command == "dev":
        from .local.stack import StackOptions, run

        options = StackOptions.from_env()
        if args.port is not None:
            options.port = args.port
        if args.data_dir is not None:
            options.data_dir = args.data_dir
        return run(options)
    if args.command == "registry":
        return _registry(args)
    if args.command == "metrics":
        return _metrics(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "lists":
        return _lists(args)
    if args.command == "staff":
        return _create_district(args)
    if args.command == "first-run":
        return _first_run(args)
    return 2  # pragma: no cover - argparse requires a command


def _registry(args: argparse.Namespace) -> int:
    from .core.domain.errors import InvalidInput
    from .core.domain.registry import parse_registry

    document = json.loads(args.file.read_text(encoding="utf-8"))
    try:
        if args.action == "validate":
            registry = parse_registry(document)
        else:
            registry = _load(document, use_env=args.env)
    except InvalidInput as error:
        print(f"{args.file}: {error.message}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.field}: {detail.message}", file=sys.stderr)
        return 1
    outcome = "loaded" if args.action == "load" else "valid"
    print(f"{args.file}: {_summary(registry, outcome)}")
    return 0


def _summary(registry: Any, outcome: str) -> str:
    label = " (sample data)" if registry.sample else ""
    return (
        f"registry {registry.version}{label} — {outcome}: "
        f"{len(registry.communities)} communities, {len(registry.compounds)} compounds, "
        f"{len(registry.departments)} departments, {len(registry.categories)} categories"
    )


NEXT_STEPS = """
Next:
  1. Sign in at {site}/#/signin as {username} with the temporary password; choose a new one
     and turn on the authenticator code (账号安全).
  2. Invite the community, department, grid and property accounts (账号管理 / Staff accounts).
  3. Confirm the alarm subscription e-mail AWS sent to AlarmEmail, or no alarm reaches anyone.
  4. Check the whole site: make smoke URL={site}{stage_arg}
  5. Read README "Operating Whistle": what each alarm means and what to do."""


def _first_run(args: argparse.Namespace) -> int:
    """Day one, scripted: each step is safe to run again (the registry is replaced as a
    whole; an existing account is kept)."""
    from .core import bootstrap
    from .core.domain.errors import Conflict, InvalidInput
    from .core.services.staff import create_district_account

    site = ""
    if args.stage:
        _use_stage(args.stage)
        built = Path(__file__).resolve().parents[1] / "build" / args.stage / "site-url"
        site = built.read_text().strip() if built.exists() else ""
    document = json.loads(args.registry.read_text(encoding="utf-8"))
    try:
        registry = _load(document, use_env=bool(args.stage))
    except InvalidInput as error:
        print(f"{args.registry}: {error.message}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.field}: {detail.message}", file=sys.stderr)
        return 1
    print(f"1/2 {_summary(registry, 'loaded')}")
    if registry.sample and args.stage:
        print("    This is SAMPLE data: load the district's own registry before going live.")
    try:
        created = create_district_account(
            bootstrap.wiring().identity, args.username.strip(), args.name, args.email
        )
    except Conflict as error:
        print(f"2/2 district account {args.username}: {error.message} Kept as it is.")
    else:
        print(
            f"2/2 district account {created['username']} created. "
            f"Temporary password (shown once): {created['temporary_password']}"
        )
    site = site or bootstrap.wiring().settings.public_url or "<the site>"
    stage_arg = f" STAGE={args.stage}" if args.stage else ""
    print(NEXT_STEPS.format(site=site, username=args.username, stage_arg=stage_arg))
    return 0


def _create_district(args: argparse.Namespace) -> int:
    from .core import bootstrap
    from .core.domain.errors import DomainError
    from .core.services.staff import create_district_account

    if args.stage:
        _use_stage(args.stage)
    else:
        _connect(use_env=False)
    try:
        created = create_district_account(
            bootstrap.wiring().identity, args.username.strip(), args.name, args.email
        )
    except DomainError as error:
        print(f"whistle staff create-district: {error.message}", file=sys.stderr)
        return 1
    print(
        f"District account {created['username']} created.\n"
        f"Temporary password (shown once): {created['temporary_password']}\n"
        "Sign in at /#/signin; a new password is asked for at the first sign-in."
    )
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("dates are YYYY-MM-DD") from None


def progress_bar(done: int, total: int, label: object) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}   ")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _metrics(args: argparse.Namespace) -> int:
    from .core import bootstrap
    from .core.services import metrics

    _connect(args.env)
    deps = bootstrap.wiring().metrics
    if args.action == "run":
        day = args.date or metrics.yesterday(deps.clock)
        print(json.dumps(metrics.run_day(deps, day)))
        return 0
    reports = metrics.backfill(deps, args.start, args.end, progress_bar)
    print(f"{len(reports)} days aggregated, {sum(r['events'] for r in reports)} events")
    return 0


def _lists(args: argparse.Namespace) -> int:
    from .core import bootstrap

    _connect(args.env)
    cases = bootstrap.wiring().workflow.cases.rebuild_list_index()
    print(f"{cases} cases counted into the work lists' tallies")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import urllib.request

    from .local.demo import play

    url = _connect(use_env=False)

    def scheduler(paused: bool) -> None:
        # The running stack's own schedule would fire the demo's timers at today's time.
        request = urllib.request.Request(  # noqa: S310 - the local stack
            f"{url}/dev/scheduler?paused={'true' if paused else 'false'}", method="POST"
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the local stack

    scheduler(True)
    try:
        summary = play(days=args.days, per_day=args.per_day, seed=args.seed, progress=progress_bar)
    finally:
        scheduler(False)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _connect(use_env: bool) -> str:
    """Point the wiring at the running local stack (or leave the environment's stage); the
    stack's address."""
    if use_env:
        return ""
    from .local.stack import ROOT, local_secrets, stage_environment

    data_dir = Path(os.environ.get("WHISTLE_DATA_DIR", ROOT / ".whistle-data"))
    state_file = data_dir / "stack.json"
    if not state_file.exists():
        raise SystemExit("The local stack is not running: start it with `make dev`, or pass --env.")
    state = json.loads(state_file.read_text())
    keys = local_secrets(data_dir)
    os.environ.update(stage_environment(ROOT))
    os.environ.update(
        {
            "WHISTLE_AWS_ENDPOINT": state["aws_endpoint"],
            "WHISTLE_PUBLIC_URL": state["url"],
            "WHISTLE_WEBHOOK_OVERRIDE": f"{state['url']}/dev/webhooks",
            "WHISTLE_ENCRYPTION_KEY": keys["encryption_key"],
            "WHISTLE_LOOKUP_KEY": keys["lookup_key"],
            "WHISTLE_SIGNING_KEY": keys["signing_key"],
            "WHISTLE_SESSION_KEY": keys["session_key"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    return str(state["url"])


def _use_stage(stage: str) -> None:
    """Point the wiring at a deployed stage's tables and secrets, as its functions see them."""
    config = json.loads(
        (Path(__file__).resolve().parents[1] / ".chalice" / "config.json").read_text()
    )
    if stage not in config["stages"]:
        raise SystemExit(f"No stage {stage!r} in .chalice/config.json")
    os.environ.update(config["stages"][stage].get("environment_variables", {}))
    # In AWS the bucket's name reaches the functions by reference; staff commands use none.
    os.environ.setdefault("WHISTLE_PHOTO_BUCKET", f"whistle-{stage}-photos")


def _load(document: object, use_env: bool):  # type: ignore[no-untyped-def]
    from .core import bootstrap
    from .core.adapters.registry_store import DynamoRegistryStore
    from .core.services.registry import load_registry

    _connect(use_env)
    bootstrap.wiring()
    return load_registry(DynamoRegistryStore(), document)


if __name__ == "__main__":
    sys.exit(main())
