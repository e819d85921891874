"""The wire: health endpoint, request ids, CRC32 checksums, JSON 1.0 error
shapes, body caps and hostile bodies — spoken as raw signed HTTP."""

import http.client
import json
import socket
import urllib.parse
import zlib

import pytest

from conftest import ERROR_PREFIX, http_get, raw_request, signed_headers, unique_name

ERR_TYPE_PREFIX = ERROR_PREFIX


def health_ok(endpoint):
    status, headers, body = http_get(endpoint, "/_hangar/health")
    return status == 200 and json.loads(body)["status"] == "running"


def create_raw_table(raw, name, region="us-east-1"):
    r = raw("CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}, region=region)
    assert r.status == 200, r
    return r


def test_health(endpoint):
    status, headers, body = http_get(endpoint, "/_hangar/health")
    assert status == 200
    j = json.loads(body)
    assert j["status"] == "running"
    assert isinstance(j["version"], str) and j["version"]
    assert j["services"]["dynamodb"] == "running"
    assert "x-amzn-requestid" in headers


def test_success_response_headers_and_crc(raw):
    r = raw("ListTables", {})
    assert r.status == 200, r
    assert r.headers.get("x-amzn-requestid")
    assert r.headers["content-type"].startswith("application/x-amz-json-1.0")
    assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.body)
    assert "TableNames" in r.json()


def test_request_ids_are_unique(raw):
    ids = {raw("ListTables", {}).headers["x-amzn-requestid"] for _ in range(5)}
    assert len(ids) == 5


def test_error_shape_and_crc(raw):
    r = raw("DescribeTable", {"TableName": "no-such-table-" + unique_name()})
    assert r.status == 400
    assert r.headers.get("x-amzn-requestid")
    assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.body)
    j = r.json()
    assert j["__type"] == ERR_TYPE_PREFIX + "ResourceNotFoundException"
    assert "Requested resource not found" in r.message


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"TableName": "x",}', b"\xff\xfe\x00"],
                         ids=["truncated", "text", "trailing-comma", "binary"])
def test_malformed_json_is_serialization_exception(raw, endpoint, body):
    r = raw("DescribeTable", body)
    assert r.status == 400, r
    assert r.error_code == "SerializationException", r
    assert r.json()["__type"] == ERR_TYPE_PREFIX + "SerializationException"
    assert r.headers.get("x-amzn-requestid")
    assert health_ok(endpoint)


def test_wrong_json_type_for_member(raw):
    r = raw("DescribeTable", {"TableName": 12345})
    assert r.status == 400, r
    assert r.error_code == "SerializationException", r


def test_number_not_string_in_attribute_value(raw):
    name = unique_name()
    create_raw_table(raw, name)
    r = raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "n": {"N": 5}}})
    assert r.status == 400, r
    assert r.error_code == "SerializationException", r


def test_unknown_operation(raw):
    r = raw(target="DynamoDB_20120810.FlyToTheMoon", body={})
    assert r.status == 400, r
    assert r.error_code == "UnknownOperationException", r
    assert r.headers.get("x-amzn-requestid")


def test_missing_target(raw, endpoint):
    r = raw(operation=None, target=None, body={})
    assert r.status == 400, r
    assert r.headers.get("x-amzn-requestid")
    assert health_ok(endpoint)


def test_body_over_16mb_refused_before_reading(endpoint):
    u = urllib.parse.urlsplit(endpoint)
    size = 17 * 1024 * 1024
    headers = signed_headers(endpoint, b"{}", target="DynamoDB_20120810.ListTables")
    sock = socket.create_connection((u.hostname, u.port), timeout=10)
    try:
        lines = [f"POST / HTTP/1.1", f"Host: {u.hostname}:{u.port}", f"Content-Length: {size}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("content-length", "host")]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        # Send only a little of the body: the server must answer from the headers alone.
        sock.sendall(b"{" + b" " * 1000)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    status_line = data.split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"413", data[:500]
    assert health_ok(endpoint)


def test_body_over_16mb_streamed(endpoint):
    """The same cap holds when the body really arrives (or the server cuts it off)."""
    u = urllib.parse.urlsplit(endpoint)
    body = b'{"TableName": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    headers = signed_headers(endpoint, b"{}", target="DynamoDB_20120810.DescribeTable")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    status = None
    try:
        conn.request("POST", "/", body=body, headers=headers)
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = "reset"  # the server refused and closed mid-upload: acceptable
    finally:
        conn.close()
    assert status in (413, "reset")
    assert health_ok(endpoint)


@pytest.mark.parametrize("depth", [100, 100000])
def test_deep_json_nesting_rejected_cleanly(raw, endpoint, depth):
    name = unique_name()
    create_raw_table(raw, name)
    value = '{"S": "x"}'
    for _ in range(depth):
        value = '{"M": {"a": ' + value + "}}"
    body = '{"TableName": "%s", "Item": {"pk": {"S": "deep"}, "v": %s}}' % (name, value)
    r = raw("PutItem", body)
    assert r.status == 400, r
    assert r.error_code in ("SerializationException", "ValidationException"), r
    assert health_ok(endpoint)


def test_deep_array_nesting(raw, endpoint):
    r = raw("ListTables", b"[" * 500000 + b"]" * 500000)
    assert r.status == 400, r
    assert health_ok(endpoint)


def test_nesting_limit_32_levels(raw):
    """AWS allows 32 levels of nested documents; deeper is a ValidationException."""
    name = unique_name()
    create_raw_table(raw, name)

    def nested(levels):
        v = {"S": "leaf"}
        for _ in range(levels):
            v = {"M": {"a": v}}
        return v

    r = raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "ok"}, "v": nested(31)}})
    assert r.status == 200, r
    r = raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "bad"}, "v": nested(40)}})
    assert r.status == 400, r
    assert r.error_code == "ValidationException", r
    assert "nesting" in r.message.lower()


def test_region_from_credential_scope(raw):
    name = unique_name()
    create_raw_table(raw, name, region="us-east-1")
    r = raw("DescribeTable", {"TableName": name}, region="us-east-1")
    assert r.status == 200, r
    assert ":us-east-1:" in r.json()["Table"]["TableArn"]
    r = raw("DescribeTable", {"TableName": name}, region="eu-west-1")
    assert r.status == 400, r
    assert r.error_code == "ResourceNotFoundException", r
    create_raw_table(raw, name, region="eu-west-1")
    r = raw("DescribeTable", {"TableName": name}, region="eu-west-1")
    assert ":eu-west-1:" in r.json()["Table"]["TableArn"]


def test_keep_alive_connection_serves_many_requests(endpoint):
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        for i in range(20):
            body = json.dumps({"Limit": 1}).encode()
            conn.request("POST", "/", body=body,
                         headers=signed_headers(endpoint, body, target="DynamoDB_20120810.ListTables"))
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200
            assert int(r.getheader("x-amz-crc32")) == zlib.crc32(data)
    finally:
        conn.close()


def test_server_still_healthy_at_end(endpoint):
    assert health_ok(endpoint)
    r = raw_request(endpoint, "ListTables", {})
    assert r.status == 200
