"""`python -m infra …`: the steps behind `make package` and `make deploy`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cfn import dump


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("package", help="the Lambda zip and the merged template")
    build.add_argument("--stage", default="prod")
    build.add_argument("--region", required=True, help="the region the stack goes to")
    build.add_argument("--out", type=Path, help="default: build/<stage>")

    data = commands.add_parser("data-template", help="the tables alone, from the models")
    data.add_argument("--stage", default="prod")
    data.add_argument("--out", type=Path, required=True)

    site = commands.add_parser("spa-config", help="config.json from the stack's outputs")
    site.add_argument("--stage", default="prod")
    site.add_argument("outputs", type=Path, help="`describe-stacks` Outputs as JSON")

    commands.add_parser("new-secrets", help="fresh keys for the secrets parameter (JSON)")
    complete = commands.add_parser(
        "complete-secrets",
        help="the secrets parameter's JSON with missing keys added (exit 3: none missing)",
    )
    complete.add_argument("current", type=Path)

    check = commands.add_parser(
        "check-secrets",
        help="read the secrets parameter's JSON on stdin: does it hold the providers' settings?",
    )
    check.add_argument("--sms-provider", default="sns")
    check.add_argument("--mail-provider", default="ses")

    smoke = commands.add_parser("smoke", help="check a running site end to end (make smoke)")
    smoke.add_argument("--url", required=True, help="the site, e.g. https://whistle.example.cn")
    smoke.add_argument("--stage", help="whose Lambda functions run the jobs (not for make dev)")
    smoke.add_argument("--region")

    args = parser.parse_args(argv)
    if args.command == "package":
        from .package import ROOT, ZIP_BUDGET_BYTES, package

        out = args.out or ROOT / "build" / args.stage
        built = package(args.stage, args.region, out)
        print(f"{built.zip_path} {built.zip_bytes / 1024 / 1024:.2f} MB ({built.runtime})")
        print(built.template_path)
        if built.zip_bytes > ZIP_BUDGET_BYTES:
            print("the zip is over its 5 MB budget (DESIGN §9)", file=sys.stderr)
            return 1
    elif args.command == "data-template":
        from .package import stage_environment
        from .tables import data_template

        prefix = stage_environment(args.stage)["WHISTLE_TABLE_PREFIX"]
        dump(data_template(prefix), args.out)
    elif args.command == "spa-config":
        from .site import dumps, outputs_by_key, spa_config

        outputs = outputs_by_key(json.loads(args.outputs.read_text()))
        print(dumps(spa_config(args.stage, outputs)))
    elif args.command == "check-secrets":
        from functions.core.config import ConfigurationError, messaging_settings

        env = {
            "WHISTLE_SMS_PROVIDER": args.sms_provider,
            "WHISTLE_MAIL_PROVIDER": args.mail_provider,
        }
        try:
            secrets = json.loads(sys.stdin.read() or "{}")
            # The functions' own check, so the deployment and a cold start agree.
            messaging_settings(env, secrets if isinstance(secrets, dict) else {})
        except ValueError:
            print("the secrets parameter is not JSON", file=sys.stderr)
            return 1
        except ConfigurationError as error:  # names what is missing, never a value
            print(f"the secrets parameter is not ready: {error}", file=sys.stderr)
            return 1
        print(
            f"the secrets parameter has the settings of {args.sms_provider} and {args.mail_provider}"
        )
    elif args.command == "smoke":
        from .smoke import SmokeFailure
        from .smoke import smoke as run_smoke

        try:
            return 0 if run_smoke(args.url, args.stage, args.region) else 1
        except SmokeFailure as error:
            print(f"smoke: {error}", file=sys.stderr)
            return 2
    elif args.command == "new-secrets":
        from .site import dumps, new_secrets

        print(dumps(new_secrets()))
    elif args.command == "complete-secrets":
        from .site import complete_secrets, dumps

        completed = complete_secrets(json.loads(args.current.read_text()))
        if completed is None:
            return 3
        print(dumps(completed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
