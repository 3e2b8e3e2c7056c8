"""`make deploy` (infra/deploy.sh) against a stand-in for the AWS CLI that records every call
and answers like AWS: the order of the steps, what is uploaded with which cache headers, and
that the secrets are created once and never pass through a command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.core.domain.messages import SMS_TEMPLATES
from tests.fakes import ROOT

FAKE_AWS = r"""
import json, os, sys
from pathlib import Path

state_path = Path(os.environ["FAKE_AWS_STATE"])
state = json.loads(state_path.read_text()) if state_path.exists() else {"calls": [], "deployed": {}}
args = sys.argv[1:]
call = {"args": args}
if args[:2] == ["ssm", "put-parameter"]:
    value = args[args.index("--value") + 1]
    assert value.startswith("file://"), value
    text = Path(value[len("file://"):]).read_text()
    call["secrets"] = json.loads(text) if "SecureString" in args else text
    call["secrets_file"] = value[len("file://"):]
    if "SecureString" in args:
        assert "--overwrite" in args or not state.get("secrets")
        state["secrets"] = call["secrets"]
    else:
        state.setdefault("parameters", []).append(args[args.index("--name") + 1])
state["calls"].append(call)

def answer(text=""):
    state_path.write_text(json.dumps(state))
    if text:
        print(text)
    sys.exit(0)

def value_of(flag):
    return args[args.index(flag) + 1]

outputs = {
    "whistle-prod-bootstrap": {
        "ArtifactsBucketName": "whistle-prod-artifacts-123",
        "SecretsKeyArn": "arn:aws:kms:us-east-1:123:key/k",
    },
    "whistle-prod": {
        "SiteUrl": "https://d123.cloudfront.net",
        "SpaBucketName": "whistle-prod-spa-123",
        "DistributionId": "E123",
        "Region": "us-east-1",
    },
}
if args[:2] == ["cloudformation", "deploy"]:
    stack = value_of("--stack-name")
    overrides = args[args.index("--parameter-overrides") + 1:]
    overrides = overrides[: next((i for i, a in enumerate(overrides) if a.startswith("--")), None)]
    state["deployed"][stack] = dict(o.split("=", 1) for o in overrides)
    answer()
if args[:2] == ["cloudformation", "describe-stacks"] and "StackStatus" in value_of("--query"):
    stack = value_of("--stack-name")
    status = state.get("status", {}).get(stack)
    if status is None and stack in state["deployed"]:
        status = "UPDATE_COMPLETE"
    if status is None:
        print(f"An error occurred (ValidationError): Stack with id {stack} does not exist",
              file=sys.stderr)
        state_path.write_text(json.dumps(state))
        sys.exit(254)
    answer(status)
if args[:2] == ["cloudformation", "describe-stack-events"]:
    answer(state.get("failure", {}).get(value_of("--stack-name"), "None"))
if args[:2] == ["sesv2", "get-email-identity"]:
    answer("False" if value_of("--email-identity") in state.get("unverified", []) else "True")
if args[:2] == ["sesv2", "get-account"]:
    answer("False" if state.get("ses_sandbox") else "True")
if args[:2] == ["sns", "get-sms-sandbox-account-status"]:
    answer("True" if state.get("sms_sandbox") else "False")
if args[:2] == ["sns", "get-sms-attributes"]:
    answer(state.get("spend_limit", "100"))
if args[:2] == ["iam", "list-server-certificates"]:
    uploaded = state.get("server_certificates", ["ASCAEXAMPLE1234567"])
    answer("/cloudfront/whistle/" if value_of("--query").split("'")[1] in uploaded else "None")
if args[:2] == ["acm", "describe-certificate"]:
    answer(state.get("certificate_status", "ISSUED"))
if args[:2] == ["cloudformation", "describe-stacks"]:
    stack = value_of("--stack-name")
    query = value_of("--query")
    if stack not in state["deployed"]:
        print(f"An error occurred (ValidationError): no stack {stack}", file=sys.stderr)
        state_path.write_text(json.dumps(state))
        sys.exit(254)
    if query == "Stacks[0].Outputs":
        answer(json.dumps([{"OutputKey": k, "OutputValue": v} for k, v in outputs[stack].items()]))
    key = query.split("'")[1]
    if "Parameters" in query:
        answer(state["deployed"][stack].get(key, "None"))
    answer(outputs[stack][key])
if args[:2] == ["ssm", "get-parameter"]:
    if value_of("--name").endswith("/secrets") and state.get("secrets"):
        assert "--with-decryption" in args and value_of("--query") == "Parameter.Value"
        answer(json.dumps(state["secrets"], ensure_ascii=False))
    if value_of("--name") in state.get("parameters", []):
        answer(value_of("--name"))
    print("An error occurred (ParameterNotFound) in GetParameter", file=sys.stderr)
    state_path.write_text(json.dumps(state))
    sys.exit(254)
if args[:2] == ["cloudformation", "package"]:
    Path(value_of("--output-template-file")).write_text("{}")
answer()
"""


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Any]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(f"#!{sys.executable}\n{FAKE_AWS}")
    aws.chmod(0o755)
    build = tmp_path / "build"
    build.mkdir()
    (build / "template.json").write_text("{}")
    (build / "manifest.json").write_text(json.dumps({"region": "us-east-1"}))
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)")
    parameters = tmp_path / "prod.parameters"
    parameters.write_text(
        "# comment\n\nSenderEmail=whistle@example.gov.cn\nDomainName=\n"
        "AlarmEmail=ops@example.gov.cn\n"
    )
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "FAKE_AWS_STATE": str(tmp_path / "aws-state.json"),
        "STAGE": "prod",
        "REGION": "us-east-1",
        "PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "BUILD": str(build),
        "DIST": str(dist),
        "PARAMETERS": str(parameters),
    }
    return {"env": env, "state": tmp_path / "aws-state.json", "build": build}


def run_deploy(project: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "infra" / "deploy.sh")],
        env=project["env"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def deploy(project: dict[str, Any]) -> list[dict[str, Any]]:
    result = run_deploy(project)
    assert result.returncode == 0, result.stdout + result.stderr
    state = json.loads(project["state"].read_text())
    return list(state["calls"])


def commands(calls: list[dict[str, Any]]) -> list[str]:
    return [" ".join(c["args"][:2]) for c in calls]


def test_a_first_deployment_bootstraps_creates_the_secrets_deploys_and_uploads_the_spa(project):
    calls = deploy(project)
    order = commands(calls)
    deploys = [c["args"] for c in calls if c["args"][:2] == ["cloudformation", "deploy"]]
    # The bootstrap stack, then the application twice: the second time with the site's
    # address, which only exists once CloudFront does.
    assert [d[d.index("--stack-name") + 1] for d in deploys] == [
        "whistle-prod-bootstrap",
        "whistle-prod",
        "whistle-prod",
    ]
    assert "PublicUrl=https://d123.cloudfront.net" in deploys[2]
    # Created without the tables' deletion protection (a failed creation rolls back to
    # nothing), which the second pass turns on.
    assert deploys[1][-2:] == ["ProtectData=false", "--no-fail-on-empty-changeset"]
    assert "ProtectData=true" in deploys[2] and "ProtectData=false" not in deploys[2]
    assert "SenderEmail=whistle@example.gov.cn" in deploys[1]
    assert "SecretsKeyArn=arn:aws:kms:us-east-1:123:key/k" in deploys[1]
    assert "CAPABILITY_AUTO_EXPAND" in deploys[1]
    # Secrets before the application exists, so no function ever starts without them.
    assert order.index("ssm put-parameter") < order.index("cloudformation package")
    (put,) = [
        c
        for c in calls
        if c["args"][:2] == ["ssm", "put-parameter"] and "SecureString" in c["args"]
    ]
    # The edge secret: made once, through a file, before the stack that reads it.
    (edge,) = [
        c for c in calls if c["args"][:2] == ["ssm", "put-parameter"] and "String" in c["args"]
    ]
    assert "/whistle/prod/edge-secret" in edge["args"] and len(edge["secrets"]) >= 40
    assert not any(edge["secrets"] in " ".join(c["args"]) for c in calls)
    assert "SecureString" in put["args"] and "arn:aws:kms:us-east-1:123:key/k" in put["args"]
    assert set(put["secrets"]) == {
        "encryption_key",
        "lookup_key",
        "signing_key",
        "session_key",
        "webhook_secrets",
    }
    assert not Path(put["secrets_file"]).exists()


def test_the_spa_goes_up_assets_first_document_last_with_the_right_cache_headers(project):
    calls = deploy(project)
    uploads = [c["args"] for c in calls if c["args"][0] == "s3"]
    assets, rest, config, document = uploads
    assert assets[1] == "sync" and assets[-1] == "public, max-age=31536000, immutable"
    assert "--delete" not in assets
    assert "--exclude" in rest and rest[rest.index("--cache-control") + 1] == "no-cache"
    assert config[2].endswith("config.json") and "no-cache" in config
    assert document[2].endswith("index.html") and "no-cache" in document
    spa_config = json.loads((project["build"] / "config.json").read_text())
    assert spa_config == {"api": "/api", "stage": "prod", "region": "us-east-1", "sample": False}
    assert commands(calls)[-1] == "cloudfront create-invalidation"


def test_a_second_deployment_keeps_the_secrets_and_deploys_once(project):
    deploy(project)
    project["state"].write_text(
        json.dumps({**json.loads(project["state"].read_text()), "calls": []})
    )
    calls = deploy(project)
    assert "ssm put-parameter" not in commands(calls)
    assert commands(calls).count("cloudformation deploy") == 2  # bootstrap + application
    application = [c["args"] for c in calls if c["args"][:2] == ["cloudformation", "deploy"]][-1]
    assert "whistle-prod" in application and "ProtectData=true" in application


def test_a_stage_made_by_an_older_release_gets_the_keys_it_lacks_and_keeps_the_others(project):
    older = {
        "encryption_key": "ZW5j",
        "lookup_key": "bG9v",
        "signing_key": "c2ln",
        "webhook_secrets": {"ludeng": "robot-secret"},
    }
    project["state"].write_text(json.dumps({"calls": [], "deployed": {}, "secrets": older}))
    calls = deploy(project)
    (put,) = [
        c
        for c in calls
        if c["args"][:2] == ["ssm", "put-parameter"] and "SecureString" in c["args"]
    ]
    assert "--overwrite" in put["args"]
    assert put["secrets"] == {**older, "session_key": put["secrets"]["session_key"]}
    assert len(put["secrets"]["session_key"]) == 44
    assert not Path(put["secrets_file"]).exists()


CHINA_SECRETS = {
    "aliyun_sms": {
        "access_key_id": "LTAI5tExample",
        "access_key_secret": "example-secret",
        "sign_name": "雨山区吹哨",
        "templates": {name: f"SMS_{index}" for index, name in enumerate(SMS_TEMPLATES, 1)},
    },
    "smtp": {
        "host": "smtp.yushan.example.gov.cn",
        "port": 465,
        "security": "tls",
        "username": "whistle",
        "password": "example-password",
    },
}


@pytest.fixture
def china(project: dict[str, Any]) -> dict[str, Any]:
    project["env"]["REGION"] = "cn-northwest-1"
    (project["build"] / "manifest.json").write_text(json.dumps({"region": "cn-northwest-1"}))
    declared = ["DomainName", "IamCertificateId", "SenderEmail", "PublicUrl", "SecretsKeyArn"]
    template = {"Parameters": {name: {"Type": "String"} for name in declared}}
    (project["build"] / "template.json").write_text(json.dumps(template))
    Path(project["env"]["PARAMETERS"]).write_text(
        "DomainName=whistle.yushan.example.gov.cn\nIamCertificateId=ASCAEXAMPLE1234567\n"
        "SenderEmail=whistle@yushan.example.gov.cn\nSesRegion=\nSmsSignName=雨山区吹哨\n"
        "AlarmEmail=ops@yushan.example.gov.cn\n"
    )
    return project


def test_in_china_a_first_deployment_stops_until_the_secrets_hold_the_sms_and_smtp_settings(
    china,
):
    result = run_deploy(china)
    assert result.returncode != 0
    assert "aliyun_sms" in result.stderr and "Deploying in mainland China" in result.stderr
    state = json.loads(china["state"].read_text())
    order = commands(state["calls"])
    assert "ssm put-parameter" in order  # the keys exist now; the settings are added by hand
    assert "cloudformation package" not in order  # no function starts without them
    assert "example-secret" not in result.stdout + result.stderr


def test_in_china_with_the_settings_in_the_secrets_the_deployment_goes_ahead(china):
    keys = {k: "a2V5" for k in ("encryption_key", "lookup_key", "signing_key", "session_key")}
    keys["webhook_secrets"] = {}
    china["state"].write_text(
        json.dumps(
            {
                "calls": [],
                "deployed": {},
                "secrets": {**keys, **CHINA_SECRETS},
                "parameters": ["/whistle/prod/edge-secret"],
            }
        )
    )
    calls = deploy(china)
    assert "ssm put-parameter" not in commands(calls)
    reads = [c["args"] for c in calls if "--with-decryption" in c["args"]]
    assert len(reads) == 2  # the keys, then the providers' settings
    assert not [read for read in reads if "--value" in read]
    deploys = [c["args"] for c in calls if c["args"][:2] == ["cloudformation", "deploy"]]
    assert len(deploys) == 3
    # Parameters the China template does not declare are left out, not refused.
    assert "DomainName=whistle.yushan.example.gov.cn" in deploys[1]
    assert not [a for a in deploys[1] if a.startswith(("SesRegion=", "SmsSignName="))]


# -- preflight: a deployment that cannot succeed changes nothing --------------------------------

CHANGES = ("cloudformation deploy", "ssm put-parameter", "cloudformation package", "s3 sync")


def refused(project: dict[str, Any], state: dict[str, Any] | None = None) -> str:
    if state is not None:
        project["state"].write_text(json.dumps({"calls": [], "deployed": {}, **state}))
    result = run_deploy(project)
    assert result.returncode != 0, result.stdout
    calls = json.loads(project["state"].read_text())["calls"]
    assert not set(commands(calls)) & set(CHANGES), commands(calls)
    assert "nothing was changed" in result.stderr
    return result.stderr


def set_parameter(project: dict[str, Any], line: str) -> None:
    path = Path(project["env"]["PARAMETERS"])
    path.write_text(path.read_text() + line + "\n")


@pytest.mark.parametrize(
    ("setting", "state", "says"),
    [
        ("AlarmEmail=", {}, "AlarmEmail is empty"),
        ("SenderEmail=", {}, "SenderEmail is empty"),
        (
            "",
            {"unverified": ["whistle@example.gov.cn", "example.gov.cn"]},
            "has not verified whistle@example.gov.cn",
        ),
        ("", {"ses_sandbox": True}, "SES in us-east-1 is in its sandbox"),
        ("", {"sms_sandbox": True}, "SNS SMS is in its sandbox"),
        ("", {"spend_limit": "1"}, "spend limit is USD 1"),
        ("DomainName=whistle.example.gov.cn", {}, "CertificateArn is empty"),
        (
            "CertificateArn=arn:aws:acm:us-east-1:123:certificate/c",
            {"certificate_status": "PENDING_VALIDATION"},
            "is PENDING_VALIDATION, not ISSUED",
        ),
    ],
)
def test_preflight_refuses_each_missing_setting_before_changing_anything(
    project, setting, state, says
):
    if setting:
        set_parameter(project, setting)
    assert says in refused(project, state)


def test_preflight_lists_every_problem_at_once(project):
    set_parameter(project, "AlarmEmail=")
    stderr = refused(project, {"sms_sandbox": True, "ses_sandbox": True})
    assert "3 problem(s)" in stderr


def test_a_trial_stage_may_go_ahead_in_the_sandboxes_when_asked(project):
    project["state"].write_text(
        json.dumps({"calls": [], "deployed": {}, "sms_sandbox": True, "ses_sandbox": True})
    )
    project["env"]["ALLOW_SANDBOX"] = "1"
    assert commands(deploy(project)).count("cloudformation deploy") == 3


def test_a_spend_limit_given_with_the_deployment_satisfies_the_preflight_and_is_set(project):
    project["state"].write_text(json.dumps({"calls": [], "deployed": {}, "spend_limit": "1"}))
    project["env"]["SMS_MONTHLY_SPEND_LIMIT"] = "50"
    calls = deploy(project)
    (attributes,) = [c["args"] for c in calls if c["args"][:2] == ["sns", "set-sms-attributes"]]
    assert "MonthlySpendLimit=50" in attributes[-1]


def test_in_china_the_preflight_wants_the_domain_and_an_uploaded_certificate(china):
    Path(china["env"]["PARAMETERS"]).write_text(
        "DomainName=\nIamCertificateId=\nSenderEmail=whistle@yushan.example.gov.cn\n"
        "AlarmEmail=ops@yushan.example.gov.cn\n"
    )
    stderr = refused(china, {})
    assert "DomainName is empty" in stderr and "IamCertificateId is empty" in stderr
    assert "SES" not in stderr and "SNS" not in stderr  # Alibaba Cloud SMS and SMTP there
    Path(china["env"]["PARAMETERS"]).write_text(
        "DomainName=whistle.yushan.example.gov.cn\nIamCertificateId=ASCANOTUPLOADED0000\n"
        "SenderEmail=whistle@yushan.example.gov.cn\nAlarmEmail=ops@yushan.example.gov.cn\n"
    )
    assert "no server certificate ASCANOTUPLOADED0000" in refused(china, {})


# -- a stack CloudFormation cannot deploy over ---------------------------------------------------


def stuck(project: dict[str, Any], status: str, failure: str) -> str:
    """What the deployment says about an application stack in `status` that failed so."""
    state = {"status": {"whistle-prod": status}, "failure": {"whistle-prod": failure}}
    return refused(project, state)


def test_a_first_creation_that_rolled_back_is_detected_with_its_cause_and_the_way_out(project):
    stderr = stuck(project, "ROLLBACK_COMPLETE", "Distribution\tYour account must be verified")
    assert "whistle-prod is ROLLBACK_COMPLETE" in stderr
    assert "It failed at: Distribution Your account must be verified" in stderr
    assert "aws cloudformation delete-stack --stack-name whistle-prod" in stderr


def test_a_failed_update_rollback_is_detected_and_continued_never_deleted(project):
    stderr = stuck(project, "UPDATE_ROLLBACK_FAILED", "CasesTable\tResource was modified outside")
    assert "continue-update-rollback --stack-name whistle-prod" in stderr
    assert "Never delete this stack" in stderr and "delete-stack --stack-name" not in stderr


def test_a_deployment_already_running_is_waited_for(project):
    stderr = refused(project, {"status": {"whistle-prod-bootstrap": "UPDATE_IN_PROGRESS"}})
    assert "another deployment is running" in stderr
