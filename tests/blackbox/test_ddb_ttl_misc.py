"""Time to live (settings and actual expiry), tags, continuous backups,
DescribeLimits and DescribeEndpoints."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, assert_client_error, create_table, make_client


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, hash_key=("pk", "S"))


def arn_of(name):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


# ---------------------------------------------------------------- TTL settings

def test_ttl_settings_round_trip(ddb, make_table):
    name = make_table()
    d = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert d["TimeToLiveStatus"] == "DISABLED"
    assert "AttributeName" not in d
    r = ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires"})
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    d = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert d["TimeToLiveStatus"] in ("ENABLING", "ENABLED")
    assert d["AttributeName"] == "expires"
    # Enabling twice is an error.
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires"})
    assert_client_error(e, "ValidationException", "TimeToLive is already enabled")
    r = ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": False, "AttributeName": "expires"})
    assert r["TimeToLiveSpecification"]["Enabled"] is False
    d = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert d["TimeToLiveStatus"] in ("DISABLING", "DISABLED")


def test_ttl_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.describe_time_to_live(TableName="no-such-table-ttl")
    assert_client_error(e, "ResourceNotFoundException")
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName="no-such-table-ttl", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "e"})
    assert_client_error(e, "ResourceNotFoundException")


def test_ttl_expiry(emulator_factory):
    emu = emulator_factory(args=["--ttl-interval", "0.5"])
    ddb = make_client(emu.endpoint)
    name = create_table(ddb, hash_key=("pk", "S"))
    now = int(time.time())
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    items = {
        "past": {"N": str(now - 60)},
        "long-past": {"N": str(now - 30 * 86400)},  # a month ago
        "ancient": {"N": "1000000000"},             # 2001: AWS ignores TTLs over five years old
        "future": {"N": str(now + 3600)},
        "string-ttl": {"S": str(now - 60)},         # not a number: never expires
        "huge": {"N": str(now * 10 ** 6)},          # far future
    }
    for pk, exp in items.items():
        ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "exp": exp})
    ddb.put_item(TableName=name, Item={"pk": {"S": "no-ttl"}})

    def present():
        r = ddb.scan(TableName=name, ConsistentRead=True)
        return {i["pk"]["S"] for i in r["Items"]}

    deadline = time.time() + 8
    while time.time() < deadline and ({"past", "long-past"} & present()):
        time.sleep(0.25)
    assert present() == {"future", "string-ttl", "huge", "no-ttl", "ancient"}


def test_ttl_disabled_table_keeps_expired_items(emulator_factory):
    emu = emulator_factory(args=["--ttl-interval", "0.2"])
    ddb = make_client(emu.endpoint)
    name = create_table(ddb, hash_key=("pk", "S"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "exp": {"N": "1000000000"}})
    time.sleep(1.5)
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "old"}}, ConsistentRead=True)


# ---------------------------------------------------------------- tags

def test_tags(ddb, table):
    arn = arn_of(table)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"},
                                            {"Key": "team", "Value": "a"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])  # overwrite
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"env": "dev", "team": "b"}
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "not-there"])
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "b"}


def test_tags_at_create(ddb, make_table):
    name = make_table(Tags=[{"Key": "born", "Value": "with-it"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn_of(name))["Tags"]
    assert tags == [{"Key": "born", "Value": "with-it"}]


def test_tags_missing_table(ddb):
    arn = arn_of("no-such-table-tags")
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert_client_error(e, "ResourceNotFoundException")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn)
    assert_client_error(e, "ResourceNotFoundException")


def test_tags_bad_arn(ddb):
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn="not-an-arn")
    assert_client_error(e, "ValidationException")


# ---------------------------------------------------------------- continuous backups

def test_continuous_backups_state_kept(ddb, make_table):
    name = make_table()
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["ContinuousBackupsStatus"] == "ENABLED"
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    r = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    assert r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = d["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert "EarliestRestorableDateTime" in pitr and "LatestRestorableDateTime" in pitr
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_continuous_backups_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.describe_continuous_backups(TableName="no-such-table-pitr")
    assert_client_error(e, "TableNotFoundException")


# ---------------------------------------------------------------- limits, endpoints

def test_describe_limits(ddb):
    r = ddb.describe_limits()
    assert r["AccountMaxReadCapacityUnits"] == 80000
    assert r["AccountMaxWriteCapacityUnits"] == 80000
    assert r["TableMaxReadCapacityUnits"] == 40000
    assert r["TableMaxWriteCapacityUnits"] == 40000


def test_describe_endpoints(ddb):
    r = ddb.describe_endpoints()
    assert len(r["Endpoints"]) >= 1
    ep = r["Endpoints"][0]
    assert isinstance(ep["Address"], str) and ep["Address"]
    assert ep["CachePeriodInMinutes"] == 1440
