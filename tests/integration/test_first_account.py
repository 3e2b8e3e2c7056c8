"""`whistle staff create-district`: the first district account of a deployed stage, made with
the stage's own tables and secrets (here moto's), whose temporary password is printed once
and asks for a new one at the first sign-in."""

from __future__ import annotations

import json
import os

import pytest

from infra.site import new_secrets


@pytest.fixture
def prod_stage(aws, monkeypatch):
    """The prod stage's tables and secrets parameter, as `make deploy` leaves them."""
    import boto3

    from functions.core import bootstrap
    from functions.core.adapters.tables import bind_tables, ensure_tables
    from functions.core.config import Settings

    boto3.client("ssm").put_parameter(
        Name="/whistle/prod/secrets",
        Type="SecureString",
        Value=json.dumps(new_secrets()),
        Overwrite=True,
    )
    for name in ("WHISTLE_ENCRYPTION_KEY", "WHISTLE_LOOKUP_KEY", "WHISTLE_SIGNING_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.delenv("WHISTLE_SESSION_KEY")
    monkeypatch.setenv("WHISTLE_PASSWORD_COST", "4")  # unset in AWS: production's 17
    saved = dict(os.environ)
    prod = Settings.from_env(
        {
            **os.environ,
            "WHISTLE_TABLE_PREFIX": "whistle-prod-",
            "WHISTLE_PHOTO_BUCKET": "p",
            "WHISTLE_SECRETS_PARAMETER": "/whistle/prod/secrets",
        }
    )
    ensure_tables(prod, boto3.client("dynamodb"))
    bootstrap.override(None)
    yield prod
    os.environ.clear()
    os.environ.update(saved)
    bootstrap.override(None)
    bind_tables(aws)


def test_the_first_district_account_is_made_against_the_stage_and_asks_for_a_password(
    prod_stage, capsys
):
    from functions.cli import main
    from functions.core import bootstrap
    from functions.core.services import identity

    def create(name: str, email: str) -> int:
        return main(
            [
                "staff",
                "create-district",
                "--stage",
                "prod",
                "--username",
                "district.wang",
                "--name",
                name,
                "--email",
                email,
            ]
        )

    code = create("王主任", "wang@yushan.example.gov.cn")
    printed = capsys.readouterr().out
    assert code == 0, printed
    temporary = printed.split("Temporary password (shown once): ")[1].split()[0]
    deps = bootstrap.wiring().identity
    assert bootstrap.wiring().settings.table_name("x") == "whistle-prod-x"
    account = deps.accounts.get("district.wang")
    assert [str(s) for s in account.scopes] == ["district"] and account.must_change_password
    assert temporary not in json.dumps(account.view())
    assert identity.sign_in(deps, {"username": "district.wang", "password": temporary}, None) == {
        "challenge": "new_password"
    }
    again = create("x", "x@y.cn")
    assert again == 1 and "exists" in capsys.readouterr().err


def test_first_run_loads_the_registry_makes_the_account_and_says_what_next_twice_safely(
    prod_stage, capsys
):
    from functions.cli import main
    from functions.core import bootstrap
    from tests.fakes import ROOT

    argv = [
        "first-run",
        "--stage",
        "prod",
        "--registry",
        str(ROOT / "functions" / "local" / "data" / "sample-registry.json"),
        "--username",
        "district.li",
        "--name",
        "李主任",
        "--email",
        "li@yushan.example.gov.cn",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1/2 registry" in printed and "loaded" in printed and "SAMPLE data" in printed
    assert "2/2 district account district.li created" in printed
    assert "make smoke URL=" in printed and "STAGE=prod" in printed
    wiring = bootstrap.wiring()
    assert wiring.settings.table_name("registry") == "whistle-prod-registry"
    assert wiring.registry.current().categories
    assert wiring.identity.accounts.get("district.li").must_change_password

    assert main(argv) == 0  # a second run after a half-finished first one
    again = capsys.readouterr().out
    assert "exists. Kept as it is." in again and "Temporary password" not in again


def test_first_run_refuses_a_registry_with_problems_and_creates_no_account(
    prod_stage, capsys, tmp_path
):
    from functions.cli import main
    from functions.core import bootstrap

    broken = tmp_path / "registry.json"
    broken.write_text(json.dumps({"version": "x"}))
    argv = ["first-run", "--stage", "prod", "--registry", str(broken)]
    argv += ["--username", "district.zhao", "--name", "李", "--email", "li@example.gov.cn"]
    assert main(argv) == 1
    assert "registry.json" in capsys.readouterr().err
    assert bootstrap.wiring().identity.accounts.get("district.zhao") is None
