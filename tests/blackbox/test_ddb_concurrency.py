"""Many clients at once: atomic counters and conditional puts must not lose
or duplicate writes."""

import threading

from botocore.exceptions import ClientError

from conftest import create_table, make_client

THREADS = 8


def run_threads(target, n=THREADS):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as e:  # report, never swallow
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors


def test_concurrent_atomic_counter(endpoint, ddb):
    name = create_table(ddb, hash_key=("pk", "S"))
    key = {"pk": {"S": "counter"}}
    per_thread = 100

    def work(_):
        client = make_client(endpoint)
        for _ in range(per_thread):
            client.update_item(TableName=name, Key=key, UpdateExpression="ADD n :one",
                               ExpressionAttributeValues={":one": {"N": "1"}})

    run_threads(work)
    item = ddb.get_item(TableName=name, Key=key, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": str(THREADS * per_thread)}


def test_concurrent_conditional_put_exactly_one_wins(endpoint, ddb):
    name = create_table(ddb, hash_key=("pk", "S"))
    rounds = 20
    wins = [[0] * THREADS for _ in range(rounds)]
    barrier = threading.Barrier(THREADS)

    def work(i):
        client = make_client(endpoint)
        for r in range(rounds):
            barrier.wait(60)
            try:
                client.put_item(TableName=name,
                                Item={"pk": {"S": f"race-{r}"}, "winner": {"N": str(i)}},
                                ConditionExpression="attribute_not_exists(pk)")
                wins[r][i] += 1
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise

    run_threads(work)
    for r in range(rounds):
        assert sum(wins[r]) == 1, f"round {r}: {wins[r]}"
        winner = wins[r].index(1)
        item = ddb.get_item(TableName=name, Key={"pk": {"S": f"race-{r}"}}, ConsistentRead=True)["Item"]
        assert item["winner"] == {"N": str(winner)}


def test_concurrent_transactions_keep_invariant(endpoint, ddb):
    """Transfers between two accounts in transactions: the total never changes."""
    name = create_table(ddb, hash_key=("pk", "S"))
    for acct in ("a", "b"):
        ddb.put_item(TableName=name, Item={"pk": {"S": acct}, "bal": {"N": "1000"}})

    def work(i):
        client = make_client(endpoint)
        src, dst = ("a", "b") if i % 2 == 0 else ("b", "a")
        for _ in range(20):
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": name, "Key": {"pk": {"S": src}},
                                "UpdateExpression": "SET bal = bal - :x",
                                "ConditionExpression": "bal >= :x",
                                "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                    {"Update": {"TableName": name, "Key": {"pk": {"S": dst}},
                                "UpdateExpression": "SET bal = bal + :x",
                                "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                ])
            except ClientError as e:
                # Contention may cancel a transaction; it must then have done nothing.
                if e.response["Error"]["Code"] not in ("TransactionCanceledException",
                                                       "TransactionConflictException"):
                    raise

    run_threads(work)
    bal = [int(ddb.get_item(TableName=name, Key={"pk": {"S": a}}, ConsistentRead=True)
               ["Item"]["bal"]["N"]) for a in ("a", "b")]
    assert sum(bal) == 2000, bal
