"""Black-box tests for API Gateway invocations: REST APIs built with boto3
(and one with the aws CLI) routing to Lua lambdas, called over HTTP through
the three URL forms, asserting the v1 proxy event, the response mapping and
every error API Gateway answers (403 missing token, 403 until redeploy,
502 malformed response / function error, 500 missing permission, 504
integration timeout), MOCK CORS preflight, stage variables and matching
precedence.
"""

import base64
import http.client
import json
import os
import shutil
import subprocess
import time
import urllib.parse

import pytest

from conftest import ACCOUNT_ID, REGION, make_client, unique_name, zip_bytes

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

HANDLER = r"""
local json = require("json")
local M = {}

local function q(event, name)
  local qs = event.queryStringParameters
  if qs == nil or qs == json.null then return nil end
  return qs[name]
end

function M.handler(event, context)
  local mode = q(event, "mode") or "echo"
  if mode == "echo" then
    return {statusCode = 200, headers = {["Content-Type"] = "application/json"}, body = json.encode(event)}
  elseif mode == "multi" then
    return {statusCode = 200,
            headers = {["X-One"] = "a", ["X-Both"] = "h", ["X-Same"] = "v"},
            multiValueHeaders = {["X-Both"] = {"m1", "m2"}, ["X-Same"] = {"v", "w"},
                                 ["Set-Cookie"] = {"a=1", "b=2"}},
            body = "multi"}
  elseif mode == "b64" then
    return {statusCode = 200, headers = {["Content-Type"] = "application/octet-stream"},
            body = "AAEC/w==", isBase64Encoded = true}
  elseif mode == "strstatus" then
    return {statusCode = "201", body = "created"}
  elseif mode == "nostatus" then
    return {body = "fine"}
  elseif mode == "plain" then
    return "just a string"
  elseif mode == "unknownkey" then
    return {statusCode = 200, body = "x", extra = 1}
  elseif mode == "badmulti" then
    return {statusCode = 200, multiValueHeaders = {["X-A"] = "not a list"}, body = "x"}
  elseif mode == "numbody" then
    return {statusCode = 200, body = 42}
  elseif mode == "error" then
    error("boom")
  elseif mode == "spin" then
    local start = context.get_remaining_time_in_millis()
    while start - context.get_remaining_time_in_millis() < tonumber(q(event, "ms")) do end
    return {statusCode = 200, body = "slept"}
  elseif mode == "fn" then
    return {statusCode = 200, body = context.function_name}
  elseif mode == "sized" then
    -- in the JSON text each '"' takes 2 bytes, each "\1" 6 (\u0001), each "a" 1
    local function n(k) return tonumber(q(event, k) or "0") end
    return {statusCode = 200,
            body = string.rep('"', n("quotes")) .. string.rep("\1", n("ctl")) .. string.rep("a", n("plain"))}
  elseif mode == "bytes" then
    return {statusCode = 200, body = "\xc3\xa9\xffz"}
  elseif mode == "scalars" then
    return {statusCode = 201.0, headers = {["X-N"] = 7, ["X-F"] = 1.5, ["X-B"] = true, ["X-Null"] = json.null},
            body = "s"}
  end
  return {statusCode = 418, body = "unknown mode"}
end

return M
"""


# ------------------------------------------------------------------ plumbing

@pytest.fixture(scope="module")
def lam(endpoint):
    return make_client(endpoint, service="lambda")


@pytest.fixture(scope="module")
def apigw(endpoint):
    return make_client(endpoint, service="apigateway")


def create_function(lam, name=None, timeout=10, permit=True, source_arn=None):
    name = name or unique_name("gwfn")
    lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler="main.handler",
                        Code={"ZipFile": zip_bytes({"main.lua": HANDLER})}, Timeout=timeout)
    if permit:
        kw = {"SourceArn": source_arn} if source_arn else {}
        lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com", **kw)
    return name


def fn_arn(name):
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


def lambda_uri(fn):
    arn = fn if fn.startswith("arn:") or "${" in fn else fn_arn(fn)
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


class Api:
    """A REST API under construction: resources by path, methods, deploy."""

    def __init__(self, apigw, name=None):
        self.c = apigw
        r = apigw.create_rest_api(name=name or unique_name("api"))
        self.id = r["id"]
        self.ids = {"/": next(x["id"] for x in apigw.get_resources(restApiId=self.id)["items"]
                              if x["path"] == "/")}

    def resource(self, path):
        if path in self.ids:
            return self.ids[path]
        parent, _, part = path.rpartition("/")
        pid = self.resource(parent or "/")
        r = self.c.create_resource(restApiId=self.id, parentId=pid, pathPart=part)
        self.ids[path] = r["id"]
        return r["id"]

    def proxy(self, path, method, fn, **integ):
        rid = self.resource(path)
        self.c.put_method(restApiId=self.id, resourceId=rid, httpMethod=method, authorizationType="NONE")
        self.c.put_integration(restApiId=self.id, resourceId=rid, httpMethod=method, type="AWS_PROXY",
                               integrationHttpMethod="POST", uri=lambda_uri(fn), **integ)

    def deploy(self, stage="test", **kw):
        return self.c.create_deployment(restApiId=self.id, stageName=stage, **kw)


def call(endpoint, method, url_path, body=None, headers=None, host=None):
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    h = dict(headers or {})
    if host:
        h["Host"] = host
    conn.request(method, url_path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    out = (r.status, r.headers, data)
    conn.close()
    return out


def forms(endpoint, api_id, stage, path):
    """(url path, Host header) for the three invoke URL forms."""
    port = urllib.parse.urlsplit(endpoint).port
    p = path if path.startswith("/") else "/" + path
    return [
        (f"/restapis/{api_id}/{stage}/_user_request_{p}", None),
        (f"/_aws/execute-api/{api_id}/{stage}{p}", None),
        (f"/{stage}{p}", f"{api_id}.execute-api.localhost:{port}"),
    ]


def invoke(endpoint, api_id, path, method="GET", stage="test", form=0, **kw):
    url, host = forms(endpoint, api_id, stage, path)[form]
    return call(endpoint, method, url, host=host, **kw)


def jbody(resp):
    return json.loads(resp[2])


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def fn(lam):
    return create_function(lam)


@pytest.fixture(scope="module")
def api(apigw, fn):
    a = Api(apigw)
    a.proxy("/echo", "GET", fn)
    a.proxy("/echo", "POST", fn)
    a.proxy("/items/{id}", "GET", fn)
    a.proxy("/items/special", "GET", fn)
    a.proxy("/items/{id}/parts/{part}", "GET", fn)
    a.proxy("/files/{proxy+}", "ANY", fn)
    a.proxy("/files/{proxy+}", "GET", fn)
    a.proxy("/anyonly", "ANY", fn)
    a.proxy("/", "GET", fn)
    a.deploy("test", variables={"color": "blue", "fn": fn})
    return a


# ------------------------------------------------------------------ URL forms and the event

@pytest.mark.parametrize("form", [0, 1, 2])
def test_all_three_url_forms_reach_the_lambda_with_the_same_event(endpoint, api, form):
    st, hdrs, body = invoke(endpoint, api.id, "/echo?a=1", form=form, headers={"User-Agent": "gw-test/1"})
    assert st == 200, body
    ev = json.loads(body)
    assert ev["resource"] == "/echo"
    assert ev["path"] == "/echo"
    assert ev["httpMethod"] == "GET"
    assert ev["queryStringParameters"] == {"a": "1"}
    assert ev["requestContext"]["path"] == "/test/echo"
    assert ev["requestContext"]["identity"]["userAgent"] == "gw-test/1"
    assert hdrs["Content-Type"] == "application/json"


def test_event_has_every_key_of_the_v1_proxy_event(endpoint, api):
    before = int(time.time() * 1000)
    st, _, body = invoke(endpoint, api.id, "/items/42?x=1&x=2&y=z", headers={
        "X-Multi": "one", "User-Agent": "ua/9", "Accept": "*/*"})
    after = int(time.time() * 1000)
    assert st == 200, body
    ev = json.loads(body)
    assert set(ev) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                       "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                       "stageVariables", "requestContext", "body", "isBase64Encoded"}
    assert ev["resource"] == "/items/{id}"
    assert ev["path"] == "/items/42"
    assert ev["httpMethod"] == "GET"
    assert ev["headers"]["X-Multi"] == "one"
    assert ev["multiValueHeaders"]["X-Multi"] == ["one"]
    assert ev["queryStringParameters"] == {"x": "2", "y": "z"}          # last value wins
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["z"]}
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["stageVariables"]["color"] == "blue"
    assert ev["body"] is None
    assert ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    for key in ("accountId", "apiId", "stage", "resourceId", "resourcePath", "httpMethod", "path",
                "protocol", "requestId", "requestTime", "requestTimeEpoch", "identity",
                "domainName", "extendedRequestId"):
        assert key in rc, key
    assert rc["accountId"] == ACCOUNT_ID
    assert rc["apiId"] == api.id
    assert rc["stage"] == "test"
    assert rc["resourceId"] == api.ids["/items/{id}"]
    assert rc["resourcePath"] == "/items/{id}"
    assert rc["httpMethod"] == "GET"
    assert rc["path"] == "/test/items/42"
    assert rc["protocol"] == "HTTP/1.1"
    assert len(rc["requestId"]) == 36
    assert before - 1000 <= rc["requestTimeEpoch"] <= after + 1000
    assert isinstance(rc["requestTimeEpoch"], int)
    assert time.strftime("/%b/%Y:", time.gmtime(rc["requestTimeEpoch"] / 1000)) in rc["requestTime"]
    assert rc["requestTime"].endswith(" +0000")
    ident = rc["identity"]
    assert ident["sourceIp"] == "127.0.0.1"
    assert ident["userAgent"] == "ua/9"
    for key in ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey",
                "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user"):
        assert key in ident and ident[key] is None, key


def test_a_request_moved_off_its_worker_sees_the_same_request(endpoint, apigw, lam):
    """A function's first run is a cold start, which runs on the slow lane (core/offload.h)
    from a copy of the request taken before its connection was suspended (core/server.c,
    struct moved). That copy must carry everything the next, warm request (run on its
    worker, reading the connection) carries: headers in every case and repeat, query
    arguments with repeats, bare flags and escapes, path, body and the peer's address."""
    fn = create_function(lam)
    a = Api(apigw)
    a.proxy("/lane/{id}", "POST", fn)
    a.deploy("test")
    headers = {"X-Multi": "one", "x-lower-case": "two", "User-Agent": "lane/1", "Content-Type": "text/plain"}
    path = "/lane/7?x=1&x=2&y=%20z&flag"
    events = []
    for _ in range(2):
        st, _, body = invoke(endpoint, a.id, path, method="POST", body=b"the body", headers=headers)
        assert st == 200, body
        events.append(json.loads(body))
    moved, warm = events
    for ev in events:                      # what varies from one request to the next
        for key in ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch"):
            ev["requestContext"].pop(key)
    assert moved == warm
    assert moved["headers"]["X-Multi"] == "one" and moved["headers"]["x-lower-case"] == "two"
    assert moved["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [" z"], "flag": [""]}
    assert moved["pathParameters"] == {"id": "7"} and moved["body"] == "the body"
    assert moved["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert moved["requestContext"]["identity"]["userAgent"] == "lane/1"


def test_empty_maps_are_null_not_empty_objects(endpoint, apigw, fn):
    a = Api(apigw)
    a.proxy("/plain", "GET", fn)
    a.deploy("bare")
    st, _, body = invoke(endpoint, a.id, "/plain", stage="bare")
    assert st == 200, body
    ev = json.loads(body)
    assert ev["queryStringParameters"] is None
    assert ev["multiValueQueryStringParameters"] is None
    assert ev["pathParameters"] is None
    assert ev["stageVariables"] is None
    assert ev["body"] is None


def test_request_id_matches_response_header(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/echo")
    assert jbody((st, hdrs, body))["requestContext"]["requestId"] == hdrs["x-amzn-RequestId"]


def test_text_body_arrives_as_is(endpoint, api):
    st, _, body = invoke(endpoint, api.id, "/echo", method="POST", body=b'{"hello": "w\xc3\xb6rld"}',
                         headers={"Content-Type": "application/json"})
    ev = json.loads(body)
    assert st == 200
    assert ev["body"] == '{"hello": "w\u00f6rld"}'
    assert ev["isBase64Encoded"] is False
    assert ev["httpMethod"] == "POST"


def test_binary_body_arrives_base64(endpoint, api):
    raw = bytes([0, 1, 2, 255, 254, 10])
    st, _, body = invoke(endpoint, api.id, "/echo", method="POST", body=raw,
                         headers={"Content-Type": "application/octet-stream"})
    ev = json.loads(body)
    assert st == 200
    assert ev["isBase64Encoded"] is True
    assert base64.b64decode(ev["body"]) == raw


def test_body_past_the_written_event_limit_goes_as_text_and_arrives_whole(endpoint, api):
    """Over 4 MB the event reaches Lambda as JSON text (its 6 MB request limit is checked
    on text), not written straight into Lua; the handler must not see a difference."""
    text = ("note " * (900 * 1024)).encode()            # 4.5 MiB of UTF-8 text
    st, _, body = invoke(endpoint, api.id, "/echo", method="POST", body=text,
                         headers={"Content-Type": "text/plain", "X-Multi": "one"})
    assert st == 200, body[:300]
    ev = json.loads(body)
    assert ev["body"] == text.decode() and ev["isBase64Encoded"] is False
    assert ev["headers"]["X-Multi"] == "one" and ev["multiValueHeaders"]["X-Multi"] == ["one"]
    assert ev["requestContext"]["httpMethod"] == "POST" and ev["pathParameters"] is None


def test_binary_media_types_make_text_bodies_base64(endpoint, apigw, fn):
    a = Api(apigw)
    apigw.update_rest_api(restApiId=a.id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    a.proxy("/up", "POST", fn)
    a.deploy("test")
    st, _, body = invoke(endpoint, a.id, "/up", method="POST", body=b"PNGTEXT",
                         headers={"Content-Type": "image/png"})
    assert st == 200, body
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True
    assert base64.b64decode(ev["body"]) == b"PNGTEXT"


# The gateway keeps each worker thread's parse of a stage (and the function
# records it invokes) between requests; these pin that a management change
# is seen by the very next request, on whichever thread serves it.
WARM = 8    # requests per phase: more than the emulator's worker threads


def test_binary_media_types_added_after_traffic_apply_at_once(endpoint, apigw, fn):
    a = Api(apigw)
    a.proxy("/up", "POST", fn)
    a.deploy("test")
    for _ in range(WARM):
        st, _, body = invoke(endpoint, a.id, "/up", method="POST", body=b"PNGTEXT",
                             headers={"Content-Type": "image/png"})
        assert st == 200, body
        assert json.loads(body)["isBase64Encoded"] is False
    apigw.update_rest_api(restApiId=a.id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    for _ in range(WARM):
        st, _, body = invoke(endpoint, a.id, "/up", method="POST", body=b"PNGTEXT",
                             headers={"Content-Type": "image/png"})
        assert st == 200, body
        assert json.loads(body)["isBase64Encoded"] is True


def test_stage_variable_update_reaches_the_next_request(endpoint, apigw, fn):
    a = Api(apigw)
    a.proxy("/v", "GET", fn)
    a.deploy("test", variables={"k": "one"})
    for _ in range(WARM):
        assert jbody(invoke(endpoint, a.id, "/v"))["stageVariables"] == {"k": "one"}
    apigw.update_stage(restApiId=a.id, stageName="test", patchOperations=[
        {"op": "replace", "path": "/variables/k", "value": "two"}])
    for _ in range(WARM):
        assert jbody(invoke(endpoint, a.id, "/v"))["stageVariables"] == {"k": "two"}
    apigw.delete_stage(restApiId=a.id, stageName="test")
    for _ in range(WARM):
        assert invoke(endpoint, a.id, "/v")[0] == 403


def test_permission_removed_after_traffic_refuses_the_next_request(endpoint, apigw, lam):
    name = create_function(lam)
    a = Api(apigw)
    a.proxy("/p", "GET", name)
    a.deploy("test")
    for _ in range(WARM):
        assert invoke(endpoint, a.id, "/p")[0] == 200
    lam.remove_permission(FunctionName=name, StatementId="apigw")
    for _ in range(WARM):
        assert invoke(endpoint, a.id, "/p")[0] == 500
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"main.lua": HANDLER.replace(
        'body = context.function_name', 'body = "new code"')}))
    lam.add_permission(FunctionName=name, StatementId="again", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    for _ in range(WARM):
        st, _, body = invoke(endpoint, a.id, "/p?mode=fn")
        assert (st, body) == (200, b"new code")


def test_stage_variables_reach_the_event_and_the_function_uri(endpoint, apigw, lam, fn):
    a = Api(apigw)
    a.proxy("/which", "GET", fn_arn("${stageVariables.fn}"))
    a.deploy("s1", variables={"fn": fn, "k": "v"})
    st, _, body = invoke(endpoint, a.id, "/which", stage="s1")
    assert st == 200, body
    ev = json.loads(body)
    assert ev["stageVariables"] == {"fn": fn, "k": "v"}


# ------------------------------------------------------------------ matching

def test_literal_segment_beats_path_parameter(endpoint, api):
    ev = jbody(invoke(endpoint, api.id, "/items/special"))
    assert ev["resource"] == "/items/special"
    assert ev["pathParameters"] is None
    ev = jbody(invoke(endpoint, api.id, "/items/other"))
    assert ev["resource"] == "/items/{id}"
    assert ev["pathParameters"] == {"id": "other"}


def test_nested_parameters_and_url_decoding(endpoint, api):
    ev = jbody(invoke(endpoint, api.id, "/items/a%20b/parts/p1"))
    assert ev["resource"] == "/items/{id}/parts/{part}"
    assert ev["pathParameters"] == {"id": "a b", "part": "p1"}


def test_greedy_proxy_takes_the_rest_without_leading_slash(endpoint, api):
    ev = jbody(invoke(endpoint, api.id, "/files/a/b/c.txt"))
    assert ev["resource"] == "/files/{proxy+}"
    assert ev["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert ev["path"] == "/files/a/b/c.txt"


def test_proxy_needs_at_least_one_segment(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/files")
    assert st == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}


def test_method_specific_beats_any(endpoint, api):
    # GET and ANY both exist on /files/{proxy+}: either answers; ANY serves DELETE
    st, _, body = invoke(endpoint, api.id, "/files/x", method="DELETE")
    assert st == 200, body
    assert json.loads(body)["httpMethod"] == "DELETE"
    st, _, body = invoke(endpoint, api.id, "/anyonly", method="PATCH", body=b"x")
    assert st == 200, body
    assert json.loads(body)["resource"] == "/anyonly"


def test_method_specific_beats_any_with_different_integrations(endpoint, apigw, fn):
    a = Api(apigw)
    rid = a.resource("/thing")
    a.proxy("/thing", "ANY", fn)
    apigw.put_method(restApiId=a.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=a.id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=a.id, resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=a.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"from": "mock"}'})
    a.deploy("test")
    assert jbody(invoke(endpoint, a.id, "/thing")) == {"from": "mock"}
    assert jbody(invoke(endpoint, a.id, "/thing", method="PUT", body=b"{}"))["resource"] == "/thing"


def test_root_resource_and_trailing_slash(endpoint, api):
    ev = jbody(invoke(endpoint, api.id, "/"))
    assert ev["resource"] == "/"
    assert ev["path"] == "/"
    ev = jbody(invoke(endpoint, api.id, "/echo/"))
    assert ev["resource"] == "/echo"


# ------------------------------------------------------------------ response mapping

def test_headers_and_multi_value_headers_merge_as_aws(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/echo?mode=multi")
    assert st == 200, body
    assert body == b"multi"
    assert hdrs.get_all("X-One") == ["a"]
    assert hdrs.get_all("X-Both") == ["m1", "m2", "h"]
    assert hdrs.get_all("X-Same") == ["v", "w"]           # the pair in both maps appears once
    assert hdrs.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_base64_response_body_is_decoded(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/echo?mode=b64")
    assert st == 200
    assert body == bytes([0, 1, 2, 255])
    assert hdrs["Content-Type"] == "application/octet-stream"


def test_numeric_string_status_is_accepted(endpoint, api):
    st, _, body = invoke(endpoint, api.id, "/echo?mode=strstatus")
    assert (st, body) == (201, b"created")


def test_missing_status_means_200(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/echo?mode=nostatus")
    assert (st, body) == (200, b"fine")
    assert hdrs["Content-Type"] == "application/json"


def test_scalar_status_and_headers_are_taken_as_text(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/echo?mode=scalars")
    assert (st, body) == (201, b"s")
    assert (hdrs["X-N"], hdrs["X-F"], hdrs["X-B"]) == ("7", "1.5", "true")
    assert "X-Null" not in hdrs


def test_invalid_utf8_in_the_body_becomes_the_replacement_character(endpoint, api):
    st, _, body = invoke(endpoint, api.id, "/echo?mode=bytes")
    assert (st, body) == (200, "\u00e9\ufffdz".encode())


LAMBDA_MAX_RESPONSE = 6 * 1024 * 1024
SIZED_FRAME = len('{"statusCode":200,"body":""}')


@pytest.mark.parametrize("over", [0, 1])
def test_response_limit_counts_the_json_text_exactly(endpoint, api, over):
    """A result exactly at Lambda's 6 MB (as JSON text, escapes counted) passes; one byte more is 502."""
    quotes, ctl = 1000, 10
    plain = LAMBDA_MAX_RESPONSE - SIZED_FRAME - 2 * quotes - 6 * ctl + over
    st, _, body = invoke(endpoint, api.id, f"/echo?mode=sized&quotes={quotes}&ctl={ctl}&plain={plain}")
    if over:
        assert st == 502
        assert json.loads(body) == {"message": "Internal server error"}
    else:
        assert st == 200
        assert body == b'"' * quotes + b"\x01" * ctl + b"a" * plain


@pytest.mark.parametrize("mode", ["plain", "unknownkey", "badmulti", "numbody"])
def test_malformed_proxy_response_is_502(endpoint, api, mode):
    st, hdrs, body = invoke(endpoint, api.id, f"/echo?mode={mode}")
    assert st == 502, body
    assert json.loads(body) == {"message": "Internal server error"}


def test_malformed_response_is_logged(emulator, endpoint, api):
    invoke(endpoint, api.id, "/echo?mode=unknownkey")
    time.sleep(0.2)
    log = emulator.stderr_text() if hasattr(emulator, "stderr_text") else ""
    if log:
        assert "Malformed Lambda proxy response" in log
        assert "extra" in log


def test_function_error_is_502(endpoint, api):
    st, _, body = invoke(endpoint, api.id, "/echo?mode=error")
    assert st == 502
    assert json.loads(body) == {"message": "Internal server error"}


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("form", [0, 1, 2])
def test_unknown_path_is_403_missing_authentication_token(endpoint, api, form):
    st, hdrs, body = invoke(endpoint, api.id, "/nope/nothing", form=form)
    assert st == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert hdrs["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_unknown_method_is_403_missing_authentication_token(endpoint, api):
    st, hdrs, body = invoke(endpoint, api.id, "/items/1", method="DELETE")
    assert st == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert hdrs["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_unknown_stage_or_api_is_403_forbidden(endpoint, api):
    st, _, body = invoke(endpoint, api.id, "/echo", stage="nostage")
    assert st == 403
    assert json.loads(body) == {"message": "Forbidden"}
    st, _, body = invoke(endpoint, "abcdefghij", "/echo")
    assert st == 403
    assert json.loads(body) == {"message": "Forbidden"}


def test_route_added_after_deployment_is_403_until_redeployed(endpoint, apigw, fn):
    a = Api(apigw)
    a.proxy("/first", "GET", fn)
    a.deploy("test")
    a.proxy("/later", "GET", fn)
    st, hdrs, body = invoke(endpoint, a.id, "/later")
    assert st == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert invoke(endpoint, a.id, "/first")[0] == 200
    a.deploy("test")
    st, _, body = invoke(endpoint, a.id, "/later")
    assert st == 200, body
    assert json.loads(body)["resource"] == "/later"


def test_missing_permission_is_500_and_logged(emulator, endpoint, apigw, lam):
    nofn = create_function(lam, permit=False)
    a = Api(apigw)
    a.proxy("/locked", "GET", nofn)
    a.deploy("test")
    st, _, body = invoke(endpoint, a.id, "/locked")
    assert st == 500
    assert json.loads(body) == {"message": "Internal server error"}
    time.sleep(0.2)
    if hasattr(emulator, "stderr_text"):
        log = emulator.stderr_text()
        want = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{a.id}/test/GET/locked"
        assert want in log
        assert "lambda add-permission" in log
        assert nofn in log
    # granting it (with a wildcard source ARN) opens the route without a redeploy
    lam.add_permission(FunctionName=nofn, StatementId="gw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{a.id}/*/GET/*")
    st, _, body = invoke(endpoint, a.id, "/locked")
    assert st == 200, body


def test_permission_for_another_api_does_not_count(endpoint, apigw, lam):
    other = create_function(lam, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:otherapi99/*/*/*")
    a = Api(apigw)
    a.proxy("/x", "GET", other)
    a.deploy("test")
    st, _, body = invoke(endpoint, a.id, "/x")
    assert st == 500
    assert json.loads(body) == {"message": "Internal server error"}


def test_integration_timeout_is_504(endpoint, apigw, lam):
    slow = create_function(lam, timeout=10)
    a = Api(apigw)
    a.proxy("/slow", "GET", slow, timeoutInMillis=300)
    a.deploy("test")
    t0 = time.time()
    st, _, body = invoke(endpoint, a.id, "/slow?mode=spin&ms=8000")
    assert st == 504, body
    assert json.loads(body) == {"message": "Endpoint request timed out"}
    # the client has its 504 at the integration timeout, not when the
    # function (Timeout 10 s, spinning 8 s) would have finished
    assert time.time() - t0 < 4
    st, _, body = invoke(endpoint, a.id, "/slow?mode=spin&ms=10")
    assert (st, body) == (200, b"slept")


# ------------------------------------------------------------------ MOCK / CORS

def test_mock_cors_preflight(endpoint, apigw, fn):
    a = Api(apigw)
    a.proxy("/cors", "GET", fn)
    rid = a.resource("/cors")
    apigw.put_method(restApiId=a.id, resourceId=rid, httpMethod="OPTIONS", authorizationType="NONE")
    apigw.put_integration(restApiId=a.id, resourceId=rid, httpMethod="OPTIONS", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=a.id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                              responseParameters={
                                  "method.response.header.Access-Control-Allow-Origin": False,
                                  "method.response.header.Access-Control-Allow-Methods": False,
                                  "method.response.header.Access-Control-Allow-Headers": False})
    apigw.put_integration_response(restApiId=a.id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                                   responseParameters={
                                       "method.response.header.Access-Control-Allow-Origin": "'*'",
                                       "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                                       "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'"},
                                   responseTemplates={"application/json": ""})
    a.deploy("test")
    for form in range(3):
        st, hdrs, body = invoke(endpoint, a.id, "/cors", method="OPTIONS", form=form,
                                headers={"Origin": "http://example.com",
                                         "Access-Control-Request-Method": "GET"})
        assert st == 200, body
        assert hdrs["Access-Control-Allow-Origin"] == "*"
        assert hdrs["Access-Control-Allow-Methods"] == "GET,OPTIONS"
        assert hdrs["Access-Control-Allow-Headers"] == "Content-Type,Authorization"
        assert body == b""


def test_mock_selection_pattern_picks_the_integration_response(endpoint, apigw):
    a = Api(apigw)
    rid = a.resource("/teapot")
    apigw.put_method(restApiId=a.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=a.id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 418}'})
    for code in ("200", "418"):
        apigw.put_method_response(restApiId=a.id, resourceId=rid, httpMethod="GET", statusCode=code)
    apigw.put_integration_response(restApiId=a.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})
    apigw.put_integration_response(restApiId=a.id, resourceId=rid, httpMethod="GET", statusCode="418",
                                   selectionPattern="4\\d\\d",
                                   responseTemplates={"application/json": '{"teapot": true}'})
    a.deploy("test")
    st, _, body = invoke(endpoint, a.id, "/teapot")
    assert st == 418
    assert json.loads(body) == {"teapot": True}


# ------------------------------------------------------------------ aws CLI

def test_api_built_with_the_aws_cli(endpoint, fn):
    aws = shutil.which("aws")
    if not aws:
        pytest.skip("aws CLI not installed")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION=REGION, AWS_PAGER="")

    def cli(*args):
        out = subprocess.run([aws, "--endpoint-url", endpoint, "--output", "json", "apigateway", *args],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    api_id = cli("create-rest-api", "--name", unique_name("cli"))["id"]
    root = next(r["id"] for r in cli("get-resources", "--rest-api-id", api_id)["items"] if r["path"] == "/")
    rid = cli("create-resource", "--rest-api-id", api_id, "--parent-id", root, "--path-part", "hello")["id"]
    cli("put-method", "--rest-api-id", api_id, "--resource-id", rid, "--http-method", "GET",
        "--authorization-type", "NONE")
    cli("put-integration", "--rest-api-id", api_id, "--resource-id", rid, "--http-method", "GET",
        "--type", "AWS_PROXY", "--integration-http-method", "POST", "--uri", lambda_uri(fn))
    cli("create-deployment", "--rest-api-id", api_id, "--stage-name", "dev")
    st, _, body = invoke(endpoint, api_id, "/hello?who=cli", stage="dev", form=2)
    assert st == 200, body
    ev = json.loads(body)
    assert ev["resource"] == "/hello"
    assert ev["queryStringParameters"] == {"who": "cli"}
    assert ev["requestContext"]["stage"] == "dev"


# ------------------------------------------------------------------ access log

def test_every_gateway_request_is_logged_with_route_status_and_latency(emulator_factory):
    emu = emulator_factory(args=("--log-level", "info"))
    apigw = make_client(emu.endpoint, service="apigateway")
    lam = make_client(emu.endpoint, service="lambda")
    name = create_function(lam)
    a = Api(apigw)
    a.proxy("/items/{id}", "GET", name)
    a.deploy("prod")
    assert invoke(emu.endpoint, a.id, "/items/9", stage="prod")[0] == 200
    assert invoke(emu.endpoint, a.id, "/missing", stage="prod")[0] == 403
    time.sleep(0.3)
    log = emu.stderr_text()
    ok = [l for l in log.splitlines() if "apigateway api=" + a.id in l and "route=/items/{id}" in l]
    assert ok, log[-2000:]
    assert "stage=prod" in ok[0] and "GET /items/9" in ok[0] and "-> 200" in ok[0] and "ms" in ok[0]
    miss = [l for l in log.splitlines() if "apigateway api=" + a.id in l and "/missing" in l]
    assert miss and "-> 403" in miss[0]
