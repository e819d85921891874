"""The deployer's IAM resources create real IAM entities in the emulator:
after `hangar up`, boto3's iam client sees the role, its inline policy and
its attached managed policy, with the ARN and id the stack outputs report;
`hangar destroy` removes them, also when some were already deleted by hand."""

import os

import pytest

from conftest import make_client
from test_dp_e2e import CLI, Hangar, write

pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

PROJECT = """
name: iamproj
runtime: yaml
resources:
  fnRole:
    type: aws:iam:Role
    properties:
      description: runs the notes functions
      assumeRolePolicy:
        fn::toJSON:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal:
                Service: lambda.amazonaws.com
              Action: sts:AssumeRole
  readNotes:
    type: aws:iam:RolePolicy
    properties:
      role: ${fnRole.id}
      policy:
        fn::toJSON:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: dynamodb:GetItem
              Resource: "*"
  basicLogs:
    type: aws:iam:RolePolicyAttachment
    properties:
      role: ${fnRole.name}
      policyArn: %s
outputs:
  roleArn: ${fnRole.arn}
  roleName: ${fnRole.name}
  roleId: ${fnRole.uniqueId}
  policyId: ${readNotes.id}
""" % BASIC


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


@pytest.fixture(scope="module")
def iam(endpoint):
    return make_client(endpoint, service="iam")


def test_up_creates_real_roles_and_destroy_removes_them(hangar, iam, tmp_path):
    d = str(tmp_path / "proj")
    write(os.path.join(d, "Pulumi.yaml"), PROJECT)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    name = out["roleName"]
    assert name.startswith("fnRole-")

    role = iam.get_role(RoleName=name)["Role"]
    assert role["Arn"] == out["roleArn"] == f"arn:aws:iam::000000000000:role/{name}"
    assert role["RoleId"] == out["roleId"] and role["RoleId"].startswith("AROA")
    assert role["Description"] == "runs the notes functions"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy_name = out["policyId"].split(":", 1)[1]
    assert out["policyId"] == f"{name}:{policy_name}"
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == [policy_name]
    doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
    assert doc["Statement"][0]["Action"] == "dynamodb:GetItem"
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [BASIC]

    # a second up changes nothing and still succeeds (reads find everything)
    hangar.up(d, check=True)
    assert iam.get_role(RoleName=name)["Role"]["RoleId"] == out["roleId"]

    # deleted by hand: destroy still succeeds, and removes the rest
    iam.detach_role_policy(RoleName=name, PolicyArn=BASIC)
    iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    hangar.run("destroy", "--stack", "dev", "--yes", cwd=d, check=True)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=name)


def test_trust_policy_update_reaches_iam(hangar, iam, tmp_path):
    d = str(tmp_path / "proj")
    write(os.path.join(d, "Pulumi.yaml"), PROJECT)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.up(d, check=True)
    name = hangar.outputs(d)["roleName"]
    write(os.path.join(d, "Pulumi.yaml"), PROJECT.replace("lambda.amazonaws.com", "apigateway.amazonaws.com"))
    hangar.up(d, check=True)
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    hangar.run("destroy", "--stack", "dev", "--yes", cwd=d, check=True)
    assert name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
