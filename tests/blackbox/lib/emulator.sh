# Shared preamble of the aws CLI smoke scripts (tests/blackbox/aws_cli_*_smoke.sh),
# sourced, never run: kept in lib/ so the ctest glob blackbox/*.sh does not take it
# for a test.
#
# After sourcing: $AWS, $PY, the AWS_* environment that keeps the CLI off the
# user's own config, $workdir (removed on exit), fail, json_get, and $endpoint —
# either $HANGAR_ENDPOINT, or a fresh $HANGAR_EMULATOR on a free port that the
# script stops with stop_emulator_checked before printing OK. A script that
# starts background jobs of its own may define on_cleanup before sourcing; it
# runs first on exit.

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
    if declare -F on_cleanup >/dev/null; then on_cleanup; fi
    if [[ -n "$emu_pid" ]] && kill -0 "$emu_pid" 2>/dev/null; then
        kill "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# jq-less JSON assertions: json_get '<python expression on d>' < file
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

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

# Stops the emulator we started (if any) and fails on a bad exit status or on any
# sanitizer report in its stderr, so an ASan build of the smoke tests checks memory too.
stop_emulator_checked() {
    [[ -n "$emu_pid" ]] || return 0
    local rc
    kill "$emu_pid"
    wait "$emu_pid" && rc=0 || rc=$?
    emu_pid=""
    # 0 = clean shutdown; 143 = died on SIGTERM without a handler.
    [[ $rc == 0 || $rc == 143 ]] || { cat "$workdir/stderr" >&2; fail "emulator exit status $rc"; }
    if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$workdir/stderr"; then
        cat "$workdir/stderr" >&2
        fail "sanitizer report in emulator stderr"
    fi
}
