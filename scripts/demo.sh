#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing,
# build, start hangar-emulator, deploy both example micro-stacks with
# `hangar up --all`, and walk the notes API through API Gateway with curl:
# create -> get -> update -> get -> list -> delete -> get (404).
#
#   scripts/demo.sh            run the demo, stop the emulator at the end
#   scripts/demo.sh --keep     leave the emulator running to try things by hand
#   HANGAR_PORT=N              port (default 4566)
#
# Re-running works: each run starts a fresh in-memory emulator and a fresh
# deployer state under build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

KEEP=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing dependencies and building"
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"
BIN="$ROOT/build/release"

step "Starting hangar-emulator"
PORT="${HANGAR_PORT:-4566}"
DEMO="$ROOT/build/demo"
rm -rf "$DEMO" && mkdir -p "$DEMO"
"$BIN/hangar-emulator" --port "$PORT" --log-level warn >"$DEMO/emulator.log" 2>&1 &
EMU=$!
cleanup() {
  if [ "$KEEP" = 0 ]; then
    kill "$EMU" 2>/dev/null || true
    wait "$EMU" 2>/dev/null || true
  fi
}
trap cleanup EXIT
for _ in $(seq 200); do
  grep -q "listening on" "$DEMO/emulator.log" && break
  kill -0 "$EMU" 2>/dev/null || { cat "$DEMO/emulator.log"; echo "demo: the emulator failed to start (port $PORT in use?)" >&2; exit 1; }
  sleep 0.05
done
ENDPOINT="$(grep -o 'http://[^ ]*' "$DEMO/emulator.log" | head -1)"
echo "hangar-emulator is up at $ENDPOINT"
curl -s "$ENDPOINT/_hangar/health"; echo

step "Deploying the micro-stacks: hangar up --all (core-infrastructure, then api-gateway)"
export HANGAR_HOME="$DEMO/hangar-home" HANGAR_ENDPOINT="$ENDPOINT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
"$BIN/hangar" up --all --stack dev --yes --skip-preview -C fixtures/micro-stacks
URL="$("$BIN/hangar" stack output notesUrl --stack dev -C fixtures/micro-stacks/api-gateway)"
TABLE="$("$BIN/hangar" stack output testTableName --stack dev -C fixtures/micro-stacks)"
echo "notes API: $URL   (table $TABLE, read by the lambdas through the stack reference)"

# One request, shown readably: method, URL, body, then status and response.
call() {
  local method="$1" url="$2" body="${3:-}"
  printf '\n\033[36m$ curl -X %s %s%s\033[0m\n' "$method" "$url" "${body:+ -d '$body'}"
  local out
  if [ -n "$body" ]; then
    out="$(curl -s -X "$method" -H 'Content-Type: application/json' -d "$body" -w '\n%{http_code}' "$url")"
  else
    out="$(curl -s -X "$method" -w '\n%{http_code}' "$url")"
  fi
  STATUS="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
  echo "HTTP $STATUS"
  if [ -n "$BODY" ]; then
    printf '%s' "$BODY" | /usr/bin/python3 -m json.tool 2>/dev/null || printf '%s\n' "$BODY"
  fi
}
expect() { [ "$STATUS" = "$1" ] || { echo "demo: expected HTTP $1, got $STATUS" >&2; exit 1; }; }
json_field() { printf '%s' "$BODY" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

step "Driving the notes API through API Gateway"
call POST "$URL" '{"title":"Hello","content":"My first note"}';          expect 201
ID="$(json_field id)"
call GET "$URL/$ID";                                                       expect 200
call PUT "$URL/$ID" '{"content":"Edited","expectedVersion":1}';            expect 200
call GET "$URL/$ID";                                                       expect 200
call GET "$URL?limit=10";                                                  expect 200
call DELETE "$URL/$ID";                                                    expect 204
call GET "$URL/$ID";                                                       expect 404

step "Done. Try it by hand$( [ "$KEEP" = 1 ] && echo " (the emulator keeps running: kill $EMU to stop it)" || echo " with scripts/demo.sh --keep")"
cat <<EOT
  export HANGAR_ENDPOINT=$ENDPOINT HANGAR_HOME=$HANGAR_HOME
  curl -s -X POST -d '{"title":"t","content":"c"}' $URL
  curl -s $URL
  $BIN/hangar stack output --json --stack dev -C fixtures/micro-stacks/api-gateway
  $BIN/hangar preview --all --stack dev -C fixtures/micro-stacks
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test /usr/bin/aws --endpoint-url $ENDPOINT --region us-east-1 dynamodb scan --table-name $TABLE
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test /usr/bin/aws --endpoint-url $ENDPOINT --region us-east-1 logs tail /aws/lambda/<function>
EOT
