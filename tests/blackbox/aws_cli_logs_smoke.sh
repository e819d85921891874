#!/usr/bin/env bash
# Smoke test of CloudWatch Logs with the real aws CLI (Debian's /usr/bin/aws):
# create a group and stream, put events, then read them back the ways users do —
# `aws logs tail` (default window, --since 1h, --filter-pattern, --follow) and
# `aws logs get-log-events` / `filter-log-events`.
# Starts its own emulator (HANGAR_EMULATOR), or uses HANGAR_ENDPOINT if set.
set -euo pipefail

follow_pid=""
on_cleanup() { [[ -n "$follow_pid" ]] && kill "$follow_pid" 2>/dev/null || true; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulator.sh"

logs() { "$AWS" logs --endpoint-url "$endpoint" --output json "$@"; }

group="/aws/lambda/cli-smoke-$$-$RANDOM"
now=$("$PY" -c 'import time; print(int(time.time()*1000))')
old=$((now - 2 * 3600 * 1000))   # two hours ago: outside --since 1h and the default 10m

logs create-log-group --log-group-name "$group"
logs create-log-stream --log-group-name "$group" --log-stream-name "2026/01/01/[\$LATEST]abc"
logs create-log-stream --log-group-name "$group" --log-stream-name other
logs put-log-events --log-group-name "$group" --log-stream-name "2026/01/01/[\$LATEST]abc" \
    --log-events "timestamp=$old,message=ancient-line" \
                 "timestamp=$((now - 2000)),message=START RequestId: r1" \
                 "timestamp=$((now - 1000)),message=hello from handler" >/dev/null
logs put-log-events --log-group-name "$group" --log-stream-name other \
    --log-events "timestamp=$((now - 1500)),message=ERROR something broke" >/dev/null

logs describe-log-groups --log-group-name-prefix "$group" >"$workdir/groups.json"
[[ $(json_get 'd["logGroups"][0]["logGroupName"]' <"$workdir/groups.json") == "$group" ]] \
    || fail "describe-log-groups does not show the group"

# Default tail window (10 minutes): the recent lines, interleaved in time order, not the old one.
logs tail "$group" >"$workdir/tail.txt"
grep -q "START RequestId: r1" "$workdir/tail.txt" || fail "tail misses START: $(cat "$workdir/tail.txt")"
grep -q "hello from handler" "$workdir/tail.txt" || fail "tail misses the handler line"
grep -q "ERROR something broke" "$workdir/tail.txt" || fail "tail misses the other stream"
grep -q "ancient-line" "$workdir/tail.txt" && fail "tail shows a line older than its window"
[[ $(grep -n "ERROR something broke" "$workdir/tail.txt" | cut -d: -f1) -lt \
   $(grep -n "hello from handler" "$workdir/tail.txt" | cut -d: -f1) ]] || fail "tail is not in time order"

logs tail "$group" --since 3h >"$workdir/tail3h.txt"
grep -q "ancient-line" "$workdir/tail3h.txt" || fail "tail --since 3h misses the old line"
logs tail "$group" --since 1h >"$workdir/tail1h.txt"
grep -q "ancient-line" "$workdir/tail1h.txt" && fail "tail --since 1h shows a 2h-old line"
logs tail "$group" --filter-pattern ERROR --format short >"$workdir/tailf.txt"
[[ $(wc -l <"$workdir/tailf.txt") -eq 1 ]] && grep -q "ERROR something broke" "$workdir/tailf.txt" \
    || fail "tail --filter-pattern: $(cat "$workdir/tailf.txt")"

# --follow: prints what is there, then picks up a line put while it runs.
logs tail "$group" --follow --format short >"$workdir/follow.txt" 2>&1 &
follow_pid=$!
sleep 2
logs put-log-events --log-group-name "$group" --log-stream-name other \
    --log-events "timestamp=$("$PY" -c 'import time; print(int(time.time()*1000))'),message=late-arrival" >/dev/null
for _ in $(seq 1 80); do
    grep -q "late-arrival" "$workdir/follow.txt" && break
    sleep 0.25
done
kill "$follow_pid" 2>/dev/null || true
wait "$follow_pid" 2>/dev/null || true
follow_pid=""
grep -q "hello from handler" "$workdir/follow.txt" || fail "tail --follow missed existing lines: $(cat "$workdir/follow.txt")"
grep -q "late-arrival" "$workdir/follow.txt" || fail "tail --follow missed the new line: $(cat "$workdir/follow.txt")"

logs get-log-events --log-group-name "$group" --log-stream-name other --start-from-head >"$workdir/get.json"
[[ $(json_get '[e["message"] for e in d["events"]]' <"$workdir/get.json") == "['ERROR something broke', 'late-arrival']" ]] \
    || fail "get-log-events: $(cat "$workdir/get.json")"
logs filter-log-events --log-group-name "$group" --filter-pattern '"from handler"' >"$workdir/filter.json"
[[ $(json_get 'len(d["events"])' <"$workdir/filter.json") == 1 ]] || fail "filter-log-events phrase"

logs delete-log-group --log-group-name "$group"
if logs describe-log-streams --log-group-name "$group" 2>"$workdir/gone.err" >/dev/null; then
    fail "group still there after delete-log-group"
fi
grep -q ResourceNotFoundException "$workdir/gone.err" || fail "wrong error: $(cat "$workdir/gone.err")"

stop_emulator_checked
echo "aws cli logs smoke: OK"
