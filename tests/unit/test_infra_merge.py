"""The merge of Chalice's template with the tables and stack.yaml, on a template shaped like
the one `chalice package` writes (the real one is merged and linted in
tests/integration/test_deployment_package.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.core.adapters.tables import MODELS, EventItem, RegistryItem
from infra.merge import MergeError, function_name, merge

STAGE_ENV = {
    "WHISTLE_STAGE": "prod",
    "WHISTLE_TABLE_PREFIX": "whistle-prod-",
    "WHISTLE_PHOTO_BUCKET": "whistle-prod-photos",
    "WHISTLE_SECRETS_PARAMETER": "/whistle/prod/secrets",
}


def role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "Policies": [
                {
                    "PolicyName": "chalice",
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
                    },
                }
            ],
        },
    }


def function(handler: str, role_id: str, events: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": "python3.11",
            "Handler": handler,
            "CodeUri": "./deployment.zip",
            "Environment": {"Variables": dict(STAGE_ENV)},
            "Role": {"Fn::GetAtt": [role_id, "Arn"]},
            **({"Events": events} if events else {}),
        },
    }


def chalice_template(**extra: dict[str, Any]) -> dict[str, Any]:
    """Shaped like `chalice package` output for this app."""
    resources = {
        "ApiHandlerRole": role(),
        "APIHandler": function("app.app", "ApiHandlerRole"),
        "DispatchTickRole": role(),
        "DispatchTick": function(
            "functions.dispatch.dispatch_tick",
            "DispatchTickRole",
            {
                "DispatchTickEvent": {
                    "Type": "Schedule",
                    "Properties": {"Schedule": "rate(1 minute)"},
                }
            },
        ),
        "NightlyMetricsRole": role(),
        "NightlyMetrics": function("functions.metrics.nightly_metrics", "NightlyMetricsRole"),
        "StaffAuthorizerRole": role(),
        "StaffAuthorizer": function("functions.core.auth.staff_authorizer", "StaffAuthorizerRole"),
        "RestAPI": {
            "Type": "AWS::Serverless::Api",
            "Properties": {"StageName": "api", "DefinitionBody": {"swagger": "2.0", "paths": {}}},
        },
        **extra,
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": resources,
        "Outputs": {"RestAPIId": {"Value": {"Ref": "RestAPI"}}},
    }


def statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    (policy,) = template["Resources"][role_id]["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def by_sid(template: dict[str, Any], role_id: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements(template, role_id) if "Sid" in s}


def referenced_tables(statement: dict[str, Any]) -> set[str]:
    return {r["Fn::GetAtt"][0] for r in statement["Resource"] if "Fn::GetAtt" in r}


@pytest.fixture
def merged() -> dict[str, Any]:
    return merge(chalice_template(), "prod", STAGE_ENV)


def test_each_function_gets_a_role_that_names_only_the_tables_it_uses(merged):
    api = by_sid(merged, "ApiHandlerRole")
    assert referenced_tables(api["TablesWrite"]) == {
        "CasesTable",
        "CaseEventsTable",
        "IdempotencyTable",
        "RegistryTable",
        "NotificationsTable",
        "CountersTable",
        "FeesTable",
        "StaffAccountsTable",
        "StaffSessionsTable",
        "CaseFollowersTable",
    }
    assert referenced_tables(api["TablesRead"]) == {"MetricsTable"}
    authorizer = by_sid(merged, "StaffAuthorizerRole")
    assert "TablesWrite" not in authorizer
    assert referenced_tables(authorizer["TablesRead"]) == {"StaffAccountsTable"}
    dispatch = by_sid(merged, "DispatchTickRole")
    assert referenced_tables(dispatch["TablesWrite"]) == {
        "CasesTable",
        "CaseEventsTable",
        "NotificationsTable",
        "CountersTable",
        "CaseFollowersTable",
    }
    assert referenced_tables(dispatch["TablesRead"]) == {"RegistryTable"}
    metrics = by_sid(merged, "NightlyMetricsRole")
    assert referenced_tables(metrics["TablesWrite"]) == {"MetricsTable"}
    assert referenced_tables(metrics["TablesRead"]) == {
        "CasesTable",
        "CaseEventsTable",
        "RegistryTable",
        "FeesTable",
    }
    assert "dynamodb:PutItem" not in metrics["TablesRead"]["Action"]
    # Chalice's generated policy is gone, not extended.
    for role_id in ("ApiHandlerRole", "DispatchTickRole", "NightlyMetricsRole"):
        assert {"Effect": "Allow", "Action": "*", "Resource": "*"} not in statements(
            merged, role_id
        )


def test_no_role_may_scan_or_use_tables_it_does_not_name(merged):
    for role_id in (
        "ApiHandlerRole",
        "DispatchTickRole",
        "NightlyMetricsRole",
        "StaffAuthorizerRole",
    ):
        for statement in statements(merged, role_id):
            if "Fn::If" in statement:
                continue
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert "dynamodb:Scan" not in actions
            if any(a.startswith("dynamodb:") for a in actions):
                assert statement["Resource"] != "*"


def sids(template: dict[str, Any], role_id: str) -> dict[str, str | None]:
    """Each statement's Sid, with the condition it is granted under (None: always)."""
    found: dict[str, str | None] = {}
    for statement in statements(template, role_id):
        if "Fn::If" in statement:
            condition, granted, _ = statement["Fn::If"]
            found[granted["Sid"]] = condition
        else:
            found[statement["Sid"]] = None
    return found


def test_only_the_api_may_read_and_write_photos_and_only_the_dispatch_job_may_send(merged):
    assert "Photos" in by_sid(merged, "ApiHandlerRole")
    assert "Photos" not in by_sid(merged, "DispatchTickRole")
    # The retention purge deletes case photos, and may do nothing else with the bucket.
    purge = by_sid(merged, "DispatchTickRole")["PhotoPurge"]
    assert purge["Action"] == "s3:DeleteObject"
    assert purge["Resource"] == {"Fn::Sub": "${PhotoBucket.Arn}/cases/*"}
    assert "PhotoPurge" not in by_sid(merged, "ApiHandlerRole")
    dispatch = sids(merged, "DispatchTickRole")
    # SES and SNS only when they are the chosen providers.
    assert dispatch["Email"] == "UseSes" and dispatch["Sms"] == "UseSns"
    assert not {"Email", "Sms"} & set(sids(merged, "ApiHandlerRole"))
    assert not {"Email", "Sms", "Photos"} & set(sids(merged, "NightlyMetricsRole"))


def test_only_the_dispatch_job_is_told_the_providers(merged):
    resources = merged["Resources"]
    variables = resources["DispatchTick"]["Properties"]["Environment"]["Variables"]
    assert variables["WHISTLE_SMS_PROVIDER"] == {"Ref": "SmsProvider"}
    assert variables["WHISTLE_MAIL_PROVIDER"] == {"Ref": "MailProvider"}
    for other in ("APIHandler", "NightlyMetrics"):
        assert (
            "WHISTLE_SMS_PROVIDER" not in resources[other]["Properties"]["Environment"]["Variables"]
        )
    assert merged["Parameters"]["SmsProvider"]["AllowedValues"] == ["sns", "aliyun"]
    assert merged["Parameters"]["MailProvider"]["AllowedValues"] == ["ses", "smtp"]


def test_each_function_writes_only_to_its_own_log_group_which_has_a_retention(merged):
    resources = merged["Resources"]
    for logical_id in ("APIHandler", "DispatchTick", "NightlyMetrics"):
        function_resource = resources[logical_id]
        name = function_resource["Properties"]["FunctionName"]
        assert name == function_name("prod", logical_id)
        log_group = resources[f"{logical_id}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == f"/aws/lambda/{name}"
        assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert f"{logical_id}LogGroup" in function_resource["DependsOn"]
    logs = by_sid(merged, "DispatchTickRole")["OwnLogs"]
    assert logs["Resource"] == {"Fn::GetAtt": ["DispatchTickLogGroup", "Arn"]}


def test_bucket_names_reach_the_functions_by_reference(merged):
    for logical_id in ("APIHandler", "DispatchTick", "NightlyMetrics"):
        variables = merged["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["WHISTLE_PHOTO_BUCKET"] == {"Ref": "PhotoBucket"}
        assert variables["WHISTLE_TABLE_PREFIX"] == "whistle-prod-"


def test_the_authorizer_reads_the_secrets_for_the_session_key(merged):
    secrets = by_sid(merged, "StaffAuthorizerRole")["Secrets"]
    assert secrets["Action"] == "ssm:GetParameter"


def test_a_table_that_no_function_may_use_stops_the_merge(monkeypatch):
    monkeypatch.setitem(MODELS, "exports", RegistryItem)
    with pytest.raises(MergeError, match="exports"):
        merge(chalice_template(), "prod", STAGE_ENV)


def test_a_function_nobody_described_stops_the_merge():
    template = chalice_template(
        ExportRole=role(), Export=function("functions.export.handler", "ExportRole")
    )
    with pytest.raises(MergeError, match=r"functions\.export\.handler"):
        merge(template, "prod", STAGE_ENV)


def test_a_stream_event_source_names_its_tables_stream_by_reference(monkeypatch):
    monkeypatch.setattr(EventItem.Meta, "stream_view_type", "NEW_IMAGE", raising=False)
    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/whistle-local-case-events/stream/x"
    template = chalice_template(
        SenderRole=role(),
        Sender=function(
            "functions.metrics.on_event",
            "SenderRole",
            {"Events": {"Type": "DynamoDB", "Properties": {"Stream": stream}}},
        ),
    )
    merged = merge(template, "prod", STAGE_ENV)
    source = merged["Resources"]["Sender"]["Properties"]["Events"]["Events"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["CaseEventsTable", "StreamArn"]}
    table = merged["Resources"]["CaseEventsTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert by_sid(merged, "SenderRole")["Streams"]["Resource"] == [source["Stream"]]


def test_api_gateway_answers_its_own_errors_in_the_api_error_shape(merged):
    definition = merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = definition["x-amazon-apigateway-gateway-responses"]
    unknown_route = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown_route["statusCode"] == "404"
    for response in responses.values():
        body = json.loads(response["responseTemplates"]["application/json"])
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "details"}
    assert json.loads(unknown_route["responseTemplates"]["application/json"])["error"]["code"] == (
        "not_found"
    )


def test_every_alarm_notifies_the_alarm_topic_and_the_required_ones_exist(merged):
    alarms = {
        name: resource["Properties"]
        for name, resource in merged["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    for properties in alarms.values():
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert {
        "DeadNotificationsAlarm",
        "DispatchErrorsAlarm",
        "DispatchTickErrorsAlarm",
        "DispatchTickMissingAlarm",
        "ApiServerErrorsAlarm",
        "APIHandlerThrottlesAlarm",
    } <= set(alarms)
    for base in MODELS:
        assert f"{''.join(p.title() for p in base.split('-'))}TableThrottledAlarm" in alarms


def test_the_template_is_fixed_to_the_stage_it_was_packaged_for(merged):
    assert merged["Parameters"]["Stage"]["AllowedValues"] == ["prod"]


def test_no_region_names_cognito(merged):
    china = merge(chalice_template(), "prod", STAGE_ENV, region="cn-northwest-1")
    for template in (merged, china):
        assert "cognito" not in json.dumps(template).lower()


def test_for_a_china_region_nothing_names_ses_or_sns_and_an_icp_domain_is_required():
    china = merge(chalice_template(), "prod", STAGE_ENV, region="cn-north-1")
    assert set(sids(china, "DispatchTickRole")) == {
        "OwnLogs",
        "PhotoPurge",
        "TablesRead",
        "TablesWrite",
        "Secrets",
        "SecretsKey",
    }
    text = json.dumps(china)
    for gone in ("SesRegion", "SmsSenderId", "SmsSignName", "CertificateArn", "UseSes", "UseSns"):
        assert gone not in text
    parameters = china["Parameters"]
    assert parameters["SmsProvider"]["AllowedValues"] == ["aliyun"]
    assert parameters["MailProvider"]["AllowedValues"] == ["smtp"]
    assert "Default" not in parameters["DomainName"]
    assert "Default" not in parameters["IamCertificateId"]
    config = china["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert config["ViewerCertificate"] == {
        "IamCertificateId": {"Ref": "IamCertificateId"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert china["Outputs"]["SiteUrl"]["Value"] == {"Fn::Sub": "https://${DomainName}"}


def test_kept_data_is_kept_except_when_a_first_creation_rolls_back(merged):
    resources = merged["Resources"]
    kept = {n: r for n, r in resources.items() if r.get("UpdateReplacePolicy") == "Retain"}
    assert "PhotoBucket" in kept and len(kept) == len(MODELS) + 1
    for name, resource in kept.items():
        # Kept when the stack goes; removed when its creation fails, so the next deployment
        # does not collide with a named table or bucket left behind.
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
        if resource["Type"] == "AWS::DynamoDB::Table":
            protection = resource["Properties"]["DeletionProtectionEnabled"]
            assert protection == {"Fn::If": ["ProtectData", True, False]}
    assert merged["Parameters"]["ProtectData"]["Default"] == "true"
