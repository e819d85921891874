"""Worker threads cache table definitions for the data plane; a definition
change must be seen by the very next data-plane request on every thread.

Each step is repeated more times than there are worker threads (the module
emulator runs two, conftest.MODULE_EMULATOR_ARGS), so every worker has
cached the old definition before it changes."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import create_table, unique_name

ROUNDS = 16  # > worker threads; keep-alive spreads requests across workers


def hammer(ddb, fn):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda _: fn(), range(ROUNDS)))


def test_new_gsi_visible_on_every_worker(ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    hammer(ddb, lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}))
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}])
    counts = hammer(ddb, lambda: ddb.query(
        TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}})["Count"])
    assert counts == [1] * ROUNDS
    # writes after the change maintain the new index on every worker
    for i in range(ROUNDS):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"n{i}"}, "g": {"S": "y"}})
    got = ddb.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "y"}})["Count"]
    assert got == ROUNDS


def test_recreated_table_with_other_key_schema(ddb):
    name = unique_name()
    create_table(ddb, name=name, hash_key=("pk", "S"))
    hammer(ddb, lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}}))
    ddb.delete_table(TableName=name)

    def gone():
        with pytest.raises(ClientError) as e:
            ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
        return e.value.response["Error"]["Code"]
    assert set(hammer(ddb, gone)) == {"ResourceNotFoundException"}

    create_table(ddb, name=name, hash_key=("id", "N"))
    hammer(ddb, lambda: ddb.put_item(TableName=name, Item={"id": {"N": "1"}}))
    item = ddb.get_item(TableName=name, Key={"id": {"N": "1"}})["Item"]
    assert item == {"id": {"N": "1"}}
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    ddb.delete_table(TableName=name)
