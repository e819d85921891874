#!/usr/bin/env bash
# API Gateway smoke test with the real aws CLI (Debian's /usr/bin/aws): build a MOCK API
# the way a user first does, with only --endpoint-url, and tear it down.
# Starts its own emulator (HANGAR_EMULATOR), or uses HANGAR_ENDPOINT if set.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/emulator.sh"

apigw() { "$AWS" apigateway --endpoint-url "$endpoint" --output json "$@"; }

apigw create-rest-api --name "cli-smoke-$$" >"$workdir/api.json"
api=$(json_get 'd["id"]' <"$workdir/api.json")
[[ $api =~ ^[a-z0-9]{10}$ ]] || fail "create-rest-api id looks wrong: $api"

apigw get-resources --rest-api-id "$api" >"$workdir/res.json"
root=$(json_get '[r["id"] for r in d["items"] if r["path"] == "/"][0]' <"$workdir/res.json")
[[ -n $root ]] || fail "no root resource"

apigw create-resource --rest-api-id "$api" --parent-id "$root" --path-part hello >"$workdir/hello.json"
hello=$(json_get 'd["id"]' <"$workdir/hello.json")
[[ $(json_get 'd["path"]' <"$workdir/hello.json") == /hello ]] || fail "create-resource path wrong"

apigw put-method --rest-api-id "$api" --resource-id "$hello" --http-method GET \
    --authorization-type NONE >"$workdir/method.json"
[[ $(json_get 'd["httpMethod"]' <"$workdir/method.json") == GET ]] || fail "put-method wrong"

apigw put-integration --rest-api-id "$api" --resource-id "$hello" --http-method GET --type MOCK \
    --request-templates '{"application/json":"{\"statusCode\": 200}"}' >"$workdir/integ.json"
[[ $(json_get 'd["type"]' <"$workdir/integ.json") == MOCK ]] || fail "put-integration wrong"

apigw create-deployment --rest-api-id "$api" --stage-name dev >"$workdir/dep.json"
dep=$(json_get 'd["id"]' <"$workdir/dep.json")
[[ -n $dep ]] || fail "create-deployment gave no id"

apigw get-stages --rest-api-id "$api" >"$workdir/stages.json"
[[ $(json_get '",".join(s["stageName"] + "=" + s["deploymentId"] for s in d["item"])' <"$workdir/stages.json") \
    == "dev=$dep" ]] || fail "get-stages wrong: $(cat "$workdir/stages.json")"

apigw delete-rest-api --rest-api-id "$api"
if apigw get-rest-api --rest-api-id "$api" 2>"$workdir/gone.err" >/dev/null; then
    fail "API still exists after delete-rest-api"
fi
grep -q NotFoundException "$workdir/gone.err" || fail "wrong error: $(cat "$workdir/gone.err")"

stop_emulator_checked
echo "aws cli apigateway smoke: OK"
