"""Black-box tests for CloudWatch Logs (JSON 1.1, Logs_20140328.*) with boto3.

Covers every operation, AWS's error codes and messages, paging tokens (GetLogEvents
"f/"/"b/" tokens that repeat when there is nothing more, FilterLogEvents and
Describe* nextToken), ordering, the supported filter patterns and region separation.
"""

import time
import uuid

import pytest

from conftest import assert_client_error, make_client


@pytest.fixture(scope="module")
def logs(endpoint):
    return make_client(endpoint, service="logs")


@pytest.fixture(scope="module")
def logs_west(endpoint):
    return make_client(endpoint, region="eu-west-1", service="logs")


def name(prefix="/test/"):
    return prefix + uuid.uuid4().hex[:10]


def now_ms():
    return int(time.time() * 1000)


def make_group_stream(logs, messages=(), stream="s1", base=None):
    g = name()
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName=stream)
    if messages:
        base = base or now_ms() - 10000
        logs.put_log_events(logGroupName=g, logStreamName=stream,
                            logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)])
    return g


# ------------------------------------------------------------------ groups

def test_create_describe_delete_group(logs):
    g = name()
    logs.create_log_group(logGroupName=g, tags={"team": "a"})
    got = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"]
    assert len(got) == 1
    lg = got[0]
    assert lg["logGroupName"] == g
    assert lg["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{g}:*"
    assert abs(lg["creationTime"] - now_ms()) < 60000
    assert lg["storedBytes"] == 0
    assert "retentionInDays" not in lg
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException) as e:
        logs.create_log_group(logGroupName=g)
    assert_client_error(e, "ResourceAlreadyExistsException", "already exists")
    logs.delete_log_group(logGroupName=g)
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.delete_log_group(logGroupName=g)
    msg = assert_client_error(e, "ResourceNotFoundException")
    assert msg == "The specified log group does not exist."


def test_group_name_validation(logs):
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.create_log_group(logGroupName="bad name!")
    assert_client_error(e, "InvalidParameterException", "logGroupName")


def test_describe_groups_paging_and_pattern(logs):
    prefix = name("/page/") + "/"
    names = sorted(prefix + f"g{i:02d}" for i in range(7))
    for n in reversed(names):
        logs.create_log_group(logGroupName=n)
    seen, token = [], None
    while True:
        kw = {"logGroupNamePrefix": prefix, "limit": 3}
        if token:
            kw["nextToken"] = token
        r = logs.describe_log_groups(**kw)
        assert len(r["logGroups"]) <= 3
        seen += [g["logGroupName"] for g in r["logGroups"]]
        token = r.get("nextToken")
        if not token:
            break
    assert seen == names
    # the paginator agrees
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix,
                                                               PaginationConfig={"PageSize": 2})
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == names
    # logGroupNamePattern: a case-insensitive substring
    pat = prefix.split("/")[2]
    r = logs.describe_log_groups(logGroupNamePattern=pat.upper())
    assert [g["logGroupName"] for g in r["logGroups"]] == names
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_groups(logGroupNamePrefix=prefix, logGroupNamePattern=pat)


def test_retention_policy(logs):
    g = make_group_stream(logs)
    logs.put_retention_policy(logGroupName=g, retentionInDays=14)
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["retentionInDays"] == 14
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_retention_policy(logGroupName=g, retentionInDays=2)
    assert_client_error(e, "InvalidParameterException", "retentionInDays")
    logs.delete_retention_policy(logGroupName=g)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_retention_policy(logGroupName=g + "-missing", retentionInDays=1)


def test_tags_by_name_and_arn(logs):
    g = name()
    logs.create_log_group(logGroupName=g, tags={"a": "1"})
    logs.tag_log_group(logGroupName=g, tags={"b": "2"})
    assert logs.list_tags_log_group(logGroupName=g)["tags"] == {"a": "1", "b": "2"}
    logs.untag_log_group(logGroupName=g, tags=["a"])
    assert logs.list_tags_log_group(logGroupName=g)["tags"] == {"b": "2"}
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{g}"
    logs.tag_resource(resourceArn=arn, tags={"c": "3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2", "c": "3"}
    logs.untag_resource(resourceArn=arn, tagKeys=["b", "c"])
    assert logs.list_tags_for_resource(resourceArn=arn + ":*")["tags"] == {}
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_tags_for_resource(resourceArn=arn + "-missing")


def test_region_separation(logs, logs_west):
    g = name()
    logs.create_log_group(logGroupName=g)
    assert logs_west.describe_log_groups(logGroupNamePrefix=g)["logGroups"] == []
    with pytest.raises(logs_west.exceptions.ResourceNotFoundException):
        logs_west.create_log_stream(logGroupName=g, logStreamName="s")
    logs_west.create_log_group(logGroupName=g)   # same name, other region: no conflict
    lg = logs_west.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    assert lg["arn"].startswith("arn:aws:logs:eu-west-1:")


# ------------------------------------------------------------------ streams

def test_streams_create_describe_delete(logs):
    g = make_group_stream(logs, ["hello", "world"], stream="one")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException) as e:
        logs.create_log_stream(logGroupName=g, logStreamName="one")
    assert_client_error(e, "ResourceAlreadyExistsException", "already exists")
    logs.create_log_stream(logGroupName=g, logStreamName="two")
    s = {x["logStreamName"]: x for x in logs.describe_log_streams(logGroupName=g)["logStreams"]}
    assert set(s) == {"one", "two"}
    assert s["one"]["lastEventTimestamp"] - s["one"]["firstEventTimestamp"] == 1
    assert "lastIngestionTime" in s["one"] and "uploadSequenceToken" in s["one"]
    assert s["one"]["arn"].endswith(f"log-group:{g}:log-stream:one")
    assert "firstEventTimestamp" not in s["two"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.create_log_stream(logGroupName=g, logStreamName="a:b")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.create_log_stream(logGroupName=g + "x", logStreamName="s")
    assert e.value.response["Error"]["Message"] == "The specified log group does not exist."
    logs.delete_log_stream(logGroupName=g, logStreamName="one")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.delete_log_stream(logGroupName=g, logStreamName="one")
    assert e.value.response["Error"]["Message"] == "The specified log stream does not exist."
    # a deleted group takes its streams with it
    logs.delete_log_group(logGroupName=g)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName=g)


def test_describe_streams_order_prefix_paging(logs):
    g = name()
    logs.create_log_group(logGroupName=g)
    base = now_ms() - 100000
    # names in one order, last event times in another
    for i, s in enumerate(["c", "a", "d", "b", "e"]):
        logs.create_log_stream(logGroupName=g, logStreamName=s)
        logs.put_log_events(logGroupName=g, logStreamName=s,
                            logEvents=[{"timestamp": base + 1000 * i, "message": s}])
    logs.create_log_stream(logGroupName=g, logStreamName="x-empty")

    def all_names(**kw):
        out, token = [], None
        while True:
            if token:
                kw["nextToken"] = token
            r = logs.describe_log_streams(logGroupName=g, limit=2, **kw)
            out += [x["logStreamName"] for x in r["logStreams"]]
            token = r.get("nextToken")
            if not token:
                return out

    assert all_names() == ["a", "b", "c", "d", "e", "x-empty"]
    assert all_names(descending=True) == ["x-empty", "e", "d", "c", "b", "a"]
    assert all_names(orderBy="LastEventTime", descending=True) == ["e", "b", "d", "a", "c", "x-empty"]
    assert all_names(orderBy="LastEventTime") == ["x-empty", "c", "a", "d", "b", "e"]
    assert all_names(logStreamNamePrefix="x") == ["x-empty"]
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.describe_log_streams(logGroupName=g, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert_client_error(e, "InvalidParameterException", "LastEventTime")
    # logGroupIdentifier may be the ARN (sent raw: this botocore's model still requires logGroupName)
    from conftest import raw_request
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{g}"
    r = raw_request(logs.meta.endpoint_url, target="Logs_20140328.DescribeLogStreams",
                    body={"logGroupIdentifier": arn})
    assert r.status == 200 and len(r.json()["logStreams"]) == 6


# ------------------------------------------------------------------ PutLogEvents

def test_put_log_events_rules(logs):
    g = make_group_stream(logs)
    t = now_ms()
    r = logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": t, "message": "a"}])
    assert r["nextSequenceToken"]
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "c"}])
    assert_client_error(e, "InvalidParameterException", "chronological order")
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": t - 25 * 3600 * 1000, "message": "b"},
                                       {"timestamp": t, "message": "c"}])
    assert_client_error(e, "InvalidParameterException", "24 hours")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.put_log_events(logGroupName=g, logStreamName="nope",
                            logEvents=[{"timestamp": t, "message": "a"}])
    assert e.value.response["Error"]["Message"] == "The specified log stream does not exist."
    # too old and too new events are rejected, the rest kept
    old = t - 15 * 24 * 3600 * 1000
    r = logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": old, "message": "old"},
                                       {"timestamp": old + 1, "message": "old2"}])
    assert r["rejectedLogEventsInfo"]["tooOldLogEventEndIndex"] == 2
    r = logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": t + 1, "message": "ok"},
                                       {"timestamp": t + 3 * 3600 * 1000, "message": "future"}])
    assert r["rejectedLogEventsInfo"]["tooNewLogEventStartIndex"] == 1
    msgs = [e["message"] for e in logs.get_log_events(logGroupName=g, logStreamName="s1",
                                                        startFromHead=True)["events"]]
    assert msgs == ["a", "ok"]


# ------------------------------------------------------------------ GetLogEvents

def test_get_log_events_head_tail_and_tokens(logs):
    msgs = [f"line {i}" for i in range(10)]
    g = make_group_stream(logs, msgs)
    r = logs.get_log_events(logGroupName=g, logStreamName="s1")
    assert [e["message"] for e in r["events"]] == msgs
    assert all("ingestionTime" in e and "timestamp" in e for e in r["events"])
    # without startFromHead the newest `limit` events, oldest first
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", limit=3)
    assert [e["message"] for e in r["events"]] == msgs[7:]
    # forward from the head, page by page, until the token repeats
    got, token = [], None
    for _ in range(20):
        kw = {"startFromHead": True, "limit": 4}
        if token:
            kw["nextToken"] = token
        r = logs.get_log_events(logGroupName=g, logStreamName="s1", **kw)
        assert r["nextForwardToken"].startswith("f/") and r["nextBackwardToken"].startswith("b/")
        got += [e["message"] for e in r["events"]]
        if r["nextForwardToken"] == token:
            assert r["events"] == []
            break
        token = r["nextForwardToken"]
    else:
        pytest.fail("forward token never repeated")
    assert got == msgs
    # new events show up behind the last forward token
    logs.put_log_events(logGroupName=g, logStreamName="s1",
                        logEvents=[{"timestamp": now_ms(), "message": "late"}])
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", nextToken=token)
    assert [e["message"] for e in r["events"]] == ["late"]
    # backward from the tail
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", limit=4)
    assert [e["message"] for e in r["events"]] == msgs[7:] + ["late"]
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", limit=4, nextToken=r["nextBackwardToken"])
    assert [e["message"] for e in r["events"]] == msgs[3:7]
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", limit=4, nextToken=r["nextBackwardToken"])
    assert [e["message"] for e in r["events"]] == msgs[:3]
    b = r["nextBackwardToken"]
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", limit=4, nextToken=b)
    assert r["events"] == [] and r["nextBackwardToken"] == b
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.get_log_events(logGroupName=g, logStreamName="s1", nextToken="garbage")


def test_get_log_events_time_window(logs):
    base = now_ms() - 60000
    g = make_group_stream(logs, [f"e{i}" for i in range(6)], base=base)
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", startTime=base + 2, endTime=base + 4,
                            startFromHead=True)
    assert [e["message"] for e in r["events"]] == ["e2", "e3"]   # endTime exclusive
    empty = make_group_stream(logs)
    r = logs.get_log_events(logGroupName=empty, logStreamName="s1")
    assert r["events"] == []
    r2 = logs.get_log_events(logGroupName=empty, logStreamName="s1", nextToken=r["nextForwardToken"])
    assert r2["nextForwardToken"] == r["nextForwardToken"]


def test_same_timestamp_keeps_put_order(logs):
    t = now_ms()
    g = make_group_stream(logs)
    for batch in (["a", "b"], ["c"], ["d", "e"]):
        logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": t, "message": m} for m in batch])
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", startFromHead=True, limit=2)
    got = [e["message"] for e in r["events"]]
    r = logs.get_log_events(logGroupName=g, logStreamName="s1", nextToken=r["nextForwardToken"])
    got += [e["message"] for e in r["events"]]
    assert got == ["a", "b", "c", "d", "e"]


# ------------------------------------------------------------------ FilterLogEvents

@pytest.fixture(scope="module")
def filter_group(logs):
    g = name("/filter/")
    logs.create_log_group(logGroupName=g)
    base = now_ms() - 50000
    lines = {
        "app-1": [(0, "INFO start"), (2, "ERROR disk full"), (4, "WARN slow request"), (6, "INFO done")],
        "app-2": [(1, "ERROR timeout talking to db"), (3, "INFO tick"), (5, "ERROR disk quota")],
        "web": [(7, "GET /index 200"), (8, "GET /missing 404 ERROR")],
    }
    for s, evs in lines.items():
        logs.create_log_stream(logGroupName=g, logStreamName=s)
        logs.put_log_events(logGroupName=g, logStreamName=s,
                            logEvents=[{"timestamp": base + t, "message": m} for t, m in evs])
    return g, base


def fmsgs(logs, g, **kw):
    r = logs.filter_log_events(logGroupName=g, **kw)
    return [e["message"] for e in r["events"]]


def test_filter_interleaved_all(logs, filter_group):
    g, base = filter_group
    r = logs.filter_log_events(logGroupName=g)
    ts = [e["timestamp"] - base for e in r["events"]]
    assert ts == list(range(9))                       # interleaved across streams, by time
    e = r["events"][0]
    assert e["logStreamName"] == "app-1" and e["eventId"] and "ingestionTime" in e
    assert len({x["eventId"] for x in r["events"]}) == 9
    assert {s["logStreamName"] for s in r["searchedLogStreams"]} == {"app-1", "app-2", "web"}
    assert "nextToken" not in r


def test_filter_patterns(logs, filter_group):
    g, _ = filter_group
    assert fmsgs(logs, g, filterPattern="ERROR") == [
        "ERROR timeout talking to db", "ERROR disk full", "ERROR disk quota", "GET /missing 404 ERROR"]
    assert fmsgs(logs, g, filterPattern="ERROR disk") == ["ERROR disk full", "ERROR disk quota"]
    assert fmsgs(logs, g, filterPattern='"disk full"') == ["ERROR disk full"]
    assert fmsgs(logs, g, filterPattern="?WARN ?timeout") == ["ERROR timeout talking to db", "WARN slow request"]
    assert fmsgs(logs, g, filterPattern="ERROR -disk") == ["ERROR timeout talking to db", "GET /missing 404 ERROR"]
    assert fmsgs(logs, g, filterPattern="error") == []          # case-sensitive, as AWS
    assert fmsgs(logs, g, filterPattern="") == fmsgs(logs, g)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=g, filterPattern='{ $.level = "x" }')


def test_filter_streams_time_and_paging(logs, filter_group):
    g, base = filter_group
    assert fmsgs(logs, g, logStreamNames=["web"]) == ["GET /index 200", "GET /missing 404 ERROR"]
    assert fmsgs(logs, g, logStreamNamePrefix="app-", filterPattern="INFO") == ["INFO start", "INFO tick", "INFO done"]
    r = logs.filter_log_events(logGroupName=g, logStreamNames=["app-2", "nope"])
    assert [s["logStreamName"] for s in r["searchedLogStreams"]] == ["app-2"]
    assert fmsgs(logs, g, startTime=base + 3, endTime=base + 5) == ["INFO tick", "WARN slow request", "ERROR disk quota"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=g, logStreamNames=["web"], logStreamNamePrefix="a")
    got, token, pages = [], None, 0
    while True:
        kw = {"limit": 2, "filterPattern": "?ERROR ?INFO"}
        if token:
            kw["nextToken"] = token
        r = logs.filter_log_events(logGroupName=g, **kw)
        pages += 1
        assert len(r["events"]) <= 2
        got += [e["message"] for e in r["events"]]
        token = r.get("nextToken")
        if not token:
            break
    assert pages == 4
    assert got == fmsgs(logs, g, filterPattern="?ERROR ?INFO")
    pag = logs.get_paginator("filter_log_events").paginate(logGroupName=g, PaginationConfig={"PageSize": 4})
    assert [e["message"] for p in pag for e in p["events"]] == fmsgs(logs, g)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName=g + "-missing")


# ------------------------------------------------------------------ protocol

def test_unknown_operation_and_bad_json(endpoint):
    from conftest import raw_request
    r = raw_request(endpoint, target="Logs_20140328.NoSuchThing", body=b"{}")
    assert r.status == 400 and r.json()["__type"] == "UnknownOperationException"
    r = raw_request(endpoint, target="Logs_20140328.DescribeLogGroups", body=b"{not json")
    assert r.status == 400 and r.json()["__type"] == "SerializationException"
    r = raw_request(endpoint, target="Logs_20140328.DescribeLogGroups", body=b"{}")
    assert r.status == 200 and "logGroups" in r.json()
