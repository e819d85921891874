"""Table lifecycle: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import (ACCOUNT_ID, REGION, assert_client_error, create_table, make_client,
                      unique_name)


@pytest.fixture(scope="module")
def loose(endpoint):
    """A client without botocore's own parameter validation, so the server's is tested."""
    return make_client(endpoint, parameter_validation=False)


def hash_only(name, **kw):
    args = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    args.update(kw)
    return args


def wait_index(ddb, table, index, status="ACTIVE", timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        desc = ddb.describe_table(TableName=table)["Table"]
        gsis = {g["IndexName"]: g for g in desc.get("GlobalSecondaryIndexes", [])}
        if status is None and index not in gsis:
            return desc
        if status is not None and gsis.get(index, {}).get("IndexStatus") == status:
            return desc
        time.sleep(0.1)
    raise AssertionError(f"index {index} never reached {status}: {desc}")


# ---------------------------------------------------------------- CreateTable / DescribeTable

def test_create_hash_only_describe_fields(ddb):
    name = unique_name()
    resp = ddb.create_table(**hash_only(name))
    td = resp["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] in ("CREATING", "ACTIVE")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["TableName"] == name
    assert t["TableStatus"] == "ACTIVE"
    assert t["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
    assert t["ItemCount"] == 0
    assert t["TableSizeBytes"] == 0
    assert t["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert t["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 0
    assert "CreationDateTime" in t
    assert t["TableId"]
    assert "GlobalSecondaryIndexes" not in t
    assert "LocalSecondaryIndexes" not in t
    ddb.delete_table(TableName=name)


def test_create_hash_range_provisioned(ddb, make_table):
    name = make_table(hash_key=("pk", "S"), range_key=("sk", "N"), billing="PROVISIONED")
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in t["AttributeDefinitions"]) == \
        [("pk", "S"), ("sk", "N")]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert t["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    # AWS omits BillingModeSummary for tables created PROVISIONED; if present it must agree.
    if "BillingModeSummary" in t:
        assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"


def test_create_with_gsi_and_lsi_describes_indexes(ddb, make_table):
    name = make_table(
        hash_key=("pk", "S"), range_key=("sk", "S"),
        gsis=[{"name": "byG", "hash": ("g", "S"), "range": ("gs", "N"),
               "projection": {"ProjectionType": "KEYS_ONLY"}}],
        lsis=[{"name": "byL", "hash": ("pk", "S"), "range": ("l", "N"),
               "projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]}}])
    t = ddb.describe_table(TableName=name)["Table"]
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
    [g] = t["GlobalSecondaryIndexes"]
    assert g["IndexName"] == "byG"
    assert g["IndexStatus"] == "ACTIVE"
    assert g["IndexArn"] == f"{arn}/index/byG"
    assert g["KeySchema"] == [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "gs", "KeyType": "RANGE"}]
    assert g["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert g["ItemCount"] == 0
    [l] = t["LocalSecondaryIndexes"]
    assert l["IndexName"] == "byL"
    assert l["IndexArn"] == f"{arn}/index/byL"
    assert l["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "l", "KeyType": "RANGE"}]
    assert l["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(l["Projection"]["NonKeyAttributes"]) == ["x", "y"]
    defined = {a["AttributeName"] for a in t["AttributeDefinitions"]}
    assert defined == {"pk", "sk", "g", "gs", "l"}


def test_describe_item_count_after_writes(ddb, make_table):
    name = make_table()
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 10}})
    t = ddb.describe_table(TableName=name)["Table"]
    # AWS refreshes these every ~6 hours; an emulator that reports them live is fine,
    # but the values must never be negative or exceed what was written.
    assert 0 <= t["ItemCount"] <= 3
    assert t["TableSizeBytes"] >= 0


def test_duplicate_table_is_resource_in_use(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as e:
        ddb.create_table(**hash_only(name))
    assert_client_error(e, "ResourceInUseException", name)


def test_missing_attribute_definitions(loose):
    args = hash_only(unique_name())
    del args["AttributeDefinitions"]
    with pytest.raises(ClientError) as e:
        loose.create_table(**args)
    assert_client_error(e, "ValidationException", "attributeDefinitions")


def test_key_attribute_not_defined(ddb):
    args = hash_only(unique_name(),
                     AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", "AttributeDefinitions")


def test_unused_attribute_definition_rejected(ddb):
    args = hash_only(unique_name(),
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "extra", "AttributeType": "S"}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", "AttributeDefinitions")


def test_duplicate_attribute_definition_rejected(ddb):
    args = hash_only(unique_name(),
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "pk", "AttributeType": "N"}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException", "duplicate", "pk")


@pytest.mark.parametrize("schema", [
    [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "HASH"}],
    [{"AttributeName": "sk", "KeyType": "RANGE"}],
    [{"AttributeName": "sk", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}],
], ids=["two-hash", "range-only", "range-first"])
def test_invalid_key_schema(ddb, schema):
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=unique_name(), BillingMode="PAY_PER_REQUEST", KeySchema=schema,
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"}])
    assert_client_error(e, "ValidationException")


def test_invalid_attribute_type(loose):
    args = hash_only(unique_name(),
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}])
    with pytest.raises(ClientError) as e:
        loose.create_table(**args)
    assert_client_error(e, "ValidationException")


@pytest.mark.parametrize("name,word", [
    ("ab", "tableName"),
    ("n" * 256, "tableName"),
    ("bad name", "tableName"),
    ("bad@name", "tableName"),
], ids=["too-short", "too-long", "space", "at-sign"])
def test_bad_table_names(loose, name, word):
    with pytest.raises(ClientError) as e:
        loose.create_table(**hash_only(name))
    assert_client_error(e, "ValidationException", word)


def test_odd_but_valid_table_names(ddb):
    for name in ("a.b-c_D9", "." + unique_name(), "n" * 255):
        ddb.create_table(**hash_only(name))
        assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name
        ddb.delete_table(TableName=name)


def test_provisioned_requires_throughput(ddb):
    with pytest.raises(ClientError) as e:
        ddb.create_table(**hash_only(unique_name(), BillingMode="PROVISIONED"))
    assert_client_error(e, "ValidationException", "ReadCapacityUnits")


def test_default_billing_is_provisioned(ddb):
    args = hash_only(unique_name())
    del args["BillingMode"]
    with pytest.raises(ClientError) as e:
        ddb.create_table(**args)
    assert_client_error(e, "ValidationException")


def test_pay_per_request_rejects_throughput(ddb):
    with pytest.raises(ClientError) as e:
        ddb.create_table(**hash_only(unique_name(), ProvisionedThroughput={
            "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}))
    assert_client_error(e, "ValidationException", "PAY_PER_REQUEST")


def test_unknown_billing_mode(loose):
    with pytest.raises(ClientError) as e:
        loose.create_table(**hash_only(unique_name(), BillingMode="pay_per_request"))
    assert_client_error(e, "ValidationException", "billingMode")


def test_lsi_requires_range_key(ddb):
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName=unique_name(), BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "l", "AttributeType": "S"}],
            LocalSecondaryIndexes=[{
                "IndexName": "lsi1",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "l", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}])
    assert_client_error(e, "ValidationException", "range key")


def test_gsi_key_not_defined(ddb):
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName=unique_name(), BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "nope", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}])
    assert_client_error(e, "ValidationException", "AttributeDefinitions")


def test_duplicate_index_names_rejected(ddb):
    gsi = {"IndexName": "same", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName=unique_name(), BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[gsi, dict(gsi)])
    assert_client_error(e, "ValidationException", "same")


def test_describe_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="does-not-exist-" + unique_name())
    assert_client_error(e, "ResourceNotFoundException", "Requested resource not found")


# ---------------------------------------------------------------- ListTables

def test_list_tables_pagination(ddb):
    prefix = unique_name("lst")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        ddb.create_table(**hash_only(n))
    try:
        seen = []
        kw = {"Limit": 2}
        pages = 0
        while True:
            resp = ddb.list_tables(**kw)
            assert len(resp["TableNames"]) <= 2
            seen += resp["TableNames"]
            pages += 1
            assert pages < 1000
            if "LastEvaluatedTableName" not in resp:
                break
            assert resp["LastEvaluatedTableName"] == resp["TableNames"][-1]
            kw["ExclusiveStartTableName"] = resp["LastEvaluatedTableName"]
        assert seen == sorted(seen), "ListTables returns names in ascending order"
        assert len(seen) == len(set(seen))
        mine = [n for n in seen if n.startswith(prefix)]
        assert mine == names
        # Starting after the third of ours gives the last two next.
        resp = ddb.list_tables(ExclusiveStartTableName=names[2], Limit=100)
        assert [n for n in resp["TableNames"] if n.startswith(prefix)] == names[3:]
        assert resp["TableNames"][0] > names[2]
        # The paginator sees all of them too.
        allnames = [n for p in ddb.get_paginator("list_tables").paginate(
            PaginationConfig={"PageSize": 3}) for n in p["TableNames"]]
        assert set(names) <= set(allnames)
    finally:
        for n in names:
            ddb.delete_table(TableName=n)


@pytest.mark.parametrize("limit", [0, 101])
def test_list_tables_limit_range(loose, limit):
    with pytest.raises(ClientError) as e:
        loose.list_tables(Limit=limit)
    assert_client_error(e, "ValidationException", "limit")


# ---------------------------------------------------------------- UpdateTable

def test_update_billing_mode_and_throughput(ddb, make_table):
    name = make_table()
    ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    ddb.update_table(TableName=name,
                     ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 4})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_update_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="nope-" + unique_name(), BillingMode="PAY_PER_REQUEST")
    assert_client_error(e, "ResourceNotFoundException")


def test_update_table_create_gsi_backfills_then_delete(ddb, make_table):
    name = make_table(hash_key=("pk", "S"))
    for i in range(10):
        item = {"pk": {"S": f"p{i}"}, "n": {"N": str(i)}}
        if i % 2 == 0:
            item["color"] = {"S": "red" if i < 6 else "blue"}
        ddb.put_item(TableName=name, Item=item)
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "byColor",
            "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}])
    desc = wait_index(ddb, name, "byColor")
    g = [g for g in desc["GlobalSecondaryIndexes"] if g["IndexName"] == "byColor"][0]
    assert g["IndexArn"].endswith(f":table/{name}/index/byColor")
    red = ddb.query(TableName=name, IndexName="byColor",
                    KeyConditionExpression="color = :c",
                    ExpressionAttributeValues={":c": {"S": "red"}})
    assert sorted(i["pk"]["S"] for i in red["Items"]) == ["p0", "p2", "p4"]
    blue = ddb.query(TableName=name, IndexName="byColor",
                     KeyConditionExpression="color = :c",
                     ExpressionAttributeValues={":c": {"S": "blue"}})
    assert sorted(i["pk"]["S"] for i in blue["Items"]) == ["p6", "p8"]
    # Writes after creation are maintained too.
    ddb.put_item(TableName=name, Item={"pk": {"S": "p1"}, "color": {"S": "blue"}})
    blue = ddb.query(TableName=name, IndexName="byColor",
                     KeyConditionExpression="color = :c",
                     ExpressionAttributeValues={":c": {"S": "blue"}})
    assert sorted(i["pk"]["S"] for i in blue["Items"]) == ["p1", "p6", "p8"]

    ddb.update_table(TableName=name,
                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byColor"}}])
    wait_index(ddb, name, "byColor", status=None)
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=name, IndexName="byColor", KeyConditionExpression="color = :c",
                  ExpressionAttributeValues={":c": {"S": "red"}})
    assert_client_error(e, "ValidationException", "byColor")


def test_update_table_create_existing_gsi_rejected(ddb, make_table):
    name = make_table(gsis=[{"name": "gsi1", "hash": ("g", "S")}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}}])
    err = e.value.response["Error"]
    assert err["Code"] in ("ValidationException", "ResourceInUseException"), err
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_update_table_delete_missing_gsi(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name,
                         GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    assert_client_error(e, "ResourceNotFoundException")


# ---------------------------------------------------------------- DeleteTable, waiters, regions

def test_delete_table_then_not_found(ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    resp = ddb.delete_table(TableName=name)
    assert resp["TableDescription"]["TableName"] == name
    assert resp["TableDescription"]["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name,
                                            WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert_client_error(e, "ResourceNotFoundException")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert_client_error(e, "ResourceNotFoundException")
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=name)
    assert_client_error(e, "ResourceNotFoundException")
    assert name not in ddb.list_tables(ExclusiveStartTableName=name[:-1], Limit=100)["TableNames"]
    # The name is free again and the new table is empty.
    create_table(ddb, name=name)
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    ddb.delete_table(TableName=name)


def test_region_separation(endpoint, ddb):
    eu = make_client(endpoint, region="eu-west-1")
    name = create_table(ddb)
    try:
        with pytest.raises(ClientError) as e:
            eu.describe_table(TableName=name)
        assert_client_error(e, "ResourceNotFoundException")
        assert name not in eu.list_tables(Limit=100, ExclusiveStartTableName=name[:-1])["TableNames"]
        # Same name in another region is a different table.
        create_table(eu, name=name)
        t = eu.describe_table(TableName=name)["Table"]
        assert t["TableArn"] == f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/{name}"
        eu.put_item(TableName=name, Item={"pk": {"S": "only-eu"}})
        assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "only-eu"}})
        eu.delete_table(TableName=name)
        assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    finally:
        ddb.delete_table(TableName=name)
