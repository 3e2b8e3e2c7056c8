"""What `make package` builds: the Lambda zip (functions in, boto3 out, compiled, small, and
importable with only boto3, as in Lambda) and the merged template (valid CloudFormation for the
global and the China regions, with the properties the deployment relies on)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.package import ZIP_BUDGET_BYTES, Package, package
from tests.fakes import ROOT

pytestmark = pytest.mark.slow


def pinned(name: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.lower().startswith(f"{name}=="):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements-dev.txt")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Package:
    return package("prod", "us-east-1", tmp_path_factory.mktemp("build") / "prod")


@pytest.fixture(scope="module")
def template(built) -> dict[str, Any]:
    return dict(json.loads(built.template_path.read_text()))


@pytest.fixture(scope="module")
def names(built) -> list[str]:
    return zipfile.ZipFile(built.zip_path).namelist()


@pytest.fixture(scope="module")
def lambda_python(tmp_path_factory) -> Path:
    """A Python with only boto3 installed: what the Lambda runtime provides."""
    env_dir = tmp_path_factory.mktemp("lambda-python")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", pinned("boto3")],
        check=True,
        capture_output=True,
    )
    return python


def functions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def cfn_lint(path: Path, *regions: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("cfn-lint"))]
    if regions:
        command += ["--regions", *regions, "--"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True, check=False)


# -- the zip -------------------------------------------------------------------------------------


def test_the_zip_holds_the_functions_and_neither_boto3_nor_the_local_stack(names):
    tops = {name.split("/", 1)[0] for name in names}
    assert {"app.py", "functions"} <= tops
    assert "functions/intake/__init__.py" in names
    assert not {t for t in tops if re.match(r"(boto3|botocore|s3transfer)\b", t)}
    assert not [n for n in names if n.startswith(("functions/local/", "Crypto/SelfTest/"))]


def test_the_zip_is_within_its_5_mb_budget(built):
    assert built.zip_bytes <= ZIP_BUDGET_BYTES, f"{built.zip_bytes / 1024 / 1024:.2f} MB"


def test_every_module_in_the_zip_has_bytecode_python_trusts_without_its_source(built, names):
    archive = zipfile.ZipFile(built.zip_path)
    tag = sys.implementation.cache_tag
    sources = [n for n in names if n.endswith(".py")]
    assert len(sources) > 50
    for source in sources:
        folder, _, module = source.rpartition("/")
        cached = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc".lstrip("/")
        header = archive.read(cached)[:8]
        # PEP 552 flags: bit 0 hash-based, bit 1 check the source; 1 = unchecked hash.
        assert int.from_bytes(header[4:8], "little") == 1, cached
    # Only bytecode compiled here: none left over from a working tree.
    compiled = {n for n in names if n.endswith(".pyc")}
    assert all(f".{tag}.pyc" in n and "/__pycache__/" in f"/{n}" for n in compiled)


def test_every_lambda_entry_imports_from_bytecode_with_only_boto3(
    built, template, lambda_python, tmp_path
):
    task = tmp_path / "task"
    zipfile.ZipFile(built.zip_path).extractall(task)
    handlers = sorted(p["Handler"] for p in functions_of(template).values())
    assert handlers == [
        "app.app",
        "functions.core.auth.staff_authorizer",
        "functions.dispatch.dispatch_tick",
        "functions.metrics.nightly_metrics",
    ]
    script = (
        "import importlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for handler in sys.argv[2:]:\n"
        "    module, _, name = handler.rpartition('.')\n"
        "    entry = getattr(importlib.import_module(module), name)\n"
        "    assert callable(entry), handler\n"
        # API Gateway calls an authorizer with (event, context): the handler must be
        # Chalice's wrapper around the function, not the function itself.
        "    if 'authorizer' in name:\n"
        "        assert type(entry).__name__ == 'ChaliceAuthorizer', handler\n"
        "print('ok')\n"
    )
    # Lambda's /var/task is read-only: nothing may be compiled and written on the way.
    clean_env = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "cn-north-1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [str(lambda_python), "-s", "-v", "-c", script, str(task), *handlers],
        env=clean_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
    from_source = re.findall(
        rf"# code object from ({re.escape(str(task))}\S+\.py)$", result.stderr, re.M
    )
    assert from_source == []
    assert f"# code object from '{task}/functions/intake/__pycache__" in result.stderr


# -- the template --------------------------------------------------------------------------------


def test_the_merged_template_passes_cfn_lint(built):
    result = cfn_lint(built.template_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_bootstrap_stack_passes_cfn_lint_in_the_global_and_the_china_regions():
    result = cfn_lint(
        ROOT / "infra" / "bootstrap.yaml", "us-east-1", "cn-north-1", "cn-northwest-1"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module", params=["cn-north-1", "cn-northwest-1"])
def china_built(request, tmp_path_factory) -> Package:
    """What `make package REGION=cn-north-1` (or cn-northwest-1) builds."""
    return package("prod", request.param, tmp_path_factory.mktemp(request.param) / "prod")


def test_the_template_packaged_for_a_china_region_passes_cfn_lint_there(china_built):
    region = json.loads((china_built.directory / "manifest.json").read_text())["region"]
    result = cfn_lint(china_built.template_path, region)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_china_template_uses_neither_ses_nor_sns_sms_and_requires_an_icp_domain(
    china_built,
):
    template = json.loads(china_built.template_path.read_text())
    text = json.dumps(template)
    actions = {
        action
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
        for policy in resource["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in _actions(statement)
    }
    assert actions and not {a for a in actions if a.startswith(("ses:", "sns:"))}
    assert "SesRegion" not in text and "CertificateArn" not in text
    parameters = template["Parameters"]
    for required in ("DomainName", "IamCertificateId", "SenderEmail"):
        assert "Default" not in parameters[required] and parameters[required]["AllowedPattern"]
    assert parameters["SmsProvider"]["AllowedValues"] == ["aliyun"]
    assert parameters["MailProvider"]["AllowedValues"] == ["smtp"]
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert config["ViewerCertificate"]["IamCertificateId"] == {"Ref": "IamCertificateId"}
    assert config["Aliases"] == [{"Ref": "DomainName"}]
    dispatch = template["Resources"]["DispatchTick"]["Properties"]["Environment"]["Variables"]
    assert dispatch["WHISTLE_SMS_PROVIDER"] == {"Ref": "SmsProvider"}
    assert dispatch["WHISTLE_MAIL_PROVIDER"] == {"Ref": "MailProvider"}
    # Every secret (SMS AccessKey, SMTP password) is read from the secrets parameter.
    assert "WHISTLE_SECRETS_PARAMETER" in dispatch and "WHISTLE_SMTP" not in dispatch
    assert "arn:aws:" not in text  # every ARN names ${AWS::Partition} (aws-cn there)


def test_every_route_of_the_app_is_in_the_api(template):
    from app import app

    definition = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert set(definition["paths"]) == set(app.routes)
    assert template["Resources"]["RestAPI"]["Properties"]["StageName"] == "api"


def test_the_buckets_are_private_and_encrypted_and_abandoned_uploads_expire(template):
    resources = template["Resources"]
    for bucket in ("PhotoBucket", "SpaBucket"):
        properties = resources[bucket]["Properties"]
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    rules = resources["PhotoBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    staging = [r for r in rules if r.get("Prefix") == "incoming/"]
    assert staging and staging[0]["Status"] == "Enabled" and staging[0]["ExpirationInDays"] <= 7
    assert resources["PhotoBucket"]["DeletionPolicy"] == "RetainExceptOnCreate"


def test_cloudfront_serves_the_spa_and_forwards_api_unchanged_compressed(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert "OriginPath" not in origins["api"]
    assert "${RestAPI}.execute-api" in origins["api"]["DomainName"]["Fn::Sub"]
    assert origins["spa"]["DomainName"] == {"Fn::GetAtt": ["SpaBucket", "RegionalDomainName"]}
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["TargetOriginId"] == "api" and "POST" in api["AllowedMethods"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "spa"
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["Compress"] is True
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    policy = template["Resources"]["SecurityHeadersPolicy"]["Properties"]
    csp = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    text = json.dumps(csp)
    assert "script-src 'self';" in text and "frame-ancestors 'none'" in text
    assert "unsafe-eval" not in text


def test_staff_accounts_are_tables_and_the_authorizer_answers_are_never_cached(template):
    resources = template["Resources"]
    assert not any(r["Type"].startswith("AWS::Cognito::") for r in resources.values())
    sessions = resources["StaffSessionsTable"]["Properties"]
    assert sessions["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    accounts = resources["StaffAccountsTable"]["Properties"]
    assert {i["IndexName"] for i in accounts["GlobalSecondaryIndexes"]} == {
        "list-username",
        "wecom-user",
        "dingtalk-user",
    }
    definition = resources["RestAPI"]["Properties"]["DefinitionBody"]
    (authorizer,) = definition["securityDefinitions"].values()
    assert authorizer["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 0


def _actions(statement: dict[str, Any]) -> list[str]:
    if "Fn::If" in statement:  # granted under a condition: either branch may hold actions
        return [a for branch in statement["Fn::If"][1:] for a in _actions(branch)]
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _evaluate(node: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> Any:
    """The few intrinsic functions the tile layer's CSP entry uses, for given parameters."""
    if isinstance(node, dict) and len(node) == 1:
        ((name, value),) = node.items()
        if name == "Ref":
            return parameters[value]
        if name == "Fn::If":
            chosen = value[1] if conditions[value[0]] else value[2]
            return _evaluate(chosen, parameters, conditions)
        if name == "Fn::Join":
            return value[0].join(_evaluate(v, parameters, conditions) for v in value[1])
        if name == "Fn::Select":
            return _evaluate(value[1], parameters, conditions)[int(value[0])]
        if name == "Fn::Split":
            return _evaluate(value[1], parameters, conditions).split(value[0])
    return node


def test_a_configured_map_tile_layer_is_allowed_in_img_src_and_told_to_the_functions(template):
    policy = template["Resources"]["SecurityHeadersPolicy"]["Properties"]
    csp = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    text, variables = csp["ContentSecurityPolicy"]["Fn::Sub"]
    assert "${PhotosGlobal}${Tiles};" in text
    tiles = variables["Tiles"]
    url = "https://tiles.example.cn/base/{z}/{x}/{y}.png"
    assert _evaluate(tiles, {"MapTiles": url}, {"HasMapTiles": True}) == " https://tiles.example.cn"
    assert _evaluate(tiles, {"MapTiles": ""}, {"HasMapTiles": False}) == ""
    assert template["Conditions"]["HasMapTiles"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MapTiles"}, ""]}]
    }
    pattern = re.compile(template["Parameters"]["MapTiles"]["AllowedPattern"])
    assert pattern.match(url) and pattern.match("")
    assert not pattern.match("http://tiles.example.cn/{z}/{x}/{y}.png")
    functions = [
        r
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    ]
    assert len(functions) >= 3
    for resource in functions:
        env = resource["Properties"]["Environment"]["Variables"]
        assert env["WHISTLE_MAP_TILES"] == {
            "Fn::If": ["HasMapTiles", {"Ref": "MapTiles"}, {"Ref": "AWS::NoValue"}]
        }
