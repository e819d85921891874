"""Who may deploy what (issue 8), end to end: fixtures/micro-stacks deployed
with `hangar` into an emulator started with
`--auth enforce --iam fixtures/micro-stacks/iam.json`, signing as the file's
`developer` and `team-lead` users.

The story runs in file order on one fresh emulator and one fresh HANGAR_HOME
(later steps need the earlier ones' state, as a team's would), over a tmp
copy of fixtures/ and lambdas/ because steps edit a config and a handler:

  (a) developer: `up` of core-infrastructure is denied dynamodb:CreateTable;
      nothing is created, nothing recorded, the lock is released;
  (b) team-lead: core-infrastructure deploys;
  (c) developer: api-gateway deploys, reading the table through the stack
      reference, and the notes API answers through the gateway;
  (d) developer: a change to the table is denied, a handler change goes out;
  (e) developer: `destroy` of core-infrastructure is denied, the table stays;
  (f) team-lead: both stacks are destroyed.

After every step the stack's recorded state is compared with what exists in
the emulator, read with boto3 as team-lead.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import blackbox

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IAM_FILE = os.path.join(ROOT, "fixtures", "micro-stacks", "iam.json")
ACCOUNT = "000000000000"
REGION = "us-east-1"
DEVELOPER_ARN = "arn:aws:iam::%s:user/developer" % ACCOUNT
TABLE_ARN = r"arn:aws:dynamodb:%s:%s:table/(notes-[0-9a-f]+)" % (REGION, ACCOUNT)


def keys_of(user):
    with open(IAM_FILE) as f:
        doc = json.load(f)
    u = next(u for u in doc["users"] if u["name"] == user)
    k = u["accessKeys"][0]
    return k["accessKeyId"], k["secretAccessKey"]


def denial(action, explicit=True):
    """The AccessDenied line hangar prints for the developer's call, with
    the table's name as group 1."""
    why = "with an explicit deny in an identity-based policy" if explicit else \
        "because no identity-based policy allows the %s action" % action
    return re.compile(r"AccessDeniedException: User: %s is not authorized to perform: %s on resource: %s %s"
                      % (re.escape(DEVELOPER_ARN), re.escape(action), TABLE_ARN, re.escape(why)))


class Hangar:
    """The hangar CLI as one user: that user's keys in AWS_ACCESS_KEY_ID /
    AWS_SECRET_ACCESS_KEY, nothing else the client could pick up instead."""

    def __init__(self, home, endpoint, user, key=None):
        self.home, self.endpoint = home, endpoint
        self.key = key or keys_of(user)

    def run(self, *args, check=True):
        env = dict(os.environ, HANGAR_HOME=self.home, AWS_ACCESS_KEY_ID=self.key[0],
                   AWS_SECRET_ACCESS_KEY=self.key[1], AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_CONFIG_FILE=os.devnull)
        for v in ("HANGAR_STACK", "PULUMI_STACK", "AWS_SESSION_TOKEN", "AWS_PROFILE", "HANGAR_ENDPOINT"):
            env.pop(v, None)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        cmd = [CLI] + list(args)
        if args[0] in ("up", "preview", "destroy"):
            cmd += ["--endpoint", self.endpoint]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check:
            assert p.returncode == 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        return p

    def up(self, d, check=True):
        return self.run("up", "--stack", "dev", "--yes", "--skip-preview", "-C", d, check=check)

    def destroy(self, d, check=True):
        return self.run("destroy", "--stack", "dev", "--yes", "--skip-preview", "-C", d, check=check)

    def outputs(self, d):
        return json.loads(self.run("stack", "output", "--json", "--stack", "dev", "-C", d).stdout)

    def resources(self, d, type_=None):
        """The stack's recorded resources (Pulumi checkpoint), optionally of one type."""
        cp = json.loads(self.run("stack", "export", "--stack", "dev", "-C", d).stdout)
        res = cp["checkpoint"]["latest"].get("resources") or []
        return [r for r in res if r.get("custom") and (type_ is None or r["type"] == type_)]


@pytest.fixture(scope="module")
def emu():
    e = blackbox.Emulator(args=["--auth", "enforce", "--iam", IAM_FILE])
    e.start()
    yield e
    e.stop()
    blackbox.check_and_cleanup(e)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A private copy of fixtures/micro-stacks and lambdas/ (same relative layout)."""
    w = tmp_path_factory.mktemp("per-stack")
    shutil.copytree(os.path.join(ROOT, "fixtures", "micro-stacks"), w / "fixtures" / "micro-stacks")
    shutil.copytree(os.path.join(ROOT, "lambdas"), w / "lambdas")
    root = str(w / "fixtures" / "micro-stacks")
    return {"home": str(w / "home"), "core": root, "api": os.path.join(root, "api-gateway"),
            "lambdas": str(w / "lambdas")}


@pytest.fixture(scope="module")
def developer(emu, work):
    return Hangar(work["home"], emu.endpoint, "developer")


@pytest.fixture(scope="module")
def lead(emu, work):
    return Hangar(work["home"], emu.endpoint, "team-lead")


def clients_for(emu, default_key):
    """make(service[, key]): a boto3 client of emu signed with key."""
    cfg = botocore.config.Config(retries={"max_attempts": 1})

    def make(service, key=default_key):
        return boto3.client(service, endpoint_url=emu.endpoint, region_name=REGION, aws_access_key_id=key[0],
                            aws_secret_access_key=key[1], config=cfg)
    return make


@pytest.fixture(scope="module")
def aws(emu):
    """boto3 clients signed as team-lead, to look at what really exists."""
    return clients_for(emu, keys_of("team-lead"))


@pytest.fixture
def aws_factory_for():
    return clients_for


def notes_tables(aws):
    return sorted(t for t in aws("dynamodb").list_tables()["TableNames"] if t.startswith("notes-"))


def recorded_tables(hangar, work):
    return sorted(r["id"] for r in hangar.resources(work["core"], "aws:dynamodb:Table"))


def call(url, method, path, body=None):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    data = json.dumps(body) if body is not None else None
    conn.request(method, u.path + path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    return r.status, json.loads(raw) if raw else None


# ---- (a) developer may not create the table ------------------------------------------


def test_developer_up_of_core_stops_at_the_denied_create_table(developer, work, aws):
    p = developer.up(work["core"], check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    m = denial("dynamodb:CreateTable").search(out)
    assert m, out
    # verbatim: the same call made by boto3 as developer gets this exact message
    with pytest.raises(ClientError) as e:
        aws("dynamodb", keys_of("developer")).create_table(
            TableName=m.group(1), KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "AccessDeniedException: " + e.value.response["Error"]["Message"] in out
    # nothing made, nothing recorded: state and emulator agree on "no table"
    assert notes_tables(aws) == []
    assert recorded_tables(developer, work) == []
    assert developer.resources(work["core"]) == []
    assert developer.outputs(work["core"]) == {}


def test_the_denied_up_released_its_lock(developer, work, aws):
    # no lock left behind: unlock finds none to clear
    u = developer.run("stack", "unlock", "--stack", "dev", "-C", work["core"], check=False)
    assert u.returncode != 0 and "is not locked" in u.stdout + u.stderr, u.stdout + u.stderr
    # and a second up meets the same denial, not a lock (live or stale)
    p = developer.up(work["core"], check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert denial("dynamodb:CreateTable").search(out), out
    assert "locked" not in out and "stale lock" not in out, out
    assert notes_tables(aws) == [] and recorded_tables(developer, work) == []


# ---- (b) team-lead deploys core-infrastructure ---------------------------------------


def test_team_lead_deploys_core(lead, work, aws):
    lead.up(work["core"])
    outs = lead.outputs(work["core"])
    name = outs["testTableName"]
    assert notes_tables(aws) == [name]
    assert recorded_tables(lead, work) == [name]
    assert outs["testTableArn"] == "arn:aws:dynamodb:%s:%s:table/%s" % (REGION, ACCOUNT, name)


# ---- (c) developer deploys api-gateway -------------------------------------------------


def test_developer_deploys_the_api_and_it_answers(developer, lead, work, aws):
    p = developer.up(work["api"])
    assert "created" in p.stdout
    outs = developer.outputs(work["api"])
    table = lead.outputs(work["core"])["testTableName"]
    # the stack reference handed the core table's name to every function
    lam = aws("lambda")
    for fn in outs["functionNames"].values():
        env = lam.get_function_configuration(FunctionName=fn)["Environment"]["Variables"]
        assert env["NOTES_TABLE"] == table
    st, note = call(outs["url"], "POST", "/notes", {"title": "by developer", "content": "deployed by developer"})
    assert st == 201, note
    assert call(outs["url"], "GET", "/notes/" + note["id"]) == (200, note)
    # the item is in core's table, written by the handler under its role
    item = aws("dynamodb").get_item(TableName=table, Key={"id": {"S": note["id"]}})["Item"]
    assert item["title"] == {"S": "by developer"}
    # state matches the emulator: the recorded functions and role are the real ones
    recorded = {r["id"] for r in developer.resources(work["api"], "aws:lambda:Function")}
    assert recorded == set(outs["functionNames"].values())
    roles = developer.resources(work["api"], "aws:iam:Role")
    assert len(roles) == 1
    aws("iam").get_role(RoleName=roles[0]["id"])


# ---- (d) developer: table changes denied, lambda changes allowed ----------------------


def test_developer_may_not_change_the_table(developer, work, aws):
    table = developer.outputs(work["core"])["testTableName"]
    arn = "arn:aws:dynamodb:%s:%s:table/%s" % (REGION, ACCOUNT, table)
    cfg = os.path.join(work["core"], "Pulumi.dev.yaml")
    with open(cfg) as f:
        text = f.read()
    assert "core-infrastructure:env: development" in text
    with open(cfg, "w") as f:
        f.write(text.replace("core-infrastructure:env: development", "core-infrastructure:env: staging"))
    p = developer.up(work["core"], check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    m = re.search(r"AccessDeniedException: User: %s is not authorized to perform: dynamodb:(Tag|Untag)Resource "
                  r"on resource: %s with an explicit deny" % (re.escape(DEVELOPER_ARN), re.escape(arn)), out)
    assert m, out
    # the table keeps its tags, and so does the state
    tags = {t["Key"]: t["Value"] for t in aws("dynamodb").list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"Environment": "development", "Service": "notes"}
    (rec,) = developer.resources(work["core"], "aws:dynamodb:Table")
    assert rec["id"] == table and rec["inputs"]["tags"] == tags
    assert notes_tables(aws) == [table]


def test_developer_may_change_a_lambda(developer, work, aws):
    outs = developer.outputs(work["api"])
    fn = outs["functionNames"]["get"]
    lam = aws("lambda")
    before = lam.get_function_configuration(FunctionName=fn)["CodeSha256"]
    with open(os.path.join(work["lambdas"], "notes", "get.lua"), "a") as f:
        f.write("\n-- changed by the developer\n")
    p = developer.up(work["api"])
    assert "1 updated" in p.stdout, p.stdout
    assert lam.get_function_configuration(FunctionName=fn)["CodeSha256"] != before
    st, note = call(outs["url"], "POST", "/notes", {"title": "after the change", "content": "x"})
    assert st == 201
    assert call(outs["url"], "GET", "/notes/" + note["id"]) == (200, note)


# ---- (e) developer may not destroy the table ----------------------------------------


def test_developer_may_not_destroy_core(developer, work, aws):
    table = developer.outputs(work["core"])["testTableName"]
    p = developer.destroy(work["core"], check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    m = denial("dynamodb:DeleteTable").search(out)
    assert m and m.group(1) == table, out
    assert aws("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    assert notes_tables(aws) == [table] == recorded_tables(developer, work)
    u = developer.run("stack", "unlock", "--stack", "dev", "-C", work["core"], check=False)
    assert "is not locked" in u.stdout + u.stderr


# ---- (f) team-lead destroys everything ----------------------------------------------


def test_team_lead_destroys_everything(lead, work, aws):
    outs = lead.outputs(work["api"])
    role = lead.resources(work["api"], "aws:iam:Role")[0]["id"]
    lead.destroy(work["api"])
    lead.destroy(work["core"])
    assert notes_tables(aws) == []
    assert lead.resources(work["api"]) == [] and lead.resources(work["core"]) == []
    names = {f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]}
    assert not names & set(outs["functionNames"].values())
    assert outs["restApiId"] not in {a["id"] for a in aws("apigateway").get_rest_apis()["items"]}
    with pytest.raises(ClientError) as e:
        aws("iam").get_role(RoleName=role)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


# ---- a denial stops the run: no further steps start ------------------------------------


def test_a_denial_stops_the_run(tmp_path, aws_factory_for):
    """A user who may deploy lambdas and the REST API but no IAM role: with
    one step at a time (deterministic order: the role comes before the API
    in the program), the denied iam:CreateRole ends the run, so no REST API,
    resource or method is made beside it and state records nothing. Without
    the stop, the API's two dozen independent steps would still run."""
    k_lead, k_nr = ("AKIAHANGARLEADTWO001", "lead-two"), ("AKIAHANGARNOROLES001", "no-roles")
    doc = {"users": [
        {"name": "lead", "accessKeys": [{"accessKeyId": k_lead[0], "secretAccessKey": k_lead[1]}],
         "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]},
        {"name": "no-roles", "accessKeys": [{"accessKeyId": k_nr[0], "secretAccessKey": k_nr[1]}],
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": ["lambda:*", "apigateway:*", "dynamodb:Describe*", "dynamodb:List*"],
              "Resource": "*"}]}]}]}
    iam = tmp_path / "iam.json"
    iam.write_text(json.dumps(doc))
    shutil.copytree(os.path.join(ROOT, "fixtures", "micro-stacks"), tmp_path / "fixtures" / "micro-stacks")
    shutil.copytree(os.path.join(ROOT, "lambdas"), tmp_path / "lambdas")
    core = str(tmp_path / "fixtures" / "micro-stacks")
    api = os.path.join(core, "api-gateway")
    e = blackbox.Emulator(args=["--auth", "enforce", "--iam", str(iam)])
    e.start()
    try:
        lead = Hangar(str(tmp_path / "home"), e.endpoint, None, key=k_lead)
        nr = Hangar(str(tmp_path / "home"), e.endpoint, None, key=k_nr)
        lead.up(core)
        p = nr.run("up", "--stack", "dev", "--yes", "--skip-preview", "--parallel", "1", "-C", api, check=False)
        out = p.stdout + p.stderr
        assert p.returncode != 0, out
        assert re.search(r"AccessDenied: User: arn:aws:iam::%s:user/no-roles is not authorized to perform: "
                         r"iam:CreateRole on resource: arn:aws:iam::%s:role/lambdaRole-[0-9a-f]+ because no "
                         r"identity-based policy allows the iam:CreateRole action" % (ACCOUNT, ACCOUNT), out), out
        look = aws_factory_for(e, k_lead)
        assert look("apigateway").get_rest_apis()["items"] == []
        assert look("lambda").list_functions()["Functions"] == []
        assert nr.resources(api) == []
        # one step ran and failed; every other step was never started
        assert p.stdout.count("failed** error:") == 1 and " created" not in p.stdout, p.stdout
        # the lock is gone and the same user's next run meets the same denial first
        u = nr.run("stack", "unlock", "--stack", "dev", "-C", api, check=False)
        assert "is not locked" in u.stdout + u.stderr
    finally:
        e.stop()
        blackbox.check_and_cleanup(e)
