"""Single-item operations beyond the shared suite: atomic concurrent updates,
UPDATED_* shapes on nested paths, legacy Expected/AttributeUpdates, placeholder errors,
AttributesToGet, item-collection metrics and index capacity on updates."""

import threading

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table, make_client


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, hash_key=("pk", "S"))


def get(ddb, table, key, **kw):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True, **kw).get("Item")


N = lambda x: {"N": str(x)}  # noqa: E731
S = lambda x: {"S": x}  # noqa: E731


def test_concurrent_adds_are_atomic(endpoint, ddb, table):
    key = {"pk": S("counter")}
    errors = []

    def worker():
        client = make_client(endpoint)
        try:
            for _ in range(100):
                client.update_item(TableName=table, Key=key, UpdateExpression="ADD n :one",
                                   ExpressionAttributeValues={":one": N(1)})
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert get(ddb, table, key)["n"] == N(800)


def test_concurrent_conditional_puts_only_one_wins(endpoint, table):
    key = {"pk": S("race")}
    wins, losses = [], []

    def worker(i):
        client = make_client(endpoint)
        try:
            client.put_item(TableName=table, Item={**key, "who": N(i)},
                            ConditionExpression="attribute_not_exists(pk)")
            wins.append(i)
        except ClientError as e:
            losses.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert losses == ["ConditionalCheckFailedException"] * 7


def test_updated_values_keep_nested_paths(ddb, table):
    key = {"pk": S("nested-rv")}
    ddb.put_item(TableName=table, Item={**key, "m": {"M": {"k": N(1), "o": S("x")}},
                                        "l": {"L": [N(0), N(1), N(2)]}})
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET m.k = :v, l[1] = :w",
                        ExpressionAttributeValues={":v": N(2), ":w": S("one")},
                        ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"m": {"M": {"k": N(2)}}, "l": {"L": [S("one")]}}
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE m.o",
                        ReturnValues="UPDATED_OLD")
    assert r["Attributes"] == {"m": {"M": {"o": S("x")}}}


def test_updated_old_of_new_attribute_is_absent(ddb, table):
    key = {"pk": S("rv-fresh")}
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET a = :v",
                        ExpressionAttributeValues={":v": N(1)}, ReturnValues="UPDATED_OLD")
    assert "Attributes" not in r
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE a",
                        ReturnValues="UPDATED_NEW")
    assert "Attributes" not in r


def test_remove_on_missing_item_does_not_create_it(ddb, table):
    key = {"pk": S("remove-nothing")}
    ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE a")
    assert get(ddb, table, key) is None


def test_unknown_return_values_enum(ddb, table, raw):
    r = raw("PutItem", {"TableName": table, "Item": {"pk": S("x")}, "ReturnValues": "SOME"})
    assert r.status == 400 and r.error_code == "ValidationException", r
    assert "enum value set" in r.message


def test_values_without_expression_messages(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key={"pk": S("x")}, ExpressionAttributeValues={":a": N(1)})
    assert_client_error(e, "ValidationException",
                        "ExpressionAttributeValues can only be specified when using expressions")
    with pytest.raises(ClientError) as e:
        ddb.delete_item(TableName=table, Key={"pk": S("x")}, ExpressionAttributeNames={"#a": "a"})
    assert_client_error(e, "ValidationException",
                        "ExpressionAttributeNames can only be specified when using expressions")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table, Key={"pk": S("x")}, ExpressionAttributeNames={"#a": "a"})
    assert_client_error(e, "ValidationException", "ExpressionAttributeNames can only be specified")


def test_legacy_expected(ddb, table):
    key = {"pk": S("legacy-exp")}
    ddb.put_item(TableName=table, Item={**key, "n": N(5), "s": {"SS": ["a", "b"]}},
                 Expected={"pk": {"Exists": False}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item=key, Expected={"pk": {"Exists": False}})
    assert_client_error(e, "ConditionalCheckFailedException")
    ok = [
        {"n": {"Value": N(5)}},
        {"n": {"Value": N(5), "Exists": True}},
        {"n": {"ComparisonOperator": "GT", "AttributeValueList": [N(4)]}},
        {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), N(9)]}},
        {"n": {"ComparisonOperator": "IN", "AttributeValueList": [N(1), N(5)]}},
        {"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("a")]}},
        {"s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("z")]}},
        {"zz": {"ComparisonOperator": "NULL"}},
        {"zz": {"ComparisonOperator": "NE", "AttributeValueList": [N(1)]}},
    ]
    for exp in ok:
        ddb.update_item(TableName=table, Key=key, Expected=exp)
    bad = [
        {"n": {"Value": N(6)}},
        {"n": {"ComparisonOperator": "NOT_NULL"}, "zz": {"ComparisonOperator": "NOT_NULL"}},
        # NOT_CONTAINS is false on a missing attribute.
        {"zz": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("a")]}},
    ]
    for exp in bad:
        with pytest.raises(ClientError) as e:
            ddb.delete_item(TableName=table, Key=key, Expected=exp)
        assert_client_error(e, "ConditionalCheckFailedException")
    # OR needs only one to hold.
    ddb.update_item(TableName=table, Key=key, ConditionalOperator="OR",
                    Expected={"n": {"Value": N(6)}, "pk": {"Exists": True, "Value": key["pk"]}})


@pytest.mark.parametrize("exp,words", [
    ({"a": {"Exists": True}}, ["Value must be provided when Exists is true", "a"]),
    ({"a": {"Exists": False, "Value": N(1)}}, ["Value cannot be used when Exists is false"]),
    ({"a": {"ComparisonOperator": "EQ"}}, ["Invalid number of argument(s) for the EQ ComparisonOperator"]),
    ({"a": {"ComparisonOperator": "EQ", "Exists": True, "AttributeValueList": [N(1)]}},
     ["Exists and ComparisonOperator cannot be used together"]),
    ({"a": {"AttributeValueList": [N(1)]}}, ["AttributeValueList can only be used with a ComparisonOperator"]),
])
def test_legacy_expected_errors(ddb, table, exp, words):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("legacy-err")}, Expected=exp)
    assert_client_error(e, "ValidationException", *words)


def test_legacy_attribute_updates(ddb, table):
    key = {"pk": S("legacy-upd")}
    r = ddb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "a": {"Value": S("x")},                                   # PUT is the default action
        "n": {"Action": "ADD", "Value": N("0.1")},
        "s": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
        "l": {"Action": "ADD", "Value": {"L": [N(1)]}},
    })
    got = r["Attributes"]
    assert sorted(got.pop("s")["SS"]) == ["a", "b"]
    assert got == {**key, "a": S("x"), "n": N("0.1"), "l": {"L": [N(1)]}}
    r = ddb.update_item(TableName=table, Key=key, ReturnValues="UPDATED_NEW", AttributeUpdates={
        "a": {"Action": "DELETE"},
        "n": {"Action": "ADD", "Value": N("0.9")},
        "s": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "l": {"Action": "ADD", "Value": {"L": [N(2)]}},
    })
    assert r["Attributes"] == {"n": N(1), "s": {"SS": ["b"]}, "l": {"L": [N(1), N(2)]}}
    assert get(ddb, table, key) == {**key, "n": N(1), "s": {"SS": ["b"]}, "l": {"L": [N(1), N(2)]}}
    # Only deletions on a missing item do not create it.
    ddb.update_item(TableName=table, Key={"pk": S("legacy-none")}, AttributeUpdates={"a": {"Action": "DELETE"}})
    assert get(ddb, table, {"pk": S("legacy-none")}) is None


@pytest.mark.parametrize("upd,words", [
    ({"a": {"Action": "PUT"}}, ["Only DELETE action is allowed when no attribute value is specified"]),
    ({"a": {"Action": "DELETE", "Value": S("x")}}, ["DELETE action with value is not supported for the type S"]),
    ({"a": {"Action": "ADD", "Value": S("x")}}, ["ADD action is not supported for the type S"]),
    ({"pk": {"Value": S("x")}}, ["Cannot update attribute pk", "part of the key"]),
])
def test_legacy_attribute_updates_errors(ddb, table, upd, words):
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key={"pk": S("legacy-upd-err")}, AttributeUpdates=upd)
    assert_client_error(e, "ValidationException", *words)


def test_mixing_legacy_and_expressions_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("mix")}, ConditionExpression="attribute_not_exists(pk)",
                     Expected={"a": {"Exists": False}})
    assert_client_error(e, "ValidationException", "Can not use both expression and non-expression")


def test_attributes_to_get(ddb, table):
    key = {"pk": S("atg")}
    ddb.put_item(TableName=table, Item={**key, "a": N(1), "b": N(2), "c": N(3)})
    got = get(ddb, table, key, AttributesToGet=["a", "c", "zz"])
    assert got == {"a": N(1), "c": N(3)}
    with pytest.raises(ClientError) as e:
        get(ddb, table, key, AttributesToGet=["a"], ProjectionExpression="a")
    assert_client_error(e, "ValidationException", "Can not use both")
    with pytest.raises(ClientError) as e:
        get(ddb, table, key, AttributesToGet=["a", "a"])
    assert_client_error(e, "ValidationException", "Duplicate")


def test_item_collection_metrics_only_with_lsi(ddb, make_table, table):
    name = make_table(range_key=("sk", "S"),
                      lsis=[{"name": "byL", "hash": ("pk", "S"), "range": ("l", "S")}])
    item = {"pk": S("h"), "sk": S("r"), "l": S("x")}
    r = ddb.put_item(TableName=name, Item=item, ReturnItemCollectionMetrics="SIZE")
    m = r["ItemCollectionMetrics"]
    assert m["ItemCollectionKey"] == {"pk": S("h")}
    assert len(m["SizeEstimateRangeGB"]) == 2
    r = ddb.delete_item(TableName=name, Key={"pk": S("h"), "sk": S("r")},
                        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": S("h")}
    r = ddb.put_item(TableName=table, Item={"pk": S("nolsi")}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r


def test_update_moving_index_key_charges_index(ddb, make_table):
    name = make_table(gsis=[{"name": "byG", "hash": ("g", "S")}])
    key = {"pk": S("a")}
    r = ddb.update_item(TableName=name, Key=key, UpdateExpression="SET g = :g",
                        ExpressionAttributeValues={":g": S("x")}, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert cc["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 1.0
    # The item is found through the index after the update.
    q = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("x")})
    assert q["Items"] == [{"pk": S("a"), "g": S("x")}]
    r = ddb.update_item(TableName=name, Key=key, UpdateExpression="REMOVE g",
                        ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 1.0
    q = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("x")})
    assert q["Items"] == []


def test_get_item_capacity_indexes_shape(ddb, table):
    r = ddb.get_item(TableName=table, Key={"pk": S("none")}, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 0.5
    assert cc["Table"]["CapacityUnits"] == 0.5


def test_missing_required_members(ddb, table, raw):
    r = raw("PutItem", {"TableName": table})
    assert r.error_code == "ValidationException" and "Value null at 'item'" in r.message, r
    r = raw("GetItem", {"TableName": table})
    assert r.error_code == "ValidationException" and "Value null at 'key'" in r.message, r
    r = raw("DeleteItem", {"Key": {"pk": S("x")}})
    assert r.error_code == "ValidationException" and "Value null at 'tableName'" in r.message, r


def test_condition_failure_item_via_return_values_on_failure_none(ddb, table, raw):
    key = {"pk": S("rvocf-none")}
    ddb.put_item(TableName=table, Item=key)
    r = raw("DeleteItem", {"TableName": table, "Key": key, "ConditionExpression": "attribute_not_exists(pk)",
                           "ReturnValuesOnConditionCheckFailure": "NONE"})
    assert r.error_code == "ConditionalCheckFailedException" and "Item" not in r.json(), r
    # A failed condition on a missing item has no old item to return.
    r = raw("UpdateItem", {"TableName": table, "Key": {"pk": S("rvocf-absent")},
                           "ConditionExpression": "attribute_exists(pk)",
                           "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert r.error_code == "ConditionalCheckFailedException" and "Item" not in r.json(), r
