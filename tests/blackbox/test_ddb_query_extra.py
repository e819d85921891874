"""Query/Scan edges the shared suite leaves out: the LastEvaluatedKey when Limit
ends exactly at the last item, consumed capacity of a page, start keys outside
the key condition, legacy KeyConditions, index scans in segments, and the
boto3 resource layer's paginated Key() conditions."""

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"),
                        gsis=[{"name": "byG", "hash": ("g", "S"), "range": ("sk", "N")}])
    for i in range(10):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                           "g": {"S": "G" if i % 2 else "H"}, "v": {"S": "x" * 100}})
    return name


def q(ddb, table, **kw):
    return ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}, **kw.pop("values", {})}, **kw)


def test_limit_ending_on_last_item_still_gives_a_key(ddb, table):
    r = q(ddb, table, Limit=10)
    assert r["Count"] == 10
    assert r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "9"}}
    r = q(ddb, table, Limit=10, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Items"] == [] and r["Count"] == 0 and "LastEvaluatedKey" not in r
    r = q(ddb, table, Limit=11)
    assert "LastEvaluatedKey" not in r


def test_consumed_capacity(ddb, table):
    # 10 items of ~110 bytes: one 4 KB unit, halved for an eventually consistent read.
    r = q(ddb, table, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert r["ConsumedCapacity"]["TableName"] == table
    r = q(ddb, table, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    r = ddb.query(TableName=table, IndexName="byG", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}}, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 0.5
    assert cc["Table"]["CapacityUnits"] == 0
    r = q(ddb, table)
    assert "ConsumedCapacity" not in r


def test_start_key_outside_the_partition(ddb, table):
    with pytest.raises(ClientError) as e:
        q(ddb, table, ExclusiveStartKey={"pk": {"S": "elsewhere"}, "sk": {"N": "1"}})
    assert_client_error(e, "ValidationException", "The provided starting key is outside query boundaries")


def test_start_key_with_wrong_type(ddb, table):
    with pytest.raises(ClientError) as e:
        q(ddb, table, ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "1"}})
    assert_client_error(e, "ValidationException", "The provided starting key is invalid")


def test_legacy_key_conditions(ddb, table):
    r = ddb.query(TableName=table, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "7"}]}})
    assert [i["sk"]["N"] for i in r["Items"]] == ["7", "8", "9"]


def test_gsi_scan_in_segments(ddb, table):
    seen = []
    for seg in range(4):
        kw = {"TableName": table, "IndexName": "byG", "Segment": seg, "TotalSegments": 4, "Limit": 2}
        while True:
            r = ddb.scan(**kw)
            seen += [int(i["sk"]["N"]) for i in r["Items"]]
            if "LastEvaluatedKey" not in r:
                break
            assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "g"}
            kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
    assert sorted(seen) == list(range(10))


def test_resource_layer_pagination(ddb_resource, table):
    t = ddb_resource.Table(table)
    items, kw = [], {"KeyConditionExpression": Key("pk").eq("p") & Key("sk").between(2, 8),
                     "FilterExpression": Attr("g").eq("G"), "Limit": 3}
    while True:
        r = t.query(**kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            break
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
    assert [int(i["sk"]) for i in items] == [3, 5, 7]


def test_count_with_filter(ddb, table):
    r = ddb.scan(TableName=table, Select="COUNT", FilterExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "H"}})
    assert r["Count"] == 5 and r["ScannedCount"] == 10 and "Items" not in r


def test_projection_with_count_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        q(ddb, table, Select="COUNT", ProjectionExpression="v")
    assert_client_error(e, "ValidationException",
                        "Cannot specify the ProjectionExpression when choosing to get only the Count")
