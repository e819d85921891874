"""BatchWriteItem, BatchGetItem, TransactWriteItems, TransactGetItems."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, hash_key=("pk", "S"))


@pytest.fixture(scope="module")
def table2(ddb):
    return create_table(ddb, hash_key=("id", "N"))


def S(x):
    return {"S": x}


def N(x):
    return {"N": str(x)}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---------------------------------------------------------------- BatchWriteItem

def test_batch_write_put_and_delete(ddb, table, table2):
    ddb.put_item(TableName=table, Item={"pk": S("bw-old"), "v": N(1)})
    r = ddb.batch_write_item(RequestItems={
        table: [{"PutRequest": {"Item": {"pk": S(f"bw-{i}"), "v": N(i)}}} for i in range(5)]
               + [{"DeleteRequest": {"Key": {"pk": S("bw-old")}}}],
        table2: [{"PutRequest": {"Item": {"id": N(7), "x": S("y")}}}],
    })
    assert r["UnprocessedItems"] == {}
    for i in range(5):
        assert get(ddb, table, {"pk": S(f"bw-{i}")})["v"] == N(i)
    assert get(ddb, table, {"pk": S("bw-old")}) is None
    assert get(ddb, table2, {"id": N(7)})["x"] == S("y")


def test_batch_write_25_ok_26_rejected(ddb, table):
    ok = [{"PutRequest": {"Item": {"pk": S(f"b25-{i}")}}} for i in range(25)]
    assert ddb.batch_write_item(RequestItems={table: ok})["UnprocessedItems"] == {}
    too_many = [{"PutRequest": {"Item": {"pk": S(f"b26-{i}")}}} for i in range(26)]
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: too_many})
    assert_client_error(e, "ValidationException", "25")
    assert get(ddb, table, {"pk": S("b26-0")}) is None


def test_batch_write_25_across_tables_rejected(ddb, table, table2):
    reqs = {table: [{"PutRequest": {"Item": {"pk": S(f"x-{i}")}}} for i in range(13)],
            table2: [{"PutRequest": {"Item": {"id": N(1000 + i)}}} for i in range(13)]}
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems=reqs)
    assert_client_error(e, "ValidationException", "Too many items requested for the BatchWriteItem call")


@pytest.mark.parametrize("ops", [
    [{"PutRequest": {"Item": {"pk": S("dup")}}}, {"PutRequest": {"Item": {"pk": S("dup"), "v": N(1)}}}],
    [{"PutRequest": {"Item": {"pk": S("dup")}}}, {"DeleteRequest": {"Key": {"pk": S("dup")}}}],
], ids=["put-put", "put-delete"])
def test_batch_write_duplicate_keys_rejected(ddb, table, ops):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: ops})
    assert_client_error(e, "ValidationException", "Provided list of item keys contains duplicates")
    assert get(ddb, table, {"pk": S("dup")}) is None


def test_batch_write_invalid_item_rejects_whole_batch(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": S("bw-valid")}}},
            {"PutRequest": {"Item": {"pk": N(1)}}},  # wrong key type
        ]})
    assert_client_error(e, "ValidationException")
    assert get(ddb, table, {"pk": S("bw-valid")}) is None


def test_batch_write_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={"no-such-table-xyz": [
            {"PutRequest": {"Item": {"pk": S("a")}}}]})
    assert_client_error(e, "ResourceNotFoundException")


# ---------------------------------------------------------------- BatchGetItem

def test_batch_get(ddb, table, table2):
    for i in range(4):
        ddb.put_item(TableName=table, Item={"pk": S(f"bg-{i}"), "a": N(i), "b": S("bee")})
    ddb.put_item(TableName=table2, Item={"id": N(42), "z": S("zed")})
    r = ddb.batch_get_item(RequestItems={
        table: {"Keys": [{"pk": S(f"bg-{i}")} for i in range(4)] + [{"pk": S("bg-missing")}],
                "ProjectionExpression": "pk, #a", "ExpressionAttributeNames": {"#a": "a"},
                "ConsistentRead": True},
        table2: {"Keys": [{"id": N(42)}]},
    })
    assert r["UnprocessedKeys"] == {}
    got = sorted(r["Responses"][table], key=lambda i: i["pk"]["S"])
    assert got == [{"pk": S(f"bg-{i}"), "a": N(i)} for i in range(4)]
    assert r["Responses"][table2] == [{"id": N(42), "z": S("zed")}]


def test_batch_get_100_ok_101_rejected(ddb, table):
    keys = [{"pk": S(f"bg100-{i}")} for i in range(100)]
    r = ddb.batch_get_item(RequestItems={table: {"Keys": keys}})
    assert r["Responses"][table] == []
    assert r["UnprocessedKeys"] == {}
    keys.append({"pk": S("bg100-extra")})
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": keys}})
    assert_client_error(e, "ValidationException", "100")


def test_batch_get_over_100_across_tables_rejected(ddb, table, table2):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={
            table: {"Keys": [{"pk": S(f"x-{i}")} for i in range(60)]},
            table2: {"Keys": [{"id": N(i)} for i in range(60)]}})
    assert_client_error(e, "ValidationException", "Too many items requested for the BatchGetItem call")


def test_batch_get_duplicate_keys_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S("a")}, {"pk": S("a")}]}})
    assert_client_error(e, "ValidationException", "Provided list of item keys contains duplicates")


def test_batch_get_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={"no-such-table-xyz": {"Keys": [{"pk": S("a")}]}})
    assert_client_error(e, "ResourceNotFoundException")


# ---------------------------------------------------------------- TransactWriteItems

def test_transact_write_all_kinds(ddb, table, table2):
    ddb.put_item(TableName=table, Item={"pk": S("tx-upd"), "n": N(1)})
    ddb.put_item(TableName=table, Item={"pk": S("tx-del")})
    ddb.put_item(TableName=table, Item={"pk": S("tx-check"), "ok": {"BOOL": True}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S("tx-put"), "v": S("new")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": {"pk": S("tx-upd")},
                    "UpdateExpression": "SET n = n + :d", "ExpressionAttributeValues": {":d": N(10)}}},
        {"Delete": {"TableName": table, "Key": {"pk": S("tx-del")}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": S("tx-check")},
                            "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
        {"Put": {"TableName": table2, "Item": {"id": N(1), "v": S("other table")}}},
    ])
    assert get(ddb, table, {"pk": S("tx-put")})["v"] == S("new")
    assert get(ddb, table, {"pk": S("tx-upd")})["n"] == N(11)
    assert get(ddb, table, {"pk": S("tx-del")}) is None
    assert get(ddb, table2, {"id": N(1)})["v"] == S("other table")


def test_transact_write_all_or_nothing(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("aon-exists"), "v": N(1)})
    ddb.put_item(TableName=table, Item={"pk": S("aon-upd"), "n": N(1)})
    ddb.put_item(TableName=table, Item={"pk": S("aon-check"), "n": N(1)})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("aon-new")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("aon-upd")},
                        "UpdateExpression": "SET n = :z", "ExpressionAttributeValues": {":z": N(0)}}},
            {"Put": {"TableName": table, "Item": {"pk": S("aon-exists"), "v": N(2)},
                     "ConditionExpression": "attribute_not_exists(pk)",
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("aon-check")},
                                "ConditionExpression": "n = :one",
                                "ExpressionAttributeValues": {":one": N(1)}}},
        ])
    assert_client_error(e, "TransactionCanceledException", "Transaction cancelled")
    reasons = e.value.response["CancellationReasons"]
    assert len(reasons) == 4
    assert reasons[0]["Code"] == "None"
    assert reasons[1]["Code"] == "None"
    assert reasons[2]["Code"] == "ConditionalCheckFailed"
    assert "conditional request failed" in reasons[2]["Message"].lower()
    assert reasons[2]["Item"] == {"pk": S("aon-exists"), "v": N(1)}
    assert reasons[3]["Code"] == "None"
    # Nothing was applied.
    assert get(ddb, table, {"pk": S("aon-new")}) is None
    assert get(ddb, table, {"pk": S("aon-upd")})["n"] == N(1)
    assert get(ddb, table, {"pk": S("aon-exists")})["v"] == N(1)


def test_transact_write_all_or_nothing_after_a_run_of_plain_puts(ddb, table):
    """In memory, a run of plain puts turns SQLite's rollback journal off
    (emulator/store/store.h, invariant 6); the transaction after it must
    still undo the writes it made before its failing part."""
    for i in range(12):
        ddb.put_item(TableName=table, Item={"pk": S(f"run-{i}"), "v": N(i)})
    ddb.put_item(TableName=table, Item={"pk": S("run-upd"), "n": N(1)})
    for i in range(12):
        ddb.put_item(TableName=table, Item={"pk": S(f"run-{i}"), "v": N(i + 100)})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("run-new")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("run-upd")},
                        "UpdateExpression": "SET n = :z", "ExpressionAttributeValues": {":z": N(0)}}},
            {"Delete": {"TableName": table, "Key": {"pk": S("run-0")}}},
            {"Put": {"TableName": table, "Item": {"pk": S("run-1"), "v": N(-1)},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    assert_client_error(e, "TransactionCanceledException", "Transaction cancelled")
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == \
        ["None", "None", "None", "ConditionalCheckFailed"]
    assert get(ddb, table, {"pk": S("run-new")}) is None
    assert get(ddb, table, {"pk": S("run-upd")})["n"] == N(1)
    assert get(ddb, table, {"pk": S("run-0")})["v"] == N(100)
    assert get(ddb, table, {"pk": S("run-1")})["v"] == N(101)
    ddb.put_item(TableName=table, Item={"pk": S("run-after"), "v": N(1)})   # and plain puts go on
    assert get(ddb, table, {"pk": S("run-after")})["v"] == N(1)


def test_transact_cancellation_message_lists_reasons(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("msg-a")})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("msg-b")}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("msg-a")},
                                "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    assert_client_error(e, "TransactionCanceledException", "[None, ConditionalCheckFailed]")
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in e.value.response["CancellationReasons"][1]


def test_transact_write_100_ok_101_rejected(ddb, table):
    ops = [{"Put": {"TableName": table, "Item": {"pk": S(f"t100-{i}")}}} for i in range(100)]
    ddb.transact_write_items(TransactItems=ops)
    assert get(ddb, table, {"pk": S("t100-99")}) is not None
    ops = [{"Put": {"TableName": table, "Item": {"pk": S(f"t101-{i}")}}} for i in range(101)]
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=ops)
    assert_client_error(e, "ValidationException", "100")
    assert get(ddb, table, {"pk": S("t101-0")}) is None


def test_transact_two_ops_same_item_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("same")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("same")},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": N(1)}}},
        ])
    assert_client_error(e, "ValidationException",
                        "Transaction request cannot include multiple operations on one item")
    assert get(ddb, table, {"pk": S("same")}) is None


def test_transact_idempotency_token(ddb, table):
    key = {"pk": S("idem")}
    token = uuid.uuid4().hex
    req = [{"Update": {"TableName": table, "Key": key, "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": N(1)}}}]
    ddb.transact_write_items(TransactItems=req, ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=req, ClientRequestToken=token)
    assert get(ddb, table, key)["n"] == N(1)
    # A new token applies again.
    ddb.transact_write_items(TransactItems=req, ClientRequestToken=uuid.uuid4().hex)
    assert get(ddb, table, key)["n"] == N(2)
    # Same token, different request: rejected.
    other = [{"Update": {"TableName": table, "Key": key, "UpdateExpression": "ADD n :two",
                         "ExpressionAttributeValues": {":two": N(2)}}}]
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=other, ClientRequestToken=token)
    assert_client_error(e, "IdempotentParameterMismatchException")
    assert get(ddb, table, key)["n"] == N(2)


def test_transact_write_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "no-such-table-xyz", "Item": {"pk": S("a")}}}])
    assert_client_error(e, "ResourceNotFoundException")


# ---------------------------------------------------------------- TransactGetItems

def test_transact_get(ddb, table, table2):
    ddb.put_item(TableName=table, Item={"pk": S("tg-1"), "a": N(1), "b": N(2)})
    ddb.put_item(TableName=table2, Item={"id": N(99), "c": S("see")})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table2, "Key": {"id": N(99)}}},
        {"Get": {"TableName": table, "Key": {"pk": S("tg-missing")}}},
        {"Get": {"TableName": table, "Key": {"pk": S("tg-1")}, "ProjectionExpression": "b"}},
    ])
    resp = r["Responses"]
    assert len(resp) == 3
    assert resp[0]["Item"] == {"id": N(99), "c": S("see")}
    assert "Item" not in (resp[1] or {})
    assert resp[2]["Item"] == {"b": N(2)}


def test_transact_get_limit(ddb, table):
    items = [{"Get": {"TableName": table, "Key": {"pk": S(f"tg-{i}")}}} for i in range(101)]
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=items)
    assert_client_error(e, "ValidationException", "100")
