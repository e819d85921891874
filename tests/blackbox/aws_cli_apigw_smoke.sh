#!/usr/bin/env bash
# API Gateway smoke test with the real aws CLI (Debian's /usr/bin/aws): build a MOCK API
# the way a user first does, with only --endpoint-url, and tear it down.
# Starts its own emulator (HANGAR_EMULATOR), or uses HANGAR_ENDPOINT if set.
set -euo pipefail

AWS=${AWS_CLI:-/usr/bin/aws}
PY=/usr/bin/python3
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=secret
export AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null

workdir=$(mktemp -d)
emu_pid=""
cleanup() {
    if [[ -n "$emu_pid" ]] && kill -0 "$emu_pid" 2>/dev/null; then
        kill "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ -n "${HANGAR_ENDPOINT:-}" ]]; then
    endpoint=$HANGAR_ENDPOINT
else
    [[ -x "${HANGAR_EMULATOR:-}" ]] || fail "HANGAR_EMULATOR is not an executable"
    "$HANGAR_EMULATOR" --port 0 --host 127.0.0.1 --log-level warn \
        >"$workdir/stdout" 2>"$workdir/stderr" &
    emu_pid=$!
    endpoint=""
    for _ in $(seq 1 100); do
        endpoint=$(sed -n 's/.*hangar-emulator listening on \(http:[^ ]*\).*/\1/p' "$workdir/stdout" | head -1)
        [[ -n "$endpoint" ]] && break
        kill -0 "$emu_pid" 2>/dev/null || { cat "$workdir/stderr" >&2; fail "emulator exited at start"; }
        sleep 0.1
    done
    [[ -n "$endpoint" ]] || fail "emulator never printed its listening line"
fi

apigw() { "$AWS" apigateway --endpoint-url "$endpoint" --output json "$@"; }
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

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

if [[ -n "$emu_pid" ]]; then
    kill "$emu_pid"
    wait "$emu_pid" && rc=0 || rc=$?
    emu_pid=""
    [[ $rc == 0 || $rc == 143 ]] || { cat "$workdir/stderr" >&2; fail "emulator exit status $rc"; }
    if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$workdir/stderr"; then
        cat "$workdir/stderr" >&2
        fail "sanitizer report in emulator stderr"
    fi
fi
echo "aws cli apigateway smoke: OK"
