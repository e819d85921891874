"""--auth enforce, black-box: boto3 clients signing as different users of a
generated --iam file against the real binary.

Covers: an allowed call, a denied call (AccessDeniedException naming the
user ARN, the action and the resource), an explicit Deny beating an Allow,
a wrong secret (InvalidSignatureException / IAM's SignatureDoesNotMatch), an
unknown key (UnrecognizedClientException / InvalidClientTokenId), an
unsigned request, a signature 20 minutes old, presigned URLs (good and
tampered), STS GetCallerIdentity as each user, and --auth off unchanged.
"""

import datetime
import json
import os
import tempfile
import urllib.error
import urllib.request
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from conftest import Emulator, check_and_cleanup, zip_bytes

ACCOUNT = "000000000000"
REGION = "us-east-1"

LEAD = ("AKIALEAD0000000001", "lead-secret")
DEV = ("AKIADEV00000000001", "dev-secret")
PASSER = ("AKIAPASSER00000001", "passer-secret")

IAM_FILE = {
    "users": [
        {"name": "team-lead", "accessKeys": [{"accessKeyId": LEAD[0], "secretAccessKey": LEAD[1]}],
         "policies": [{"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]},
        {"name": "developer", "accessKeys": [{"accessKeyId": DEV[0], "secretAccessKey": DEV[1]}],
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": ["dynamodb:Get*", "dynamodb:Query", "dynamodb:Describe*",
                                            "dynamodb:ListTables", "lambda:*", "apigateway:*"],
              "Resource": "*"},
             {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:TagResource",
                                            "dynamodb:ListTagsOfResource"],
              "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/dev-*"},
             {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": "*"}]}]},
        # may run Lambda, and hand it only the passable-* roles
        {"name": "passer", "accessKeys": [{"accessKeyId": PASSER[0], "secretAccessKey": PASSER[1]}],
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
             {"Effect": "Allow", "Action": "iam:PassRole",
              "Resource": f"arn:aws:iam::{ACCOUNT}:role/passable-*"}]}]},
    ]
}


@pytest.fixture(scope="module")
def emu():
    fd, path = tempfile.mkstemp(prefix="hangar-iam-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(IAM_FILE, f)
    e = Emulator(args=["--auth", "enforce", "--iam", path])
    e.start()
    yield e
    e.stop()
    check_and_cleanup(e)
    os.unlink(path)


def client(emu, service, key):
    return boto3.client(service, endpoint_url=emu.endpoint, region_name=REGION,
                        aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def code_of(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"], \
        exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def make_table(ddb, name):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")


def test_allowed_and_denied_by_policy(emu):
    lead = client(emu, "dynamodb", LEAD)
    dev = client(emu, "dynamodb", DEV)
    make_table(lead, "core-notes")
    make_table(lead, "dev-notes")
    dev.get_item(TableName="core-notes", Key={"pk": {"S": "x"}})
    dev.put_item(TableName="dev-notes", Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError) as e:
        dev.put_item(TableName="core-notes", Item={"pk": {"S": "x"}})
    code, msg, status = code_of(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/developer is not authorized to perform: dynamodb:PutItem "
                   f"on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/core-notes because no identity-based "
                   f"policy allows the dynamodb:PutItem action")
    with pytest.raises(ClientError) as e:
        dev.create_table(TableName="dev-x", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    assert code_of(e)[0] == "AccessDeniedException"
    assert "dynamodb:CreateTable" in code_of(e)[1]
    # nothing was created by the denied call
    assert "dev-x" not in lead.list_tables()["TableNames"]


def test_tagging_is_authorized_on_the_tables_arn(emu):
    """TagResource names its table by ResourceArn, not TableName: the policy
    is checked against that ARN (a Resource of table/dev-* allows tagging
    dev- tables only), as the deployer's tag updates need."""
    lead = client(emu, "dynamodb", LEAD)
    dev = client(emu, "dynamodb", DEV)
    make_table(lead, "dev-tags")
    make_table(lead, "core-tags")
    dev_arn = lead.describe_table(TableName="dev-tags")["Table"]["TableArn"]
    core_arn = lead.describe_table(TableName="core-tags")["Table"]["TableArn"]
    dev.tag_resource(ResourceArn=dev_arn, Tags=[{"Key": "team", "Value": "api"}])
    assert dev.list_tags_of_resource(ResourceArn=dev_arn)["Tags"] == [{"Key": "team", "Value": "api"}]
    with pytest.raises(ClientError) as e:
        dev.tag_resource(ResourceArn=core_arn, Tags=[{"Key": "team", "Value": "api"}])
    code, msg, status = code_of(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/developer is not authorized to perform: dynamodb:TagResource "
                   f"on resource: {core_arn} because no identity-based policy allows the dynamodb:TagResource action")
    assert lead.list_tags_of_resource(ResourceArn=core_arn)["Tags"] == []


def test_explicit_deny_beats_allow_in_lambda(emu):
    dev = client(emu, "lambda", DEV)
    with pytest.raises(ClientError) as e:
        dev.delete_function(FunctionName="anything")
    code, msg, status = code_of(e)
    assert (code, status) == ("AccessDeniedException", 403)
    assert "lambda:DeleteFunction" in msg and "with an explicit deny" in msg
    assert f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:anything" in msg
    # allowed by lambda:*: reaches the service, which answers not-found
    with pytest.raises(ClientError) as e:
        dev.get_function(FunctionName="anything")
    assert code_of(e)[0] == "ResourceNotFoundException"


def test_wrong_secret(emu):
    bad = (DEV[0], "not-the-secret")
    with pytest.raises(ClientError) as e:
        client(emu, "dynamodb", bad).list_tables()
    code, msg, status = code_of(e)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert msg.startswith("The request signature we calculated does not match the signature you provided")
    with pytest.raises(ClientError) as e:
        client(emu, "lambda", bad).list_functions()
    assert code_of(e)[:1] == ("InvalidSignatureException",) and code_of(e)[2] == 403
    with pytest.raises(ClientError) as e:
        client(emu, "sts", bad).get_caller_identity()
    assert code_of(e)[0] == "SignatureDoesNotMatch"


def test_unknown_key(emu):
    nobody = ("AKIANOBODY00000001", "x")
    with pytest.raises(ClientError) as e:
        client(emu, "dynamodb", nobody).list_tables()
    code, msg, status = code_of(e)
    assert (code, msg, status) == ("UnrecognizedClientException",
                                   "The security token included in the request is invalid.", 400)
    with pytest.raises(ClientError) as e:
        client(emu, "logs", nobody).describe_log_groups()
    assert code_of(e)[0] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as e:
        client(emu, "iam", nobody).list_roles()
    assert code_of(e)[0] == "InvalidClientTokenId" and code_of(e)[2] == 403


def test_unsigned_request(emu):
    req = urllib.request.Request(emu.endpoint + "/", data=b"{}", method="POST",
                                 headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                          "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    body = json.loads(e.value.read())
    assert e.value.code == 400
    assert body["__type"].endswith("MissingAuthenticationTokenException")
    # the health endpoint needs no signature
    with urllib.request.urlopen(emu.endpoint + "/_hangar/health", timeout=10) as r:
        assert r.status == 200


def test_expired_signature(emu):
    ddb = client(emu, "dynamodb", LEAD)
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)

    class OldClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return old

    with mock.patch("botocore.auth.datetime.datetime", OldClock):
        with pytest.raises(ClientError) as e:
            ddb.list_tables()
    code, msg, status = code_of(e)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert msg.startswith("Signature expired: ") and "15 min." in msg


def presign(emu, key, method, path, query="", expires=60):
    creds = botocore.credentials.Credentials(key[0], key[1])
    url = emu.endpoint + path + (("?" + query) if query else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url)
    botocore.auth.SigV4QueryAuth(creds, "lambda", REGION, expires=expires).add_auth(req)
    return req.url


def test_presigned_url(emu):
    url = presign(emu, LEAD, "GET", "/2015-03-31/functions/", "MaxItems=5")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        assert "Functions" in json.loads(r.read())
    # tampering with a signed parameter breaks the signature
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("MaxItems=5", "MaxItems=6"), timeout=10)
    assert e.value.code == 403
    assert e.value.headers["x-amzn-ErrorType"].startswith("InvalidSignatureException")
    # the developer may list functions too, but not with the lead's URL and another key
    bad = presign(emu, (DEV[0], "wrong"), "GET", "/2015-03-31/functions/")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad, timeout=10)
    assert e.value.code == 403


def test_caller_identity(emu):
    ident = client(emu, "sts", DEV).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/developer"
    assert ident["Account"] == ACCOUNT
    assert ident["UserId"].startswith("AIDA")
    assert client(emu, "sts", LEAD).get_caller_identity()["Arn"].endswith(":user/team-lead")


def test_iam_needs_permission(emu):
    dev = client(emu, "iam", DEV)
    with pytest.raises(ClientError) as e:
        dev.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    code, msg, status = code_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert f"arn:aws:iam::{ACCOUNT}:user/developer" in msg and "iam:CreateRole" in msg


def test_auth_off_accepts_anything():
    e = Emulator()
    e.start()
    try:
        ddb = client(e, "dynamodb", ("ANYKEY", "anysecret"))
        assert "TableNames" in ddb.list_tables()
        ident = client(e, "sts", ("ANYKEY", "x")).get_caller_identity()
        assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    finally:
        e.stop()
        check_and_cleanup(e)


# ---- Lambda execution roles: a handler's aws.dynamodb calls run as its role --------------------

ROLE_HANDLER = """
local aws = require("aws")
local json = require("json")
local ddb = aws.dynamodb
function handler(event, context)
  local got, gerr = ddb.get_item{TableName = event.table, Key = {pk = {S = "r"}}}
  local put, perr = ddb.put_item{TableName = event.table, Item = {pk = {S = "r"}}}
  return {get_ok = got ~= nil, get_err = gerr and gerr.code or json.null,
          put_ok = put ~= nil, put_code = perr and perr.code or json.null,
          put_message = perr and perr.message or json.null}
end
"""
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def role_zip(source=ROLE_HANDLER):
    return zip_bytes({"index.lua": source})


def put_denied_to_role(role, fn, table):
    """AWS's message when a function's assumed role may not PutItem."""
    return (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{fn} is not authorized to perform: "
            f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table} because no "
            f"identity-based policy allows the dynamodb:PutItem action")


def invoke_json(lam, name, event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    return body


def test_lambda_role_authorizes_dynamodb_calls(emu):
    iam = client(emu, "iam", LEAD)
    ddb = client(emu, "dynamodb", LEAD)
    lam = client(emu, "lambda", LEAD)
    make_table(ddb, "role-notes")
    role = iam.create_role(RoleName="notes-reader", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    iam.put_role_policy(RoleName="notes-reader", PolicyName="read-one-table", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem",
             "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/role-notes"}]}))
    lam.create_function(FunctionName="role-fn", Runtime="lua5.4", Role=role["Arn"], Handler="index.handler",
                        Code={"ZipFile": role_zip()})

    out = invoke_json(lam, "role-fn", {"table": "role-notes"})
    assert out["get_ok"] is True and out["get_err"] is None
    assert out["put_ok"] is False and out["put_code"] == "AccessDeniedException"
    assert out["put_message"] == put_denied_to_role("notes-reader", "role-fn", "role-notes")
    assert "Item" not in ddb.get_item(TableName="role-notes", Key={"pk": {"S": "r"}})

    # the role is read on every call: attaching a policy applies at once, to a warm env too
    iam.attach_role_policy(RoleName="notes-reader", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")
    out = invoke_json(lam, "role-fn", {"table": "role-notes"})
    assert out["get_ok"] is True and out["put_ok"] is True and out["put_code"] is None
    assert ddb.get_item(TableName="role-notes", Key={"pk": {"S": "r"}})["Item"] == {"pk": {"S": "r"}}


def test_lambda_role_not_checked_with_auth_off():
    e = Emulator()
    e.start()
    try:
        key = ("ANYKEY", "anysecret")
        make_table(client(e, "dynamodb", key), "open-notes")
        lam = client(e, "lambda", key)
        lam.create_function(FunctionName="open-fn", Runtime="lua5.4", Role=f"arn:aws:iam::{ACCOUNT}:role/nobody",
                            Handler="index.handler", Code={"ZipFile": role_zip()})
        out = invoke_json(lam, "open-fn", {"table": "open-notes"})
        assert out["get_ok"] is True and out["put_ok"] is True
    finally:
        e.stop()
        check_and_cleanup(e)


# ---- iam:PassRole: handing Lambda a role is a second permission --------------------------------

def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def pass_role_denied(user, role):
    return (f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: iam:PassRole on resource: "
            f"{role_arn(role)} because no identity-based policy allows the iam:PassRole action")


def create_fn(lam, name, role):
    return lam.create_function(FunctionName=name, Runtime="lua5.4", Role=role_arn(role), Handler="index.handler",
                               Code={"ZipFile": role_zip()})


def test_create_function_needs_pass_role_on_the_role(emu):
    lead = client(emu, "lambda", LEAD)
    # developer: lambda:* but no iam:PassRole at all
    with pytest.raises(ClientError) as e:
        create_fn(client(emu, "lambda", DEV), "pass-dev-fn", "passable-a")
    assert code_of(e) == ("AccessDeniedException", pass_role_denied("developer", "passable-a"), 403)
    # passer: iam:PassRole on passable-* only
    passer = client(emu, "lambda", PASSER)
    with pytest.raises(ClientError) as e:
        create_fn(passer, "pass-admin-fn", "admin")
    assert code_of(e) == ("AccessDeniedException", pass_role_denied("passer", "admin"), 403)
    # neither denied call created anything
    for name in ("pass-dev-fn", "pass-admin-fn"):
        with pytest.raises(ClientError) as e:
            lead.get_function(FunctionName=name)
        assert code_of(e)[0] == "ResourceNotFoundException"

    made = create_fn(passer, "pass-fn", "passable-a")
    assert made["Role"] == role_arn("passable-a")
    assert lead.get_function_configuration(FunctionName="pass-fn")["Role"] == role_arn("passable-a")


def test_update_function_configuration_needs_pass_role_when_role_given(emu):
    lead = client(emu, "lambda", LEAD)
    passer = client(emu, "lambda", PASSER)
    dev = client(emu, "lambda", DEV)
    create_fn(passer, "pass-upd-fn", "passable-a")
    before = lead.get_function_configuration(FunctionName="pass-upd-fn")

    with pytest.raises(ClientError) as e:
        passer.update_function_configuration(FunctionName="pass-upd-fn", Role=role_arn("admin"), Timeout=9)
    assert code_of(e) == ("AccessDeniedException", pass_role_denied("passer", "admin"), 403)
    with pytest.raises(ClientError) as e:
        dev.update_function_configuration(FunctionName="pass-upd-fn", Role=role_arn("passable-b"))
    assert code_of(e) == ("AccessDeniedException", pass_role_denied("developer", "passable-b"), 403)
    # the denied updates changed nothing, not even the settings sent with the role
    after = lead.get_function_configuration(FunctionName="pass-upd-fn")
    assert (after["Role"], after["Timeout"], after["RevisionId"]) == \
        (before["Role"], before["Timeout"], before["RevisionId"])

    # no Role in the request: nothing is passed, lambda:* is enough
    assert dev.update_function_configuration(FunctionName="pass-upd-fn", Timeout=7)["Timeout"] == 7
    out = passer.update_function_configuration(FunctionName="pass-upd-fn", Role=role_arn("passable-b"))
    assert out["Role"] == role_arn("passable-b")
    assert lead.get_function_configuration(FunctionName="pass-upd-fn")["Role"] == role_arn("passable-b")


# ---- a handler under AWS's managed read-only policy -------------------------------------------

READONLY_HANDLER = """
local aws = require("aws")
local json = require("json")
local ddb = aws.dynamodb
function handler(event, context)
  local got, gerr = ddb.get_item{TableName = event.table, Key = {pk = {S = "seed"}}}
  local q, qerr = ddb.query{TableName = event.table, KeyConditionExpression = "pk = :p",
                            ExpressionAttributeValues = {[":p"] = {S = "seed"}}}
  local put, perr = ddb.put_item{TableName = event.table, Item = {pk = {S = "by-handler"}}}
  return {get_item = got and got.Item or json.null, get_err = gerr and gerr.code or json.null,
          query_count = q and q.Count or json.null, query_err = qerr and qerr.code or json.null,
          put_ok = put ~= nil, put_code = perr and perr.code or json.null,
          put_message = perr and perr.message or json.null}
end
"""


def test_lambda_role_with_dynamodb_read_only_access(emu):
    """AttachRolePolicy of AWS's AmazonDynamoDBReadOnlyAccess: the handler
    reads (GetItem, Query) and is refused PutItem as its assumed role."""
    iam = client(emu, "iam", LEAD)
    ddb = client(emu, "dynamodb", LEAD)
    lam = client(emu, "lambda", LEAD)
    make_table(ddb, "ro-notes")
    ddb.put_item(TableName="ro-notes", Item={"pk": {"S": "seed"}, "n": {"N": "1"}})
    role = iam.create_role(RoleName="table-reader", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    iam.attach_role_policy(RoleName="table-reader",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="table-reader")
            ["AttachedPolicies"]] == ["AmazonDynamoDBReadOnlyAccess"]
    lam.create_function(FunctionName="ro-fn", Runtime="lua5.4", Role=role["Arn"], Handler="index.handler",
                        Code={"ZipFile": role_zip(READONLY_HANDLER)})

    out = invoke_json(lam, "ro-fn", {"table": "ro-notes"})
    assert out["get_err"] is None and out["get_item"] == {"pk": {"S": "seed"}, "n": {"N": "1"}}
    assert out["query_err"] is None and out["query_count"] == 1
    assert out["put_ok"] is False and out["put_code"] == "AccessDeniedException"
    assert out["put_message"] == put_denied_to_role("table-reader", "ro-fn", "ro-notes")
    assert "Item" not in ddb.get_item(TableName="ro-notes", Key={"pk": {"S": "by-handler"}})


def test_loopback_by_default_and_a_warning_elsewhere(emulator_factory):
    """The emulator listens on loopback unless told otherwise; binding to
    every interface works but says, once, that anyone who can reach it may
    use it (and whether --auth protects it)."""
    quiet = emulator_factory()
    assert quiet.endpoint.startswith("http://127.0.0.1:"), quiet.endpoint
    assert "not loopback" not in quiet.stderr_text()
    quiet.stop()

    exposed = emulator_factory(args=("--host", "0.0.0.0"))
    assert exposed.endpoint.startswith("http://0.0.0.0:"), exposed.endpoint
    warning = [l for l in exposed.stderr_text().splitlines() if "not loopback" in l]
    assert len(warning) == 1 and "--auth is off" in warning[0], exposed.stderr_text()
    exposed.stop()
