"""Query and Scan: key conditions, sort orders, Limit vs filters, pagination,
the 1 MB page limit, Select, secondary indexes and parallel scans."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table, make_client

NUM_SORT_KEYS = ["-100", "-10", "-1.5", "0", "1", "1.5", "2", "10", "100", "1000"]


@pytest.fixture(scope="module")
def num_table(ddb):
    """pk S, sk N; partition "p" holds NUM_SORT_KEYS, partition "other" a decoy."""
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"))
    for i, sk in enumerate(NUM_SORT_KEYS):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": sk},
                                           "odd": {"BOOL": i % 2 == 1}, "i": {"N": str(i)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "other"}, "sk": {"N": "5"}})
    return name


STR_SORT_KEYS = ["A", "B", "Z", "a", "ab", "abc", "b", "z", "\u00e9", "\u4e2d"]


@pytest.fixture(scope="module")
def str_table(ddb):
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "S"))
    for sk in reversed(STR_SORT_KEYS):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    return name


BIN_SORT_KEYS = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xfe", b"\xff", b"\xff\x00"]


@pytest.fixture(scope="module")
def bin_table(ddb):
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "B"))
    for sk in reversed(BIN_SORT_KEYS):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"B": sk}})
    return name


def query_all(ddb, **kw):
    """Follow LastEvaluatedKey to the end; returns (items, pages)."""
    items, pages = [], 0
    while True:
        r = ddb.query(**kw)
        items += r["Items"]
        pages += 1
        assert pages < 10000
        if "LastEvaluatedKey" not in r:
            return items, pages
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def scan_all(ddb, **kw):
    items, pages = [], 0
    while True:
        r = ddb.scan(**kw)
        items += r["Items"]
        pages += 1
        assert pages < 10000
        if "LastEvaluatedKey" not in r:
            return items, pages
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def sks(items, t="N"):
    return [i["sk"][t] for i in items]


def q(ddb, table, cond, values, **kw):
    vals = {":p": {"S": "p"}, **values}
    return ddb.query(TableName=table, KeyConditionExpression="pk = :p" + cond,
                     ExpressionAttributeValues=vals, **kw)


# ---------------------------------------------------------------- key conditions, ordering

def test_numeric_sort_order(ddb, num_table):
    r = q(ddb, num_table, "", {})
    assert sks(r["Items"]) == NUM_SORT_KEYS
    assert r["Count"] == r["ScannedCount"] == len(NUM_SORT_KEYS)
    r = q(ddb, num_table, "", {}, ScanIndexForward=False)
    assert sks(r["Items"]) == list(reversed(NUM_SORT_KEYS))


def num(x):
    return {"N": x}


@pytest.mark.parametrize("cond,values,expected", [
    (" AND sk = :v", {":v": num("10")}, ["10"]),
    (" AND sk = :v", {":v": num("1e1")}, ["10"]),
    (" AND sk < :v", {":v": num("1")}, ["-100", "-10", "-1.5", "0"]),
    (" AND sk <= :v", {":v": num("1")}, ["-100", "-10", "-1.5", "0", "1"]),
    (" AND sk > :v", {":v": num("2")}, ["10", "100", "1000"]),
    (" AND sk >= :v", {":v": num("2")}, ["2", "10", "100", "1000"]),
    (" AND sk BETWEEN :a AND :b", {":a": num("-2"), ":b": num("2")}, ["-1.5", "0", "1", "1.5", "2"]),
    (" AND sk BETWEEN :a AND :b", {":a": num("3"), ":b": num("9")}, []),
])
def test_numeric_key_conditions(ddb, num_table, cond, values, expected):
    assert sks(q(ddb, num_table, cond, values)["Items"]) == expected


def test_string_byte_order(ddb, str_table):
    r = q(ddb, str_table, "", {})
    assert sks(r["Items"], "S") == sorted(STR_SORT_KEYS, key=lambda s: s.encode("utf-8"))
    assert sks(r["Items"], "S") == STR_SORT_KEYS


@pytest.mark.parametrize("cond,values,expected", [
    (" AND begins_with(sk, :v)", {":v": {"S": "ab"}}, ["ab", "abc"]),
    (" AND begins_with(sk, :v)", {":v": {"S": "a"}}, ["a", "ab", "abc"]),
    (" AND begins_with(sk, :v)", {":v": {"S": "A"}}, ["A"]),
    (" AND sk BETWEEN :a AND :b", {":a": {"S": "B"}, ":b": {"S": "ab"}}, ["B", "Z", "a", "ab"]),
    (" AND sk > :v", {":v": {"S": "z"}}, ["\u00e9", "\u4e2d"]),
])
def test_string_key_conditions(ddb, str_table, cond, values, expected):
    assert sks(q(ddb, str_table, cond, values)["Items"], "S") == expected


def test_binary_byte_order(ddb, bin_table):
    r = q(ddb, bin_table, "", {})
    assert sks(r["Items"], "B") == BIN_SORT_KEYS
    r = q(ddb, bin_table, " AND begins_with(sk, :v)", {":v": {"B": b"\xff"}})
    assert sks(r["Items"], "B") == [b"\xff", b"\xff\x00"]
    r = q(ddb, bin_table, " AND sk > :v", {":v": {"B": b"\x7f"}})
    assert sks(r["Items"], "B") == [b"\x80", b"\xfe", b"\xff", b"\xff\x00"]


def test_query_other_partition_not_mixed(ddb, num_table):
    r = ddb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "other"}})
    assert sks(r["Items"]) == ["5"]
    r = ddb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "nobody"}})
    assert r["Items"] == [] and r["Count"] == 0


@pytest.mark.parametrize("cond,values,words", [
    ("sk = :v", {":v": num("1")}, ["missed key schema element", "pk"]),
    ("pk = :p OR sk = :v", {":p": {"S": "p"}, ":v": num("1")}, ["OR"]),
    ("pk = :p AND sk <> :v", {":p": {"S": "p"}, ":v": num("1")}, ["<>"]),
    ("pk = :p AND odd = :v", {":p": {"S": "p"}, ":v": {"BOOL": True}}, []),
    ("pk = :p AND begins_with(sk, :v)", {":p": {"S": "p"}, ":v": num("1")}, []),  # begins_with on N
    ("pk > :p", {":p": {"S": "p"}}, []),
])
def test_invalid_key_conditions(ddb, num_table, cond, values, words):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=num_table, KeyConditionExpression=cond, ExpressionAttributeValues=values)
    assert_client_error(e, "ValidationException", *words)


def test_filter_on_key_attribute_rejected_in_query(ddb, num_table):
    with pytest.raises(ClientError) as e:
        q(ddb, num_table, "", {":v": num("1")}, FilterExpression="sk > :v")
    assert_client_error(e, "ValidationException", "Filter Expression can only contain non-primary key attributes", "sk")


def test_key_condition_type_mismatch(ddb, num_table):
    with pytest.raises(ClientError) as e:
        q(ddb, num_table, " AND sk > :v", {":v": {"S": "1"}})
    assert_client_error(e, "ValidationException")


# ---------------------------------------------------------------- Limit, filters, pagination

def test_limit_counts_items_before_filter(ddb, num_table):
    r = q(ddb, num_table, "", {":t": {"BOOL": True}}, Limit=4, FilterExpression="odd = :t")
    assert r["ScannedCount"] == 4
    assert r["Count"] == 2
    assert sks(r["Items"]) == ["-10", "0"]
    assert r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "0"}}
    # Continue from there.
    r2 = q(ddb, num_table, "", {":t": {"BOOL": True}}, Limit=4, FilterExpression="odd = :t",
           ExclusiveStartKey=r["LastEvaluatedKey"])
    assert sks(r2["Items"]) == ["1.5", "10"]


def test_filter_without_limit(ddb, num_table):
    r = q(ddb, num_table, "", {":t": {"BOOL": False}}, FilterExpression="odd = :t")
    assert r["ScannedCount"] == 10
    assert r["Count"] == 5
    assert "LastEvaluatedKey" not in r


@pytest.mark.parametrize("forward", [True, False])
def test_query_pagination_until_exhausted(ddb, num_table, forward):
    items, pages = query_all(ddb, TableName=num_table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "p"}}, Limit=3,
                             ScanIndexForward=forward)
    expected = NUM_SORT_KEYS if forward else list(reversed(NUM_SORT_KEYS))
    assert sks(items) == expected
    assert pages in (4, 5)  # 3+3+3+1, possibly with a trailing empty page


def test_scan_pagination_covers_everything_once(ddb, num_table):
    items, _ = scan_all(ddb, TableName=num_table, Limit=2)
    keys = [(i["pk"]["S"], Decimal(i["sk"]["N"])) for i in items]
    assert len(keys) == len(set(keys)) == 11


def test_scan_filter_and_count(ddb, num_table):
    r = ddb.scan(TableName=num_table, FilterExpression="sk >= :z",
                 ExpressionAttributeValues={":z": num("10")})
    assert sorted(sks(r["Items"]), key=Decimal) == ["10", "100", "1000"]
    assert r["ScannedCount"] == 11
    r = ddb.scan(TableName=num_table, Select="COUNT")
    assert r["Count"] == 11 and "Items" not in r


def test_invalid_limit(endpoint, num_table):
    loose = make_client(endpoint, parameter_validation=False)
    with pytest.raises(ClientError) as e:
        loose.scan(TableName=num_table, Limit=0)
    assert_client_error(e, "ValidationException", "limit")


def test_bad_exclusive_start_key(ddb, num_table):
    with pytest.raises(ClientError) as e:
        q(ddb, num_table, "", {}, ExclusiveStartKey={"pk": {"S": "p"}})
    assert_client_error(e, "ValidationException")


# ---------------------------------------------------------------- 1 MB pages

def test_one_megabyte_page_limit(ddb, make_table):
    name = make_table(hash_key=("pk", "S"), range_key=("sk", "N"))
    blob = "x" * (100 * 1024)
    total = 30  # ~3 MB
    for i in range(total):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": blob}})
    r = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}})
    assert "LastEvaluatedKey" in r
    assert 9 <= r["Count"] <= 11, r["Count"]   # ~1 MB of 100 KB items
    items, pages = query_all(ddb, TableName=name, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "p"}})
    assert sks(items) == [str(i) for i in range(total)]
    assert 3 <= pages <= 4
    r = ddb.scan(TableName=name)
    assert "LastEvaluatedKey" in r and 9 <= r["Count"] <= 11
    items, _ = scan_all(ddb, TableName=name)
    assert sorted(int(i["sk"]["N"]) for i in items) == list(range(total))
    # COUNT pages stop at 1 MB scanned as well.
    r = ddb.scan(TableName=name, Select="COUNT")
    assert "LastEvaluatedKey" in r and r["Count"] < total


# ---------------------------------------------------------------- Select

def test_select_modes_on_table(ddb, num_table):
    r = q(ddb, num_table, "", {}, Select="COUNT")
    assert r["Count"] == 10 and "Items" not in r
    r = q(ddb, num_table, "", {}, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk, i")
    assert all(set(i) == {"sk", "i"} for i in r["Items"])
    r = q(ddb, num_table, "", {}, ProjectionExpression="i")
    assert all(set(i) == {"i"} for i in r["Items"])
    r = q(ddb, num_table, "", {}, Select="ALL_ATTRIBUTES")
    assert all(set(i) == {"pk", "sk", "odd", "i"} for i in r["Items"])


def test_select_all_projected_requires_index(ddb, num_table):
    with pytest.raises(ClientError) as e:
        q(ddb, num_table, "", {}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert_client_error(e, "ValidationException", "ALL_PROJECTED_ATTRIBUTES")


def test_select_all_attributes_with_projection_rejected(ddb, num_table):
    with pytest.raises(ClientError) as e:
        q(ddb, num_table, "", {}, Select="ALL_ATTRIBUTES", ProjectionExpression="i")
    assert_client_error(e, "ValidationException")


# ---------------------------------------------------------------- secondary indexes

@pytest.fixture(scope="module")
def idx_table(ddb):
    name = create_table(
        ddb, hash_key=("pk", "S"), range_key=("sk", "S"),
        gsis=[{"name": "gAll", "hash": ("g", "S"), "range": ("gn", "N")},
              {"name": "gKeys", "hash": ("g", "S"), "projection": {"ProjectionType": "KEYS_ONLY"}},
              {"name": "gInc", "hash": ("g", "S"), "range": ("gn", "N"),
               "projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]}}],
        lsis=[{"name": "lKeys", "hash": ("pk", "S"), "range": ("ln", "N"),
               "projection": {"ProjectionType": "KEYS_ONLY"}},
              {"name": "lAll", "hash": ("pk", "S"), "range": ("ln", "N")}])
    for i in range(6):
        item = {"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "ln": {"N": str(10 - i)},
                "inc": {"S": f"inc{i}"}, "exc": {"S": f"exc{i}"}}
        if i != 3:  # item 3 is missing the GSI keys: sparse index
            item["g"] = {"S": "G"}
            item["gn"] = {"N": str(i * 10)}
        ddb.put_item(TableName=name, Item=item)
    return name


def gq(ddb, table, index, **kw):
    return ddb.query(TableName=table, IndexName=index, KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, **kw)


def test_gsi_all_projection_sorted_by_index_key(ddb, idx_table):
    r = gq(ddb, idx_table, "gAll")
    assert [i["sk"]["S"] for i in r["Items"]] == ["s0", "s1", "s2", "s4", "s5"]
    assert set(r["Items"][0]) == {"pk", "sk", "ln", "inc", "exc", "g", "gn"}
    r = gq(ddb, idx_table, "gAll", ScanIndexForward=False, Limit=2)
    assert [i["sk"]["S"] for i in r["Items"]] == ["s5", "s4"]
    # An index LastEvaluatedKey carries the table key and the index key.
    assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "g", "gn"}
    items, _ = query_all(ddb, TableName=idx_table, IndexName="gAll",
                         KeyConditionExpression="g = :g AND gn > :n",
                         ExpressionAttributeValues={":g": {"S": "G"}, ":n": {"N": "5"}}, Limit=1)
    assert [i["sk"]["S"] for i in items] == ["s1", "s2", "s4", "s5"]


def test_gsi_keys_only_projection(ddb, idx_table):
    r = gq(ddb, idx_table, "gKeys")
    assert r["Count"] == 5
    for item in r["Items"]:
        assert set(item) == {"pk", "sk", "g"}


def test_gsi_include_projection(ddb, idx_table):
    r = gq(ddb, idx_table, "gInc")
    assert r["Count"] == 5
    for item in r["Items"]:
        assert set(item) == {"pk", "sk", "g", "gn", "inc"}
    r = gq(ddb, idx_table, "gInc", Select="ALL_PROJECTED_ATTRIBUTES")
    assert set(r["Items"][0]) == {"pk", "sk", "g", "gn", "inc"}


def test_gsi_select_all_attributes_not_projected_rejected(ddb, idx_table):
    with pytest.raises(ClientError) as e:
        gq(ddb, idx_table, "gKeys", Select="ALL_ATTRIBUTES")
    assert_client_error(e, "ValidationException", "ALL_ATTRIBUTES")


def test_sparse_gsi_scan(ddb, idx_table):
    items, _ = scan_all(ddb, TableName=idx_table, IndexName="gAll")
    assert sorted(i["sk"]["S"] for i in items) == ["s0", "s1", "s2", "s4", "s5"]
    items, _ = scan_all(ddb, TableName=idx_table, IndexName="gKeys", Limit=2)
    assert sorted(i["sk"]["S"] for i in items) == ["s0", "s1", "s2", "s4", "s5"]


def test_gsi_follows_updates_and_deletes(ddb, idx_table):
    key = {"pk": {"S": "p2"}, "sk": {"S": "moving"}}
    ddb.put_item(TableName=idx_table, Item={**key, "g": {"S": "H"}, "gn": {"N": "1"}})
    hq = lambda: ddb.query(TableName=idx_table, IndexName="gAll",  # noqa: E731
                           KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "H"}})["Count"]
    assert hq() == 1
    ddb.update_item(TableName=idx_table, Key=key, UpdateExpression="SET g = :g",
                    ExpressionAttributeValues={":g": {"S": "I"}})
    assert hq() == 0
    ddb.update_item(TableName=idx_table, Key=key, UpdateExpression="SET g = :g",
                    ExpressionAttributeValues={":g": {"S": "H"}})
    assert hq() == 1
    ddb.delete_item(TableName=idx_table, Key=key)
    assert hq() == 0


def test_gsi_consistent_read_rejected(ddb, idx_table):
    with pytest.raises(ClientError) as e:
        gq(ddb, idx_table, "gAll", ConsistentRead=True)
    assert_client_error(e, "ValidationException",
                        "Consistent reads are not supported on global secondary indexes")
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=idx_table, IndexName="gAll", ConsistentRead=True)
    assert_client_error(e, "ValidationException",
                        "Consistent reads are not supported on global secondary indexes")


def test_lsi_query_order_and_projection(ddb, idx_table):
    r = ddb.query(TableName=idx_table, IndexName="lAll", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}}, ConsistentRead=True)
    # ln = 10 - i, so the LSI order is the reverse of the table order.
    assert [i["sk"]["S"] for i in r["Items"]] == ["s5", "s4", "s3", "s2", "s1", "s0"]
    assert "exc" in r["Items"][0]
    r = ddb.query(TableName=idx_table, IndexName="lKeys",
                  KeyConditionExpression="pk = :p AND ln BETWEEN :a AND :b",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "6"}, ":b": {"N": "8"}})
    assert [i["sk"]["S"] for i in r["Items"]] == ["s4", "s3", "s2"]
    for item in r["Items"]:
        assert set(item) == {"pk", "sk", "ln"}


def test_unknown_index(ddb, idx_table):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=idx_table, IndexName="nope", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}})
    assert_client_error(e, "ValidationException", "does not have the specified index", "nope")


# ---------------------------------------------------------------- parallel scan

@pytest.mark.parametrize("segments", [1, 3, 8])
def test_parallel_scan_covers_every_item_once(ddb, make_table, segments):
    name = make_table(hash_key=("pk", "S"))
    n = 60
    for i in range(n):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"item-{i}"}})
    seen = []
    for seg in range(segments):
        items, _ = scan_all(ddb, TableName=name, Segment=seg, TotalSegments=segments, Limit=7)
        seen += [i["pk"]["S"] for i in items]
    assert sorted(seen) == sorted(f"item-{i}" for i in range(n))


@pytest.mark.parametrize("kw", [
    {"Segment": 3, "TotalSegments": 3},
    {"Segment": 0},
    {"TotalSegments": 2},
], ids=["segment-too-big", "segment-alone", "total-alone"])
def test_parallel_scan_bad_segments(ddb, num_table, kw):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=num_table, **kw)
    assert_client_error(e, "ValidationException", "Segment")
