"""The IAM (roles) and STS APIs with boto3's iam and sts clients, --auth off:
role and policy round trips, AWS's error codes, managed policy attachment."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import Emulator, check_and_cleanup

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture(scope="module")
def emu():
    e = Emulator()
    e.start()
    yield e
    check_and_cleanup(e)


@pytest.fixture(scope="module")
def iam(emu):
    import boto3
    return boto3.client("iam", endpoint_url=emu.endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_role_round_trip(iam):
    r = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST), Description="d")["Role"]
    assert r["Arn"] == "arn:aws:iam::000000000000:role/fn-role"
    assert r["RoleId"].startswith("AROA") and r["Path"] == "/"
    assert r["AssumeRolePolicyDocument"] == TRUST
    g = iam.get_role(RoleName="fn-role")["Role"]
    assert g["Arn"] == r["Arn"] and g["Description"] == "d"
    assert "fn-role" in [x["RoleName"] for x in iam.list_roles()["Roles"]]
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert err(e) == ("EntityAlreadyExists", 409)
    new_trust = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"Service": "apigateway.amazonaws.com"})])
    iam.update_assume_role_policy(RoleName="fn-role", PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName="fn-role")["Role"]["AssumeRolePolicyDocument"] == new_trust


def test_inline_and_attached_policies(iam):
    iam.create_role(RoleName="pol-role", AssumeRolePolicyDocument=json.dumps(TRUST), Path="/service/")
    assert iam.get_role(RoleName="pol-role")["Role"]["Arn"] == "arn:aws:iam::000000000000:role/service/pol-role"
    iam.put_role_policy(RoleName="pol-role", PolicyName="read", PolicyDocument=json.dumps(READ))
    got = iam.get_role_policy(RoleName="pol-role", PolicyName="read")
    assert got["PolicyDocument"] == READ and got["PolicyName"] == "read"
    assert iam.list_role_policies(RoleName="pol-role")["PolicyNames"] == ["read"]
    iam.attach_role_policy(RoleName="pol-role", PolicyArn=BASIC)
    att = iam.list_attached_role_policies(RoleName="pol-role")["AttachedPolicies"]
    assert att == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}]
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName="pol-role", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert err(e) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="pol-role")
    assert err(e) == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName="pol-role", PolicyName="read")
    iam.detach_role_policy(RoleName="pol-role", PolicyArn=BASIC)
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="pol-role", PolicyArn=BASIC)
    assert err(e) == ("NoSuchEntity", 404)
    iam.delete_role(RoleName="pol-role")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="pol-role")
    assert err(e) == ("NoSuchEntity", 404)
    assert "cannot be found" in e.value.response["Error"]["Message"]


def test_malformed_policy(iam):
    iam.create_role(RoleName="bad-pol", AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="bad-pol", PolicyName="p", PolicyDocument="{not json")
    assert err(e) == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="bad-pol", PolicyName="p",
                            PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]}))
    assert err(e) == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName="bad-pol", PolicyName="p")
    assert err(e) == ("NoSuchEntity", 404)


def test_caller_identity_off_is_root(emu):
    import boto3
    sts = boto3.client("sts", endpoint_url=emu.endpoint, region_name="us-east-1",
                       aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    ident = sts.get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::000000000000:root" and ident["Account"] == "000000000000"


def refused(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert err(e) == ("MalformedPolicyDocument", 400), e.value.response
    return e.value.response["Error"]["Message"]


def stmt(**fields):
    return json.dumps({"Version": "2012-10-17", "Statement": [fields]})


ALLOW_LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}

# (trust policy, AWS's message)
BAD_TRUST = [
    (json.dumps({"Version": "2012-10-17", "Statement": []}), "Could not parse the policy: Statement is empty!"),
    (json.dumps({"Version": "2012-10-17"}), "Could not parse the policy: Statement is empty!"),
    (json.dumps({"Version": "2012-10-17", "Statement": None}), "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": ["x"]}), "Syntax errors in policy."),
    (stmt(Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole"), "Missing required field Effect"),
    (stmt(Effect="allow", Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole"),
     "Invalid effect: allow"),
    (stmt(Effect="Allow", Action="sts:AssumeRole"), "Missing required field Principal"),
    (stmt(Effect="Allow", Principal={"Service": "lambda.amazonaws.com"}), "Missing required field Action"),
    (stmt(Resource="*", **ALLOW_LAMBDA), "Has prohibited field Resource"),
]


@pytest.mark.parametrize("doc,message", BAD_TRUST)
def test_bad_trust_policy_is_refused_by_create_role_and_update(iam, doc, message):
    assert refused(iam.create_role, RoleName="bad-trust", AssumeRolePolicyDocument=doc) == message
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="bad-trust")
    assert err(e) == ("NoSuchEntity", 404)      # nothing half-created
    iam.create_role(RoleName="good-trust", AssumeRolePolicyDocument=json.dumps(TRUST))
    try:
        assert refused(iam.update_assume_role_policy, RoleName="good-trust", PolicyDocument=doc) == message
        assert iam.get_role(RoleName="good-trust")["Role"]["AssumeRolePolicyDocument"] == TRUST
    finally:
        iam.delete_role(RoleName="good-trust")


# (permissions policy, AWS's message)
BAD_PERMISSIONS = [
    (json.dumps({"Version": "2012-10-17", "Statement": []}), "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": None}), "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
    (stmt(Action="dynamodb:GetItem", Resource="*"), "Missing required field Effect"),
    (stmt(Effect="Permit", Action="dynamodb:GetItem", Resource="*"), "Invalid effect: Permit"),
    (stmt(Effect="Allow", Action="dynamodb:GetItem"), "Policy statement must contain resources."),
    (stmt(Effect="Allow", Resource="*"), "Missing required field Action"),
    (stmt(Effect="Allow", Principal="*", Action="dynamodb:GetItem", Resource="*"),
     "Policy document should not specify a principal."),
]


@pytest.mark.parametrize("doc,message", BAD_PERMISSIONS)
def test_bad_permissions_policy_is_refused_by_put_role_policy(iam, doc, message):
    iam.create_role(RoleName="perm-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    try:
        assert refused(iam.put_role_policy, RoleName="perm-role", PolicyName="p", PolicyDocument=doc) == message
        assert iam.list_role_policies(RoleName="perm-role")["PolicyNames"] == []
    finally:
        iam.delete_role(RoleName="perm-role")


def test_trust_policy_single_statement_object_and_deny_are_accepted(iam):
    doc = {"Version": "2012-10-17", "Statement": dict(ALLOW_LAMBDA, Effect="Deny")}
    iam.create_role(RoleName="deny-trust", AssumeRolePolicyDocument=json.dumps(doc))
    assert iam.get_role(RoleName="deny-trust")["Role"]["AssumeRolePolicyDocument"] == doc
    iam.delete_role(RoleName="deny-trust")
