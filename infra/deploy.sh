#!/usr/bin/env bash
# `make deploy STAGE=prod`: deploy what `make package` built, then the SPA, with the AWS CLI.
#
#   1. the bootstrap stack (artifacts bucket, secrets key)       infra/bootstrap.yaml
#   2. the secrets parameter, created once with fresh keys       never overwritten
#      and the edge secret CloudFront sends to the API             made once
#   3. the application stack                                     build/<stage>/template.json
#   4. the SPA: hashed assets cached for a year, then config.json and index.html (no-cache)
#
# Before any of that, preflight checks that change nothing: neither stack is stuck in a
# state CloudFormation cannot deploy over (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED…), the
# required parameters are set, the sender's address is verified, SMS can reach residents
# (SNS sandbox, monthly spend limit) and the certificate exists. Each problem is listed with
# what to do; `make smoke` then checks the running site (`make deploy` runs it at its end).
#
# Needs AWS CLI v2 and credentials for the target account; parameters come from
# infra/<stage>.parameters (Key=Value lines, see infra/parameters.example).
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE=${STAGE:-prod}
PYTHON=${PYTHON:-.venv/bin/python}
BUILD=${BUILD:-build/$STAGE}
DIST=${DIST:-frontend/dist}
PARAMETERS=${PARAMETERS:-infra/$STAGE.parameters}
REGION=${REGION:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
STACK=whistle-$STAGE
BOOTSTRAP=whistle-$STAGE-bootstrap

die() { echo "deploy: $*" >&2; exit 1; }
step() { echo "==> $*"; }

command -v aws >/dev/null || die "the AWS CLI (v2) is not installed: https://aws.amazon.com/cli/"
[ -n "$REGION" ] || die "say which region: REGION=cn-northwest-1 make deploy STAGE=$STAGE"
[ -f "$BUILD/template.json" ] || die "$BUILD/template.json is missing: run make package STAGE=$STAGE"
[ -f "$DIST/index.html" ] || die "$DIST/index.html is missing: run make build"
[ -f "$PARAMETERS" ] || die "copy infra/parameters.example to $PARAMETERS and fill it in"
packaged_region=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["region"])' "$BUILD/manifest.json")
[ "$packaged_region" = "$REGION" ] || die "$BUILD was packaged for $packaged_region, not $REGION: make package REGION=$REGION"
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION

output() {  # output STACK KEY
  local value
  value=$(aws cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue | [0]" --output text)
  [ -n "$value" ] && [ "$value" != "None" ] || die "stack $1 has no output $2"
  echo "$value"
}

deployed_parameter() {  # deployed_parameter STACK KEY: the value the stack runs with, or empty
  aws cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Parameters[?ParameterKey=='$2'].ParameterValue | [0]" --output text \
    2>/dev/null | sed 's/^None$//' || true
}

parameter() {  # parameter KEY DEFAULT: the value in $PARAMETERS, or DEFAULT
  local value
  value=$(sed -n "s/^$1=//p" "$PARAMETERS" | tail -1)
  value=${value%$'\r'}
  echo "${value:-$2}"
}
case "$REGION" in
  cn-*) sms_provider=$(parameter SmsProvider aliyun); mail_provider=$(parameter MailProvider smtp) ;;
  *) sms_provider=$(parameter SmsProvider sns); mail_provider=$(parameter MailProvider ses) ;;
esac

# -- preflight: nothing is changed until every check passes ------------------------------------
step "preflight"
problems=()
problem() { problems+=("$*"); }

stack_status() {  # stack_status STACK: its status, or NONE when there is no such stack
  local answer
  if answer=$(aws cloudformation describe-stacks --stack-name "$1" \
      --query "Stacks[0].StackStatus" --output text 2>&1); then
    echo "$answer"
  elif grep -q "does not exist" <<<"$answer"; then
    echo NONE
  else
    die "cannot read the state of stack $1: $answer"
  fi
}

failure() {  # failure STACK INDEX: a failed resource and why (-1: the oldest, 0: the latest)
  aws cloudformation describe-stack-events --stack-name "$1" \
    --query "StackEvents[?ends_with(ResourceStatus, '_FAILED')] | [$2].[LogicalResourceId, ResourceStatusReason]" \
    --output text 2>/dev/null | sed 's/^None.*//' | tr '\t' ' ' || true
}

check_stack() {  # check_stack STACK: can a deployment proceed over its state ($status)?
  local why=""
  status=$(stack_status "$1")
  case "$status" in
    ROLLBACK_*) why=$(failure "$1" -1) ;;
    *_FAILED) why=$(failure "$1" 0) ;;
  esac
  why=${why:+ It failed at: $why.}
  case "$status" in
    ROLLBACK_COMPLETE|ROLLBACK_FAILED)
      problem "stack $1 is $status: its first creation failed and rolled back.$why" \
        "It holds no data (tables and buckets are kept only once created). Fix the cause, then" \
        "delete it and deploy again: aws cloudformation delete-stack --stack-name $1 &&" \
        "aws cloudformation wait stack-delete-complete --stack-name $1 && make deploy STAGE=$STAGE" ;;
    UPDATE_ROLLBACK_FAILED)
      problem "stack $1 is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback.$why" \
        "Fix the cause (often a resource changed by hand), then: aws cloudformation" \
        "continue-update-rollback --stack-name $1 (add --resources-to-skip LOGICAL_ID for a" \
        "resource that cannot be rolled back), wait for UPDATE_ROLLBACK_COMPLETE, and deploy again." \
        "Never delete this stack: its tables and photo bucket hold the district's data." ;;
    DELETE_FAILED)
      problem "stack $1 is DELETE_FAILED.$why Finish deleting it in the CloudFormation console," \
        "or deploy it under another stage name." ;;
    *_IN_PROGRESS)
      problem "stack $1 is $status: another deployment is running. Wait for it to finish:" \
        "aws cloudformation describe-stacks --stack-name $1 --query Stacks[0].StackStatus" ;;
  esac
}
check_stack "$BOOTSTRAP"
check_stack "$STACK"
app_status=$status

[ -n "$(parameter AlarmEmail '')" ] ||
  problem "AlarmEmail is empty in $PARAMETERS: alarms would reach nobody."
sender=$(parameter SenderEmail '')
[ -n "$sender" ] ||
  problem "SenderEmail is empty in $PARAMETERS: departments would get no e-mail alerts."

case "$REGION" in
  cn-*)
    [ -n "$(parameter DomainName '')" ] ||
      problem "DomainName is empty in $PARAMETERS: the China regions need the site's ICP-filed domain."
    certificate=$(parameter IamCertificateId '')
    if [ -z "$certificate" ]; then
      problem "IamCertificateId is empty in $PARAMETERS: upload the domain's certificate to IAM" \
        "(aws iam upload-server-certificate --path /cloudfront/whistle/ …) and put its id here."
    else
      path=$(aws iam list-server-certificates --path-prefix /cloudfront/ \
        --query "ServerCertificateMetadataList[?ServerCertificateId=='$certificate'].Path | [0]" \
        --output text)
      [ -n "$path" ] && [ "$path" != None ] ||
        problem "no server certificate $certificate under the IAM path /cloudfront/: CloudFront" \
          "uses only certificates uploaded with --path /cloudfront/…"
    fi ;;
  *)
    domain=$(parameter DomainName '')
    certificate=$(parameter CertificateArn '')
    if [ -n "$domain" ] && [ -z "$certificate" ]; then
      problem "DomainName is $domain but CertificateArn is empty: request an ACM certificate" \
        "for it in us-east-1."
    elif [ -n "$certificate" ]; then
      status=$(aws acm describe-certificate --region us-east-1 --certificate-arn "$certificate" \
        --query Certificate.Status --output text 2>&1) || status="missing ($status)"
      [ "$status" = ISSUED ] ||
        problem "certificate $certificate is $status, not ISSUED: finish its DNS validation."
    fi ;;
esac

if [ "$mail_provider" = ses ] && [ -n "$sender" ]; then
  ses_region=$(parameter SesRegion "$REGION")
  verified=False
  for identity in "$sender" "${sender#*@}"; do
    answer=$(aws sesv2 get-email-identity --region "$ses_region" --email-identity "$identity" \
      --query VerifiedForSendingStatus --output text 2>/dev/null) || answer=False
    [ "$answer" = True ] && verified=True
  done
  [ "$verified" = True ] ||
    problem "SES in $ses_region has not verified $sender or ${sender#*@}: verify one" \
      "(aws sesv2 create-email-identity --email-identity ${sender#*@}, then its DNS records)."
  production=$(aws sesv2 get-account --region "$ses_region" --query ProductionAccessEnabled \
    --output text)
  [ "$production" = True ] || [ -n "${ALLOW_SANDBOX:-}" ] ||
    problem "SES in $ses_region is in its sandbox: mail reaches verified addresses only." \
      "Request production access, or deploy a trial stage anyway with ALLOW_SANDBOX=1."
fi

if [ "$sms_provider" = sns ]; then
  sandbox=$(aws sns get-sms-sandbox-account-status --query IsInSandbox --output text)
  [ "$sandbox" = False ] || [ -n "${ALLOW_SANDBOX:-}" ] ||
    problem "SNS SMS is in its sandbox in $REGION: residents get no texts. Request production" \
      "access (SNS console, Text messaging), or deploy a trial stage anyway with ALLOW_SANDBOX=1."
  limit=$(aws sns get-sms-attributes --attributes MonthlySpendLimit \
    --query attributes.MonthlySpendLimit --output text)
  limit=${SMS_MONTHLY_SPEND_LIMIT:-$limit}
  [[ "$limit" =~ ^[0-9]+$ ]] || limit=1
  [ "$limit" -gt 1 ] ||
    problem "the SNS monthly SMS spend limit is USD $limit (the account's default): texts stop" \
      "after a dollar. Raise the account's quota, then set SMS_MONTHLY_SPEND_LIMIT=… make deploy."
fi

if [ "${#problems[@]}" -gt 0 ]; then
  echo "deploy: preflight found ${#problems[@]} problem(s); nothing was changed:" >&2
  for line in "${problems[@]}"; do echo "  - $line" >&2; done
  exit 1
fi
echo "stacks, parameters, certificate, sender and SMS look ready"

step "bootstrap stack $BOOTSTRAP"
aws cloudformation deploy --stack-name "$BOOTSTRAP" --template-file infra/bootstrap.yaml \
  --parameter-overrides "Stage=$STAGE" --no-fail-on-empty-changeset
artifacts=$(output "$BOOTSTRAP" ArtifactsBucketName)
secrets_key=$(output "$BOOTSTRAP" SecretsKeyArn)

secrets_parameter=$("$PYTHON" -c 'import sys; from infra.package import stage_environment; print(stage_environment(sys.argv[1])["WHISTLE_SECRETS_PARAMETER"])' "$STAGE")
step "secrets parameter $secrets_parameter"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
chmod 700 "$scratch"
# Secrets pass through files in a private folder, never through a command line.
put_secrets() {  # put_secrets [--overwrite]
  aws ssm put-parameter --name "$secrets_parameter" --type SecureString --key-id "$secrets_key" \
    --value "file://$scratch/secrets.json" "$@" \
    --description "Whistle $STAGE: encryption, look-up, signing, session and webhook keys" >/dev/null
  rm -f "$scratch/secrets.json"
}
if current=$(aws ssm get-parameter --name "$secrets_parameter" --with-decryption \
    --query Parameter.Value --output text 2>&1); then
  printf '%s' "$current" >"$scratch/current.json"
  unset current
  # Keys a newer release needs (e.g. session_key) are added; a key already there is never
  # changed, since a new encryption key would make stored phone numbers unreadable.
  if "$PYTHON" -m infra complete-secrets "$scratch/current.json" >"$scratch/secrets.json"; then
    put_secrets --overwrite
    echo "exists; missing keys added, the others left as they are"
  else
    rm -f "$scratch/secrets.json"
    echo "exists; left as it is (new keys would make stored phone numbers unreadable)"
  fi
  rm -f "$scratch/current.json"
elif grep -q ParameterNotFound <<<"$current"; then
  "$PYTHON" -m infra new-secrets >"$scratch/secrets.json"
  put_secrets
  echo "created with fresh keys"
else
  die "cannot read $secrets_parameter: $current"
fi

# The secret CloudFront adds to the requests it forwards to the API, which answers nothing
# else. A String parameter (CloudFront reads it by dynamic reference), made once.
edge_parameter="/whistle/$STAGE/edge-secret"
step "edge secret $edge_parameter"
if lookup=$(aws ssm get-parameter --name "$edge_parameter" --query Parameter.Name --output text 2>&1); then
  echo "exists; left as it is"
elif grep -q ParameterNotFound <<<"$lookup"; then
  edge_dir=$(mktemp -d)
  chmod 700 "$edge_dir"
  "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32), end="")' >"$edge_dir/edge"
  aws ssm put-parameter --name "$edge_parameter" --type String --value "file://$edge_dir/edge" \
    --description "Whistle $STAGE: the header CloudFront sends to the API" >/dev/null
  rm -rf "$edge_dir"
  echo "created"
else
  die "cannot read $edge_parameter: $lookup"
fi

# SMS and mail providers other than SNS and SES (in the China regions, Alibaba Cloud SMS and an
# SMTP relay) take their settings from the secrets parameter; the dispatch function refuses to
# start without them, so the deployment stops here first.
if [ "$sms_provider" != sns ] || [ "$mail_provider" != ses ]; then
  step "secrets parameter: settings for $sms_provider and $mail_provider"
  # Through a pipe, so the secrets never appear on a command line or in the output.
  aws ssm get-parameter --name "$secrets_parameter" --with-decryption \
      --query Parameter.Value --output text \
    | "$PYTHON" -m infra check-secrets --sms-provider "$sms_provider" --mail-provider "$mail_provider" \
    || die "add them to $secrets_parameter (README: Deploying in mainland China), then run make deploy again"
fi

# The China template has no SesRegion, SmsSenderId, SmsSignName… : a line for a parameter the
# packaged template does not declare is left out (CloudFormation would refuse the lot).
declared=" $("$PYTHON" -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1])).get("Parameters", {"*": 0})))' "$BUILD/template.json") "
overrides=("SecretsKeyArn=$secrets_key" "ProtectData=true")
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  case "$line" in ''|'#'*) continue ;; esac
  [[ "$line" == *=* ]] || die "$PARAMETERS: not Key=Value: $line"
  if [[ "$declared" != *" * "* && "$declared" != *" ${line%%=*} "* ]]; then
    echo "(${line%%=*} is not a parameter of the $REGION template: left out)"
    continue
  fi
  overrides+=("$line")
done <"$PARAMETERS"
given_public_url=$(printf '%s\n' "${overrides[@]}" | sed -n 's/^PublicUrl=//p' | tail -1)
if [ -z "$given_public_url" ]; then
  current=$(deployed_parameter "$STACK" PublicUrl)
  [ -n "$current" ] && overrides+=("PublicUrl=$current")
fi

step "upload the Lambda package to s3://$artifacts/$STAGE/"
aws cloudformation package --template-file "$BUILD/template.json" --s3-bucket "$artifacts" \
  --s3-prefix "$STAGE" --output-template-file "$BUILD/packaged.json" >/dev/null

deploy_stack() {
  aws cloudformation deploy --stack-name "$STACK" --template-file "$BUILD/packaged.json" \
    --s3-bucket "$artifacts" --s3-prefix "$STAGE" \
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND \
    --parameter-overrides "$@" --no-fail-on-empty-changeset
}

step "application stack $STACK"
if [ "$app_status" = NONE ]; then
  # Created without the tables' deletion protection, so that a creation that fails rolls
  # back to nothing (RetainExceptOnCreate); the second pass below turns it on.
  deploy_stack "${overrides[@]}" "ProtectData=false"
else
  deploy_stack "${overrides[@]}"
fi
site=$(output "$STACK" SiteUrl)
again=()
if [ -z "$given_public_url" ] && [ "$(deployed_parameter "$STACK" PublicUrl)" != "$site" ]; then
  # The site's address exists only once CloudFront does; links in notifications and the
  # photo bucket's CORS rule need it, so the first deployment is followed by a second.
  again+=("PublicUrl=$site")
fi
if [ "$app_status" = NONE ] || [ "${#again[@]}" -gt 0 ]; then
  step "application stack $STACK: ${again[*]:-}${again[*]:+, }tables protected from deletion"
  deploy_stack "${overrides[@]}" "${again[@]}"
fi

step "the SPA"
aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs" \
  --output json >"$BUILD/outputs.json"
"$PYTHON" -m infra spa-config --stage "$STAGE" "$BUILD/outputs.json" >"$BUILD/config.json"
bucket=$(output "$STACK" SpaBucketName)
distribution=$(output "$STACK" DistributionId)
# Hashed assets first and never deleted: a page already open may still load its old chunks.
aws s3 sync "$DIST/assets" "s3://$bucket/assets" --only-show-errors \
  --cache-control "public, max-age=31536000, immutable"
aws s3 sync "$DIST" "s3://$bucket" --only-show-errors --exclude "assets/*" \
  --exclude "index.html" --cache-control "no-cache"
aws s3 cp "$BUILD/config.json" "s3://$bucket/config.json" --only-show-errors \
  --cache-control "no-cache" --content-type "application/json; charset=utf-8"
# The document last: it names the new assets, which are all there by now.
aws s3 cp "$DIST/index.html" "s3://$bucket/index.html" --only-show-errors \
  --cache-control "no-cache" --content-type "text/html; charset=utf-8"
aws cloudfront create-invalidation --distribution-id "$distribution" \
  --paths "/" "/index.html" "/config.json" >/dev/null

if [ -n "${SMS_MONTHLY_SPEND_LIMIT:-}" ] && [ "$sms_provider" = sns ]; then
  step "SMS settings: transactional, at most USD $SMS_MONTHLY_SPEND_LIMIT a month"
  aws sns set-sms-attributes \
    --attributes "DefaultSMSType=Transactional,MonthlySpendLimit=$SMS_MONTHLY_SPEND_LIMIT"
fi

echo "$site" >"$BUILD/site-url"
echo "Whistle $STAGE is deployed: $site (make smoke URL=$site STAGE=$STAGE checks it)"
