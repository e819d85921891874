"""Batch and transaction cases the shared suite leaves out: capacity reports,
item-collection metrics, 16 MB partial BatchGetItem results, run-time
cancellation reasons, idempotency digests and the request-shape errors."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table


def S(x):
    return {"S": x}


def N(x):
    return {"N": str(x)}


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, hash_key=("pk", "S"))


@pytest.fixture(scope="module")
def gsi_table(ddb):
    return create_table(ddb, hash_key=("pk", "S"),
                        gsis=[{"name": "by_g", "hash": ("g", "S")}])


@pytest.fixture(scope="module")
def lsi_table(ddb):
    return create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "S"),
                        lsis=[{"name": "by_l", "hash": ("pk", "S"), "range": ("l", "S")}])


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---------------------------------------------------------------- BatchWriteItem

def test_batch_write_capacity_total_and_indexes(ddb, table, gsi_table):
    r = ddb.batch_write_item(RequestItems={
        table: [{"PutRequest": {"Item": {"pk": S(f"cap-{i}")}}} for i in range(3)],
        gsi_table: [{"PutRequest": {"Item": {"pk": S("cap-g"), "g": S("x")}}}],
    }, ReturnConsumedCapacity="INDEXES")
    caps = {c["TableName"]: c for c in r["ConsumedCapacity"]}
    assert caps[table]["CapacityUnits"] == 3.0
    assert caps[table]["Table"]["CapacityUnits"] == 3.0
    assert caps[gsi_table]["CapacityUnits"] == 2.0
    assert caps[gsi_table]["GlobalSecondaryIndexes"]["by_g"]["CapacityUnits"] == 1.0
    r = ddb.batch_write_item(RequestItems={
        table: [{"DeleteRequest": {"Key": {"pk": S("cap-0")}}}]}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}]


def test_batch_write_item_collection_metrics(ddb, table, lsi_table):
    r = ddb.batch_write_item(RequestItems={
        lsi_table: [{"PutRequest": {"Item": {"pk": S("icm"), "sk": S(str(i)), "l": S("v")}}} for i in range(2)],
        table: [{"PutRequest": {"Item": {"pk": S("icm-plain")}}}],
    }, ReturnItemCollectionMetrics="SIZE")
    m = r["ItemCollectionMetrics"]
    assert list(m) == [lsi_table]
    assert m[lsi_table] == [{"ItemCollectionKey": {"pk": S("icm")}, "SizeEstimateRangeGB": [0.0, 1.0]}]


def test_batch_write_request_with_both_or_neither(raw, table):
    for req in ({"PutRequest": {"Item": {"pk": S("a")}}, "DeleteRequest": {"Key": {"pk": S("a")}}}, {}):
        r = raw("BatchWriteItem", {"RequestItems": {table: [req]}})
        assert r.status == 400 and r.error_code == "ValidationException", r


def test_batch_write_empty_list_and_empty_map(raw, table):
    r = raw("BatchWriteItem", {"RequestItems": {table: []}})
    assert r.error_code == "ValidationException" and "greater than or equal to 1" in r.message, r
    r = raw("BatchWriteItem", {"RequestItems": {}})
    assert r.error_code == "ValidationException", r
    r = raw("BatchWriteItem", {})
    assert r.error_code == "ValidationException" and "Member must not be null" in r.message, r


def test_batch_write_bad_enum(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": S("e")}}}]},
                             ReturnItemCollectionMetrics="ALL")
    assert_client_error(e, "ValidationException", "returnItemCollectionMetrics")


# ---------------------------------------------------------------- BatchGetItem

def test_batch_get_over_16mb_returns_unprocessed_keys(ddb, table):
    big = "x" * 390_000
    keys = [{"pk": S(f"big-{i:02d}")} for i in range(45)]
    for chunk in (keys[:20], keys[20:40], keys[40:]):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {**k, "bigval": S(big)}}} for k in chunk]})
    r = ddb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True,
                                                 "ProjectionExpression": "pk, bigval"}})
    got = r["Responses"][table]
    left = r["UnprocessedKeys"][table]
    assert 0 < len(got) < 45
    assert len(got) + len(left["Keys"]) == 45
    assert sum(len(i["bigval"]["S"]) for i in got) <= 16 * 1024 * 1024
    # The unprocessed entry carries the table's other parameters, ready to resend.
    assert left["ConsistentRead"] is True and left["ProjectionExpression"] == "pk, bigval"
    r2 = ddb.batch_get_item(RequestItems=r["UnprocessedKeys"])
    assert r2["UnprocessedKeys"] == {}
    seen = {i["pk"]["S"] for i in got} | {i["pk"]["S"] for i in r2["Responses"][table]}
    assert seen == {k["pk"]["S"] for k in keys}


def test_batch_get_attributes_to_get_and_capacity(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("atg"), "a": N(1), "b": N(2)})
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S("atg")}, {"pk": S("atg-none")}],
                                                 "AttributesToGet": ["b"]}},
                           ReturnConsumedCapacity="TOTAL")
    assert r["Responses"][table] == [{"b": N(2)}]
    # eventually consistent: half a unit per key read
    assert r["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 1.0, "ReadCapacityUnits": 1.0}]


def test_batch_get_expression_parameter_errors(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S("a")}], "AttributesToGet": ["a"],
                                                 "ProjectionExpression": "a"}})
    assert_client_error(e, "ValidationException", "Can not use both expression and non-expression parameters")
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S("a")}],
                                                 "ExpressionAttributeNames": {"#a": "a"}}})
    assert_client_error(e, "ValidationException", "ExpressionAttributeNames can only be specified when using expressions")
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S("a")}], "ProjectionExpression": "a",
                                                 "ExpressionAttributeNames": {"#a": "a"}}})
    assert_client_error(e, "ValidationException", "unused in expressions")


def test_batch_get_key_mismatch(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": N(1)}]}})
    assert_client_error(e, "ValidationException", "The provided key element does not match the schema")


# ---------------------------------------------------------------- TransactWriteItems

def test_transact_runtime_update_error_is_validation_reason(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("rt"), "n": S("not a number")})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("rt-other")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("rt")}, "UpdateExpression": "SET n = n + :d",
                        "ExpressionAttributeValues": {":d": N(1)}}},
        ])
    assert_client_error(e, "TransactionCanceledException", "[None, ValidationError]")
    reasons = e.value.response["CancellationReasons"]
    assert reasons[1]["Code"] == "ValidationError" and reasons[1]["Message"]
    assert get(ddb, table, {"pk": S("rt-other")}) is None


def test_transact_condition_check_all_old_and_all_reasons(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("cc-1"), "v": N(1)})
    ddb.put_item(TableName=table, Item={"pk": S("cc-2"), "v": N(2)})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("cc-1")},
                                "ConditionExpression": "v = :x", "ExpressionAttributeValues": {":x": N(9)},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Delete": {"TableName": table, "Key": {"pk": S("cc-2")}}},
            {"Put": {"TableName": table, "Item": {"pk": S("cc-3")},
                     "ConditionExpression": "attribute_exists(pk)",
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    msg = assert_client_error(e, "TransactionCanceledException")
    assert msg.endswith("[ConditionalCheckFailed, None, ConditionalCheckFailed]")
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0]["Item"] == {"pk": S("cc-1"), "v": N(1)}
    assert reasons[1] == {"Code": "None"}
    assert "Item" not in reasons[2]          # nothing was there to return
    assert get(ddb, table, {"pk": S("cc-2")}) is not None


def test_transact_capacity_is_doubled(ddb, table, gsi_table):
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S("tcap-1")}}},
        {"Put": {"TableName": table, "Item": {"pk": S("tcap-2")}}},
        {"Put": {"TableName": gsi_table, "Item": {"pk": S("tcap-3"), "g": S("x")}}},
    ], ReturnConsumedCapacity="INDEXES")
    caps = {c["TableName"]: c for c in r["ConsumedCapacity"]}
    assert caps[table]["CapacityUnits"] == 4.0
    assert caps[gsi_table]["CapacityUnits"] == 4.0
    assert caps[gsi_table]["Table"]["CapacityUnits"] == 2.0
    assert caps[gsi_table]["GlobalSecondaryIndexes"]["by_g"]["CapacityUnits"] == 2.0


def test_transact_item_collection_metrics(ddb, lsi_table):
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": lsi_table, "Item": {"pk": S("ticm"), "sk": S("1"), "l": S("v")}}},
    ], ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"][lsi_table][0]["ItemCollectionKey"] == {"pk": S("ticm")}


def test_transact_part_with_two_actions(raw, table):
    r = raw("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": table, "Item": {"pk": S("two")}},
         "Delete": {"TableName": table, "Key": {"pk": S("two")}}}]})
    assert r.error_code == "ValidationException", r
    assert "TransactItems can only contain one of" in r.message


def test_transact_token_ignores_member_order(raw, ddb, table):
    token = uuid.uuid4().hex
    a = {"Update": {"TableName": table, "Key": {"pk": S("ord")}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": N(1)}}}
    b = {"Update": {"ExpressionAttributeValues": {":one": {"N": "1.0"}}, "UpdateExpression": "ADD n :one",
                    "Key": {"pk": S("ord")}, "TableName": table}}
    r1 = raw("TransactWriteItems", {"TransactItems": [a], "ClientRequestToken": token})
    assert r1.status == 200, r1
    r2 = raw("TransactWriteItems", {"ClientRequestToken": token, "TransactItems": [b],
                                    "ReturnConsumedCapacity": "TOTAL"})
    assert r2.status == 200, r2
    assert get(ddb, table, {"pk": S("ord")})["n"] == N(1)


def test_transact_failed_transaction_does_not_burn_token(ddb, table):
    token = uuid.uuid4().hex
    req = [{"Put": {"TableName": table, "Item": {"pk": S("burn")},
                    "ConditionExpression": "attribute_exists(pk)"}}]
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=req, ClientRequestToken=token)
    ddb.put_item(TableName=table, Item={"pk": S("burn"), "v": N(1)})
    ddb.transact_write_items(TransactItems=req, ClientRequestToken=token)
    assert get(ddb, table, {"pk": S("burn")}) == {"pk": S("burn")}


def test_transact_token_length(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": S("tl")}}}],
                                 ClientRequestToken="x" * 37)
    assert_client_error(e, "ValidationException", "clientRequestToken", "36")


def test_transact_invalid_part_fails_before_anything(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("inv-ok")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("inv")}, "UpdateExpression": "SET pk = :v",
                        "ExpressionAttributeValues": {":v": S("x")}}},
        ])
    assert_client_error(e, "ValidationException", "This attribute is part of the key")
    assert get(ddb, table, {"pk": S("inv-ok")}) is None


# ---------------------------------------------------------------- TransactGetItems

def test_transact_get_capacity_and_duplicates(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("tgc")})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": S("tgc")}}},
        {"Get": {"TableName": table, "Key": {"pk": S("tgc-none")}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}]
    assert r["Responses"][0] == {"Item": {"pk": S("tgc")}}
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": table, "Key": {"pk": S("tgc")}}},
            {"Get": {"TableName": table, "Key": {"pk": S("tgc")}, "ProjectionExpression": "pk"}},
        ])
    assert_client_error(e, "ValidationException", "multiple operations on one item")


def test_transact_get_shape_errors(raw, table):
    r = raw("TransactGetItems", {"TransactItems": [{}]})
    assert r.error_code == "ValidationException" and "transactItems.1.member.get" in r.message, r
    r = raw("TransactGetItems", {"TransactItems": [{"Get": {"Key": {"pk": S("a")}}}]})
    assert r.error_code == "ValidationException" and "tableName" in r.message, r
    r = raw("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "no-such-table-xyz",
                                                            "Key": {"pk": S("a")}}}]})
    assert r.error_code == "ResourceNotFoundException", r
