"""BatchWriteItem ignores members of a PutRequest/DeleteRequest that the
model does not define (AWS reads only Item / Key there).

The single-item write engine reads ConditionExpression, legacy Expected and
ReturnValuesOnConditionCheckFailure from whatever object it is given, so a
batch entry must reach it holding only its Item or Key. boto3 refuses unknown
members client-side, so these requests are sent raw."""


def batch(raw, table, *requests):
    r = raw("BatchWriteItem", {"RequestItems": {table: list(requests)}})
    assert r.status == 200, r
    assert r.json()["UnprocessedItems"] == {}
    return r


def test_put_request_condition_expression_is_ignored(raw, ddb, make_table):
    t = make_table()
    # attribute_exists(pk) would fail on an empty table if it were applied
    batch(raw, t, {"PutRequest": {"Item": {"pk": {"S": "a"}, "v": {"N": "1"}},
                                  "ConditionExpression": "attribute_exists(pk)"}})
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}


def test_delete_request_condition_expression_is_ignored(raw, ddb, make_table):
    t = make_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
    batch(raw, t, {"DeleteRequest": {"Key": {"pk": {"S": "a"}},
                                     "ConditionExpression": "attribute_not_exists(pk)"}})
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    assert "Item" not in got


def test_legacy_expected_and_expression_members_are_ignored(raw, ddb, make_table):
    t = make_table()
    batch(raw, t,
          {"PutRequest": {"Item": {"pk": {"S": "b"}},
                          "Expected": {"pk": {"Exists": True, "Value": {"S": "zzz"}}}}},
          {"PutRequest": {"Item": {"pk": {"S": "c"}},
                          "ExpressionAttributeValues": {":unused": {"S": "x"}},
                          "ReturnValuesOnConditionCheckFailure": "NOT_AN_ENUM"}})
    for k in ("b", "c"):
        got = ddb.get_item(TableName=t, Key={"pk": {"S": k}}, ConsistentRead=True)
        assert got["Item"] == {"pk": {"S": k}}
