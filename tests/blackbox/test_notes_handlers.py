"""The notes service's Lua handlers (lambdas/notes) as Lambda functions.

Each handler is created as a real Lambda function (Runtime "lua5.4", the
lambdas/notes folder zipped in memory, NOTES_TABLE in its environment) and
invoked with the API Gateway v1 proxy events from fixtures/events/ (ids and
bodies adjusted per test), the way API Gateway's proxy integration calls it.
The tests read the proxy responses ({statusCode, headers, body}) and check
the table with boto3 behind the handlers' backs. A last test puts the
handlers behind a REST API and drives them over HTTP, so the responses are
known to satisfy the gateway's proxy contract too.
"""

import base64
import http.client
import json
import os
import re
import time
import urllib.parse
import uuid

import pytest

from conftest import ACCOUNT_ID, REGION, create_table, make_client, unique_name, zip_bytes, zip_tree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTES_DIR = os.path.join(ROOT, "lambdas", "notes")
EVENTS_DIR = os.path.join(ROOT, "fixtures", "events")
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/notes-lambda"
FIXTURE_ID = "6f1c2a7e-3b9d-4c8e-9a51-2d7f0b3e4c15"

UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_MS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ROUTES = ("create", "get", "update", "delete", "list")
CORS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers")


def notes_zip():
    """lambdas/notes as a zip, paths relative to that folder (create.lua, lib/notes.lua)."""
    return zip_tree(NOTES_DIR)


def load_event(name, note_id=None, body=None, query=None, raw_body=None, now=False):
    """A fixture event; note_id replaces the fixture's id everywhere it appears,
    body (a dict) or raw_body (text) replaces the body, query the query string,
    now=True stamps requestTimeEpoch with the current time as API Gateway would."""
    with open(os.path.join(EVENTS_DIR, name + ".json")) as f:
        text = f.read()
    if note_id is not None:
        text = text.replace(FIXTURE_ID, note_id)
    e = json.loads(text)
    if body is not None:
        e["body"] = json.dumps(body)
    if raw_body is not None:
        e["body"] = raw_body
    if query is not None:
        e["queryStringParameters"] = query or None
        e["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if now:
        e["requestContext"]["requestTimeEpoch"] = int(time.time() * 1000)
    return e


class Notes:
    """The five handlers as functions over one table."""

    def __init__(self, lam, table, env=True):
        self.lam = lam
        self.table = table
        self.names = {}
        code = notes_zip()
        for route in ROUTES:
            name = unique_name(f"notes-{route}")
            kw = {"Environment": {"Variables": {"NOTES_TABLE": table}}} if env else {}
            lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE,
                                Handler=f"{route}.handler", Code={"ZipFile": code},
                                Timeout=10, **kw)
            self.names[route] = name

    def invoke(self, route, event, log=False):
        """The proxy response, with the body decoded when it is JSON."""
        kw = {"LogType": "Tail"} if log else {}
        r = self.lam.invoke(FunctionName=self.names[route], Payload=json.dumps(event).encode(), **kw)
        raw = r["Payload"].read()
        assert r["StatusCode"] == 200, r
        assert "FunctionError" not in r, raw
        resp = json.loads(raw)
        assert set(resp) <= {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}, resp
        assert isinstance(resp["statusCode"], int), resp
        for h in CORS:
            assert h in resp["headers"], resp
        assert resp["headers"]["Access-Control-Allow-Origin"] == "*"
        if resp["body"]:
            assert resp["headers"]["Content-Type"] == "application/json", resp
            resp["json"] = json.loads(resp["body"])
        if log:
            resp["log"] = base64.b64decode(r["LogResult"]).decode("utf-8", "replace")
        return resp

    # Routes with the fixture events.
    def create(self, body, **kw):
        return self.invoke("create", load_event("create", body=body, **kw))

    def get(self, note_id):
        return self.invoke("get", load_event("get", note_id))

    def update(self, note_id, body):
        return self.invoke("update", load_event("update", note_id, body=body))

    def delete(self, note_id):
        return self.invoke("delete", load_event("delete", note_id))

    def list(self, **query):
        return self.invoke("list", load_event("list", query=query))


@pytest.fixture(scope="module")
def lam(endpoint):
    return make_client(endpoint, service="lambda")


@pytest.fixture(scope="module")
def ddb(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="module")
def notes(lam, ddb):
    return Notes(lam, create_table(ddb, name=unique_name("notes"), hash_key=("id", "S")))


def assert_message(resp, status, *words):
    assert resp["statusCode"] == status, resp
    msg = resp["json"]["message"]
    assert set(resp["json"]) == {"message"}, resp
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"
    return msg


# ---------------------------------------------------------------- the CRUD flow

def test_fixture_events_are_complete_v1_proxy_events():
    keys = {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
            "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
            "body", "isBase64Encoded"}
    ctx_keys = {"accountId", "apiId", "stage", "resourceId", "resourcePath", "httpMethod", "path",
                "protocol", "requestId", "requestTime", "requestTimeEpoch", "identity",
                "domainName", "domainPrefix", "extendedRequestId"}
    names = sorted(f[:-5] for f in os.listdir(EVENTS_DIR) if f.endswith(".json"))
    assert {"create", "get", "update", "update-conflict", "delete", "list", "bad-json"} <= set(names)
    for name in names:
        e = load_event(name)
        assert set(e) == keys, name
        assert ctx_keys <= set(e["requestContext"]), name
        assert e["requestContext"]["path"] == "/" + e["requestContext"]["stage"] + e["path"], name
        assert e["requestContext"]["httpMethod"] == e["httpMethod"], name
        assert e["requestContext"]["resourcePath"] == e["resource"], name
        for k, v in e["headers"].items():
            assert e["multiValueHeaders"][k] == [v], name
        if "{id}" in e["resource"]:
            assert e["pathParameters"] == {"id": FIXTURE_ID}, name
        else:
            assert e["pathParameters"] is None, name


def test_create_get_update_conflict_delete(notes, ddb):
    before = time.time()
    r = notes.create({"title": "Groceries", "content": "Milk, eggs, bread"})
    assert r["statusCode"] == 201, r
    note = r["json"]
    assert set(note) == {"id", "title", "content", "createdAt", "updatedAt", "version"}
    assert UUID4_RE.match(note["id"]), note
    assert ISO_MS_RE.match(note["createdAt"]), note
    assert note["createdAt"] == note["updatedAt"]
    assert note["version"] == 1 and note["title"] == "Groceries" and note["content"] == "Milk, eggs, bread"
    assert abs(time.mktime(time.strptime(note["createdAt"][:19], "%Y-%m-%dT%H:%M:%S"))
               - time.timezone - before) < 10
    nid = note["id"]

    # Stored as one item, visible to any DynamoDB client.
    item = ddb.get_item(TableName=notes.table, Key={"id": {"S": nid}})["Item"]
    assert item["version"] == {"N": "1"} and item["title"] == {"S": "Groceries"}

    r = notes.get(nid)
    assert r["statusCode"] == 200 and r["json"] == note

    # The fixture's update: expectedVersion 1 -> version 2.
    r = notes.invoke("update", load_event("update", nid))
    assert r["statusCode"] == 200, r
    updated = r["json"]
    assert updated["version"] == 2
    assert updated["content"] == "Milk, eggs, bread, coffee"
    assert updated["createdAt"] == note["createdAt"] and updated["id"] == nid
    assert ISO_MS_RE.match(updated["updatedAt"]) and updated["updatedAt"] >= note["updatedAt"]

    # A writer holding version 1 is refused and changes nothing.
    r = notes.invoke("update", load_event("update-conflict", nid))
    msg = assert_message(r, 409, nid, "version")
    assert "2" in msg and "1" in msg
    r = notes.get(nid)
    assert r["statusCode"] == 200 and r["json"] == updated

    # Without expectedVersion the update always applies and still bumps version.
    r = notes.update(nid, {"title": "Shopping"})
    assert r["statusCode"] == 200 and r["json"]["version"] == 3
    assert r["json"]["title"] == "Shopping" and r["json"]["content"] == updated["content"]

    r = notes.delete(nid)
    assert r["statusCode"] == 204 and r["body"] == "", r
    assert "Item" not in ddb.get_item(TableName=notes.table, Key={"id": {"S": nid}})
    assert_message(notes.get(nid), 404, f"Note {nid} not found")
    assert notes.get(nid)["json"] == {"message": f"Note {nid} not found"}
    assert_message(notes.delete(nid), 404, f"Note {nid} not found")


def test_update_of_a_missing_note_is_404_with_or_without_expected_version(notes, ddb):
    nid = str(uuid.uuid4())
    assert notes.get(nid)["json"] == {"message": f"Note {nid} not found"}
    assert_message(notes.update(nid, {"title": "x"}), 404, f"Note {nid} not found")
    assert_message(notes.update(nid, {"title": "x", "expectedVersion": 1}), 404, f"Note {nid} not found")
    assert "Item" not in ddb.get_item(TableName=notes.table, Key={"id": {"S": nid}})  # no upsert


def test_response_headers_are_exactly_cors_and_content_type(notes):
    """A JSON answer carries the three CORS headers and Content-Type; a 204 only the CORS ones."""
    cors = {"Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"}
    r = notes.create({"title": "h", "content": "h"})
    assert r["headers"] == {**cors, "Content-Type": "application/json"}, r
    r = notes.delete(r["json"]["id"])
    assert r["statusCode"] == 204 and r["headers"] == cors, r


def test_matching_expected_version_applies_each_time(notes):
    nid = notes.create({"title": "t", "content": "c"})["json"]["id"]
    for v in range(1, 5):
        r = notes.update(nid, {"content": f"rev {v}", "expectedVersion": v})
        assert r["statusCode"] == 200 and r["json"]["version"] == v + 1, r
    assert_message(notes.update(nid, {"content": "late", "expectedVersion": 3}), 409, "version")
    assert notes.get(nid)["json"]["content"] == "rev 4"


def test_timestamps_take_milliseconds_from_the_request_time(notes):
    e = load_event("create", now=True)
    ms = e["requestContext"]["requestTimeEpoch"]
    note = notes.invoke("create", e)["json"]
    want = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
    assert note["createdAt"] == want == note["updatedAt"]


def test_generated_ids_are_distinct_uuid4(notes):
    ids = {notes.create({"title": f"n{i}", "content": "x"})["json"]["id"] for i in range(30)}
    assert len(ids) == 30 and all(UUID4_RE.match(i) for i in ids)


PROBE = b"""
local notes = require("lib.notes")
return { handler = function(event, context)
    local ids, times = {}, {}
    for i = 1, event.ids do ids[i] = notes.uuid4(context) end
    for i, ms in ipairs(event.epochs) do times[i] = notes.now_iso({ requestContext = { requestTimeEpoch = ms } }) end
    local items = event.note and { notes.item_of(event.note), notes.ddb.to_item(event.note) }
    return { ids = ids, times = times, items = items }
end }
"""


@pytest.fixture(scope="module")
def probe(lam):
    """lib/notes.lua's uuid4 and now_iso called straight, many times in one warm environment."""
    with open(os.path.join(NOTES_DIR, "lib", "notes.lua"), "rb") as f:
        code = zip_bytes({"lib/notes.lua": f.read(), "probe.lua": PROBE})
    name = unique_name("notes-probe")
    lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler="probe.handler",
                        Code={"ZipFile": code}, Timeout=10)

    def call(ids=0, epochs=(), note=None):
        event = {"ids": ids, "epochs": list(epochs), **({"note": note} if note else {})}
        r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        raw = r["Payload"].read()
        assert "FunctionError" not in r, raw
        return json.loads(raw)
    return call


def test_every_random_digit_of_the_uuid4_varies(probe):
    """122 random bits: each free hex digit takes many values, the variant digit
    exactly 8, 9, a and b; a field left short of random bits fails here."""
    ids = probe(ids=400)["ids"]
    assert len(set(ids)) == 400 and all(UUID4_RE.match(i) for i in ids), ids[:5]
    digits = [i.replace("-", "") for i in ids]
    for pos in range(32):
        seen = {d[pos] for d in digits}
        if pos == 12:
            assert seen == {"4"}
        elif pos == 16:
            assert seen == set("89ab"), seen
        else:
            assert len(seen) >= 12, (pos, seen)


def test_now_iso_follows_the_request_time_across_seconds(probe):
    """now_iso keeps the last second's date text: it must still change with the second."""
    base = int(time.time()) * 1000
    epochs = [base + d for d in (0, 1, 999, 1000, 1999, 2000, -1000, -1, 0, 2001)]
    want = [time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000) for ms in epochs]
    assert probe(epochs=epochs)["times"] == want


def test_item_of_is_what_to_item_makes(probe):
    """create writes notes.item_of(note), spelled out in Lua: the same item ddb.to_item makes."""
    note = {"id": "6f1c2a7e-3b9d-4c8e-9a51-2d7f0b3e4c15", "title": "T \u00e9\"x", "content": "line\nline",
            "createdAt": "2026-01-02T03:04:05.678Z", "updatedAt": "2026-01-02T03:04:05.678Z", "version": 1}
    spelled, made = probe(note=note)["items"]
    assert spelled == made
    assert made["version"] == {"N": "1"} and made["title"] == {"S": note["title"]}
    assert set(made) == set(note)


# ---------------------------------------------------------------- list and paging

@pytest.fixture(scope="module")
def listing(lam, ddb):
    """A table of exactly 25 notes, with its own functions."""
    n = Notes(lam, create_table(ddb, name=unique_name("notes-list"), hash_key=("id", "S")))
    n.ids = {n.create({"title": f"note {i}", "content": f"body {i}"})["json"]["id"] for i in range(25)}
    return n


def test_list_pages_with_limit_and_next_cursor(listing):
    seen, pages, nxt = [], [], None
    while True:
        q = {"limit": "10"}
        if nxt:
            q["next"] = nxt
        r = listing.list(**q)
        assert r["statusCode"] == 200, r
        body = r["json"]
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= 10
        pages.append(len(body["items"]))
        for note in body["items"]:
            assert set(note) == {"id", "title", "content", "createdAt", "updatedAt", "version"}
        seen += [note["id"] for note in body["items"]]
        nxt = body["next"]
        if nxt is None:
            break
        assert isinstance(nxt, str) and re.match(r"^[A-Za-z0-9_-]+$", nxt), nxt   # base64url, no padding
        assert len(pages) < 10
    assert pages[:2] == [10, 10] and sum(pages) == 25
    assert len(seen) == len(set(seen)) and set(seen) == listing.ids


def test_list_default_limit_is_20_and_a_big_limit_returns_everything(listing):
    body = listing.list()["json"]
    assert len(body["items"]) == 20 and body["next"] is not None
    body = listing.invoke("list", load_event("list", query={}))["json"]
    assert len(body["items"]) == 20
    body = listing.list(limit="100")["json"]
    assert len(body["items"]) == 25 and body["next"] is None
    assert {n["id"] for n in body["items"]} == listing.ids


def test_empty_table_lists_an_empty_array(lam, ddb):
    n = Notes(lam, create_table(ddb, name=unique_name("notes-empty"), hash_key=("id", "S")))
    r = n.list()
    assert r["statusCode"] == 200 and r["body"] == r["body"].strip()
    assert r["json"] == {"items": [], "next": None}
    assert '"items":[]' in r["body"].replace(" ", "")


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "10x"])
def test_bad_limit_is_400_naming_limit(listing, limit):
    assert_message(listing.list(limit=limit), 400, "limit")


@pytest.mark.parametrize("cursor", ["not a cursor!", "e30", base64.urlsafe_b64encode(b'{"x":{"S":"a"}}').decode(),
                                    base64.urlsafe_b64encode(b'[1,2]').decode(), "%%%"])
def test_bad_cursor_is_400_naming_next(listing, cursor):
    assert_message(listing.list(next=cursor), 400, "next")


# ---------------------------------------------------------------- bad requests

def test_bad_json_is_400_naming_the_problem(notes):
    r = notes.invoke("create", load_event("bad-json"))
    assert_message(r, 400, "JSON")


@pytest.mark.parametrize("body,words", [
    (None, ["body"]),
    ("", ["body"]),
    ("[1, 2]", ["JSON object"]),
    ('"text"', ["JSON object"]),
    ("{\"title\": \"a\", }", ["JSON"]),
])
def test_body_must_be_a_json_object(notes, body, words):
    assert_message(notes.invoke("create", load_event("create", raw_body=body) if body is not None
                                else dict(load_event("create"), body=None)), 400, *words)


@pytest.mark.parametrize("body,field", [
    ({"content": "c"}, "title"),
    ({"title": None, "content": "c"}, "title"),
    ({"title": "", "content": "c"}, "title"),
    ({"title": "   ", "content": "c"}, "title"),
    ({"title": 42, "content": "c"}, "title"),
    ({"title": ["a"], "content": "c"}, "title"),
    ({"title": "t"}, "content"),
    ({"title": "t", "content": ""}, "content"),
    ({"title": "t", "content": {"a": 1}}, "content"),
    ({"title": "x" * 201, "content": "c"}, "title"),
    ({"title": "t", "content": "x" * 10001}, "content"),
])
def test_invalid_fields_are_400_naming_the_field(notes, body, field):
    msg = assert_message(notes.create(body), 400, field)
    if "x" * 201 in json.dumps(body):
        assert ("200" in msg) if field == "title" else ("10000" in msg), msg


def test_missing_title_and_oversize_content(notes, ddb):
    before = ddb.scan(TableName=notes.table, Select="COUNT")["Count"]
    assert_message(notes.create({"content": "no title"}), 400, "title", "required")
    assert_message(notes.create({"title": "big", "content": "y" * 10001}), 400, "content", "10000")
    assert ddb.scan(TableName=notes.table, Select="COUNT")["Count"] == before   # nothing written


def test_limits_are_inclusive_and_count_characters_not_bytes(notes):
    r = notes.create({"title": "é" * 200, "content": "ü" * 10000})
    assert r["statusCode"] == 201, r
    assert r["json"]["title"] == "é" * 200
    assert notes.get(r["json"]["id"])["json"]["content"] == "ü" * 10000


def test_client_cannot_choose_id_version_or_timestamps(notes):
    r = notes.create({"title": "t", "content": "c", "id": "mine", "version": 7,
                      "createdAt": "1999-01-01T00:00:00.000Z", "extra": True})
    assert r["statusCode"] == 201, r
    note = r["json"]
    assert note["id"] != "mine" and UUID4_RE.match(note["id"]) and note["version"] == 1
    assert note["createdAt"] != "1999-01-01T00:00:00.000Z" and "extra" not in note
    r = notes.update(note["id"], {"title": "u", "version": 99, "id": "other"})
    assert r["statusCode"] == 200 and r["json"]["version"] == 2 and r["json"]["id"] == note["id"]


def test_base64_encoded_body_is_decoded(notes):
    e = load_event("create")
    e["body"] = base64.b64encode(json.dumps({"title": "b64", "content": "ok"}).encode()).decode()
    e["isBase64Encoded"] = True
    r = notes.invoke("create", e)
    assert r["statusCode"] == 201 and r["json"]["title"] == "b64"


@pytest.mark.parametrize("body,field", [
    ({}, "title or content"),
    ({"expectedVersion": 1}, "title or content"),
    ({"title": ""}, "title"),
    ({"content": "x" * 10001}, "content"),
    ({"title": "t", "expectedVersion": "1"}, "expectedVersion"),
    ({"title": "t", "expectedVersion": 0}, "expectedVersion"),
    ({"title": "t", "expectedVersion": 1.5}, "expectedVersion"),
])
def test_update_validation(notes, body, field):
    nid = notes.create({"title": "t", "content": "c"})["json"]["id"]
    assert_message(notes.update(nid, body), 400, field)
    assert notes.get(nid)["json"]["version"] == 1


def test_update_bad_json(notes):
    nid = notes.create({"title": "t", "content": "c"})["json"]["id"]
    assert_message(notes.invoke("update", load_event("update", nid, raw_body="{oops")), 400, "JSON")


def test_overlong_path_id_is_400(notes):
    assert_message(notes.get("x" * 129), 400, "id")


def test_missing_table_name_is_a_logged_500(lam):
    n = Notes(lam, "unused", env=False)
    r = n.invoke("get", load_event("get"), log=True)
    assert_message(r, 500, "Internal server error")
    assert "NOTES_TABLE" in r["log"]


def test_dynamodb_failure_is_a_logged_500(lam):
    n = Notes(lam, unique_name("no-such-table"))
    r = n.invoke("create", load_event("create"), log=True)
    assert_message(r, 500, "Internal server error")
    assert "ResourceNotFoundException" in r["log"]


# ---------------------------------------------------------------- bundle layouts

def lambdas_zip():
    """The whole lambdas/ folder zipped, so handlers are notes/<route>.handler."""
    return zip_tree(NOTES_DIR, os.path.dirname(NOTES_DIR))


@pytest.mark.parametrize("layout", ["nested-zip", "hot-reload"])
def test_handlers_work_from_a_parent_bundle_and_from_a_hot_reload_folder(lam, ddb, layout):
    table = create_table(ddb, name=unique_name("notes-layout"), hash_key=("id", "S"))
    names = {}
    for route in ("create", "get"):
        name = unique_name(f"notes-{layout}-{route}")
        if layout == "nested-zip":
            code, handler = {"ZipFile": lambdas_zip()}, f"notes/{route}.handler"
        else:
            code, handler = {"S3Bucket": "hot-reload", "S3Key": NOTES_DIR}, f"{route}.handler"
        lam.create_function(FunctionName=name, Runtime="lua5.4", Role=ROLE, Handler=handler, Code=code,
                            Environment={"Variables": {"NOTES_TABLE": table}})
        names[route] = name
    n = Notes.__new__(Notes)
    n.lam, n.table, n.names = lam, table, names
    note = n.create({"title": "layout", "content": layout})["json"]
    assert n.get(note["id"])["json"] == note


# ---------------------------------------------------------------- behind API Gateway

def test_routes_through_api_gateway_proxy_integration(endpoint, lam, ddb):
    """The handlers' responses pass API Gateway's proxy contract (no 502) and
    the path parameter and query string reach them as AWS sends them."""
    n = Notes(lam, create_table(ddb, name=unique_name("notes-gw"), hash_key=("id", "S")))
    gw = make_client(endpoint, service="apigateway")
    api = gw.create_rest_api(name=unique_name("notes-api"))["id"]
    root = next(x["id"] for x in gw.get_resources(restApiId=api)["items"] if x["path"] == "/")
    coll = gw.create_resource(restApiId=api, parentId=root, pathPart="notes")["id"]
    one = gw.create_resource(restApiId=api, parentId=coll, pathPart="{id}")["id"]
    for rid, method, route in ((coll, "POST", "create"), (coll, "GET", "list"), (one, "GET", "get"),
                               (one, "PUT", "update"), (one, "DELETE", "delete")):
        fn = n.names[route]
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"
        gw.put_method(restApiId=api, resourceId=rid, httpMethod=method, authorizationType="NONE")
        gw.put_integration(restApiId=api, resourceId=rid, httpMethod=method, type="AWS_PROXY",
                           integrationHttpMethod="POST",
                           uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations")
        lam.add_permission(FunctionName=fn, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api}/*/*/*")
    gw.create_deployment(restApiId=api, stageName="dev")

    u = urllib.parse.urlsplit(endpoint)

    def call(method, path, body=None):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        data = json.dumps(body) if isinstance(body, dict) else body
        conn.request(method, f"/restapis/{api}/dev/_user_request_{path}", body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        assert r.getheader("Access-Control-Allow-Origin") == "*", (r.status, raw)
        return r.status, r.getheader("Content-Type"), json.loads(raw) if raw else None

    st, ctype, note = call("POST", "/notes", {"title": "via gateway", "content": "hello"})
    assert st == 201 and ctype == "application/json" and note["version"] == 1, note
    nid = note["id"]
    assert call("GET", f"/notes/{nid}") == (200, "application/json", note)
    st, _, upd = call("PUT", f"/notes/{nid}", {"content": "again", "expectedVersion": 1})
    assert st == 200 and upd["version"] == 2
    st, _, msg = call("PUT", f"/notes/{nid}", {"content": "stale", "expectedVersion": 1})
    assert st == 409 and "version" in msg["message"]
    st, _, page = call("GET", "/notes?limit=1")
    assert st == 200 and [x["id"] for x in page["items"]] == [nid]
    st, _, msg = call("GET", "/notes?limit=500")
    assert st == 400 and "limit" in msg["message"]
    st, _, msg = call("POST", "/notes", "{not json")
    assert st == 400 and "JSON" in msg["message"]
    st, _, body = call("DELETE", f"/notes/{nid}")
    assert st == 204 and body is None
    st, _, msg = call("GET", f"/notes/{nid}")
    assert st == 404 and msg == {"message": f"Note {nid} not found"}
