"""One template for one stage: Chalice's functions and API + the tables from the models + the
hand-written resources in stack.yaml.

Chalice knows the routes, handlers and schedules; it does not know our tables, buckets or
alarms. The merge wires them together by reference: each function gets its own role that names
exactly the tables (and indexes, and streams) it may use, its own log group with a retention,
and alarms on its errors and throttles; the bucket names reach the functions by `Ref`; a
DynamoDB stream event source names its table's `StreamArn`; API Gateway's own error responses
take the API's one error shape.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.core.adapters.tables import MODELS

from .cfn import load_yaml
from .tables import table_logical_id, table_resources

STACK = Path(__file__).with_name("stack.yaml")

READ_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
]
WRITE_ACTIONS = [
    *READ_ACTIONS,
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]
ACCESS = {"read": READ_ACTIONS, "write": WRITE_ACTIONS}
STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
ALARM_PERIOD_SECONDS = 300


class MergeError(ValueError):
    """The pieces do not fit: a function nobody described, a table nobody may use…"""


def merge(
    chalice: Mapping[str, Any],
    stage: str,
    stage_env: Mapping[str, str],
    stack: Mapping[str, Any] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The deployable template of `stage` from Chalice's template (`sam.json`), for `region`.

    Staff identity is Whistle's own tables in every partition, so no resource type is one the
    China regions lack; for a China region (`cn-…`) the SES and SNS SMS branches are decided
    away and a domain and IAM certificate become required (`for_china_regions`).
    """
    hand = copy.deepcopy(dict(stack) if stack is not None else load_yaml(STACK))
    whistle = hand.pop("Whistle")
    template = copy.deepcopy(dict(chalice))
    template["Description"] = hand.get("Description", "Whistle")
    _add(
        template,
        "Parameters",
        {
            "Stage": {
                "Type": "String",
                "Default": stage,
                # The functions' environment was packaged for this stage alone.
                "AllowedValues": [stage],
                "Description": "The Chalice stage this template was packaged for",
            },
            **hand.get("Parameters", {}),
        },
    )
    _add(template, "Conditions", hand.get("Conditions", {}))
    protected = {"Fn::If": ["ProtectData", True, False]}
    _add(
        template,
        "Resources",
        table_resources(_need(stage_env, "WHISTLE_TABLE_PREFIX"), protected),
    )
    _add(template, "Resources", hand.get("Resources", {}))
    _add(template, "Outputs", hand.get("Outputs", {}))
    resources = template["Resources"]
    for name, override in whistle.get("Overrides", {}).items():
        if name not in resources:
            raise MergeError(f"Overrides names {name}, which Chalice did not generate")
        _deep_merge(resources[name], override)
    _wire_functions(template, whistle, stage, stage_env)
    _add_table_alarms(template, stage)
    _add_gateway_responses(template, whistle.get("GatewayResponses", {}))
    if region and region.startswith("cn-"):
        for_china_regions(template)
    return template


# The China regions (cn-north-1, cn-northwest-1) offer neither SES nor SNS SMS: messages go
# through Alibaba Cloud SMS and an SMTP relay (settings in the secrets parameter, nothing to
# grant in IAM). CloudFront there serves no *.cloudfront.cn address to browsers and has no
# ACM: a domain with an ICP filing (备案) and a server certificate uploaded to IAM are required.
CHINA_DECIDED = {
    "UseSns": False,
    "UseSes": False,
    "HasSesRegion": False,
    "HasSmsSenderId": False,
    "HasSmsOriginationNumber": False,
    "HasAcmCertificate": False,
    "HasDomain": True,
    "HasIamCertificate": True,
    "HasSenderEmail": True,
}
CHINA_DROPPED = (
    "SesRegion",
    "SmsSenderId",
    "SmsOriginationNumber",
    "SmsSignName",
    "CertificateArn",
)


def for_china_regions(template: dict[str, Any]) -> None:
    """Decide now what the China regions lack, and require what they need."""
    for condition, value in CHINA_DECIDED.items():
        resolve_condition(template, condition, value)
    parameters = template["Parameters"]
    for name in CHINA_DROPPED:
        del parameters[name]
    parameters["SmsProvider"].update(
        AllowedValues=["aliyun"],
        Default="aliyun",
        Description="Alibaba Cloud SMS, with the AccessKey, the registered signature and "
        'template codes in the secrets parameter ("aliyun_sms").',
    )
    parameters["MailProvider"].update(
        AllowedValues=["smtp"],
        Default="smtp",
        Description="A mail relay, with its host, port, TLS mode and login in the secrets "
        'parameter ("smtp").',
    )
    parameters["SenderEmail"] = {
        "Type": "String",
        "AllowedPattern": r"^[^@\s]+@[^@\s]+$",
        "ConstraintDescription": "an e-mail address",
        "Description": "From address of e-mail alerts: an address the SMTP relay lets the "
        "account send as.",
    }
    parameters["DomainName"] = {
        "Type": "String",
        "MinLength": 4,
        "AllowedPattern": r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$",
        "ConstraintDescription": "a domain name such as whistle.yushan.gov.cn",
        "Description": "The site's domain, with an ICP filing (备案) in force: required in the "
        "China regions, where CloudFront serves no *.cloudfront.cn address to browsers.",
    }
    parameters["IamCertificateId"] = {
        "Type": "String",
        "MinLength": 16,
        "AllowedPattern": "^[A-Z0-9]+$",
        "ConstraintDescription": "the ServerCertificateId that `aws iam upload-server-certificate` "
        "printed (ASCA…)",
        "Description": "The domain's certificate, uploaded to IAM with path /cloudfront/ (the "
        "China regions have no ACM for CloudFront).",
    }
    left = sorted(set(CHINA_DROPPED) & _referenced(template))
    if left:
        raise MergeError(f"the China template still refers to {left}")


def _referenced(node: Any) -> set[str]:
    """Every name a `Ref` or `Fn::Sub` string of the template names."""
    if isinstance(node, dict):
        found = {str(node["Ref"])} if list(node) == ["Ref"] else set()
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found |= set(re.findall(r"\$\{([A-Za-z0-9]+)", text))
        for value in node.values():
            found |= _referenced(value)
        return found
    if isinstance(node, list):
        return set().union(*(_referenced(v) for v in node)) if node else set()
    return set()


def resolve_condition(template: dict[str, Any], condition: str, value: bool) -> None:
    """Decide `condition` now: keep the chosen branch of every `Fn::If` on it and drop the
    resources and outputs that exist only under it (or only without it)."""

    removed = object()  # the branch chosen was AWS::NoValue: drop the list item

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if list(node) == ["Fn::If"] and node["Fn::If"][0] == condition:
                chosen = walk(node["Fn::If"][1 if value else 2])
                return removed if chosen == {"Ref": "AWS::NoValue"} else chosen
            return {k: v for k, v in ((k, walk(v)) for k, v in node.items()) if v is not removed}
        if isinstance(node, list):
            return [item for item in (walk(i) for i in node) if item is not removed]
        return node

    for section in ("Resources", "Outputs"):
        entries = template.get(section, {})
        for name in [n for n, e in entries.items() if e.get("Condition") == condition]:
            if not value:
                del entries[name]
            else:
                del entries[name]["Condition"]
    for key in list(template):
        template[key] = walk(template[key])
    del template["Conditions"][condition]


# -- functions ---------------------------------------------------------------------------------


def function_kind(handler: str, kinds: Mapping[str, Any]) -> str:
    """The `Whistle.Functions` entry describing the function with this handler."""
    matches = [
        kind
        for kind, spec in kinds.items()
        for pattern in spec["Handlers"]
        if handler == pattern or (pattern.endswith(".") and handler.startswith(pattern))
    ]
    if len(matches) != 1:
        raise MergeError(
            f"handler {handler!r} matches {matches or 'no'} entry of Whistle.Functions in "
            "stack.yaml: describe what the new function may do there"
        )
    return matches[0]


def function_name(stage: str, logical_id: str) -> str:
    """`APIHandler` → `whistle-prod-api-handler`: a name to find it by, and its log group's."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", logical_id)
    return f"whistle-{stage}-{words.lower()}"


def _check_table_access(kinds: Mapping[str, Any]) -> None:
    named: set[str] = set()
    for kind, spec in kinds.items():
        for base, level in (spec.get("Tables") or {}).items():
            if base not in MODELS:
                raise MergeError(
                    f"Whistle.Functions.{kind} names table {base!r}, which no model has"
                )
            if level not in ACCESS:
                raise MergeError(f"Whistle.Functions.{kind}: {base} is {level!r}, not read/write")
            named.add(base)
    unnamed = sorted(set(MODELS) - named)
    if unnamed:
        raise MergeError(
            f"no function may use table(s) {unnamed}: say under Whistle.Functions in "
            "stack.yaml which functions read or write them"
        )


def _wire_functions(
    template: dict[str, Any], whistle: Mapping[str, Any], stage: str, stage_env: Mapping[str, str]
) -> None:
    resources = template["Resources"]
    kinds = whistle["Functions"]
    _check_table_access(kinds)
    functions = {
        name: resource
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    roles: dict[str, str] = {}
    for logical_id, function in sorted(functions.items()):
        properties = function["Properties"]
        kind = function_kind(properties["Handler"], kinds)
        spec = kinds[kind]
        name = function_name(stage, logical_id)
        properties["FunctionName"] = name

        # The log group exists before the function can write to it, with a retention; the
        # function may write to it and nowhere else.
        log_group = f"{logical_id}LogGroup"
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{name}",
                "RetentionInDays": {"Ref": "LogRetentionDays"},
            },
        }
        depends = function.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        function["DependsOn"] = sorted({*depends, log_group})

        variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
        variables.update(copy.deepcopy(whistle.get("Environment", {})))
        variables.update(copy.deepcopy(spec.get("Environment", {})))

        streams = _wire_stream_sources(function)
        role = properties.get("Role", {}).get("Fn::GetAtt", [None])[0]
        if role not in resources or resources[role]["Type"] != "AWS::IAM::Role":
            raise MergeError(f"{logical_id} has no role of its own from Chalice")
        if role in roles:
            raise MergeError(f"{logical_id} and {roles[role]} share the role {role}")
        roles[role] = logical_id
        statements = _statements(log_group, spec, streams, stage_env)
        resources[role]["Properties"]["Policies"] = [
            {
                "PolicyName": f"{name}-least-privilege",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ]
        for metric, description in (
            ("Errors", "failed (an exception, a timeout or a crash)"),
            ("Throttles", "was throttled (concurrency limit)"),
        ):
            resources[f"{logical_id}{metric}Alarm"] = _alarm(
                name=f"{name}-{metric.lower()}",
                description=f"{name} {description} in the last 5 minutes.",
                namespace="AWS/Lambda",
                metric=metric,
                dimensions=[{"Name": "FunctionName", "Value": {"Ref": logical_id}}],
            )


def _statements(
    log_group: str,
    spec: Mapping[str, Any],
    streams: list[Any],
    stage_env: Mapping[str, str],
) -> list[Any]:
    statements: list[Any] = [
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        }
    ]
    by_level: dict[str, list[Any]] = {}
    for base, level in sorted((spec.get("Tables") or {}).items()):
        table = table_logical_id(base)
        arns: list[Any] = [{"Fn::GetAtt": [table, "Arn"]}]
        schema = MODELS[base]._get_schema()
        if schema.get("global_secondary_indexes") or schema.get("local_secondary_indexes"):
            arns.append({"Fn::Sub": f"${{{table}.Arn}}/index/*"})
        by_level.setdefault(level, []).extend(arns)
    for level in ("read", "write"):
        if level in by_level:
            statements.append(
                {
                    "Sid": f"Tables{level.title()}",
                    "Effect": "Allow",
                    "Action": ACCESS[level],
                    "Resource": by_level[level],
                }
            )
    if streams:
        statements.append(
            {"Sid": "Streams", "Effect": "Allow", "Action": STREAM_ACTIONS, "Resource": streams}
        )
    parameter = stage_env.get("WHISTLE_SECRETS_PARAMETER")
    if parameter:
        # The one SecureString with the keys, and the key that encrypts it (made by the
        # bootstrap stack, so the parameter can exist before the functions first start).
        statements.append(
            {
                "Sid": "Secrets",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                    f"parameter/{parameter.lstrip('/')}"
                },
            }
        )
        statements.append(
            {
                "Fn::If": [
                    "HasSecretsKey",
                    {
                        "Sid": "SecretsKey",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": {"Ref": "SecretsKeyArn"},
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": {
                                    "Fn::Sub": "ssm.${AWS::Region}.${AWS::URLSuffix}"
                                }
                            }
                        },
                    },
                    {"Ref": "AWS::NoValue"},
                ]
            }
        )
    statements.extend(copy.deepcopy(spec.get("Statements") or []))
    return statements


def _wire_stream_sources(function: dict[str, Any]) -> list[Any]:
    """Point DynamoDB event sources at the stream of our table, by reference.

    Chalice writes the `stream_arn` the app was given at packaging time; in the template the
    table's real stream ARN is only known as `!GetAtt <Table>.StreamArn`. The table is found
    by the end of its name (the prefix may be another stage's).
    """
    streams: list[Any] = []
    for event in (function["Properties"].get("Events") or {}).values():
        if event.get("Type") != "DynamoDB":
            continue
        source = event["Properties"]["Stream"]
        if isinstance(source, str):
            match = re.search(r":table/([^/]+)/stream", source)
            if not match:
                raise MergeError(f"cannot tell which table the stream {source} belongs to")
            table_name = match.group(1)
            bases = [b for b in MODELS if table_name.endswith(b)]
            if not bases:
                raise MergeError(f"the stream {source} is not of a table of the models")
            base = max(bases, key=len)
            model = MODELS[base]
            if not getattr(model.Meta, "stream_view_type", None):
                raise MergeError(f"{base} has no stream: set Meta.stream_view_type on its model")
            source = {"Fn::GetAtt": [table_logical_id(base), "StreamArn"]}
            event["Properties"]["Stream"] = source
        streams.append(source)
    return streams


# -- alarms ------------------------------------------------------------------------------------


def _alarm(
    *,
    name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": "Sum",
            "Period": ALARM_PERIOD_SECONDS,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


def _add_table_alarms(template: dict[str, Any], stage: str) -> None:
    """Throttled reads or writes on any table (on-demand tables throttle too, at a sudden
    peak above twice the previous one)."""
    resources = template["Resources"]
    for base in MODELS:
        table = table_logical_id(base)
        metrics: list[dict[str, Any]] = [
            {
                "Id": metric_id,
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DynamoDB",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "TableName", "Value": {"Ref": table}}],
                    },
                    "Period": ALARM_PERIOD_SECONDS,
                    "Stat": "Sum",
                },
            }
            for metric_id, metric in (
                ("reads", "ReadThrottleEvents"),
                ("writes", "WriteThrottleEvents"),
            )
        ]
        metrics.append(
            {
                "Id": "throttled",
                "Label": "Throttled requests",
                "Expression": "FILL(reads, 0) + FILL(writes, 0)",
                "ReturnData": True,
            }
        )
        resources[f"{table}ThrottledAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"whistle-{stage}-{base}-throttled",
                "AlarmDescription": f"Requests to the {base} table were throttled.",
                "Metrics": metrics,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}],
                "OKActions": [{"Ref": "AlarmTopic"}],
            },
        }


# -- API Gateway -------------------------------------------------------------------------------


def _add_gateway_responses(template: dict[str, Any], responses: Mapping[str, Any]) -> None:
    apis = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    if len(apis) != 1:
        raise MergeError(f"expected one API from Chalice, found {len(apis)}")
    definition = apis[0]["Properties"]["DefinitionBody"]
    gateway: dict[str, Any] = {}
    for kind, (status, code, message) in responses.items():
        body = {"error": {"code": code, "message": message, "details": []}}
        entry: dict[str, Any] = {
            "responseParameters": {"gatewayresponse.header.Cache-Control": "'no-store'"},
            "responseTemplates": {
                "application/json": json.dumps(body, separators=(",", ":")),
            },
        }
        if status is not None:
            entry["statusCode"] = str(status)
        gateway[kind] = entry
    definition["x-amazon-apigateway-gateway-responses"] = gateway


# -- helpers -----------------------------------------------------------------------------------


def _add(template: dict[str, Any], section: str, entries: Mapping[str, Any]) -> None:
    target = template.setdefault(section, {})
    clash = sorted(set(target) & set(entries))
    if clash:
        raise MergeError(f"{section} defined twice: {clash}")
    target.update(copy.deepcopy(dict(entries)))


def _deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise MergeError(f"the stage's environment in .chalice/config.json has no {name}")
    return value
