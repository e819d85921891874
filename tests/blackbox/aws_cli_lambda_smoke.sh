#!/usr/bin/env bash
# Lambda smoke test with the real aws CLI (Debian's /usr/bin/aws): create a Lua
# function from a fileb:// zip, invoke it (raw-in-base64-out, log tail), and
# read its log with `aws logs tail`, with only --endpoint-url.
# Starts its own emulator (HANGAR_EMULATOR), or uses HANGAR_ENDPOINT if set.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/emulator.sh"

lam() { "$AWS" lambda --endpoint-url "$endpoint" --output json "$@"; }
logs() { "$AWS" logs --endpoint-url "$endpoint" "$@"; }

fn="cli-smoke-$$-$RANDOM"
cat >"$workdir/main.lua" <<'LUA'
local calls = 0
return {handler = function(event, context)
  calls = calls + 1
  print("smoke says hello to " .. tostring(event.who))
  return {greeting = "hello " .. tostring(event.who), calls = calls}
end}
LUA
(cd "$workdir" && "$PY" -c "import zipfile; z=zipfile.ZipFile('fn.zip','w'); z.write('main.lua'); z.close()")

lam create-function --function-name "$fn" --runtime lua5.4 --handler main.handler \
    --role arn:aws:iam::000000000000:role/lambda-role \
    --zip-file "fileb://$workdir/fn.zip" >"$workdir/create.json"
[[ $(json_get 'd["FunctionName"]' <"$workdir/create.json") == "$fn" ]] || fail "create-function did not echo the name"
lam wait function-active-v2 --function-name "$fn"

lam invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
    --payload '{"who":"cli"}' --log-type Tail "$workdir/out.json" >"$workdir/invoke.json"
[[ $(json_get 'd["StatusCode"]' <"$workdir/invoke.json") == 200 ]] || fail "invoke status: $(cat "$workdir/invoke.json")"
[[ $(json_get 'd["greeting"]' <"$workdir/out.json") == "hello cli" ]] || fail "invoke result: $(cat "$workdir/out.json")"
json_get 'd["LogResult"]' <"$workdir/invoke.json" | base64 -d >"$workdir/tail.txt"
grep -q '^START RequestId: .* Version: \$LATEST' "$workdir/tail.txt" || fail "no START in the log tail"
grep -q 'smoke says hello to cli' "$workdir/tail.txt" || fail "no handler output in the log tail"
grep -q '^REPORT RequestId: ' "$workdir/tail.txt" || fail "no REPORT in the log tail"

lam invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
    --payload '{"who":"again"}' "$workdir/out2.json" >/dev/null
[[ $(json_get 'd["calls"]' <"$workdir/out2.json") == 2 ]] || fail "warm state lost: $(cat "$workdir/out2.json")"

found=""
for _ in $(seq 1 50); do
    logs tail "/aws/lambda/$fn" --since 10m >"$workdir/logs.txt" 2>"$workdir/logs.err" || true
    if grep -q 'smoke says hello to again' "$workdir/logs.txt"; then found=1; break; fi
    sleep 0.1
done
[[ -n "$found" ]] || fail "aws logs tail did not show the handler output: $(cat "$workdir/logs.txt" "$workdir/logs.err")"
grep -q 'START RequestId: ' "$workdir/logs.txt" || fail "aws logs tail shows no START line"

# --follow keeps polling: run it briefly and check it printed the lines too.
# The CLI itself takes seconds to start on a loaded machine, so wait for the
# line (up to 60 s) instead of giving --follow a fixed slice of time.
"$AWS" logs --endpoint-url "$endpoint" tail "/aws/lambda/$fn" --follow --since 10m \
    >"$workdir/follow.txt" 2>&1 &
follow_pid=$!
for _ in $(seq 600); do
    grep -q 'smoke says hello to cli' "$workdir/follow.txt" && break
    kill -0 "$follow_pid" 2>/dev/null || break
    sleep 0.1
done
kill "$follow_pid" 2>/dev/null; wait "$follow_pid" 2>/dev/null || true
grep -q 'smoke says hello to cli' "$workdir/follow.txt" || fail "logs tail --follow printed: $(cat "$workdir/follow.txt")"

lam delete-function --function-name "$fn"
if lam invoke --function-name "$fn" "$workdir/gone.json" 2>"$workdir/gone.err" >/dev/null; then
    fail "invoke of a deleted function succeeded"
fi
grep -q ResourceNotFoundException "$workdir/gone.err" || fail "wrong error: $(cat "$workdir/gone.err")"

stop_emulator_checked
echo "aws cli lambda smoke: OK"
