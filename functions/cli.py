"""`whistle`: the project's command line.

whistle dev                      serve the whole product locally (what `make dev` runs)
whistle registry validate FILE   check a registry file, listing every problem
whistle registry load FILE       validate and load a registry file into the tables
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


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
    label = " (sample data)" if registry.sample else ""
    outcome = "loaded" if args.action == "load" else "valid"
    print(
        f"{args.file}: registry {registry.version}{label} — {outcome}: "
        f"{len(registry.communities)} communities, {len(registry.compounds)} compounds, "
        f"{len(registry.departments)} departments, {len(registry.categories)} categories"
    )
    return 0


def _load(document: object, use_env: bool):  # type: ignore[no-untyped-def]
    from .core import bootstrap
    from .core.adapters.registry_store import DynamoRegistryStore
    from .core.services.registry import load_registry

    if not use_env:
        from .local.stack import ROOT, local_secrets, stage_environment

        data_dir = Path(os.environ.get("WHISTLE_DATA_DIR", ROOT / ".whistle-data"))
        state_file = data_dir / "stack.json"
        if not state_file.exists():
            raise SystemExit(
                "The local stack is not running: start it with `make dev`, or pass --env."
            )
        state = json.loads(state_file.read_text())
        keys = local_secrets(data_dir)
        os.environ.update(stage_environment(ROOT))
        os.environ.update(
            {
                "WHISTLE_AWS_ENDPOINT": state["aws_endpoint"],
                "WHISTLE_ENCRYPTION_KEY": keys["encryption_key"],
                "WHISTLE_LOOKUP_KEY": keys["lookup_key"],
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1",
            }
        )
    bootstrap.wiring()
    return load_registry(DynamoRegistryStore(), document)


if __name__ == "__main__":
    sys.exit(main())
