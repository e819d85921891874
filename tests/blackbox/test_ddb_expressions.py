"""Condition, projection and update expressions: every operator and function,
document paths, and the validation errors AWS gives for bad expressions."""

import pytest
from botocore.exceptions import ClientError

from conftest import assert_client_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, hash_key=("pk", "S"))


@pytest.fixture(scope="module")
def table_hr(ddb):
    return create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "S"))


SUBJECT = {
    "pk": {"S": "subject"},
    "n": {"N": "5"},
    "s": {"S": "hello world"},
    "b": {"B": b"\x01\x02\x03"},
    "ss": {"SS": ["apple", "pear"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"c": {"S": "deep"}}}]},
    "m": {"M": {"k": {"S": "v"}, "inr": {"M": {"z": {"N": "26"}}}}},
    "nul": {"NULL": True},
    "t": {"BOOL": True},
    "es": {"S": ""},
    "dotted.name": {"S": "dot"},
}


@pytest.fixture(scope="module")
def subject(ddb, table):
    ddb.put_item(TableName=table, Item=SUBJECT)
    return table


def get(ddb, table, key, **kw):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True, **kw).get("Item")


def holds(ddb, table, expr, values=None, names=None):
    """True if ConditionExpression holds on SUBJECT (checked by a no-op conditional put)."""
    kw = {"ConditionExpression": expr}
    if values:
        kw["ExpressionAttributeValues"] = values
    if names:
        kw["ExpressionAttributeNames"] = names
    try:
        ddb.put_item(TableName=table, Item=SUBJECT, **kw)
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


N = lambda x: {"N": str(x)}  # noqa: E731
S = lambda x: {"S": x}  # noqa: E731

CONDITIONS = [
    # comparisons
    ("n = :v", {":v": N(5)}, True),
    ("n = :v", {":v": N("5.0")}, True),
    ("n = :v", {":v": S("5")}, False),          # different types are never equal
    ("n <> :v", {":v": N(4)}, True),
    ("n <> :v", {":v": S("5")}, True),
    ("n < :v", {":v": N(10)}, True),            # numeric, not lexical
    ("n <= :v", {":v": N(5)}, True),
    ("n > :v", {":v": N(-5)}, True),
    ("n >= :v", {":v": N(6)}, False),
    ("n < :v", {":v": S("9")}, False),          # cross-type ordering is false, not an error
    ("s < :v", {":v": S("hello x")}, True),
    ("s > :v", {":v": S("Hello")}, True),       # byte order: 'h' > 'H'
    ("b < :v", {":v": {"B": b"\x01\x03"}}, True),
    ("b > :v", {":v": {"B": b"\x01"}}, True),
    ("n BETWEEN :a AND :b", {":a": N(1), ":b": N(5)}, True),
    ("n BETWEEN :a AND :b", {":a": N(6), ":b": N(10)}, False),
    ("s BETWEEN :a AND :b", {":a": S("a"), ":b": S("z")}, True),
    ("n IN (:a, :b, :c)", {":a": N(1), ":b": N(5), ":c": N(9)}, True),
    ("n IN (:a, :b)", {":a": N(1), ":b": N(2)}, False),
    ("s IN (:a)", {":a": S("hello world")}, True),
    ("absent = :v", {":v": N(1)}, False),
    ("absent <> :v", {":v": N(1)}, True),
    ("m.k = :v", {":v": S("v")}, True),
    ("m.inr.z = :v", {":v": N(26)}, True),
    ("l[0] = :v", {":v": N(1)}, True),
    ("l[2].c = :v", {":v": S("deep")}, True),
    ("l[5] = :v", {":v": N(1)}, False),
    ("t = :v", {":v": {"BOOL": True}}, True),
    ("nul = :v", {":v": {"NULL": True}}, True),
    ("ss = :v", {":v": {"SS": ["pear", "apple"]}}, True),   # set equality ignores order
    ("ns = :v", {":v": {"NS": ["3", "2", "1"]}}, True),
    ("l = :v", {":v": {"L": [N(1), S("x"), {"M": {"c": S("deep")}}]}}, True),
    ("m = :v", {":v": {"M": {"inr": {"M": {"z": N(26)}}, "k": S("v")}}}, True),
    # logic
    ("n = :a AND s = :b", {":a": N(5), ":b": S("hello world")}, True),
    ("n = :a AND s = :b", {":a": N(5), ":b": S("nope")}, False),
    ("n = :a OR s = :b", {":a": N(0), ":b": S("hello world")}, True),
    ("NOT n = :a", {":a": N(5)}, False),
    ("NOT (n = :a OR n = :b)", {":a": N(1), ":b": N(2)}, True),
    ("n = :a OR n = :b AND n = :c", {":a": N(5), ":b": N(1), ":c": N(2)}, True),   # AND binds tighter
    ("(n = :a OR n = :b) AND n = :c", {":a": N(5), ":b": N(1), ":c": N(2)}, False),
    # functions
    ("attribute_exists(n)", None, True),
    ("attribute_exists(absent)", None, False),
    ("attribute_not_exists(absent)", None, True),
    ("attribute_not_exists(pk)", None, False),
    ("attribute_exists(m.inr.z)", None, True),
    ("attribute_exists(m.inr.y)", None, False),
    ("attribute_exists(l[2].c)", None, True),
    ("attribute_exists(nul)", None, True),
    ("attribute_type(n, :t)", {":t": S("N")}, True),
    ("attribute_type(s, :t)", {":t": S("S")}, True),
    ("attribute_type(b, :t)", {":t": S("B")}, True),
    ("attribute_type(ss, :t)", {":t": S("SS")}, True),
    ("attribute_type(ns, :t)", {":t": S("NS")}, True),
    ("attribute_type(bs, :t)", {":t": S("BS")}, True),
    ("attribute_type(l, :t)", {":t": S("L")}, True),
    ("attribute_type(m, :t)", {":t": S("M")}, True),
    ("attribute_type(nul, :t)", {":t": S("NULL")}, True),
    ("attribute_type(t, :t)", {":t": S("BOOL")}, True),
    ("attribute_type(n, :t)", {":t": S("S")}, False),
    ("begins_with(s, :p)", {":p": S("hello")}, True),
    ("begins_with(s, :p)", {":p": S("world")}, False),
    ("begins_with(b, :p)", {":p": {"B": b"\x01\x02"}}, True),
    ("begins_with(n, :p)", {":p": S("5")}, False),  # not a string: false
    ("contains(s, :p)", {":p": S("lo wo")}, True),
    ("contains(s, :p)", {":p": S("xyz")}, False),
    ("contains(ss, :p)", {":p": S("pear")}, True),
    ("contains(ss, :p)", {":p": S("pea")}, False),
    ("contains(ns, :p)", {":p": N(2)}, True),
    ("contains(bs, :p)", {":p": {"B": b"\x02"}}, True),
    ("contains(l, :p)", {":p": S("x")}, True),
    ("contains(l, :p)", {":p": N(2)}, False),
    ("size(s) = :v", {":v": N(11)}, True),
    ("size(es) = :v", {":v": N(0)}, True),
    ("size(b) = :v", {":v": N(3)}, True),
    ("size(ss) = :v", {":v": N(2)}, True),
    ("size(ns) > :v", {":v": N(2)}, True),
    ("size(l) = :v", {":v": N(3)}, True),
    ("size(m) = :v", {":v": N(2)}, True),
    ("size(absent) = :v", {":v": N(0)}, False),
    ("size(s) BETWEEN :a AND :b", {":a": N(10), ":b": N(12)}, True),
    # names
    ("#n = :v", {":v": N(5)}, True),
    ("#d = :v", {":v": S("dot")}, True),
]


@pytest.mark.parametrize("expr,values,expected", CONDITIONS,
                         ids=[f"{i}:{c[0]}" for i, c in enumerate(CONDITIONS)])
def test_condition(ddb, subject, expr, values, expected):
    names = {}
    if "#n" in expr:
        names["#n"] = "n"
    if "#d" in expr:
        names["#d"] = "dotted.name"
    assert holds(ddb, subject, expr, values, names or None) is expected


def test_condition_on_missing_item(ddb, table):
    key = {"pk": {"S": "nobody"}}
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key=key, UpdateExpression="SET a = :v",
                        ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeValues={":v": N(1)})
    assert_client_error(e, "ConditionalCheckFailedException")
    assert get(ddb, table, key) is None
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET a = :v",
                    ConditionExpression="attribute_not_exists(pk)",
                    ExpressionAttributeValues={":v": N(1)})
    assert get(ddb, table, key)["a"] == N(1)


def test_false_condition_leaves_item_unchanged(ddb, table):
    key = {"pk": {"S": "guarded"}}
    ddb.put_item(TableName=table, Item={**key, "v": N(1)})
    for call in (
        lambda: ddb.put_item(TableName=table, Item={**key, "v": N(2)},
                             ConditionExpression="v = :x", ExpressionAttributeValues={":x": N(9)}),
        lambda: ddb.update_item(TableName=table, Key=key, UpdateExpression="SET v = :x",
                                ConditionExpression="v > :x", ExpressionAttributeValues={":x": N(9)}),
        lambda: ddb.delete_item(TableName=table, Key=key, ConditionExpression="attribute_not_exists(v)"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert_client_error(e, "ConditionalCheckFailedException", "The conditional request failed")
    assert get(ddb, table, key) == {**key, "v": N(1)}


# ---------------------------------------------------------------- projections

def test_nested_projection(ddb, table):
    key = {"pk": {"S": "nested"}}
    item = {**key,
            "a": {"M": {"b": {"L": [N(0), N(1), {"M": {"c": S("yes"), "d": S("no")}}, N(3)]},
                        "other": S("no")}},
            "x": S("no"), "y": S("yes")}
    ddb.put_item(TableName=table, Item=item)
    got = get(ddb, table, key, ProjectionExpression="a.b[2].c, y")
    assert got == {"a": {"M": {"b": {"L": [{"M": {"c": S("yes")}}]}}}, "y": S("yes")}
    got = get(ddb, table, key, ProjectionExpression="a.b[1], a.b[3]")
    assert got == {"a": {"M": {"b": {"L": [N(1), N(3)]}}}}
    got = get(ddb, table, key, ProjectionExpression="#a.#o", ExpressionAttributeNames={"#a": "a", "#o": "other"})
    assert got == {"a": {"M": {"other": S("no")}}}
    # Paths that do not exist are simply left out.
    got = get(ddb, table, key, ProjectionExpression="a.zz, a.b[9], nothing")
    assert got is None or got == {}


def test_projection_overlapping_paths_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table, Key={"pk": S("nested")}, ProjectionExpression="a, a.b")
    assert_client_error(e, "ValidationException", "overlap")


# ---------------------------------------------------------------- updates

def update(ddb, table, key, expr, values=None, names=None, **kw):
    args = dict(TableName=table, Key=key, UpdateExpression=expr, ReturnValues="ALL_NEW", **kw)
    if values:
        args["ExpressionAttributeValues"] = values
    if names:
        args["ExpressionAttributeNames"] = names
    return ddb.update_item(**args)["Attributes"]


def test_set_arithmetic_and_functions(ddb, table):
    key = {"pk": S("upd-set")}
    ddb.put_item(TableName=table, Item={**key, "n": N(10), "l": {"L": [N(1)]}})
    a = update(ddb, table, key, "SET n = n + :d", {":d": N(5)})
    assert a["n"] == N(15)
    a = update(ddb, table, key, "SET n = n - :d", {":d": N(20)})
    assert a["n"] == N(-5)
    a = update(ddb, table, key, "SET m = :a - :b", {":a": N("0.3"), ":b": N("0.1")})
    assert a["m"] == N("0.2")
    a = update(ddb, table, key, "SET c = if_not_exists(c, :z)", {":z": N(0)})
    assert a["c"] == N(0)
    a = update(ddb, table, key, "SET c = if_not_exists(c, :z)", {":z": N(7)})
    assert a["c"] == N(0)
    a = update(ddb, table, key, "SET c = if_not_exists(c, :z) + :one", {":z": N(7), ":one": N(1)})
    assert a["c"] == N(1)
    a = update(ddb, table, key, "SET l = list_append(l, :x)", {":x": {"L": [N(2), N(3)]}})
    assert a["l"] == {"L": [N(1), N(2), N(3)]}
    a = update(ddb, table, key, "SET l = list_append(:x, l)", {":x": {"L": [N(0)]}})
    assert a["l"] == {"L": [N(0), N(1), N(2), N(3)]}
    a = update(ddb, table, key, "SET l[1] = :v, l[99] = :w", {":v": S("one"), ":w": S("end")})
    assert a["l"] == {"L": [N(0), S("one"), N(2), N(3), S("end")]}
    a = update(ddb, table, key, "SET cpy = n, mm = :m", {":m": {"M": {"k": N(1)}}})
    assert a["cpy"] == N(-5)
    a = update(ddb, table, key, "SET mm.k = mm.k + :one, mm.j = :s", {":one": N(1), ":s": S("j")})
    assert a["mm"] == {"M": {"k": N(2), "j": S("j")}}


def test_remove_attributes_and_list_elements(ddb, table):
    key = {"pk": S("upd-remove")}
    ddb.put_item(TableName=table, Item={**key, "a": N(1), "b": N(2),
                                        "l": {"L": [S("x0"), S("x1"), S("x2"), S("x3")]},
                                        "m": {"M": {"k": N(1), "j": N(2)}}})
    a = update(ddb, table, key, "REMOVE a, m.k, l[1], l[3], nothing")
    assert "a" not in a
    assert a["b"] == N(2)
    assert a["l"] == {"L": [S("x0"), S("x2")]}
    assert a["m"] == {"M": {"j": N(2)}}


def test_add_numbers_and_sets(ddb, table):
    key = {"pk": S("upd-add")}
    a = update(ddb, table, key, "ADD n :one, s :s", {":one": N(1), ":s": {"SS": ["a", "b"]}})
    assert a["n"] == N(1)
    assert sorted(a["s"]["SS"]) == ["a", "b"]
    a = update(ddb, table, key, "ADD n :d, s :s", {":d": N(-3), ":s": {"SS": ["b", "c"]}})
    assert a["n"] == N(-2)
    assert sorted(a["s"]["SS"]) == ["a", "b", "c"]
    a = update(ddb, table, key, "ADD ns :x", {":x": {"NS": ["1", "2"]}})
    a = update(ddb, table, key, "ADD ns :x", {":x": {"NS": ["2.0", "3"]}})
    assert sorted(a["ns"]["NS"], key=float) == ["1", "2", "3"]


def test_ten_adds_of_a_tenth_is_exactly_one(ddb, table):
    key = {"pk": S("tenths")}
    for _ in range(10):
        ddb.update_item(TableName=table, Key=key, UpdateExpression="ADD n :d",
                        ExpressionAttributeValues={":d": N("0.1")})
    assert get(ddb, table, key)["n"] == N(1)


def test_delete_from_set(ddb, table):
    key = {"pk": S("upd-delete")}
    ddb.put_item(TableName=table, Item={**key, "s": {"SS": ["a", "b", "c"]}, "ns": {"NS": ["1", "2"]}})
    a = update(ddb, table, key, "DELETE s :x", {":x": {"SS": ["b", "zz"]}})
    assert sorted(a["s"]["SS"]) == ["a", "c"]
    # Deleting the last members removes the attribute: sets are never empty.
    a = update(ddb, table, key, "DELETE ns :x", {":x": {"NS": ["1", "2"]}})
    assert "ns" not in a


def test_combined_clauses(ddb, table):
    key = {"pk": S("upd-all")}
    ddb.put_item(TableName=table, Item={**key, "gone": N(1), "s": {"SS": ["a", "b"]}})
    a = update(ddb, table, key, "SET x = :x REMOVE gone ADD c :one DELETE s :a",
               {":x": S("x"), ":one": N(1), ":a": {"SS": ["a"]}})
    assert a == {**key, "x": S("x"), "c": N(1), "s": {"SS": ["b"]}}


@pytest.mark.parametrize("expr,values,words", [
    ("ADD s :one", {":one": N(1)}, ["operand", "data type"]),           # s is a string
    ("SET s = s + :one", {":one": N(1)}, ["operand", "data type"]),
    ("DELETE s :x", {":x": {"SS": ["a"]}}, ["operand", "data type"]),
    ("SET l = list_append(s, :x)", {":x": {"L": []}}, ["operand", "data type"]),
])
def test_update_type_errors(ddb, table, expr, values, words):
    key = {"pk": S("upd-types")}
    ddb.put_item(TableName=table, Item={**key, "s": S("str"), "l": {"L": []}})
    with pytest.raises(ClientError) as e:
        update(ddb, table, key, expr, values)
    assert_client_error(e, "ValidationException", *words)


def test_set_nested_on_missing_parent_rejected(ddb, table):
    key = {"pk": S("upd-nopath")}
    ddb.put_item(TableName=table, Item=key)
    with pytest.raises(ClientError) as e:
        update(ddb, table, key, "SET m.x = :v", {":v": N(1)})
    assert_client_error(e, "ValidationException", "document path provided in the update expression is invalid")


def test_arithmetic_on_missing_attribute_rejected(ddb, table):
    key = {"pk": S("upd-absent-arith")}
    ddb.put_item(TableName=table, Item=key)
    with pytest.raises(ClientError) as e:
        update(ddb, table, key, "SET n = n + :v", {":v": N(1)})
    assert_client_error(e, "ValidationException", "attribute that does not exist")


@pytest.mark.parametrize("expr,values", [
    ("SET pk = :v", {":v": S("new")}),
    ("REMOVE pk", None),
    ("SET sk = :v", {":v": S("new")}),
])
def test_updating_key_attribute_rejected(ddb, table_hr, expr, values):
    key = {"pk": S("k"), "sk": S("s")}
    ddb.put_item(TableName=table_hr, Item=key)
    with pytest.raises(ClientError) as e:
        update(ddb, table_hr, key, expr, values)
    assert_client_error(e, "ValidationException", "part of the key")


# ---------------------------------------------------------------- expression validation

@pytest.mark.parametrize("kind", ["UpdateExpression", "ConditionExpression", "ProjectionExpression"])
@pytest.mark.parametrize("word", ["name", "status", "data", "Year", "timestamp"])
def test_reserved_words_rejected(ddb, table, kind, word):
    key = {"pk": S("reserved")}
    args = {"TableName": table, "Key": key}
    if kind == "UpdateExpression":
        args.update(UpdateExpression=f"SET {word} = :v", ExpressionAttributeValues={":v": N(1)})
        call = ddb.update_item
    elif kind == "ConditionExpression":
        args.update(UpdateExpression="SET ok = :v", ConditionExpression=f"{word} = :v",
                    ExpressionAttributeValues={":v": N(1)})
        call = ddb.update_item
    else:
        args.update(ProjectionExpression=f"ok, {word}")
        call = ddb.get_item
    with pytest.raises(ClientError) as e:
        call(**args)
    msg = assert_client_error(e, "ValidationException", "reserved keyword", kind)
    assert word.lower() in msg.lower()


def test_reserved_word_via_name_placeholder_ok(ddb, table):
    key = {"pk": S("reserved-ok")}
    a = update(ddb, table, key, "SET #n = :v", {":v": S("x")}, {"#n": "name"})
    assert a["name"] == S("x")


def test_unused_values_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("unused")}, "SET a = :a", {":a": N(1), ":extra": N(2)})
    assert_client_error(e, "ValidationException", "unused", ":extra")


def test_unused_names_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("unused")}, "SET a = :a", {":a": N(1)}, {"#x": "x"})
    assert_client_error(e, "ValidationException", "unused", "#x")


def test_values_without_expression_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("x")},
                     ExpressionAttributeValues={":a": N(1)})
    assert_client_error(e, "ValidationException", "ExpressionAttributeValues")


def test_undefined_value_placeholder(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("undef")}, "SET a = :nope, b = :a", {":a": N(1)})
    assert_client_error(e, "ValidationException", "not defined", ":nope")


def test_undefined_name_placeholder(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("undef")}, "SET #nope = :a", {":a": N(1)})
    assert_client_error(e, "ValidationException", "not defined", "#nope")


@pytest.mark.parametrize("expr,token", [
    ("SET a = = :v", "="),
    ("SET a :v", ":v"),
    ("SET a = :v,", "<EOF>"),
    ("FOO a = :v", "FOO"),
])
def test_update_syntax_error_names_token(ddb, table, expr, token):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("syntax")}, expr, {":v": N(1)})
    assert_client_error(e, "ValidationException", "Syntax error", "token", token)


@pytest.mark.parametrize("expr,token", [
    ("a = ", "<EOF>"),
    ("a == :v", "="),
    ("a = :v AND", "<EOF>"),
    ("(a = :v", "<EOF>"),
])
def test_condition_syntax_error_names_token(ddb, table, expr, token):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("syntax")}, ConditionExpression=expr,
                     ExpressionAttributeValues={":v": N(1)})
    assert_client_error(e, "ValidationException", "Syntax error", "token", token)


def test_unknown_function_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("fn")}, ConditionExpression="no_such_fn(a)")
    assert_client_error(e, "ValidationException", "Invalid function name", "no_such_fn")


def test_function_misuse_rejected(ddb, table):
    # size() is not a condition by itself; if_not_exists only belongs in SET.
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("fn")}, ConditionExpression="size(a)")
    assert_client_error(e, "ValidationException")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": S("fn")},
                     ConditionExpression="if_not_exists(a, :v) = :v",
                     ExpressionAttributeValues={":v": N(1)})
    assert_client_error(e, "ValidationException", "if_not_exists")


def test_overlapping_update_paths_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("overlap")}, "SET a = :v, a.b = :v", {":v": N(1)})
    assert_client_error(e, "ValidationException", "overlap")
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("overlap")}, "SET a = :v REMOVE a", {":v": N(1)})
    assert_client_error(e, "ValidationException", "overlap")


def test_duplicate_clause_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("dupclause")}, "SET a = :v SET b = :v", {":v": N(1)})
    assert_client_error(e, "ValidationException", "SET")


def test_empty_expression_rejected(ddb, table):
    with pytest.raises(ClientError) as e:
        update(ddb, table, {"pk": S("empty")}, "")
    assert_client_error(e, "ValidationException", "UpdateExpression")
