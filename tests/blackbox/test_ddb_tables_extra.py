"""Control-plane cases the shared suites leave out: full descriptions, index
rules, deletion protection, UpdateTable's GSI lifecycle, streams/SSE/class,
exact ListTables paging, TTL's five-year rule and index upkeep, tag limits,
PITR settings.  (Owned by the tables.c/ttl.c/misc.c helper.)"""

import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import (ACCOUNT_ID, REGION, assert_client_error, create_table, make_client,
                      unique_name)


def arn_of(name, region=REGION):
    return f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"


@pytest.fixture(scope="module")
def loose(endpoint):
    return make_client(endpoint, parameter_validation=False)


def base(name=None, **kw):
    args = dict(TableName=name or unique_name(), BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                           {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"}])
    args.update(kw)
    return args


def gsi(name, attr, **kw):
    spec = {"IndexName": name, "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}
    spec.update(kw)
    return spec


# ---------------------------------------------------------------- descriptions

def test_create_response_is_complete_and_private_state_hidden(ddb, raw):
    name = unique_name()
    before = time.time()
    td = ddb.create_table(**base(name, Tags=[{"Key": "k", "Value": "v"}]))["TableDescription"]
    assert td["TableStatus"] == "ACTIVE"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", td["TableId"])
    assert before - 2 <= td["CreationDateTime"].timestamp() <= time.time() + 2
    assert td["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LastUpdateToPayPerRequestDateTime" in td["BillingModeSummary"]
    assert td["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                           "WriteCapacityUnits": 0}
    assert td["ItemCount"] == 0 and td["TableSizeBytes"] == 0
    for r in (raw("DescribeTable", {"TableName": name}), raw("CreateTable", base(unique_name()))):
        assert r.status == 200, r
        assert '"_' not in r.body.decode(), r.body
    # (this botocore predates DeletionProtectionEnabled, so read it raw)
    assert raw("DescribeTable", {"TableName": name}).json()["Table"]["DeletionProtectionEnabled"] is False
    # DescribeTable by ARN, as AWS allows.
    assert ddb.describe_table(TableName=arn_of(name))["Table"]["TableName"] == name
    ddb.delete_table(TableName=name)


def test_live_counts_for_table_and_indexes(ddb, make_table):
    name = make_table(hash_key=("pk", "S"), range_key=("sk", "S"),
                      gsis=[{"name": "byG", "hash": ("g", "S")}],
                      lsis=[{"name": "byL", "hash": ("pk", "S"), "range": ("l", "S")}])
    for i in range(4):
        item = {"pk": {"S": "p"}, "sk": {"S": str(i)}}
        if i % 2:
            item["g"] = {"S": "x"}
        if i == 0:
            item["l"] = {"S": "y"}
        ddb.put_item(TableName=name, Item=item)
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["ItemCount"] == 4 and t["TableSizeBytes"] > 0
    assert t["GlobalSecondaryIndexes"][0]["ItemCount"] == 2
    assert t["GlobalSecondaryIndexes"][0]["IndexSizeBytes"] > 0
    assert t["LocalSecondaryIndexes"][0]["ItemCount"] == 1


# ---------------------------------------------------------------- CreateTable rules

def test_unused_definition_with_indexes(ddb):
    args = base(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"},
                                      {"AttributeName": "spare", "AttributeType": "N"}],
                GlobalSecondaryIndexes=[gsi("byG", "g")])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", "Some AttributeDefinitions are not used")


def test_lsi_must_share_hash_key(ddb):
    args = base(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"},
                                      {"AttributeName": "o", "AttributeType": "S"}],
                LocalSecondaryIndexes=[{
                    "IndexName": "bad", "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [{"AttributeName": "o", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", "same leading hash key", "bad")


@pytest.mark.parametrize("projection,words", [
    ({"ProjectionType": "INCLUDE"}, ["NonKeyAttributes"]),
    ({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]}, ["KEYS_ONLY", "NonKeyAttributes"]),
    ({"ProjectionType": "ALL", "NonKeyAttributes": ["a"]}, ["ALL", "NonKeyAttributes"]),
], ids=["include-without", "keys-only-with", "all-with"])
def test_projection_rules(ddb, projection, words):
    args = base(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"}],
                GlobalSecondaryIndexes=[gsi("byG", "g", Projection=projection)])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", *words)


def test_gsi_throughput_follows_billing_mode(ddb):
    defs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"}]
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base(BillingMode="PROVISIONED", AttributeDefinitions=defs,
                                ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                                GlobalSecondaryIndexes=[gsi("byG", "g")]))
    assert_client_error(e, "ValidationException", "ProvisionedThroughput", "byG")
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base(AttributeDefinitions=defs, GlobalSecondaryIndexes=[gsi(
            "byG", "g", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})]))
    assert_client_error(e, "ValidationException", "PAY_PER_REQUEST", "byG")


def test_gsi_limit(ddb):
    defs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"}]
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base(AttributeDefinitions=defs,
                                GlobalSecondaryIndexes=[gsi(f"gsi{i:02d}", "g") for i in range(21)]))
    assert_client_error(e, "ValidationException", "20")


def test_lsi_index_name_collides_with_gsi(ddb):
    defs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"}]
    lsi = {"IndexName": "same", "Projection": {"ProjectionType": "ALL"},
           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                         {"AttributeName": "g", "KeyType": "RANGE"}]}
    with pytest.raises(ClientError) as e:
        ddb.create_table(**base(AttributeDefinitions=defs, LocalSecondaryIndexes=[lsi],
                                GlobalSecondaryIndexes=[gsi("same", "g")]))
    assert_client_error(e, "ValidationException", "Duplicate index name", "same")


def test_stream_sse_class_echoed(ddb, make_table):
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                      SSESpecification={"Enabled": True},
                      TableClass="STANDARD_INFREQUENT_ACCESS")
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert t["LatestStreamArn"].startswith(arn_of(name) + "/stream/")
    assert t["LatestStreamLabel"]
    assert t["SSEDescription"]["Status"] == "ENABLED"
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName=name)["Table"]
    assert "LatestStreamArn" not in t
    ddb.update_table(TableName=name, TableClass="STANDARD")
    assert ddb.describe_table(TableName=name)["Table"]["TableClassSummary"]["TableClass"] == "STANDARD"


# ---------------------------------------------------------------- DeleteTable, UpdateTable

def test_deletion_protection(raw):
    # Raw requests: the installed botocore predates DeletionProtectionEnabled.
    name = unique_name()
    r = raw("CreateTable", base(name, DeletionProtectionEnabled=True))
    assert r.status == 200, r
    assert r.json()["TableDescription"]["DeletionProtectionEnabled"] is True
    r = raw("DeleteTable", {"TableName": name})
    assert r.status == 400 and r.error_code == "ValidationException", r
    assert "protected against deletion" in r.message
    r = raw("UpdateTable", {"TableName": name, "DeletionProtectionEnabled": False})
    assert r.status == 200, r
    assert r.json()["TableDescription"]["DeletionProtectionEnabled"] is False
    r = raw("DeleteTable", {"TableName": name})
    assert r.status == 200 and r.json()["TableDescription"]["TableStatus"] == "DELETING", r


def test_update_table_needs_something(loose, make_table):
    name = make_table()
    with pytest.raises(ClientError) as e:
        loose.update_table(TableName=name)
    assert_client_error(e, "ValidationException", "At least one of")


def test_update_throughput_on_demand_rejected(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name,
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert_client_error(e, "ValidationException", "PAY_PER_REQUEST")


def test_recreated_gsi_does_not_see_stale_entries(ddb, make_table):
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "x": {"S": "1"}, "y": {"S": "2"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "y": {"S": "1"}})

    def create(attr):
        ddb.update_table(TableName=name,
                         AttributeDefinitions=[{"AttributeName": attr, "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": gsi("idx", attr)}])

    create("x")
    t = ddb.describe_table(TableName=name)["Table"]
    assert {a["AttributeName"] for a in t["AttributeDefinitions"]} == {"pk", "x"}
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "idx"}}])
    t = ddb.describe_table(TableName=name)["Table"]
    assert "GlobalSecondaryIndexes" not in t
    assert [a["AttributeName"] for a in t["AttributeDefinitions"]] == ["pk"]
    create("y")
    r = ddb.query(TableName=name, IndexName="idx", KeyConditionExpression="y = :v",
                  ExpressionAttributeValues={":v": {"S": "1"}})
    assert [i["pk"]["S"] for i in r["Items"]] == ["b"]
    assert ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 2


def test_one_update_per_index(ddb, make_table):
    name = make_table(gsis=[{"name": "gsi1", "hash": ("g", "S")}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
            {"Delete": {"IndexName": "gsi1"}}, {"Delete": {"IndexName": "gsi1"}}])
    assert_client_error(e, "ValidationException", "gsi1")


def test_update_gsi_throughput(ddb, make_table):
    name = make_table(billing="PROVISIONED", gsis=[{"name": "gsi1", "hash": ("g", "S")}])
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi1", "ProvisionedThroughput": {"ReadCapacityUnits": 11, "WriteCapacityUnits": 12}}}])
    g = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 11
    assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 12
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "nope", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    assert_client_error(e, "ResourceNotFoundException")


# ---------------------------------------------------------------- ListTables exact paging

def test_list_tables_exact_pages(endpoint):
    # A region nobody else uses in this module's emulator, so the listing is exactly ours.
    c = make_client(endpoint, region="ap-southeast-2")
    names = sorted(f"lt-{i}" for i in range(4))
    for n in names:
        create_table(c, name=n)
    try:
        r = c.list_tables(Limit=4)
        assert r["TableNames"] == names and "LastEvaluatedTableName" not in r
        r = c.list_tables(Limit=3)
        assert r["TableNames"] == names[:3] and r["LastEvaluatedTableName"] == names[2]
        r = c.list_tables(Limit=3, ExclusiveStartTableName=names[2])
        assert r["TableNames"] == names[3:] and "LastEvaluatedTableName" not in r
        assert c.list_tables(ExclusiveStartTableName="zzz")["TableNames"] == []
    finally:
        for n in names:
            c.delete_table(TableName=n)


# ---------------------------------------------------------------- TTL

def test_ttl_disable_names_the_attribute(ddb, make_table):
    name = make_table()
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "a"})
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "b"})
    assert_client_error(e, "ValidationException", "a")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "a"})
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "a"})
    assert_client_error(e, "ValidationException", "TimeToLive is already disabled")


def test_ttl_five_year_rule_and_index_upkeep(emulator_factory):
    emu = emulator_factory(args=["--ttl-interval", "0.2"])
    ddb = make_client(emu.endpoint)
    name = create_table(ddb, gsis=[{"name": "byG", "hash": ("g", "S")}])
    now = int(time.time())
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    items = {
        "recent": str(now - 10),
        "four-years": str(now - 4 * 365 * 86400),
        "six-years": str(now - 6 * 365 * 86400),      # AWS ignores expiry dates over five years old
        "fraction": f"{now - 5}.5",
        "future": str(now + 3600),
    }
    for pk, exp in items.items():
        ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "g": {"S": "all"}, "exp": {"N": exp}})
    # Enough expired items to need several delete batches.
    for i in range(250):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"bulk{i}"}, "g": {"S": "all"},
                                           "exp": {"N": str(now - 100)}})

    def left():
        r = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "all"}})
        return {i["pk"]["S"] for i in r["Items"]}

    deadline = time.time() + 10
    while time.time() < deadline and left() != {"six-years", "future"}:
        time.sleep(0.2)
    assert left() == {"six-years", "future"}
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["ItemCount"] == 2
    assert t["GlobalSecondaryIndexes"][0]["ItemCount"] == 2
    # Stop promptly even with a short interval.
    t0 = time.time()
    assert emu.stop() in (0,)
    assert time.time() - t0 < 5


# ---------------------------------------------------------------- tags, PITR

def test_tag_limits_and_arns(ddb, make_table):
    name = make_table()
    arn = arn_of(name)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "x"}])
    assert_client_error(e, "ValidationException", "50")
    assert len(ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "y"}])
    assert_client_error(e, "ValidationException", "aws:")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn_of(name, region="eu-west-3"))
    assert_client_error(e, "ResourceNotFoundException")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn + "/index/foo")
    assert_client_error(e, "ValidationException")
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    assert_client_error(e, "ValidationException", "128")


def test_create_table_validates_tags_as_tag_resource(ddb, loose, make_table):
    # CreateTable and TagResource share one tag check: the reserved "aws:"
    # prefix, the key/value lengths and the messages are the same in both
    names = []
    for bad, words in ([{"Key": "aws:owner", "Value": "me"}], "aws:"), \
                      ([{"Key": "ok", "Value": "v"}, {"Key": "k" * 129, "Value": "v"}], "tags.2.member.key"), \
                      ([{"Key": "ok", "Value": "v" * 257}], "tags.1.member.value"):
        name = unique_name()
        names.append(name)
        with pytest.raises(ClientError) as created:
            loose.create_table(**base(name, Tags=bad))
        assert_client_error(created, "ValidationException", words)
        tagged_on = make_table()
        with pytest.raises(ClientError) as tagged:
            loose.tag_resource(ResourceArn=arn_of(tagged_on), Tags=bad)
        assert_client_error(tagged, "ValidationException", words)
        assert created.value.response["Error"]["Message"] == tagged.value.response["Error"]["Message"]
    for name in names:
        with pytest.raises(ClientError) as e:
            ddb.describe_table(TableName=name)
        assert_client_error(e, "ResourceNotFoundException")
    # a key that only contains "aws:" later on is an ordinary key
    name = unique_name()
    ddb.create_table(**base(name, Tags=[{"Key": "team:aws:x", "Value": "v"}]))
    assert ddb.list_tags_of_resource(ResourceArn=arn_of(name))["Tags"] == [{"Key": "team:aws:x", "Value": "v"}]
    ddb.delete_table(TableName=name)


def test_pitr_recovery_period(ddb, make_table):
    name = make_table()
    r = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    p = r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert p["EarliestRestorableDateTime"] <= p["LatestRestorableDateTime"]
    with pytest.raises(ClientError) as e:
        ddb.update_continuous_backups(TableName="no-such-" + unique_name(), PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    assert_client_error(e, "TableNotFoundException")


def test_describe_endpoints_names_region(endpoint):
    c = make_client(endpoint, region="eu-central-1")
    assert c.describe_endpoints()["Endpoints"][0]["Address"] == "dynamodb.eu-central-1.amazonaws.com"
