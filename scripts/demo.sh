#!/usr/bin/env bash
# The main job, from a fresh machine: install dependencies, build, start
# hangar-emulator, and drive a short DynamoDB session with the aws CLI.
# (The micro-stack deployer and the notes API join this script as they land.)
#
#   HANGAR_PORT=N scripts/demo.sh   port to use (default 4566; 0 = any free port)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"

PORT="${HANGAR_PORT:-4566}"
LOG="$(mktemp)"
build/release/hangar-emulator --port "$PORT" --log-level warn >"$LOG" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null; wait $EMU 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$LOG" && break
  kill -0 $EMU 2>/dev/null || { cat "$LOG"; echo "demo: emulator failed to start" >&2; exit 1; }
  sleep 0.05
done
ENDPOINT="$(grep -o 'http://[^ ]*' "$LOG" | head -1)"
echo "demo: hangar-emulator is up at $ENDPOINT"
curl -s "$ENDPOINT/_hangar/health"; echo

# Debian's aws CLI, with dummy credentials: the emulator only reads the region.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
aws() { /usr/bin/aws --endpoint-url "$ENDPOINT" "$@"; }

set -x
aws dynamodb create-table --table-name notes \
  --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST \
  --query 'TableDescription.[TableName,TableStatus]' --output text
aws dynamodb wait table-exists --table-name notes
aws dynamodb put-item --table-name notes \
  --item '{"id":{"S":"n1"},"title":{"S":"Hello"},"version":{"N":"1"}}'
aws dynamodb update-item --table-name notes --key '{"id":{"S":"n1"}}' \
  --update-expression 'SET title = :t ADD version :one' \
  --expression-attribute-values '{":t":{"S":"Hello, Hangar"},":one":{"N":"1"}}' \
  --return-values ALL_NEW
aws dynamodb get-item --table-name notes --key '{"id":{"S":"n1"}}'
aws dynamodb scan --table-name notes --select COUNT
aws dynamodb delete-table --table-name notes --query 'TableDescription.TableStatus' --output text
set +x
echo "demo: done"
