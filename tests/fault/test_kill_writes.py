"""kill -9 of the emulator under write load loses nothing it acknowledged.

Eight client threads write through boto3 against an emulator with --data:
PutItem of self-checking items (two copies of one value, so a half-written
item shows) and UpdateItem ADD on a per-thread counter. Every write whose
response arrived is recorded. The emulator is killed with SIGKILL mid-load,
SQLite's integrity check runs on the files it left, and a new emulator on the
same directory must show every acknowledged write.
"""

import os
import subprocess
import threading
import time

import botocore.exceptions

from hg_blackbox_conftest import create_table, make_client

THREADS = 8
LOAD_SECONDS = 1.5


def writer(client, table, tid, acked, stop):
    puts, adds = acked["puts"][tid], acked
    n = 0
    while not stop.is_set():
        n += 1
        value = "%d-%d-" % (tid, n) + "x" * (n % 300)
        try:
            if n % 2:
                client.put_item(TableName=table, Item={
                    "pk": {"S": "p%d-%d" % (tid, n)}, "a": {"S": value}, "b": {"S": value},
                    "n": {"N": str(n)}})
                puts.append((n, value))
            else:
                client.update_item(TableName=table, Key={"pk": {"S": "c%d" % tid}},
                                   UpdateExpression="ADD cnt :one SET a = :v, b = :v",
                                   ExpressionAttributeValues={":one": {"N": "1"}, ":v": {"S": value}})
                adds["adds"][tid] += 1
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError,
                ConnectionError):
            return  # the server is gone: whatever was in flight is not acknowledged
        except botocore.exceptions.ClientError as e:
            acked["errors"].append(str(e))
            return


def integrity_check(data_dir):
    db = os.path.join(data_dir, "hangar.db")
    assert os.path.exists(db), os.listdir(data_dir)
    p = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "ok", (p.stdout, p.stderr)


def test_kill9_under_write_load_loses_no_acknowledged_write(emulator_factory, tmp_data_dir):
    emu = emulator_factory(data_dir=tmp_data_dir)
    client = make_client(emu.endpoint)
    table = create_table(client)

    acked = {"puts": [[] for _ in range(THREADS)], "adds": [0] * THREADS, "errors": []}
    stop = threading.Event()
    # boto3 builds clients unsafely across threads: make them here, use them there
    clients = [make_client(emu.endpoint) for _ in range(THREADS)]
    threads = [threading.Thread(target=writer, args=(clients[t], table, t, acked, stop), daemon=True)
               for t in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    emu.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    assert not acked["errors"], acked["errors"][:5]
    total = sum(len(p) for p in acked["puts"]) + sum(acked["adds"])
    assert total > 50, "too little load to prove anything: %d writes" % total

    integrity_check(tmp_data_dir)

    emu2 = emulator_factory(data_dir=tmp_data_dir)
    client = make_client(emu2.endpoint)
    for tid in range(THREADS):
        for n, value in acked["puts"][tid]:
            item = client.get_item(TableName=table, Key={"pk": {"S": "p%d-%d" % (tid, n)}},
                                   ConsistentRead=True).get("Item")
            assert item is not None, "acknowledged PutItem p%d-%d lost" % (tid, n)
            assert item["a"] == item["b"] == {"S": value} and item["n"] == {"N": str(n)}, item
        item = client.get_item(TableName=table, Key={"pk": {"S": "c%d" % tid}},
                               ConsistentRead=True).get("Item")
        if acked["adds"][tid] == 0:
            continue
        assert item is not None, "counter c%d lost (%d ADDs acknowledged)" % (tid, acked["adds"][tid])
        cnt = int(item["cnt"]["N"])
        # one ADD may have committed with its answer lost in the kill
        assert acked["adds"][tid] <= cnt <= acked["adds"][tid] + 1, (tid, cnt, acked["adds"][tid])
        assert item["a"] == item["b"], "half-written update on c%d: %r" % (tid, item)
    # every stored item is whole, including writes that committed unacknowledged
    scan = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    for page in scan:
        for item in page["Items"]:
            assert item.get("a") == item.get("b") and "a" in item, item
    emu2.stop()
    integrity_check(tmp_data_dir)
