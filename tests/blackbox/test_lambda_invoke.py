"""Black-box tests for Lambda Invoke: invocation types, function errors,
timeout and memory caps, log tails, warm environments, concurrency,
reserved-concurrency throttling, Event retries, hot reload and payload limits.

Handlers are Lua files written here, zipped in memory, and created through
boto3's CreateFunction against a real hangar-emulator.
"""

import base64
import concurrent.futures
import json
import os
import re
import shutil
import tempfile
import time
import uuid

import botocore.exceptions
import pytest

from conftest import (Emulator, assert_client_error, check_and_cleanup, create_table,
                      external_endpoint, make_client, unique_name, zip_bytes)

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
REQUEST_ID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# One module with several behaviours chosen by the event, so one function
# proves both the failure and that it stays usable afterwards.
MAIN = r"""
local json = require("json")
local M = {}
local count = 0
local env_id = tostring({}):match("0x%x+") or tostring(math.random(1, 1 << 30))

function M.handler(event, context)
  count = count + 1
  if event.action == "error" then
    error("boom: " .. tostring(event.why))
  elseif event.action == "spin" then
    while true do end
  elseif event.action == "bomb" then
    local t = {}
    local s = string.rep("x", 1024 * 1024)
    for i = 1, 100000 do t[i] = s .. i end
    return #t
  elseif event.action == "print" then
    print("hello from the handler", event.tag)
    return "printed"
  elseif event.action == "wait" then
    local start = context.get_remaining_time_in_millis()
    while start - context.get_remaining_time_in_millis() < event.ms do end
    return {env = env_id}
  elseif event.action == "overlap" then
    -- how many invocations are running right now, counted in DynamoDB
    local ddb = require("aws.dynamodb")
    local function add(n)
      return ddb.update_item{TableName = event.table, Key = {id = {S = "active"}},
                             UpdateExpression = "ADD n :d",
                             ExpressionAttributeValues = {[":d"] = {N = tostring(n)}},
                             ReturnValues = "UPDATED_NEW"}
    end
    local seen = tonumber(add(1).Attributes.n.N)
    local start = context.get_remaining_time_in_millis()
    while start - context.get_remaining_time_in_millis() < event.ms do end
    add(-1)
    return {env = env_id, seen = seen}
  elseif event.action == "big" then
    return string.rep("y", 7 * 1024 * 1024)
  elseif event.action == "context" then
    return {name = context.function_name, version = context.function_version,
            arn = context.invoked_function_arn, memory = context.memory_limit_in_mb,
            request_id = context.aws_request_id}
  end
  return {echo = event, count = count, env = env_id}
end

return M
"""


@pytest.fixture(scope="module")
def lam(endpoint):
    return make_client(endpoint, service="lambda")


@pytest.fixture(scope="module")
def logs(endpoint):
    return make_client(endpoint, service="logs")


def create_function(lam, files=None, handler="main.handler", name=None, **kw):
    name = name or unique_name("fn")
    code = kw.pop("Code", None) or {"ZipFile": zip_bytes(files or {"main.lua": MAIN})}
    lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler=handler,
                        Code=code, **kw)
    return name


def invoke(lam, name, event=None, raw=None, **kw):
    payload = raw if raw is not None else json.dumps(event if event is not None else {})
    r = lam.invoke(FunctionName=name, Payload=payload, **kw)
    body = r["Payload"].read()
    return r, (json.loads(body) if body else None)


@pytest.fixture(scope="module")
def fn(lam):
    return create_function(lam, Timeout=1)


# ------------------------------------------------------------ invocation types

def test_request_response_returns_the_handler_result(lam, fn):
    r, out = invoke(lam, fn, {"a": 1, "list": [1, 2], "empty": {}})
    assert r["StatusCode"] == 200
    assert "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    assert out["echo"] == {"a": 1, "list": [1, 2], "empty": {}}


def test_empty_payload_is_an_empty_event(lam, fn):
    r = lam.invoke(FunctionName=fn)
    assert r["StatusCode"] == 200
    assert json.loads(r["Payload"].read())["echo"] == {}


def test_context_names_the_function_and_request(lam, fn):
    r, out = invoke(lam, fn, {"action": "context"})
    assert out["name"] == fn
    assert out["version"] == "$LATEST"
    assert out["arn"].endswith(":function:" + fn)
    assert int(out["memory"]) == 128
    assert out["request_id"] == r["ResponseMetadata"]["RequestId"]


def test_dry_run_is_204_and_runs_nothing(lam, fn):
    r = lam.invoke(FunctionName=fn, InvocationType="DryRun", Payload=b"{}")
    assert r["StatusCode"] == 204
    assert r["Payload"].read() == b""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="no-such-function-x", InvocationType="DryRun")
    assert_client_error(e, "ResourceNotFoundException", "no-such-function-x", status=404)


def test_missing_function_is_404(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="no-such-function-y", Payload=b"{}")
    assert_client_error(e, "ResourceNotFoundException", "Function not found", status=404)


def test_qualifier_latest_works_and_others_are_404(lam, fn):
    r, out = invoke(lam, fn, {"q": 1}, Qualifier="$LATEST")
    assert r["StatusCode"] == 200 and out["echo"] == {"q": 1}
    r, out = invoke(lam, fn + ":$LATEST", {"q": 2})
    assert out["echo"] == {"q": 2}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=fn, Qualifier="v2", Payload=b"{}")
    assert_client_error(e, "ResourceNotFoundException", status=404)


# ------------------------------------------------------------ payload checks

def test_invalid_json_payload_is_400(lam, fn):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=fn, Payload=b"{not json")
    assert_client_error(e, "InvalidRequestContentException", "Could not parse request body into json",
                        status=400)


def test_payload_over_6mb_is_413(lam, fn):
    big = json.dumps({"x": "z" * (6 * 1024 * 1024)})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=fn, Payload=big)
    assert_client_error(e, "RequestEntityTooLargeException", "6291456", status=413)


def test_event_payload_over_256kb_is_413(lam, fn):
    big = json.dumps({"x": "z" * (256 * 1024)})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=fn, InvocationType="Event", Payload=big)
    assert_client_error(e, "RequestEntityTooLargeException", "262144", status=413)


def test_response_over_6mb_is_a_function_error(lam, fn):
    r, out = invoke(lam, fn, {"action": "big"})
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556 bytes" in out["errorMessage"]


# ------------------------------------------------------------ function errors

def test_handler_error_is_unhandled_with_type_and_stack(lam, fn):
    r, out = invoke(lam, fn, {"action": "error", "why": "bad input"})
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    assert "boom: bad input" in out["errorMessage"]
    assert isinstance(out["errorType"], str) and out["errorType"]
    assert isinstance(out["stackTrace"], list)


def test_timeout_is_answered_like_aws_and_the_function_stays_usable(lam, fn):
    t0 = time.time()
    r, out = invoke(lam, fn, {"action": "spin"})
    elapsed = time.time() - t0
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + REQUEST_ID_RE
                        + r" Task timed out after 1\.00 seconds", out["errorMessage"]), out
    assert 0.9 < elapsed < 5, elapsed
    r, out = invoke(lam, fn, {"after": "timeout"})
    assert "FunctionError" not in r and out["echo"] == {"after": "timeout"}


def test_memory_bomb_fails_that_invocation_only(lam, fn):
    r, out = invoke(lam, fn, {"action": "bomb"})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.OutOfMemory", out
    r, out = invoke(lam, fn, {"after": "bomb"})
    assert "FunctionError" not in r and out["echo"] == {"after": "bomb"}


def test_missing_handler_module_is_an_import_error(lam):
    name = create_function(lam, handler="nosuchfile.handler")
    r, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ImportModuleError"


def test_missing_handler_function_is_handler_not_found(lam):
    name = create_function(lam, handler="main.nosuchfn")
    r, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.HandlerNotFound"


# ------------------------------------------------------------ logs

def test_log_tail_has_start_end_report_around_handler_output(lam, fn):
    r, out = invoke(lam, fn, {"action": "print", "tag": "tail-1"}, LogType="Tail")
    assert out == "printed"
    rid = r["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(r["LogResult"]).decode()
    lines = log.splitlines()
    start = lines.index(f"START RequestId: {rid} Version: $LATEST")
    printed = [i for i, l in enumerate(lines) if "hello from the handler" in l and "tail-1" in l]
    end = lines.index(f"END RequestId: {rid}")
    report = [i for i, l in enumerate(lines) if l.startswith(f"REPORT RequestId: {rid}\t")]
    assert printed and report and start < printed[0] < end < report[0], log
    assert re.search(r"\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB"
                     r"\tMax Memory Used: \d+ MB", lines[report[0]]), lines[report[0]]


def test_log_tail_is_at_most_4kb(lam):
    src = 'return {handler = function(e) for i = 1, 500 do print(("line %d "):format(i) .. ("x"):rep(40)) end return 1 end}'
    name = create_function(lam, {"main.lua": src})
    r, out = invoke(lam, name, {}, LogType="Tail")
    log = base64.b64decode(r["LogResult"])
    assert len(log) <= 4096
    assert b"REPORT RequestId:" in log and b"line 500 " in log


def test_cold_start_reports_init_duration_once(lam):
    name = create_function(lam)
    r, _ = invoke(lam, name, {}, LogType="Tail")
    tail = base64.b64decode(r["LogResult"]).decode()
    assert re.search(r"\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\n", tail), tail
    r, _ = invoke(lam, name, {}, LogType="Tail")
    assert "Init Duration" not in base64.b64decode(r["LogResult"]).decode()


def test_invocation_lines_reach_cloudwatch_logs(lam, logs):
    name = create_function(lam)
    r, _ = invoke(lam, name, {"action": "print", "tag": "to-logs"})
    rid = r["ResponseMetadata"]["RequestId"]
    group = f"/aws/lambda/{name}"
    deadline = time.time() + 5
    messages = []
    while time.time() < deadline:
        try:
            streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        except logs.exceptions.ResourceNotFoundException:
            streams = []
        messages = []
        for s in streams:
            assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", s["logStreamName"])
            ev = logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
            messages += [e["message"] for e in ev]
        if any(m.startswith(f"REPORT RequestId: {rid}") for m in messages):
            break
        time.sleep(0.1)
    assert f"START RequestId: {rid} Version: $LATEST" in [m.rstrip("\n") for m in messages], messages
    assert any("to-logs" in m for m in messages)
    assert any(m.startswith(f"REPORT RequestId: {rid}") for m in messages)


# ------------------------------------------------------------ environments

def test_module_state_persists_across_warm_invocations(lam):
    name = create_function(lam)
    counts = [invoke(lam, name, {})[1]["count"] for _ in range(4)]
    assert counts == [1, 2, 3, 4]


def test_configuration_change_starts_fresh_environments(lam):
    name = create_function(lam)
    assert invoke(lam, name, {})[1]["count"] == 1
    assert invoke(lam, name, {})[1]["count"] == 2
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"STAGE": "two"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke(lam, name, {})[1]["count"] == 1


def test_reserved_concurrency_zero_throttles(lam):
    name = create_function(lam)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert_client_error(e, "TooManyRequestsException", status=429)
    assert e.value.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName=name)
    r, out = invoke(lam, name, {"ok": 1})
    assert out["echo"] == {"ok": 1}


def test_hot_reload_folder_edits_show_on_next_invoke(lam):
    d = tempfile.mkdtemp(prefix="hangar-hot-")
    try:
        path = os.path.join(d, "app.lua")
        with open(path, "w") as f:
            f.write('return {handler = function() return "v1" end}')
        name = create_function(lam, handler="app.handler",
                               Code={"S3Bucket": "hot-reload", "S3Key": d})
        assert invoke(lam, name, {})[1] == "v1"
        assert invoke(lam, name, {})[1] == "v1"
        with open(path, "w") as f:
            f.write('return {handler = function() return "version two" end}')
        assert invoke(lam, name, {})[1] == "version two"
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------ concurrency

@pytest.fixture(scope="module")
def wide():
    """A second emulator with 8 HTTP workers and a 0.2 s Event retry delay."""
    if external_endpoint():
        pytest.skip("needs to start its own emulator (HANGAR_ENDPOINT is set)")
    emu = Emulator(args=["--threads", "8", "--lambda-retry-delay", "0.2"]).start()
    yield emu
    emu.stop()
    check_and_cleanup(emu)


def test_concurrent_invokes_run_in_parallel_in_separate_environments(wide):
    # Parallelism is shown by the handlers themselves (a DynamoDB counter of
    # invocations in flight), not by wall-clock time, so a loaded machine
    # cannot make it flaky.
    lam = make_client(wide.endpoint, service="lambda")
    ddb = make_client(wide.endpoint, service="dynamodb")
    table = "overlap-" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    name = create_function(lam, Timeout=10)
    n, wait_ms = 8, 300

    def one(_):
        c = make_client(wide.endpoint, service="lambda")
        r, out = invoke(c, name, {"action": "overlap", "ms": wait_ms, "table": table})
        assert "FunctionError" not in r, out
        return out

    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        outs = list(ex.map(one, range(n)))
    assert max(o["seen"] for o in outs) >= 2, outs         # two ran at the same time
    assert len({o["env"] for o in outs}) >= 2, outs        # in separate environments
    item = ddb.get_item(TableName=table, Key={"id": {"S": "active"}})["Item"]
    assert item["n"] == {"N": "0"}


def test_parallel_invocations_keep_each_streams_lines_in_order(wide):
    # Invocations in two or more environments put their lines into different
    # streams at once; the logs writer batches them by stream. Every stream
    # must still read START, the handler's line, END, REPORT per invocation,
    # one invocation after another, and no line may be lost.
    lam = make_client(wide.endpoint, service="lambda")
    logs = make_client(wide.endpoint, service="logs")
    # each invocation lasts a while, so the clients' invocations overlap
    slow_print = ('local M = {}\nfunction M.handler(event)\n  print("hello from the handler", event.tag)\n'
                  '  local t = os.clock()\n  while os.clock() - t < 0.02 do end\n  return "printed"\nend\nreturn M\n')
    name = create_function(lam, files={"main.lua": slow_print}, Timeout=10)
    clients, each = 6, 10

    def many(k):
        c = make_client(wide.endpoint, service="lambda")
        rids = []
        for i in range(each):
            r, out = invoke(c, name, {"action": "print", "tag": f"c{k}-{i}"})
            assert out == "printed", out
            rids.append(r["ResponseMetadata"]["RequestId"])
        return rids

    with concurrent.futures.ThreadPoolExecutor(clients) as ex:
        rids = [rid for batch in ex.map(many, range(clients)) for rid in batch]
    group = f"/aws/lambda/{name}"
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    seen = []
    for stream in streams:
        lines, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, **kw)
            lines += [e["message"].rstrip("\n") for e in page["events"]]
            if page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
        assert len(lines) % 4 == 0, lines
        for j in range(0, len(lines), 4):
            start, printed, end, report = lines[j:j + 4]
            m = re.fullmatch(r"START RequestId: (\S+) Version: \$LATEST", start)
            assert m, lines[j:j + 4]
            rid = m.group(1)
            assert printed.startswith("hello from the handler\tc"), printed
            assert end == f"END RequestId: {rid}"
            assert report.startswith(f"REPORT RequestId: {rid}\t")
            seen.append(rid)
    assert len(streams) >= 2, streams
    assert sorted(seen) == sorted(rids)


def test_reserved_concurrency_bounds_parallel_invokes(wide):
    lam = make_client(wide.endpoint, service="lambda")
    name = create_function(lam, Timeout=10)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)

    def one(_):
        c = make_client(wide.endpoint, service="lambda")
        try:
            r, out = invoke(c, name, {"action": "wait", "ms": 400})
            return "ok"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        results = list(ex.map(one, range(4)))
    assert "ok" in results
    assert "TooManyRequestsException" in results, results


# ------------------------------------------------------------ Event invocations

DDB_WRITER = r"""
local aws = require("aws")
local ddb = aws.dynamodb
return {handler = function(event, context)
  local out, err = ddb.update_item{
    TableName = event.table, Key = {pk = {S = event.key}},
    UpdateExpression = "ADD attempts :one",
    ExpressionAttributeValues = {[":one"] = {N = "1"}},
  }
  if not out then error("ddb: " .. err.code .. " " .. err.message) end
  if event.fail then error("failing on purpose") end
  return "ok"
end}
"""


def attempts(ddb, table, key):
    item = ddb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
    return int(item["attempts"]["N"]) if item else 0


def test_event_invoke_is_202_and_runs_later(lam, ddb):
    table = create_table(ddb)
    name = create_function(lam, {"main.lua": DDB_WRITER})
    r = lam.invoke(FunctionName=name, InvocationType="Event",
                   Payload=json.dumps({"table": table, "key": "e1"}))
    assert r["StatusCode"] == 202
    assert r["Payload"].read() == b""
    deadline = time.time() + 5
    while time.time() < deadline and attempts(ddb, table, "e1") == 0:
        time.sleep(0.05)
    assert attempts(ddb, table, "e1") == 1


def test_failing_event_is_tried_three_times(wide):
    lam = make_client(wide.endpoint, service="lambda")
    ddb = make_client(wide.endpoint)
    table = create_table(ddb)
    name = create_function(lam, {"main.lua": DDB_WRITER})
    r = lam.invoke(FunctionName=name, InvocationType="Event",
                   Payload=json.dumps({"table": table, "key": "r1", "fail": True}))
    assert r["StatusCode"] == 202
    deadline = time.time() + 5           # retries after 0.2 s and 0.4 s
    while time.time() < deadline and attempts(ddb, table, "r1") < 3:
        time.sleep(0.05)
    assert attempts(ddb, table, "r1") == 3
    time.sleep(1.0)                      # and never a fourth
    assert attempts(ddb, table, "r1") == 3


def test_succeeding_event_is_not_retried(wide):
    lam = make_client(wide.endpoint, service="lambda")
    ddb = make_client(wide.endpoint)
    table = create_table(ddb)
    name = create_function(lam, {"main.lua": DDB_WRITER})
    lam.invoke(FunctionName=name, InvocationType="Event",
               Payload=json.dumps({"table": table, "key": "s1"}))
    deadline = time.time() + 5
    while time.time() < deadline and attempts(ddb, table, "s1") < 1:
        time.sleep(0.05)
    time.sleep(1.0)
    assert attempts(ddb, table, "s1") == 1


def test_event_retries_keep_one_request_id_and_are_logged(wide):
    lam = make_client(wide.endpoint, service="lambda")
    logs = make_client(wide.endpoint, service="logs")
    src = 'return {handler = function(e) print("attempt of", e.k) error("failing on purpose") end}'
    name = create_function(lam, {"main.lua": src})
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"k": "L1"}))
    rid = r["ResponseMetadata"]["RequestId"]
    group = f"/aws/lambda/{name}"
    deadline = time.time() + 5
    starts = []
    while time.time() < deadline and len(starts) < 3:
        time.sleep(0.1)
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            continue
        starts = [e for e in events if e["message"].startswith("START RequestId:")]
    time.sleep(0.8)
    events = logs.filter_log_events(logGroupName=group)["events"]
    starts = [e["message"].rstrip("\n") for e in events if e["message"].startswith("START RequestId:")]
    assert starts == [f"START RequestId: {rid} Version: $LATEST"] * 3, starts
    assert sum("attempt of\tL1" in e["message"] or "attempt of L1" in e["message"] for e in events) == 3
    assert any("ERROR" in e["message"] and "failing on purpose" in e["message"] for e in events)
