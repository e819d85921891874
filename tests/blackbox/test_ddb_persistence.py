"""Durability: with --data, acknowledged writes survive kill -9; without it,
state lives in memory and a restart starts empty."""

from conftest import create_table, make_client


def test_acknowledged_writes_survive_kill_9(emulator_factory, tmp_data_dir):
    emu = emulator_factory(data_dir=tmp_data_dir)
    ddb = make_client(emu.endpoint)
    t1 = create_table(ddb, hash_key=("pk", "S"))
    t2 = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"),
                      gsis=[{"name": "byG", "hash": ("g", "S")}])
    for i in range(50):
        ddb.put_item(TableName=t1, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    ddb.batch_write_item(RequestItems={t2: [
        {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "G"}}}}
        for i in range(10)]})
    ddb.update_item(TableName=t1, Key={"pk": {"S": "k0"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "updated"}})
    ddb.delete_item(TableName=t1, Key={"pk": {"S": "k1"}})
    ddb.update_time_to_live(TableName=t1, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    emu.kill9()

    emu2 = emulator_factory(data_dir=tmp_data_dir)
    ddb = make_client(emu2.endpoint)
    names = ddb.list_tables()["TableNames"]
    assert t1 in names and t2 in names
    items = ddb.scan(TableName=t1, ConsistentRead=True)["Items"]
    got = {i["pk"]["S"]: i["v"] for i in items}
    assert len(got) == 49
    assert "k1" not in got
    assert got["k0"] == {"S": "updated"}
    assert got["k49"] == {"N": "49"}
    r = ddb.query(TableName=t2, IndexName="byG", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}})
    assert r["Count"] == 10
    d = ddb.describe_table(TableName=t2)["Table"]
    assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "byG"
    ttl = ddb.describe_time_to_live(TableName=t1)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "exp"
    # And it keeps working after the restart.
    ddb.put_item(TableName=t1, Item={"pk": {"S": "after"}})
    emu2.stop()

    emu3 = emulator_factory(data_dir=tmp_data_dir)
    ddb = make_client(emu3.endpoint)
    assert "Item" in ddb.get_item(TableName=t1, Key={"pk": {"S": "after"}}, ConsistentRead=True)


def test_without_data_restart_is_empty(emulator_factory):
    emu = emulator_factory()
    ddb = make_client(emu.endpoint)
    name = create_table(ddb, hash_key=("pk", "S"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    emu.stop()
    emu2 = emulator_factory()
    ddb = make_client(emu2.endpoint)
    assert ddb.list_tables()["TableNames"] == []
