"""The Lua handler runtime as a handler author sees it, through the real
Lambda API: functions are created with boto3 (Runtime "lua5.4", code zipped
in memory) and invoked; each handler returns what it observed and the test
asserts on that.

Covers handler paths and require() inside the bundle, event decoding and
result encoding (arrays vs objects, null, integers vs floats, unicode), the
context object, the json module, os.getenv, sandbox escapes tried and
refused, aws.dynamodb called in-process from a handler (written items are
visible to boto3 and vice versa, errors as `nil, err`), the AttributeValue
helpers, and print()/context.log output in the tail log.
"""

import base64
import json
import os
import re
import shutil
import tempfile
import textwrap
import time
import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, make_client, unique_name, zip_bytes

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/lambda-role"


def lua(src):
    """Lua source written indented inside the test; dedented."""
    return textwrap.dedent(src).lstrip("\n")


class Invocation:
    def __init__(self, response):
        self.response = response
        self.status = response["StatusCode"]
        self.function_error = response.get("FunctionError")
        self.raw = response["Payload"].read()
        self.log = None
        if "LogResult" in response:
            self.log = base64.b64decode(response["LogResult"]).decode("utf-8", "replace")
        self.request_id = response["ResponseMetadata"]["RequestId"]

    @property
    def payload(self):
        return json.loads(self.raw) if self.raw else None

    def ok(self):
        """The handler's result, asserting it ended without a function error."""
        assert self.status == 200, self.response
        assert self.function_error is None, self.raw
        return self.payload

    def __repr__(self):
        return f"<Invocation {self.status} {self.function_error} {self.raw[:500]!r}>"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def lam(endpoint):
    return make_client(endpoint, service="lambda")


@pytest.fixture
def deploy(lam):
    """deploy(files, handler="index.handler", **config) -> function name.
    files is {path: lua source}; functions are deleted after the test."""
    made = []

    def make(files, handler="index.handler", name=None, timeout=3, memory=128, env=None,
             code=None):
        name = name or unique_name("fn")
        args = dict(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler=handler,
                    Code=code or {"ZipFile": zip_bytes(files)}, Timeout=timeout,
                    MemorySize=memory)
        if env is not None:
            args["Environment"] = {"Variables": env}
        lam.create_function(**args)
        made.append(name)
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        return name

    yield make
    for name in made:
        try:
            lam.delete_function(FunctionName=name)
        except ClientError:
            pass


@pytest.fixture
def call(lam):
    """call(name, event=None, tail=False) -> Invocation (RequestResponse)."""
    def invoke(name, event=None, tail=False, payload=None):
        kw = {"FunctionName": name}
        if payload is not None:
            kw["Payload"] = payload
        elif event is not None:
            kw["Payload"] = json.dumps(event).encode()
        if tail:
            kw["LogType"] = "Tail"
        return Invocation(lam.invoke(**kw))
    return invoke


def run_lua(deploy, call, body, event=None, **cfg):
    """Deploy a one-file function whose handler body is `body` (with json and
    aws in scope) and invoke it once; returns the Invocation."""
    src = ("local json = require('json')\n"
           "local aws = require('aws')\n"
           "local M = {}\n"
           "function M.handler(event, context)\n"
           + textwrap.indent(lua(body), "  ") +
           "\nend\nreturn M\n")
    name = deploy({"index.lua": src}, **cfg)
    return call(name, event)


def assert_unhandled(inv, error_type):
    assert inv.status == 200, inv
    assert inv.function_error == "Unhandled", inv
    p = inv.payload
    assert p["errorType"] == error_type, p
    assert isinstance(p.get("errorMessage"), str) and p["errorMessage"], p
    return p


# ---------------------------------------------------------------- handler paths

def test_index_handler(deploy, call):
    name = deploy({"index.lua": lua("""
        local M = {}
        function M.handler(event, context)
          return {ok = true, got = event.x}
        end
        return M
    """)})
    assert call(name, {"x": 7}).ok() == {"ok": True, "got": 7}


def test_handler_in_subfolder(deploy, call):
    name = deploy({"notes/create.lua": lua("""
        return {handler = function(event) return "created " .. event.title end}
    """)}, handler="notes/create.handler")
    assert call(name, {"title": "groceries"}).ok() == "created groceries"


def test_handler_name_other_than_handler(deploy, call):
    name = deploy({"app.lua": lua("""
        local M = {}
        function M.main(event) return event.n * 2 end
        return M
    """)}, handler="app.main")
    assert call(name, {"n": 21}).ok() == 42


def test_require_sibling_lib_and_package_init(deploy, call):
    files = {
        "index.lua": lua("""
            local helper = require("helper")
            local util = require("lib.util")
            local pkg = require("pkg")
            local M = {}
            function M.handler(event)
              return {
                helper = helper.shout(event.word),
                util = util.twice(event.word),
                pkg = pkg.name,
                pkg_sub = pkg.sub.value,
                cached = require("lib.util") == util,
              }
            end
            return M
        """),
        "helper.lua": lua("""
            return {shout = function(s) return s:upper() .. "!" end}
        """),
        "lib/util.lua": lua("""
            local M = {}
            function M.twice(s) return s .. s end
            return M
        """),
        "pkg/init.lua": lua("""
            return {name = "pkg", sub = require("pkg.sub")}
        """),
        "pkg/sub.lua": lua("""
            return {value = 5}
        """),
    }
    name = deploy(files)
    assert call(name, {"word": "hey"}).ok() == {
        "helper": "HEY!", "util": "heyhey", "pkg": "pkg", "pkg_sub": 5, "cached": True}


def test_subfolder_handler_requires_its_sibling(deploy, call):
    # Module names are relative to the bundle root (LAMBDA_TASK_ROOT), as in AWS.
    files = {
        "notes/create.lua": lua("""
            local common = require("notes.common")
            return {handler = function(event) return common.prefix .. event.id end}
        """),
        "notes/common.lua": 'return {prefix = "note-"}\n',
    }
    name = deploy(files, handler="notes/create.handler")
    assert call(name, {"id": "1"}).ok() == "note-1"


def test_missing_module_is_import_module_error(deploy, call):
    name = deploy({"index.lua": "return {handler = function() return 1 end}\n"},
                  handler="nosuch.handler")
    p = assert_unhandled(call(name, {}), "Runtime.ImportModuleError")
    assert "nosuch" in p["errorMessage"], p


def test_require_of_missing_module_is_import_module_error(deploy, call):
    name = deploy({"index.lua": lua("""
        local x = require("not_in_bundle")
        return {handler = function() return 1 end}
    """)})
    p = assert_unhandled(call(name, {}), "Runtime.ImportModuleError")
    assert "not_in_bundle" in p["errorMessage"], p


def test_missing_function_is_handler_not_found(deploy, call):
    name = deploy({"index.lua": "return {other = function() return 1 end}\n"},
                  handler="index.handler")
    p = assert_unhandled(call(name, {}), "Runtime.HandlerNotFound")
    assert "handler" in p["errorMessage"], p


def test_handler_field_not_a_function_is_handler_not_found(deploy, call):
    name = deploy({"index.lua": "return {handler = 42}\n"})
    assert_unhandled(call(name, {}), "Runtime.HandlerNotFound")


def test_module_returning_nothing_is_handler_not_found(deploy, call):
    name = deploy({"index.lua": "local x = 1\n"})
    assert_unhandled(call(name, {}), "Runtime.HandlerNotFound")


def test_syntax_error_is_reported_and_fix_takes_effect(lam, deploy, call):
    name = deploy({"index.lua": "return {handler = function( return 1 end}\n"})
    inv = call(name, {})
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    assert inv.payload["errorType"].startswith("Runtime."), inv.payload
    assert "index" in inv.payload["errorMessage"], inv.payload
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes(
        {"index.lua": "return {handler = function() return 'fixed' end}\n"}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert call(name, {}).ok() == "fixed"


def test_handler_error_has_message_and_stack_trace(deploy, call):
    name = deploy({
        "index.lua": lua("""
            local util = require("lib.util")
            return {handler = function(event) return util.explode(event.what) end}
        """),
        "lib/util.lua": lua("""
            local M = {}
            function M.explode(what) error("boom: " .. what) end
            return M
        """)})
    inv = call(name, {"what": "kaput"})
    assert inv.function_error == "Unhandled", inv
    p = inv.payload
    assert "boom: kaput" in p["errorMessage"], p
    assert isinstance(p["errorType"], str) and p["errorType"], p
    assert isinstance(p["stackTrace"], list) and p["stackTrace"], p
    assert all(isinstance(line, str) for line in p["stackTrace"]), p
    assert any("util" in line for line in p["stackTrace"]), p


def test_unencodable_result_is_a_function_error(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function() return {f = function() end} end}
    """)})
    inv = call(name, {})
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    assert inv.payload["errorMessage"], inv.payload
    # The function stays usable.
    assert call(name, {}).function_error == "Unhandled"


# ---------------------------------------------------------------- event and result

EVENT = {
    "int": 42,
    "neg": -7,
    "big": 9007199254740993,          # 2^53 + 1: exact only as a Lua integer
    "float": 1.5,
    "tenth": 0.1,
    "t": True,
    "f": False,
    "n": None,
    "s": "plain",
    "arr": [1, "two", 3.25, None, {"k": "v"}],
    "obj": {"inner": {"deep": "x", "list": [[1, 2], []]}},
    "empty_obj": {},
    "empty_arr": [],
}


def test_event_arrives_as_lua_values(deploy, call):
    inv = run_lua(deploy, call, """
        return {
          int_type = math.type(event.int),
          neg = event.neg,
          big_is_integer = math.type(event.big) == "integer",
          big_exact = event.big == 9007199254740993,
          float_type = math.type(event.float),
          tenth = event.tenth == 0.1,
          t = event.t == true,
          f = event.f == false,
          n_is_null = event.n == json.null,
          s = type(event.s),
          arr_len = #event.arr,
          arr_second = event.arr[2],
          arr_null = event.arr[4] == json.null,
          arr_obj = event.arr[5].k,
          deep = event.obj.inner.deep,
          nested_len = #event.obj.inner.list[1],
          empty_arr_len = #event.empty_arr,
          empty_obj_next = next(event.empty_obj) == nil,
        }
    """, event=EVENT)
    assert inv.ok() == {
        "int_type": "integer", "neg": -7, "big_is_integer": True, "big_exact": True,
        "float_type": "float", "tenth": True, "t": True, "f": True, "n_is_null": True,
        "s": "string", "arr_len": 5, "arr_second": "two", "arr_null": True, "arr_obj": "v",
        "deep": "x", "nested_len": 2, "empty_arr_len": 0, "empty_obj_next": True}


def test_echo_preserves_shapes_exactly(deploy, call):
    inv = run_lua(deploy, call, "return event", event=EVENT)
    # Compare the text too: 9007199254740993 must not have gone through a double.
    assert inv.ok() == EVENT
    assert b"9007199254740993" in inv.raw
    assert re.search(rb'"empty_obj"\s*:\s*\{\s*\}', inv.raw), inv.raw
    assert re.search(rb'"empty_arr"\s*:\s*\[\s*\]', inv.raw), inv.raw


def test_echo_of_top_level_array_and_scalars(deploy, call):
    name = deploy({"index.lua": "return {handler = function(e) return e end}\n"})
    for event in ([1, 2, 3], [], {}, "text", 12, 2.5, True, None):
        inv = call(name, payload=json.dumps(event).encode())
        assert inv.ok() == event, (event, inv)
    assert call(name, payload=b"[]").raw.strip() == b"[]"
    assert call(name, payload=b"{}").raw.strip() == b"{}"


def test_constructed_result_encoding(deploy, call):
    inv = run_lua(deploy, call, """
        return {
          arr = {1, 2, 3},
          mixed = {"a", 2, true},
          map = {a = 1, b = "two"},
          empty_arr = json.array({}),
          empty_obj = json.object({}),
          marked_arr = json.array({4, 5}),
          null = json.null,
          int = 10,
          float = 2.5,
          whole_float = 3.0,
          neg_zero_int = -0,
          nested = {x = {y = {z = {"deep"}}}},
        }
    """)
    p = inv.ok()
    assert p == {"arr": [1, 2, 3], "mixed": ["a", 2, True], "map": {"a": 1, "b": "two"},
                 "empty_arr": [], "empty_obj": {}, "marked_arr": [4, 5], "null": None,
                 "int": 10, "float": 2.5, "whole_float": 3.0, "neg_zero_int": 0,
                 "nested": {"x": {"y": {"z": ["deep"]}}}}
    assert re.search(rb'"empty_arr"\s*:\s*\[\s*\]', inv.raw), inv.raw
    assert re.search(rb'"empty_obj"\s*:\s*\{\s*\}', inv.raw), inv.raw
    # Integers are written without a fraction.
    assert re.search(rb'"int"\s*:\s*10\s*[,}]', inv.raw), inv.raw


def test_decoded_empty_containers_keep_their_kind_after_edits(deploy, call):
    # Decoded tables remember whether they were arrays or objects, so a handler
    # that empties or fills them still answers with the same JSON kind.
    inv = run_lua(deploy, call, """
        event.list[1] = nil
        event.obj.k = nil
        event.new_list = json.array({})
        return event
    """, event={"list": ["only"], "obj": {"k": 1}})
    assert inv.ok() == {"list": [], "obj": {}, "new_list": []}


def test_nil_result_is_null(deploy, call):
    inv = run_lua(deploy, call, "return nil")
    assert inv.ok() is None
    assert inv.raw.strip() == b"null"


def test_scalar_results(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function(e)
          if e.kind == "string" then return "hello" end
          if e.kind == "int" then return 42 end
          if e.kind == "float" then return 0.25 end
          if e.kind == "bool" then return false end
        end}
    """)})
    assert call(name, {"kind": "string"}).ok() == "hello"
    assert call(name, {"kind": "int"}).raw.strip() == b"42"
    assert call(name, {"kind": "float"}).ok() == 0.25
    assert call(name, {"kind": "bool"}).ok() is False
    assert call(name, {"kind": "none"}).raw.strip() == b"null"


def test_unicode_round_trip(deploy, call):
    s = "héllo ✓ 😀 tab\t quote\" back\\ \u2028 \u001f"
    inv = run_lua(deploy, call, """
        return {s = event.s, chars = utf8.len(event.s), bytes = #event.s}
    """, event={"s": s})
    assert inv.ok() == {"s": s, "chars": len(s), "bytes": len(s.encode("utf-8"))}


def test_nul_character_survives_round_trip(deploy, call):
    # JSON allows \u0000 in strings and Lua strings hold it; it must not cut the string.
    s = "before\u0000after"
    inv = run_lua(deploy, call, "return {s = event.s, bytes = #event.s}", event={"s": s})
    assert inv.ok() == {"s": s, "bytes": 12}


def test_empty_payload_invokes_handler(deploy, call):
    # The CLI without --payload sends nothing; the handler still runs.
    name = deploy({"index.lua": "return {handler = function(e) return 'ran' end}\n"})
    assert call(name).ok() == "ran"


# ---------------------------------------------------------------- context

def test_context_fields(lam, deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function(event, context)
          return {
            aws_request_id = context.aws_request_id,
            function_name = context.function_name,
            function_version = context.function_version,
            invoked_function_arn = context.invoked_function_arn,
            memory_limit_in_mb = context.memory_limit_in_mb,
            log_group_name = context.log_group_name,
            log_stream_name = context.log_stream_name,
          }
        end}
    """)}, memory=256)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    inv = call(name, {}, tail=True)
    c = inv.ok()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        c["aws_request_id"]), c
    assert c["function_name"] == name
    assert c["function_version"] == "$LATEST"
    assert c["invoked_function_arn"] == arn
    assert str(c["memory_limit_in_mb"]) == "256"
    assert c["log_group_name"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", c["log_stream_name"]), c
    # The same id is in the START / END / REPORT lines of this invocation's log.
    assert inv.log is not None
    rid = c["aws_request_id"]
    assert f"START RequestId: {rid}" in inv.log, inv.log
    assert f"END RequestId: {rid}" in inv.log, inv.log
    assert f"REPORT RequestId: {rid}" in inv.log, inv.log


def test_context_request_id_is_the_invoke_request_id(deploy, call):
    # AWS answers Invoke with x-amzn-RequestId equal to the invocation's id.
    name = deploy({"index.lua":
                   "return {handler = function(e, c) return c.aws_request_id end}\n"})
    inv = call(name, {})
    assert inv.ok() == inv.request_id
    # And a new id per invocation.
    assert call(name, {}).ok() != inv.ok()


def test_context_invoked_arn_when_called_by_arn(lam, deploy, call):
    name = deploy({"index.lua":
                   "return {handler = function(e, c) return c.invoked_function_arn end}\n"})
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    assert call(arn, {}).ok() == arn


def test_remaining_time_decreases_within_timeout(deploy, call):
    inv = run_lua(deploy, call, """
        local first = context.get_remaining_time_in_millis()
        local start = os.clock()
        while os.clock() - start < 0.15 do end
        local second = context.get_remaining_time_in_millis()
        return {first = first, second = second}
    """, timeout=5)
    r = inv.ok()
    assert isinstance(r["first"], (int, float)) and isinstance(r["second"], (int, float)), r
    assert 0 < r["first"] <= 5000, r
    assert r["first"] > 4000, r           # the handler started right away
    assert r["second"] < r["first"] - 100, r
    assert r["second"] > 0, r


def test_log_stream_exists_in_logs(deploy, call, endpoint):
    name = deploy({"index.lua": lua("""
        return {handler = function(e, c) print("hello from " .. c.function_name)
                                         return c.log_stream_name end}
    """)})
    stream = call(name, {}).ok()
    logs = make_client(endpoint, service="logs")
    deadline = time.time() + 5
    while True:
        try:
            ev = logs.get_log_events(logGroupName=f"/aws/lambda/{name}", logStreamName=stream,
                                     startFromHead=True)["events"]
        except ClientError:
            ev = []
        messages = "\n".join(e["message"] for e in ev)
        if f"hello from {name}" in messages or time.time() > deadline:
            break
        time.sleep(0.1)
    assert f"hello from {name}" in messages, messages


# ---------------------------------------------------------------- print / context.log

def test_print_and_context_log_in_tail(deploy, call):
    name = deploy({"index.lua": lua("""
        print("module loaded")
        return {handler = function(event, context)
          print("hello", 42, nil, true, 1.5)
          context.log("via context.log")
          print("line one\\nline two")
          return "done"
        end}
    """)})
    inv = call(name, {}, tail=True)
    assert inv.ok() == "done"
    log = inv.log
    assert "hello\t42\tnil\ttrue\t1.5" in log, log
    assert "via context.log" in log, log
    assert "line one" in log and "line two" in log, log
    # Ordering: START, handler lines, END, REPORT.
    assert log.index("START RequestId:") < log.index("hello\t42") < log.index("END RequestId:") \
        < log.index("REPORT RequestId:"), log
    m = re.search(r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                  r"Memory Size: 128 MB\tMax Memory Used: \d+ MB", log)
    assert m, log


def test_tail_is_at_most_4kb_and_keeps_the_end(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function()
          for i = 1, 500 do print(string.format("line %04d %s", i, string.rep("x", 40))) end
          return "ok"
        end}
    """)})
    inv = call(name, {}, tail=True)
    assert inv.ok() == "ok"
    raw = base64.b64decode(inv.response["LogResult"])
    assert len(raw) <= 4096, len(raw)
    text = raw.decode("utf-8", "replace")
    assert "line 0500" in text and "REPORT RequestId:" in text, text[-300:]
    assert "line 0001" not in text


# ---------------------------------------------------------------- json module

def test_json_round_trips(deploy, call):
    inv = run_lua(deploy, call, """
        local function same(a, b)
          if type(a) ~= type(b) then return false end
          if type(a) ~= "table" then return a == b end
          for k, v in pairs(a) do if not same(v, b[k]) then return false end end
          for k in pairs(b) do if a[k] == nil then return false end end
          return true
        end
        local value = {a = {1, 2, {b = "c"}}, d = json.null, e = 1.25, f = -3, g = "x\\"y"}
        local text = json.encode(value)
        local back = json.decode(text)
        return {
          same = same(value, back),
          text_is_string = type(text) == "string",
          arr = json.encode({1, 2, 3}),
          obj = json.decode(json.encode({k = "v"})).k,
          null_text = json.encode(json.null),
          null_in_obj = json.decode('{"a":null}').a == json.null,
          null_in_arr = json.decode('[null, 1]')[1] == json.null,
          null_arr_len = #json.decode('[null, 1]'),
          int_text = json.encode(3),
          float_text = json.encode(1.5),
          true_text = json.encode(true),
          str_text = json.encode("s"),
          empty_arr = json.encode(json.array({})),
          empty_obj = json.encode(json.object({})),
          decoded_empty_arr = json.encode(json.decode("[]")),
          decoded_empty_obj = json.encode(json.decode("{}")),
          int_decoded = math.type(json.decode("7")),
          float_decoded = math.type(json.decode("7.0")),
          exp_decoded = json.decode("1e2"),
        }
    """)
    r = inv.ok()
    assert r["same"] is True
    assert r["text_is_string"] is True
    assert json.loads(r["arr"]) == [1, 2, 3]
    assert r["obj"] == "v"
    assert r["null_text"] == "null"
    assert r["null_in_obj"] is True and r["null_in_arr"] is True
    assert r["null_arr_len"] == 2
    assert r["int_text"] == "3"
    assert r["float_text"] == "1.5"
    assert r["true_text"] == "true"
    assert r["str_text"] == '"s"'
    assert r["empty_arr"].replace(" ", "") == "[]"
    assert r["empty_obj"].replace(" ", "") == "{}"
    assert r["decoded_empty_arr"].replace(" ", "") == "[]"
    assert r["decoded_empty_obj"].replace(" ", "") == "{}"
    assert r["int_decoded"] == "integer"
    assert r["float_decoded"] == "float"
    assert r["exp_decoded"] == 100


def test_json_unicode_and_escapes(deploy, call):
    inv = run_lua(deploy, call, r"""
        local decoded = json.decode('"\\u00e9\\u2713\\ud83d\\ude00\\n\\t\\"\\\\\\/"')
        local controls = json.encode("a\1b\31c\n")
        local utf8_in = "héllo 😀"
        return {
          decoded = decoded,
          decoded_len = utf8.len(decoded),
          controls = controls,
          utf8_round = json.decode(json.encode(utf8_in)) == utf8_in,
          escaped_quote = json.encode('say "hi"'),
        }
    """)
    r = inv.ok()
    assert r["decoded"] == "é✓😀\n\t\"\\/"
    assert r["decoded_len"] == 8
    assert json.loads(r["controls"]) == "a\x01b\x1fc\n"
    assert "\x01" not in r["controls"] and "\n" not in r["controls"], r["controls"]
    assert r["utf8_round"] is True
    assert json.loads(r["escaped_quote"]) == 'say "hi"'


def test_json_invalid_input_is_a_catchable_error(deploy, call):
    inv = run_lua(deploy, call, """
        local results = {}
        for _, bad in ipairs({"{bad", "[1,2", "", "nul", '{"a":1,}', "'single'", "1 2",
                               '"\\\\ud800"x', '{"a" 1}'}) do
          local ok, err = pcall(json.decode, bad)
          results[#results + 1] = {ok = ok, err_is_string = type(err) == "string"}
        end
        local ok_nan = pcall(json.encode, 0/0)
        local ok_inf = pcall(json.encode, math.huge)
        local ok_fn = pcall(json.encode, {f = print})
        return {results = results, nan = ok_nan, inf = ok_inf, fn = ok_fn, after = "still running"}
    """)
    r = inv.ok()
    assert all(x["ok"] is False for x in r["results"]), r
    assert all(x["err_is_string"] for x in r["results"]), r
    assert r["nan"] is False and r["inf"] is False and r["fn"] is False, r
    assert r["after"] == "still running"


def test_json_deep_nesting_is_a_clean_error(deploy, call):
    inv = run_lua(deploy, call, """
        local ok, err = pcall(json.decode, string.rep("[", 100000) .. string.rep("]", 100000))
        local t = {}
        local cur = t
        for i = 1, 100000 do cur.x = {} cur = cur.x end
        local ok2 = pcall(json.encode, t)
        return {decode_ok = ok, encode_ok = ok2}
    """)
    assert inv.ok() == {"decode_ok": False, "encode_ok": False}


# ---------------------------------------------------------------- os.getenv

def test_getenv_sees_function_and_lambda_variables_only(deploy, call):
    inv = run_lua(deploy, call, """
        local names = {"GREETING", "EMPTY", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                       "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                       "PATH", "HOME", "USER", "PWD", "HANGAR_EMULATOR", "LD_PRELOAD"}
        local out = {}
        for _, n in ipairs(names) do out[n] = os.getenv(n) or json.null end
        out.stream_matches = os.getenv("AWS_LAMBDA_LOG_STREAM_NAME") == context.log_stream_name
        return out
    """, env={"GREETING": "hi there", "EMPTY": ""}, memory=256)
    r = inv.ok()
    assert r["GREETING"] == "hi there"
    assert r["EMPTY"] == ""
    assert r["AWS_REGION"] == REGION
    assert r["AWS_LAMBDA_FUNCTION_NAME"].startswith("fn-")
    assert r["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert r["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert r["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/" + r["AWS_LAMBDA_FUNCTION_NAME"]
    assert r["stream_matches"] is True
    for host_var in ("PATH", "HOME", "USER", "PWD", "HANGAR_EMULATOR", "LD_PRELOAD"):
        assert r[host_var] is None, (host_var, r[host_var])


def test_getenv_follows_configuration_updates(lam, deploy, call):
    name = deploy({"index.lua":
                   "return {handler = function() return os.getenv('MODE') or 'unset' end}\n"},
                  env={"MODE": "one"})
    assert call(name, {}).ok() == "one"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MODE": "two"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert call(name, {}).ok() == "two"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    assert call(name, {}).ok() == "unset"


def test_env_vars_not_shared_between_functions(deploy, call):
    a = deploy({"index.lua": "return {handler = function() return os.getenv('ONLY_A') end}\n"},
               env={"ONLY_A": "a"})
    b = deploy({"index.lua": "return {handler = function() return os.getenv('ONLY_A') end}\n"})
    assert call(a, {}).ok() == "a"
    assert call(b, {}).ok() is None


@pytest.fixture
def hot_dir():
    d = tempfile.mkdtemp(prefix="hangar-hot-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    # Make the change visible even on coarse-mtime filesystems.
    t = time.time() + 1
    os.utime(path, (t, t))


# ---------------------------------------------------------------- sandbox

def test_sandbox_libraries_present_and_absent(deploy, call):
    inv = run_lua(deploy, call, """
        local absent = {
          io = io == nil,
          debug = debug == nil,
          dofile = dofile == nil,
          loadfile = loadfile == nil,
          os_execute = os.execute == nil,
          os_remove = os.remove == nil,
          os_rename = os.rename == nil,
          os_exit = os.exit == nil,
          os_tmpname = os.tmpname == nil,
          loadlib = package == nil or package.loadlib == nil,
          rawget_io = rawget(_G, "io") == nil,
          env_io = _ENV.io == nil,
          loaded_io = package == nil or package.loaded == nil or package.loaded.io == nil,
          loaded_debug = package == nil or package.loaded == nil or package.loaded.debug == nil,
        }
        local present = {
          string = type(string.format) == "function",
          table = type(table.concat) == "function",
          math = type(math.floor) == "function",
          utf8 = type(utf8.char) == "function",
          coroutine = coroutine.wrap(function() coroutine.yield(5) end)() == 5,
          os_time = math.type(os.time()) == "integer",
          os_clock = type(os.clock()) == "number",
          os_date = os.date("!%Y-%m-%d", 0) == "1970-01-01",
          os_getenv = type(os.getenv) == "function",
          pcall = pcall(function() end) == true,
          select = select("#", 1, 2, 3) == 3,
          tostring = tostring(12) == "12",
          load_text = load("return 1 + 1")() == 2,
          load_env = load("return x", "chunk", "t", {x = 9})() == 9,
          string_methods = ("abc"):upper() == "ABC",
          setmetatable = getmetatable(setmetatable({}, {__index = {a = 1}})) ~= nil,
        }
        return {absent = absent, present = present}
    """)
    r = inv.ok()
    assert all(r["absent"].values()), {k: v for k, v in r["absent"].items() if not v}
    assert all(r["present"].values()), {k: v for k, v in r["present"].items() if not v}


def test_sandbox_require_of_host_libraries_refused(deploy, call):
    inv = run_lua(deploy, call, """
        local out = {}
        for _, m in ipairs({"io", "debug", "os", "package", "ffi", "socket", "lfs", "posix",
                            "string", "jit"}) do
          local ok, mod = pcall(require, m)
          local dangerous = false
          if ok and type(mod) == "table" then
            dangerous = mod.open ~= nil or mod.popen ~= nil or mod.execute ~= nil
                        or mod.getinfo ~= nil or mod.sethook ~= nil or mod.loadlib ~= nil
                        or mod.remove ~= nil or mod.exit ~= nil
          end
          out[m] = dangerous
        end
        return out
    """)
    r = inv.ok()
    assert not any(r.values()), {k: v for k, v in r.items() if v}


def test_sandbox_binary_chunks_refused(deploy, call):
    inv = run_lua(deploy, call, """
        local out = {}
        local f = function() return "escaped" end
        local ok_dump, dumped = pcall(function() return string.dump(f) end)
        if ok_dump and type(dumped) == "string" then
          local fn = load(dumped)
          out.load_dump = fn == nil
          local fn2 = load(dumped, "x", "b")
          out.load_dump_b = fn2 == nil
          local fn3 = load(dumped, "x", "bt")
          out.load_dump_bt = fn3 == nil
          local chunks = {dumped}
          local fn4 = load(function() return table.remove(chunks) end)
          out.load_dump_reader = fn4 == nil
        else
          out.dump_unavailable = true
        end
        out.load_esc = load("\\27Lua\\84\\0") == nil
        return out
    """)
    r = inv.ok()
    assert all(r.values()), r


@pytest.fixture
def outside_module():
    """A real Lua module outside every bundle: /tmp/hangar-outside-XXXX/secret.lua.
    Returns (dir, list of require() spellings that would reach it)."""
    d = tempfile.mkdtemp(prefix="hangar-outside-")
    with open(os.path.join(d, "secret.lua"), "w") as f:
        f.write('return {text = "outside secret"}\n')
    base = os.path.join(d, "secret")
    spellings = [base, base.replace("/", "."), base + ".lua",
                 "../../../../../../../../.." + base,
                 ("..." * 12) + base.replace("/", ".")]
    yield d, spellings
    shutil.rmtree(d, ignore_errors=True)


REQUIRE_PROBE = lua("""
    local M = {}
    function M.handler(event)
      local out = {}
      for _, m in ipairs(event.names) do
        local ok, res = pcall(require, m)
        if ok then out[#out + 1] = m .. " -> " .. tostring(type(res) == "table" and res.text or res) end
      end
      if package and package.path ~= nil then
        package.path = event.dir .. "/?.lua;" .. package.path
        local ok, res = pcall(require, "secret")
        if ok then out[#out + 1] = "package.path -> " .. tostring(res and res.text) end
      end
      if package and type(package.searchpath) == "function" then
        local found = package.searchpath("secret", event.dir .. "/?.lua")
        if found then out[#out + 1] = "searchpath -> " .. found end
      end
      return json.array(out)
    end
    return M
""")


def test_sandbox_require_cannot_leave_the_bundle(deploy, call, outside_module):
    d, spellings = outside_module
    name = deploy({"index.lua": "local json = require('json')\n" + REQUIRE_PROBE,
                   "lib/inner.lua": "return {}\n"})
    names = spellings + ["../../etc/passwd", "/etc/passwd", "../x", "lib/../../../etc/passwd",
                         "..", "...etc.passwd"]
    leaked = call(name, {"names": names, "dir": d}).ok()
    assert leaked == [], leaked


def test_sandbox_require_cannot_leave_a_hot_reload_folder(deploy, call, outside_module, hot_dir):
    d, spellings = outside_module
    write(os.path.join(hot_dir, "index.lua"), "local json = require('json')\n" + REQUIRE_PROBE)
    rel = os.path.relpath(os.path.join(d, "secret"), hot_dir)   # ../hangar-outside-X/secret
    names = spellings + [rel, rel.replace("/", "."), "../" + os.path.basename(d) + "/secret"]
    name = deploy(None, code={"S3Bucket": "hot-reload", "S3Key": hot_dir})
    leaked = call(name, {"names": names, "dir": d}).ok()
    assert leaked == [], leaked


def test_sandbox_gc_and_collectgarbage_harmless(deploy, call):
    # collectgarbage is allowed (harmless); calling it does not break the env.
    name = deploy({"index.lua": lua("""
        local n = 0
        return {handler = function()
          n = n + 1
          if collectgarbage then collectgarbage("collect"); collectgarbage("count") end
          return n
        end}
    """)})
    assert call(name, {}).ok() == 1
    assert call(name, {}).ok() == 2


def test_sandbox_string_rep_memory_bomb_is_an_error(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function(event)
          if event.bomb then
            local ok, err = pcall(string.rep, "x", 2^31)
            return {caught = not ok}
          end
          return "alive"
        end}
    """)})
    inv = call(name, {"bomb": True})
    assert inv.status == 200, inv
    if inv.function_error:
        # The runtime may refuse to let the handler continue after a memory error.
        assert "memory" in inv.payload["errorType"].lower() \
            or "memory" in inv.payload["errorMessage"].lower(), inv.payload
    else:
        assert inv.payload == {"caught": True}, inv
    assert call(name, {}).ok() == "alive"


def test_sandbox_table_memory_bomb_inside_pcall_is_stopped(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function(event)
          if event.bomb then
            local keep = {}
            for round = 1, 3 do
              pcall(function()
                local t = {}
                for i = 1, 1e9 do t[i] = ("x"):rep(1000000) .. i end
              end)
              keep[round] = ("y"):rep(1000)
            end
            return "swallowed the memory error"
          end
          return "alive"
        end}
    """)}, timeout=30)
    inv = call(name, {"bomb": True})
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    assert "memory" in (inv.payload["errorType"] + inv.payload["errorMessage"]).lower(), inv.payload
    assert call(name, {}).ok() == "alive"


def test_sandbox_timeout_cannot_be_swallowed_by_pcall(deploy, call):
    name = deploy({"index.lua": lua("""
        return {handler = function(event)
          if event.spin then
            while true do
              pcall(function() while true do end end)
              local ok = pcall(error, "x")
            end
          end
          return "alive"
        end}
    """)}, timeout=1)
    start = time.time()
    inv = call(name, {"spin": True})
    elapsed = time.time() - start
    p = assert_unhandled(inv, "Sandbox.Timedout")
    assert "Task timed out after 1.00 seconds" in p["errorMessage"], p
    assert elapsed < 5, elapsed
    assert call(name, {}).ok() == "alive"


def test_sandbox_globals_do_not_leak_between_functions(deploy, call):
    a = deploy({"index.lua": lua("""
        local json = require("json")
        return {handler = function()
          LEAKED_GLOBAL = "from a"
          string.leaked = function() return "from a" end
          json.leaked = true
          rawset(_G, "RAW_LEAK", 1)
          getmetatable("").__index.meta_leak = true
          os.getenv = function() return "hijacked" end
          return "set"
        end}
    """)})
    b = deploy({"index.lua": lua("""
        local json = require("json")
        return {handler = function()
          return {
            global = LEAKED_GLOBAL == nil,
            string_leak = string.leaked == nil,
            json_leak = json.leaked == nil,
            raw = RAW_LEAK == nil,
            meta = ("x").meta_leak == nil,
            getenv = os.getenv("AWS_REGION") ~= "hijacked",
          }
        end}
    """)})
    assert call(a, {}).ok() == "set"
    r = call(b, {}).ok()
    assert all(r.values()), r


def test_warm_state_stays_within_one_function(deploy, call):
    src = lua("""
        counter = (counter or 0)
        return {handler = function() counter = counter + 1 return counter end}
    """)
    a = deploy({"index.lua": src})
    b = deploy({"index.lua": src})
    assert [call(a, {}).ok() for _ in range(3)] == [1, 2, 3]
    assert call(b, {}).ok() == 1


# Handler code that defeats the timeout from C, where no Lua hook runs: a
# finalizer (Lua disables hooks while __gc runs) and an exponential pattern
# match.  Each runs in its own emulator so a stuck worker cannot disturb the
# other tests; the invoke must still come back at the function's Timeout.
@pytest.mark.parametrize("body", [
    pytest.param("""
        setmetatable({}, {__gc = function() while true do end end})
        collectgarbage("collect")
        return "finalizer returned"
    """, id="gc-finalizer-spin"),
    pytest.param("""
        return string.find(string.rep("a", 40), string.rep("a*", 40) .. "b") or "no match"
    """, id="pattern-backtracking"),
    pytest.param("""
        return string.find(string.rep("a", 100000), ".-b") or "no match"
    """, id="quadratic-find"),
])
def test_sandbox_c_level_spin_still_times_out(emulator_factory, body):
    emu = emulator_factory()
    lam = boto3.client("lambda", endpoint_url=emu.endpoint, region_name=REGION,
                       aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                       config=botocore.config.Config(retries={"max_attempts": 1},
                                                     read_timeout=10, connect_timeout=5))
    name = unique_name("fn")
    src = ("local M = {}\nfunction M.handler(event, context)\n"
           + textwrap.indent(lua(body), "  ") + "\nend\nreturn M\n")
    lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zip_bytes({"index.lua": src})}, Timeout=2)
    start = time.time()
    r = lam.invoke(FunctionName=name, Payload=b"{}")
    elapsed = time.time() - start
    payload = json.loads(r["Payload"].read())
    assert elapsed < 8, elapsed
    # Either it finished legitimately (memory cap hit, or fast enough) or it
    # was stopped at the deadline — never a hang.
    if r.get("FunctionError"):
        assert payload["errorType"] in ("Sandbox.Timedout", "Runtime.OutOfMemory"), payload


# ---------------------------------------------------------------- hot reload (dir bundle)

def test_hot_reload_required_module_edit_takes_effect(deploy, call, hot_dir):
    write(os.path.join(hot_dir, "index.lua"), lua("""
        local msg = require("lib.msg")
        return {handler = function() return msg.text end}
    """))
    write(os.path.join(hot_dir, "lib", "msg.lua"), 'return {text = "v1"}\n')
    name = deploy(None, code={"S3Bucket": "hot-reload", "S3Key": hot_dir})
    assert call(name, {}).ok() == "v1"
    write(os.path.join(hot_dir, "lib", "msg.lua"), 'return {text = "v2, longer"}\n')
    assert call(name, {}).ok() == "v2, longer"


def test_hot_reload_symlink_out_of_folder_refused(deploy, call, hot_dir):
    outside = tempfile.mkdtemp(prefix="hangar-outside-")
    try:
        write(os.path.join(outside, "secret.lua"), 'return {text = "outside secret"}\n')
        os.symlink(os.path.join(outside, "secret.lua"), os.path.join(hot_dir, "evil.lua"))
        os.symlink(outside, os.path.join(hot_dir, "evildir"))
        write(os.path.join(hot_dir, "index.lua"), lua("""
            return {handler = function()
              local ok1, r1 = pcall(require, "evil")
              local ok2, r2 = pcall(require, "evildir.secret")
              return {file = ok1 and r1.text or false, dir = ok2 and r2.text or false}
            end}
        """))
        name = deploy(None, code={"S3Bucket": "hot-reload", "S3Key": hot_dir})
        assert call(name, {}).ok() == {"file": False, "dir": False}
    finally:
        shutil.rmtree(outside, ignore_errors=True)


# ---------------------------------------------------------------- aws.dynamodb

@pytest.fixture
def table(ddb, make_table):
    return make_table(hash_key=("pk", "S"))


@pytest.fixture
def sorted_table(ddb, make_table):
    return make_table(hash_key=("pk", "S"), range_key=("sk", "N"))


DDB_HANDLER = lua("""
    local json = require("json")
    local aws = require("aws")
    local ddb = aws.dynamodb
    local M = {}
    -- event = {op = "put_item", input = {...}}: returns the call's result or its error.
    function M.handler(event)
      local res, err = ddb[event.op](event.input)
      if res == nil then
        return {error = {code = err.code, message = err.message,
                         reasons = err.CancellationReasons or json.null}}
      end
      return {result = res}
    end
    return M
""")


@pytest.fixture
def ddb_fn(deploy):
    return deploy({"index.lua": DDB_HANDLER})


def ddb_call(call, fn, op, **input):
    return call(fn, {"op": op, "input": input}).ok()


def test_ddb_put_item_from_handler_visible_to_boto3(ddb, call, ddb_fn, table):
    r = ddb_call(call, ddb_fn, "put_item", TableName=table,
                 Item={"pk": {"S": "a"}, "n": {"N": "42"}, "l": {"L": [{"S": "x"}, {"BOOL": True}]}})
    assert r == {"result": {}}
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert got == {"pk": {"S": "a"}, "n": {"N": "42"}, "l": {"L": [{"S": "x"}, {"BOOL": True}]}}


def test_ddb_get_item_sees_boto3_write(ddb, call, ddb_fn, table):
    item = {"pk": {"S": "b"}, "m": {"M": {"k": {"S": "v"}, "e": {"M": {}}, "el": {"L": []}}},
            "ss": {"SS": ["x", "y"]}, "nul": {"NULL": True}, "bin": {"B": b"\x00\x01"}}
    ddb.put_item(TableName=table, Item=item)
    r = ddb_call(call, ddb_fn, "get_item", TableName=table, Key={"pk": {"S": "b"}})
    got = r["result"]["Item"]
    assert got["pk"] == {"S": "b"}
    assert got["m"] == {"M": {"k": {"S": "v"}, "e": {"M": {}}, "el": {"L": []}}}
    assert sorted(got["ss"]["SS"]) == ["x", "y"]
    assert got["nul"] == {"NULL": True}
    assert base64.b64decode(got["bin"]["B"]) == b"\x00\x01"
    # A missing item: a result without Item, not an error.
    r = ddb_call(call, ddb_fn, "get_item", TableName=table, Key={"pk": {"S": "none"}})
    assert r == {"result": {}}


def test_ddb_update_item_with_expressions(ddb, call, ddb_fn, table):
    for expected in (1, 2, 3):
        r = ddb_call(call, ddb_fn, "update_item", TableName=table, Key={"pk": {"S": "ctr"}},
                     UpdateExpression="ADD #c :one SET #t = :tag",
                     ExpressionAttributeNames={"#c": "count", "#t": "tag"},
                     ExpressionAttributeValues={":one": {"N": "1"}, ":tag": {"S": "hot"}},
                     ReturnValues="UPDATED_NEW")
        assert r == {"result": {"Attributes": {"count": {"N": str(expected)},
                                               "tag": {"S": "hot"}}}}
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "ctr"}})["Item"]["count"] == {"N": "3"}


def test_ddb_query_from_handler(ddb, call, ddb_fn, sorted_table):
    for i in range(5):
        ddb.put_item(TableName=sorted_table, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                                   "v": {"S": f"v{i}"}})
    ddb.put_item(TableName=sorted_table, Item={"pk": {"S": "other"}, "sk": {"N": "1"}})
    r = ddb_call(call, ddb_fn, "query", TableName=sorted_table,
                 KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "1"},
                                            ":hi": {"N": "3"}},
                 ScanIndexForward=False)["result"]
    assert r["Count"] == 3
    assert [it["sk"]["N"] for it in r["Items"]] == ["3", "2", "1"]
    r = ddb_call(call, ddb_fn, "query", TableName=sorted_table,
                 KeyConditionExpression="pk = :p", Limit=2,
                 ExpressionAttributeValues={":p": {"S": "p"}})["result"]
    assert r["Count"] == 2
    assert r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}}


def test_ddb_transact_write_items(ddb, call, ddb_fn, table):
    r = ddb_call(call, ddb_fn, "transact_write_items", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "t1"}, "v": {"N": "1"}}}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": "t2"}, "v": {"N": "2"}}}},
    ])
    assert "error" not in r, r
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "t2"}})["Item"]["v"] == {"N": "2"}
    # A failing condition cancels the whole transaction.
    r = ddb_call(call, ddb_fn, "transact_write_items", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "t3"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "t1"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    assert r["error"]["code"] == "TransactionCanceledException", r
    assert "ConditionalCheckFailed" in r["error"]["message"], r
    reasons = r["error"]["reasons"]
    assert isinstance(reasons, list) and [x["Code"] for x in reasons] == \
        ["None", "ConditionalCheckFailed"], r
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "t3"}})


def test_ddb_errors_come_back_as_nil_err(call, ddb_fn, table):
    r = ddb_call(call, ddb_fn, "get_item", TableName="no-such-table-" + uuid.uuid4().hex[:6],
                 Key={"pk": {"S": "x"}})
    assert r["error"]["code"] == "ResourceNotFoundException", r
    assert "Requested resource not found" in r["error"]["message"], r

    ddb_call(call, ddb_fn, "put_item", TableName=table, Item={"pk": {"S": "dup"}})
    r = ddb_call(call, ddb_fn, "put_item", TableName=table, Item={"pk": {"S": "dup"}},
                 ConditionExpression="attribute_not_exists(pk)")
    assert r["error"]["code"] == "ConditionalCheckFailedException", r
    assert "conditional request failed" in r["error"]["message"].lower(), r

    r = ddb_call(call, ddb_fn, "put_item", TableName=table, Item={"nokey": {"S": "x"}})
    assert r["error"]["code"] == "ValidationException", r
    assert r["error"]["message"], r


def test_ddb_error_object_and_pcall_shape(deploy, call, table):
    # The documented calling convention: result, or nil plus an err table; the
    # handler is never interrupted by a DynamoDB error.
    name = deploy({"index.lua": lua("""
        local ddb = require("aws").dynamodb
        return {handler = function(event)
          local res, err = ddb.get_item{TableName = "missing-" .. event.t, Key = {pk = {S = "x"}}}
          return {res_nil = res == nil, err_type = type(err), code = err and err.code,
                  msg_type = err and type(err.message)}
        end}
    """)})
    assert call(name, {"t": uuid.uuid4().hex[:8]}).ok() == {
        "res_nil": True, "err_type": "table", "code": "ResourceNotFoundException",
        "msg_type": "string"}


def test_ddb_many_operations_reachable(deploy, call, ddb):
    tname = unique_name("hx")
    name = deploy({"index.lua": lua("""
        local ddb = require("aws").dynamodb
        local function must(res, err)
          if res == nil then error(err.code .. ": " .. err.message) end
          return res
        end
        return {handler = function(event)
          local t = event.table
          local out = {}
          must(ddb.create_table{TableName = t, BillingMode = "PAY_PER_REQUEST",
            AttributeDefinitions = {{AttributeName = "pk", AttributeType = "S"}},
            KeySchema = {{AttributeName = "pk", KeyType = "HASH"}}})
          out.status = must(ddb.describe_table{TableName = t}).Table.TableStatus
          local listed = false
          for _, n in ipairs(must(ddb.list_tables{}).TableNames) do
            if n == t then listed = true end
          end
          out.listed = listed
          must(ddb.batch_write_item{RequestItems = {[t] = {
            {PutRequest = {Item = {pk = {S = "1"}}}},
            {PutRequest = {Item = {pk = {S = "2"}}}},
            {PutRequest = {Item = {pk = {S = "3"}}}}}}})
          out.scan_count = must(ddb.scan{TableName = t}).Count
          local got = must(ddb.batch_get_item{RequestItems = {[t] = {Keys = {
            {pk = {S = "1"}}, {pk = {S = "2"}}}}}})
          out.batch_got = #got.Responses[t]
          must(ddb.delete_item{TableName = t, Key = {pk = {S = "3"}}})
          local tg = must(ddb.transact_get_items{TransactItems = {
            {Get = {TableName = t, Key = {pk = {S = "1"}}}},
            {Get = {TableName = t, Key = {pk = {S = "3"}}}}}})
          out.tget_first = tg.Responses[1].Item.pk.S
          out.tget_second_empty = tg.Responses[2].Item == nil
          out.after_delete = must(ddb.scan{TableName = t, Select = "COUNT"}).Count
          return out
        end}
    """)}, timeout=10)
    try:
        r = call(name, {"table": tname}).ok()
        assert r == {"status": "ACTIVE", "listed": True, "scan_count": 3, "batch_got": 2,
                     "tget_first": "1", "tget_second_empty": True, "after_delete": 2}
        assert ddb.describe_table(TableName=tname)["Table"]["ItemCount"] >= 0
    finally:
        try:
            ddb.delete_table(TableName=tname)
        except ClientError:
            pass


def test_require_aws_dynamodb_submodule(deploy, call):
    # The issue names the module aws.dynamodb; both spellings reach it.
    name = deploy({"index.lua": lua("""
        local ddb = require("aws.dynamodb")
        return {handler = function()
          return {put = type(ddb.put_item), same = ddb == require("aws").dynamodb}
        end}
    """)})
    assert call(name, {}).ok() == {"put": "function", "same": True}


# ---------------------------------------------------------------- AttributeValue helpers

def test_to_item_and_from_item_round_trip(deploy, call):
    inv = run_lua(deploy, call, """
        local ddb = aws.dynamodb
        local value = {s = "x", n = 42, f = 1.5, neg = -3, big = 123456789012345678,
                       b = true, no = false, null = json.null,
                       list = {1, "a", {k = "v"}}, map = {k = "v", inner = {z = 0}},
                       empty_list = json.array({}), empty_map = json.object({})}
        local item = ddb.to_item(value)
        local back = ddb.from_item(item)
        return {item = item, back = back,
                back_n_type = math.type(back.n), back_big_type = math.type(back.big),
                back_f_type = math.type(back.f)}
    """)
    r = inv.ok()
    assert r["item"] == {
        "s": {"S": "x"}, "n": {"N": "42"}, "f": {"N": "1.5"}, "neg": {"N": "-3"},
        "big": {"N": "123456789012345678"}, "b": {"BOOL": True}, "no": {"BOOL": False},
        "null": {"NULL": True},
        "list": {"L": [{"N": "1"}, {"S": "a"}, {"M": {"k": {"S": "v"}}}]},
        "map": {"M": {"k": {"S": "v"}, "inner": {"M": {"z": {"N": "0"}}}}},
        "empty_list": {"L": []}, "empty_map": {"M": {}}}
    assert r["back"] == {"s": "x", "n": 42, "f": 1.5, "neg": -3, "big": 123456789012345678,
                         "b": True, "no": False, "null": None, "list": [1, "a", {"k": "v"}],
                         "map": {"k": "v", "inner": {"z": 0}}, "empty_list": [],
                         "empty_map": {}}
    assert r["back_n_type"] == "integer" and r["back_big_type"] == "integer"
    assert r["back_f_type"] == "float"


def test_to_attr_from_attr_sets_and_binary(deploy, call):
    inv = run_lua(deploy, call, """
        local ddb = aws.dynamodb
        local ss = ddb.to_attr(ddb.set("SS", {"a", "b"}))
        local ns = ddb.to_attr(ddb.set("NS", {1, 2.5}))
        local bin = ddb.to_attr(ddb.binary("\\0\\1abc"))
        local s = ddb.to_attr("plain")
        return {ss = ss, ns = ns, bin = bin, s = s,
                from_s = ddb.from_attr({S = "q"}), from_n = ddb.from_attr({N = "7"}),
                from_bool = ddb.from_attr({BOOL = true}),
                from_null = ddb.from_attr({NULL = true}) == json.null}
    """)
    r = inv.ok()
    assert sorted(r["ss"]["SS"]) == ["a", "b"]
    assert sorted(float(x) for x in r["ns"]["NS"]) == [1.0, 2.5]
    assert base64.b64decode(r["bin"]["B"]) == b"\x00\x01abc"
    assert r["s"] == {"S": "plain"}
    assert r["from_s"] == "q" and r["from_n"] == 7 and r["from_bool"] is True
    assert r["from_null"] is True


def test_document_helpers_against_boto3(ddb, deploy, call, table):
    # Written by the handler from plain Lua values, read back by boto3 with
    # the right types — and the other way round.
    name = deploy({"index.lua": lua("""
        local json = require("json")
        local ddb = require("aws").dynamodb
        return {handler = function(event)
          if event.write then
            local res, err = ddb.put_item{TableName = event.table, Item = ddb.to_item{
              pk = "doc", title = "Hello", count = 3, ratio = 0.5, done = false,
              tags = ddb.set("SS", {"x", "y"}), blob = ddb.binary("\\255\\0"),
              nested = {list = {1, 2}, flag = true}, nothing = json.null}}
            return res and "ok" or err.message
          end
          local res = ddb.get_item{TableName = event.table, Key = ddb.to_item{pk = "from-boto3"}}
          local doc = ddb.from_item(res.Item)
          return {name = doc.name, qty = doc.qty, qty_type = math.type(doc.qty),
                  price = doc.price, list = doc.list, map = doc.map, none = doc.none}
        end}
    """)})
    assert call(name, {"write": True, "table": table}).ok() == "ok"
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "doc"}})["Item"]
    assert item["title"] == {"S": "Hello"}
    assert item["count"] == {"N": "3"}
    assert item["ratio"] == {"N": "0.5"}
    assert item["done"] == {"BOOL": False}
    assert sorted(item["tags"]["SS"]) == ["x", "y"]
    assert item["blob"] == {"B": b"\xff\x00"}
    assert item["nested"] == {"M": {"list": {"L": [{"N": "1"}, {"N": "2"}]},
                                    "flag": {"BOOL": True}}}
    assert item["nothing"] == {"NULL": True}

    ddb.put_item(TableName=table, Item={
        "pk": {"S": "from-boto3"}, "name": {"S": "widget"}, "qty": {"N": "12"},
        "price": {"N": "9.99"}, "list": {"L": [{"S": "a"}, {"N": "1"}]},
        "map": {"M": {"k": {"BOOL": True}}}, "none": {"NULL": True}})
    r = call(name, {"table": table}).ok()
    assert r == {"name": "widget", "qty": 12, "qty_type": "integer", "price": 9.99,
                 "list": ["a", 1], "map": {"k": True}, "none": None}


def test_ddb_print_output_in_tail_log(deploy, call, table):
    name = deploy({"index.lua": lua("""
        local ddb = require("aws").dynamodb
        return {handler = function(event)
          local res, err = ddb.put_item{TableName = event.table, Item = {pk = {S = "logged"}}}
          print("put result:", res ~= nil)
          local _, err2 = ddb.get_item{TableName = "nope-" .. event.table, Key = {pk = {S = "x"}}}
          print("error code:", err2.code)
          return "ok"
        end}
    """)})
    inv = call(name, {"table": table}, tail=True)
    assert inv.ok() == "ok"
    assert "put result:\ttrue" in inv.log, inv.log
    assert "error code:\tResourceNotFoundException" in inv.log, inv.log
