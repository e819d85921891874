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


def test_a_database_from_schema_5_is_migrated_with_its_items(emulator_factory, tmp_data_dir):
    """Schema 6 re-keys ddb_items by (tid, hh, hk, rk). A data directory
    written before it (ddb_items keyed by (tid, hk, rk) plus a scan index,
    user_version 5) must open with every item reachable by GetItem, Query,
    Scan and its GSI."""
    import os
    import sqlite3
    emu = emulator_factory(data_dir=tmp_data_dir)
    ddb = make_client(emu.endpoint)
    t = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"),
                     gsis=[{"name": "byG", "hash": ("g", "S")}])
    for p in range(5):
        for s in range(4):
            ddb.put_item(TableName=t, Item={"pk": {"S": f"p{p}"}, "sk": {"N": str(s)}, "g": {"S": f"g{s}"}})
    emu.stop()

    # Put the file back into schema 5's layout, as an older hangar left it.
    db = sqlite3.connect(os.path.join(tmp_data_dir, "hangar.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 6
    db.executescript(
        "CREATE TABLE old_items(tid INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
        "  hh INTEGER NOT NULL, size INTEGER NOT NULL, item TEXT NOT NULL,"
        "  PRIMARY KEY(tid, hk, rk)) WITHOUT ROWID;"
        "INSERT INTO old_items SELECT tid, hk, rk, hh, size, item FROM ddb_items;"
        "DROP TABLE ddb_items;"
        "ALTER TABLE old_items RENAME TO ddb_items;"
        "CREATE INDEX ddb_items_scan ON ddb_items(tid, hh, hk, rk);"
        "PRAGMA user_version=5;")
    db.commit()
    assert db.execute("SELECT count(*) FROM ddb_items").fetchone()[0] == 20
    db.close()

    emu2 = emulator_factory(data_dir=tmp_data_dir)
    ddb = make_client(emu2.endpoint)
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "p3"}, "sk": {"N": "2"}}, ConsistentRead=True)
    assert got["Item"]["g"] == {"S": "g2"}
    q = ddb.query(TableName=t, KeyConditionExpression="pk = :p AND sk >= :s",
                  ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"N": "1"}})
    assert [i["sk"]["N"] for i in q["Items"]] == ["1", "2", "3"]
    assert ddb.scan(TableName=t, ConsistentRead=True)["Count"] == 20
    g = ddb.query(TableName=t, IndexName="byG", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g0"}})
    assert sorted(i["pk"]["S"] for i in g["Items"]) == ["p0", "p1", "p2", "p3", "p4"]
    emu2.stop()
    db = sqlite3.connect(os.path.join(tmp_data_dir, "hangar.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name='ddb_items_scan'").fetchone()[0] == 0
    db.close()


# CloudWatch Logs' tables as hangar.db held them up to schema 6 (one row per event).
OLD_LOGS_SCHEMA = [
    "CREATE TABLE logs_groups(gid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, retention INTEGER NOT NULL, tags TEXT NOT NULL, UNIQUE(region, name))",
    "CREATE TABLE logs_streams(sid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
    "  bytes INTEGER NOT NULL, seq INTEGER NOT NULL, UNIQUE(gid, name))",
    "CREATE TABLE logs_events(eid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL, ingest INTEGER NOT NULL, msg TEXT NOT NULL)",
    "CREATE INDEX logs_events_stream ON logs_events(sid, ts)",
    "CREATE INDEX logs_events_group ON logs_events(gid, ts)",
]


def test_logs_of_an_older_data_directory_move_to_logs_db(emulator_factory, tmp_data_dir):
    """CloudWatch Logs live in DIR/logs.db since schema 7, packed in batches
    since logs.db's schema 2 (larger batches deflated since 3). A data
    directory from before (the logs tables inside hangar.db, one row per
    event, user_version 6, no logs.db) must open with its groups, streams and
    events in their order, moved once."""
    import os
    import sqlite3
    import time
    emu = emulator_factory(data_dir=tmp_data_dir)     # a hangar.db of today, to turn back into version 6
    emu.stop()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(os.path.join(tmp_data_dir, "logs.db" + suffix)):
            os.unlink(os.path.join(tmp_data_dir, "logs.db" + suffix))
    now = int(time.time() * 1000)
    db = sqlite3.connect(os.path.join(tmp_data_dir, "hangar.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    for sql in OLD_LOGS_SCHEMA:
        db.execute(sql)
    db.execute("INSERT INTO logs_groups VALUES (1, 'us-east-1', '/old/group', ?, 0, '{}')", (now - 100,))
    db.execute("INSERT INTO logs_streams VALUES (1, 1, 's1', ?, ?, ?, ?, 24, 1)", (now - 100, now - 10, now - 8, now))
    db.execute("INSERT INTO logs_streams VALUES (2, 1, 's2', ?, ?, ?, ?, 6, 1)", (now - 100, now - 9, now - 9, now))
    # eids order the events of one millisecond: "line 1" before "line 2"
    db.executemany("INSERT INTO logs_events VALUES (?, 1, ?, ?, ?, ?)",
                   [(1, 1, now - 10, now, "line 0"), (2, 1, now - 8, now, "line 1"),
                    (3, 2, now - 9, now, "other0"), (4, 1, now - 8, now, "line 2")])
    db.execute("PRAGMA user_version=6")
    db.commit()
    db.close()

    for _ in range(2):                      # the second start finds them moved already
        emu2 = emulator_factory(data_dir=tmp_data_dir)
        logs = make_client(emu2.endpoint, service="logs")
        got = logs.get_log_events(logGroupName="/old/group", logStreamName="s1", startFromHead=True)
        assert [e["message"] for e in got["events"]] == ["line 0", "line 1", "line 2"]
        assert [e["timestamp"] for e in got["events"]] == [now - 10, now - 8, now - 8]
        tail = logs.get_log_events(logGroupName="/old/group", logStreamName="s1", limit=2)
        assert [e["message"] for e in tail["events"]] == ["line 1", "line 2"]
        both = logs.filter_log_events(logGroupName="/old/group")
        assert [e["message"] for e in both["events"]] == ["line 0", "other0", "line 1", "line 2"]
        streams = logs.describe_log_streams(logGroupName="/old/group")["logStreams"]
        assert [s["logStreamName"] for s in streams] == ["s1", "s2"]
        assert streams[0]["storedBytes"] == 24
        emu2.stop()
    logs_db = sqlite3.connect(os.path.join(tmp_data_dir, "logs.db"))
    assert logs_db.execute("PRAGMA user_version").fetchone()[0] == 3
    # four batches of one event, each stored as it is (schema 3 deflates only larger ones)
    assert logs_db.execute("SELECT count(*), sum(raw = 0) FROM logs_batches").fetchone() == (4, 4)
    logs_db.close()
    db = sqlite3.connect(os.path.join(tmp_data_dir, "hangar.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 7
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'logs_%'").fetchone()[0] == 0
    db.close()
