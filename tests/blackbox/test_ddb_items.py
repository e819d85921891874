"""Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, with their
type rules, size limits, ReturnValues and ConsumedCapacity."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, make_client


@pytest.fixture(scope="module")
def table(ddb):
    from conftest import create_table
    return create_table(ddb, hash_key=("pk", "S"))


@pytest.fixture(scope="module")
def table_hr(ddb):
    from conftest import create_table
    return create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"))


@pytest.fixture(scope="module")
def table_b(ddb):
    from conftest import create_table
    return create_table(ddb, hash_key=("pk", "B"))


@pytest.fixture(scope="module")
def loose(endpoint):
    return make_client(endpoint, parameter_validation=False)


def get(ddb, table, key, **kw):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True, **kw).get("Item")


ALL_TYPES = {
    "pk": {"S": "all-types"},
    "s": {"S": "héllo ✓"},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\x01\xff"},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"inner": {"S": "x"}, "deep": {"M": {"l": {"L": [{"N": "1"}]}}}}},
    "l": {"L": [{"S": "a"}, {"N": "1"}, {"NULL": True}, {"BOOL": False}, {"L": []}, {"M": {}}]},
    "null": {"NULL": True},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "empty_s": {"S": ""},
    "empty_b": {"B": b""},
    "empty_m": {"M": {}},
    "empty_l": {"L": []},
}


def normalize(item):
    """Sets come back in any order; compare them as sorted lists."""
    out = {}
    for k, v in item.items():
        (t, x), = v.items()
        if t in ("SS", "BS"):
            out[k] = {t: sorted(x)}
        elif t == "NS":
            out[k] = {t: sorted(x, key=Decimal)}
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------- round trips

def test_all_types_round_trip(ddb, table):
    ddb.put_item(TableName=table, Item=ALL_TYPES)
    got = get(ddb, table, {"pk": {"S": "all-types"}})
    assert normalize(got) == normalize(ALL_TYPES)


def test_get_missing_item_has_no_item_key(ddb, table):
    resp = ddb.get_item(TableName=table, Key={"pk": {"S": "never-written"}})
    assert "Item" not in resp


def test_put_replaces_whole_item(ddb, table):
    key = {"pk": {"S": "replace"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=table, Item={**key, "c": {"S": "3"}})
    assert get(ddb, table, key) == {**key, "c": {"S": "3"}}


def test_binary_key_round_trip(ddb, table_b):
    for k in (b"\x00", b"\xff\xfe", b"abc"):
        ddb.put_item(TableName=table_b, Item={"pk": {"B": k}, "v": {"B": k * 2}})
    assert get(ddb, table_b, {"pk": {"B": b"\xff\xfe"}})["v"] == {"B": b"\xff\xfe\xff\xfe"}


def test_delete_item(ddb, table):
    key = {"pk": {"S": "del"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    resp = ddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert resp["Attributes"] == {**key, "v": {"N": "1"}}
    assert get(ddb, table, key) is None
    # Deleting what is not there succeeds and returns nothing.
    resp = ddb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp


def test_operations_on_missing_table(ddb):
    for call in (lambda: ddb.put_item(TableName="no-such-table", Item={"pk": {"S": "a"}}),
                 lambda: ddb.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}}),
                 lambda: ddb.delete_item(TableName="no-such-table", Key={"pk": {"S": "a"}})):
        with pytest.raises(ClientError) as e:
            call()
        assert_client_error(e, "ResourceNotFoundException", "Requested resource not found")


# ---------------------------------------------------------------- empty values and sets

@pytest.mark.parametrize("val", [{"S": ""}, {"B": b""}], ids=["S", "B"])
def test_empty_key_rejected(ddb, table, table_b, val):
    t = table if "S" in val else table_b
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={"pk": val})
    assert_client_error(e, "ValidationException", "empty")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=t, Key={"pk": val})
    assert_client_error(e, "ValidationException", "empty")


@pytest.mark.parametrize("val", [{"SS": []}, {"NS": []}, {"BS": []}], ids=["SS", "NS", "BS"])
def test_empty_set_rejected(ddb, table, val):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "emptyset"}, "x": val})
    assert_client_error(e, "ValidationException", "empty")


@pytest.mark.parametrize("val", [{"SS": ["a", "a"]}, {"NS": ["1", "1"]}, {"BS": [b"x", b"x"]}],
                         ids=["SS", "NS", "BS"])
def test_duplicate_set_members_rejected(ddb, table, val):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "dupset"}, "x": val})
    assert_client_error(e, "ValidationException", "duplicates")


def test_numerically_equal_set_members_are_duplicates(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "dupset2"}, "x": {"NS": ["1", "1.0"]}})
    assert_client_error(e, "ValidationException", "duplicates")


def test_empty_string_inside_set_allowed_but_not_in_key(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "es"}, "x": {"SS": ["", "a"]}})
    assert sorted(get(ddb, table, {"pk": {"S": "es"}})["x"]["SS"]) == ["", "a"]


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("given,stored", [
    ("1.0", "1"), ("0001", "1"), ("1.500", "1.5"), ("+3", "3"), (".5", "0.5"),
    ("1e2", "100"), ("1.5E-3", "0.0015"), ("-000.000100", "-0.0001"), ("0e10", "0"),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("0.12345678901234567890123456789012345678", "0.12345678901234567890123456789012345678"),
])
def test_number_canonical_form(ddb, table, given, stored):
    key = {"pk": {"S": "num-" + given}}
    ddb.put_item(TableName=table, Item={**key, "n": {"N": given}})
    assert get(ddb, table, key)["n"] == {"N": stored}


@pytest.mark.parametrize("num", ["1e125", "9.9999999999999999999999999999999999999e125",
                                 "-1e125", "1e-130", "-1e-130"])
def test_number_limits_accepted(ddb, table, num):
    key = {"pk": {"S": "lim-" + num}}
    ddb.put_item(TableName=table, Item={**key, "n": {"N": num}})
    assert Decimal(get(ddb, table, key)["n"]["N"]) == Decimal(num)


@pytest.mark.parametrize("num,word", [
    ("1e126", "overflow"), ("-1e126", "overflow"), ("11e125", "overflow"),
    ("1e-131", "underflow"), ("0.9e-130", "underflow"),
    ("1.23456789012345678901234567890123456789", "significant digits"),
    ("dog", "numeric"), ("NaN", "numeric"), ("Infinity", "numeric"), (" 1", "numeric"),
    ("1 ", "numeric"), ("", "numeric"), ("1e", "numeric"), ("--1", "numeric"),
])
def test_bad_numbers_rejected(ddb, table, num, word):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "badnum"}, "n": {"N": num}})
    assert_client_error(e, "ValidationException", word)


def test_trailing_zeros_do_not_count_as_precision(ddb, table):
    # 1 followed by 50 zeros has one significant digit.
    key = {"pk": {"S": "bigint"}}
    ddb.put_item(TableName=table, Item={**key, "n": {"N": "1" + "0" * 50}})
    assert get(ddb, table, key)["n"] == {"N": "1" + "0" * 50}


def test_number_key_equality_is_numeric(ddb, table_hr):
    ddb.put_item(TableName=table_hr, Item={"pk": {"S": "k"}, "sk": {"N": "10"}, "v": {"S": "a"}})
    got = get(ddb, table_hr, {"pk": {"S": "k"}, "sk": {"N": "1e1"}})
    assert got["v"] == {"S": "a"}
    assert got["sk"] == {"N": "10"}


# ---------------------------------------------------------------- key validation

def test_missing_key_attribute_on_put(ddb, table_hr):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table_hr, Item={"pk": {"S": "a"}})
    assert_client_error(e, "ValidationException", "Missing the key", "sk")


def test_wrong_key_type_on_put(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"N": "1"}})
    assert_client_error(e, "ValidationException", "Type mismatch", "pk")


@pytest.mark.parametrize("key", [
    {"pk": {"S": "a"}},                                   # missing range key
    {"pk": {"S": "a"}, "sk": {"S": "1"}},                 # wrong type
    {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}},  # extra attribute
], ids=["missing-range", "wrong-type", "extra-attr"])
def test_bad_key_on_get(ddb, table_hr, key):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_hr, Key=key)
    assert_client_error(e, "ValidationException", "key element does not match the schema")


# ---------------------------------------------------------------- item size

MAX_ITEM = 400 * 1024


def test_item_just_under_400kb_accepted(ddb, table):
    # size = len("pk") + len("big") + len("v") + len("xxx...") = 2 + 3 + 1 + n
    n = MAX_ITEM - 6 - 16
    ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "v": {"S": "x" * n}})
    assert len(get(ddb, table, {"pk": {"S": "big"}})["v"]["S"]) == n


def test_item_over_400kb_rejected(ddb, table):
    n = MAX_ITEM - 6 + 1
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "v": {"S": "x" * n}})
    assert_client_error(e, "ValidationException", "Item size has exceeded the maximum allowed size")


def test_update_growing_item_over_400kb_rejected(ddb, table):
    key = {"pk": {"S": "grow"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"S": "x" * 300000}})
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key=key, UpdateExpression="SET b = :v",
                        ExpressionAttributeValues={":v": {"S": "y" * 200000}})
    assert_client_error(e, "ValidationException", "Item size")
    assert "b" not in get(ddb, table, key)


# ---------------------------------------------------------------- ReturnValues

def test_put_return_values(ddb, table):
    key = {"pk": {"S": "rv-put"}}
    resp = ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp
    resp = ddb.put_item(TableName=table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert resp["Attributes"] == {**key, "v": {"N": "1"}}
    resp = ddb.put_item(TableName=table, Item={**key, "v": {"N": "3"}}, ReturnValues="NONE")
    assert "Attributes" not in resp


@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_rejects_update_only_return_values(ddb, table, rv):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "rv-bad"}}, ReturnValues=rv)
    assert_client_error(e, "ValidationException", "Return values set to invalid value")


def test_update_return_values(ddb, table):
    key = {"pk": {"S": "rv-upd"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"N": "1"}, "b": {"S": "keep"}})
    upd = dict(TableName=table, Key=key, UpdateExpression="SET a = a + :one, c = :c",
               ExpressionAttributeValues={":one": {"N": "1"}, ":c": {"S": "new"}})
    r = ddb.update_item(**upd, ReturnValues="NONE")
    assert "Attributes" not in r
    r = ddb.update_item(**upd, ReturnValues="ALL_OLD")
    assert r["Attributes"] == {**key, "a": {"N": "2"}, "b": {"S": "keep"}, "c": {"S": "new"}}
    r = ddb.update_item(**upd, ReturnValues="UPDATED_OLD")
    assert r["Attributes"] == {"a": {"N": "3"}, "c": {"S": "new"}}
    r = ddb.update_item(**upd, ReturnValues="ALL_NEW")
    assert r["Attributes"] == {**key, "a": {"N": "5"}, "b": {"S": "keep"}, "c": {"S": "new"}}
    r = ddb.update_item(**upd, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"a": {"N": "6"}, "c": {"S": "new"}}


def test_update_creates_item(ddb, table):
    key = {"pk": {"S": "upsert"}}
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": "x"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r
    assert get(ddb, table, key) == {**key, "v": {"S": "x"}}


def test_update_without_expression_creates_key_only_item(ddb, table):
    key = {"pk": {"S": "bare"}}
    ddb.update_item(TableName=table, Key=key)
    assert get(ddb, table, key) == key


def test_delete_rejects_all_new(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.delete_item(TableName=table, Key={"pk": {"S": "x"}}, ReturnValues="ALL_NEW")
    assert_client_error(e, "ValidationException", "Return values set to invalid value")


def test_condition_failure_returns_old_item(ddb, table, raw):
    key = {"pk": {"S": "rvoccf"}}
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    # This botocore predates ReturnValuesOnConditionCheckFailure, so speak raw JSON.
    for op, body in [
        ("PutItem", {"TableName": table, "Item": {**key, "v": {"N": "2"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}),
        ("UpdateItem", {"TableName": table, "Key": key, "UpdateExpression": "SET v = :two",
                        "ConditionExpression": "v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}),
        ("DeleteItem", {"TableName": table, "Key": key,
                        "ConditionExpression": "attribute_not_exists(v)"}),
    ]:
        r = raw(op, {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
        assert r.status == 400, r
        assert r.error_code == "ConditionalCheckFailedException", r
        assert r.json()["Item"] == {**key, "v": {"N": "1"}}, r
        r = raw(op, body)
        assert r.status == 400 and r.error_code == "ConditionalCheckFailedException", r
        assert "Item" not in r.json()
    assert get(ddb, table, key) == {**key, "v": {"N": "1"}}


def test_condition_failure_message(ddb, table):
    key = {"pk": {"S": "ccf"}}
    ddb.put_item(TableName=table, Item=key)
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(pk)")
    assert_client_error(e, "ConditionalCheckFailedException", "The conditional request failed")


# ---------------------------------------------------------------- ConsumedCapacity

def item_of_size(pk, size):
    """An item whose DynamoDB size is exactly `size` bytes (names + string values)."""
    overhead = len("pk") + len(pk) + len("v")
    return {"pk": {"S": pk}, "v": {"S": "x" * (size - overhead)}}


@pytest.mark.parametrize("size,units", [(500, 1.0), (1500, 2.0), (2500, 3.0), (10 * 1024 - 100, 10.0)])
def test_write_capacity_is_ceil_kb(ddb, table, size, units):
    pk = f"wcu-{size}"
    r = ddb.put_item(TableName=table, Item=item_of_size(pk, size), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == table
    assert r["ConsumedCapacity"]["CapacityUnits"] == units
    r = ddb.delete_item(TableName=table, Key={"pk": {"S": pk}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == units


def test_put_over_larger_item_charges_larger_size(ddb, table):
    ddb.put_item(TableName=table, Item=item_of_size("wcu-grow", 3000))
    r = ddb.put_item(TableName=table, Item=item_of_size("wcu-grow", 100),
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0


@pytest.mark.parametrize("size,strong,eventual", [
    (100, 1.0, 0.5), (4000, 1.0, 0.5), (5000, 2.0, 1.0), (9000, 3.0, 1.5)])
def test_read_capacity(ddb, table, size, strong, eventual):
    pk = f"rcu-{size}"
    ddb.put_item(TableName=table, Item=item_of_size(pk, size))
    r = ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == strong
    r = ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=False,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == eventual
    r = ddb.get_item(TableName=table, Key={"pk": {"S": pk}})  # default: eventually consistent
    assert "ConsumedCapacity" not in r


def test_read_missing_item_costs_minimum(ddb, table):
    r = ddb.get_item(TableName=table, Key={"pk": {"S": "nothing-here"}}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_consumed_capacity_indexes(ddb, make_table):
    name = make_table(gsis=[{"name": "byG", "hash": ("g", "S")}])
    r = ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}},
                     ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["TableName"] == name
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert cc["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 1.0
    assert cc["CapacityUnits"] == 2.0
    # An item without the index key does not touch the index.
    r = ddb.put_item(TableName=name, Item={"pk": {"S": "b"}}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert "byG" not in r["ConsumedCapacity"].get("GlobalSecondaryIndexes", {})
    r = ddb.put_item(TableName=name, Item={"pk": {"S": "c"}}, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in r


def test_consistent_read_sees_latest_write(ddb, table):
    key = {"pk": {"S": "cr"}}
    for i in range(5):
        ddb.put_item(TableName=table, Item={**key, "v": {"N": str(i)}})
        assert get(ddb, table, key)["v"] == {"N": str(i)}


def test_get_item_projection(ddb, table):
    key = {"pk": {"S": "proj"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}, "c": {"S": "3"}})
    got = get(ddb, table, key, ProjectionExpression="a, #c", ExpressionAttributeNames={"#c": "c"})
    assert got == {"a": {"S": "1"}, "c": {"S": "3"}}
