"""End-to-end tests of the deployer: `hangar` deploys small Pulumi YAML
projects into a running hangar-emulator and boto3 checks what exists.

Each test writes its projects to a fresh tmp folder and uses its own
HANGAR_HOME, so state never leaks between tests; table names are auto-named
(logical name + 7 hex) so tests sharing the module's emulator never collide.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import textwrap
import time

import pytest

from conftest import make_client

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")


# ---- helpers -----------------------------------------------------------------------

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


def table_project(d, name="core", body=None, outputs=None, region="us-east-1"):
    body = body or """
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes:
            - name: id
              type: S
          hashKey: id
          billingMode: PAY_PER_REQUEST
    """
    outputs = outputs if outputs is not None else """
      tableName: ${notes.name}
      tableArn: ${notes.arn}
    """
    text = "name: %s\nruntime: yaml\nresources:\n%s" % (name, textwrap.indent(textwrap.dedent(body), "  "))
    if outputs:
        text += "outputs:\n" + textwrap.indent(textwrap.dedent(outputs), "  ")
    write(os.path.join(d, "Pulumi.yaml"), text)
    if not os.path.exists(os.path.join(d, "Pulumi.dev.yaml")):
        write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: %s\n" % region)


class Hangar:
    def __init__(self, home, endpoint):
        self.home = home
        self.endpoint = endpoint

    def env(self):
        env = dict(os.environ)
        env["HANGAR_HOME"] = self.home
        env.pop("HANGAR_STACK", None)
        env.pop("PULUMI_STACK", None)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        # secrets are encrypted as Pulumi's passphrase provider does, which needs one
        env.setdefault("PULUMI_CONFIG_PASSPHRASE", "hangar-e2e")
        return env

    def run(self, *args, cwd=None, endpoint=None, check=None, stdin=subprocess.DEVNULL, timeout=60):
        cmd = [CLI] + list(args)
        if cwd:
            cmd += ["-C", cwd]
        if args and args[0] in ("up", "preview", "destroy", "refresh"):
            cmd += ["--endpoint", endpoint or self.endpoint]
        p = subprocess.run(cmd, env=self.env(), stdin=stdin, capture_output=True, text=True, timeout=timeout)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check is True:
            assert p.returncode == 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        return p

    def up(self, d, *extra, **kw):
        return self.run("up", "--stack", "dev", "--yes", "--skip-preview", *extra, cwd=d, **kw)

    def outputs(self, d, stack="dev"):
        p = self.run("stack", "output", "--json", "--stack", stack, cwd=d, check=True)
        return json.loads(p.stdout)


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


@pytest.fixture(scope="module")
def ddb_client(endpoint):
    return make_client(endpoint)


def tables(client):
    names, kw = [], {}
    while True:
        r = client.list_tables(**kw)
        names += r["TableNames"]
        if "LastEvaluatedTableName" not in r:
            return names
        kw = {"ExclusiveStartTableName": r["LastEvaluatedTableName"]}


def state_rows(home):
    db = sqlite3.connect(os.path.join(home, "state.db"))
    try:
        return db.execute("SELECT urn, id, pending FROM resources").fetchall()
    finally:
        db.close()


# ---- the basic life cycle ------------------------------------------------------------

def test_create_then_noop(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    p = hangar.up(d, check=True)
    assert "+  aws:dynamodb:Table notes created" in p.stdout
    assert "Resources:" in p.stdout and "+ 1 created" in p.stdout and "Duration:" in p.stdout
    out = hangar.outputs(d)
    name = out["tableName"]
    assert name.startswith("notes-") and len(name) == len("notes-") + 7
    assert all(c in "0123456789abcdef" for c in name[-7:])
    assert name in tables(ddb_client)
    assert out["tableArn"].endswith(":table/" + name)

    p = hangar.up(d, check=True)
    assert "1 unchanged" in p.stdout and "created" not in p.stdout
    assert hangar.outputs(d)["tableName"] == name

    p = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "1 unchanged" in p.stdout


def test_preview_touches_nothing(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    before = set(tables(ddb_client))
    p = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "+  aws:dynamodb:Table notes create" in p.stdout and "+ 1 to create" in p.stdout
    assert set(tables(ddb_client)) == before


def test_in_place_update(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    table_project(d, body="""
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes:
            - name: id
              type: S
          hashKey: id
          billingMode: PROVISIONED
          readCapacity: 5
          writeCapacity: 5
    """)
    p = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "~  aws:dynamodb:Table notes update" in p.stdout and "~billingMode" in p.stdout
    p = hangar.up(d, check=True)
    assert "~ 1 updated" in p.stdout
    assert hangar.outputs(d)["tableName"] == name
    t = ddb_client.describe_table(TableName=name)["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"


def test_replacement_on_hash_key_change(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    old = hangar.outputs(d)["tableName"]
    table_project(d, body="""
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes:
            - name: pk
              type: S
          hashKey: pk
          billingMode: PAY_PER_REQUEST
    """)
    p = hangar.up(d, check=True)
    assert "+- aws:dynamodb:Table notes replaced" in p.stdout and "+-1 replaced" in p.stdout
    new = hangar.outputs(d)["tableName"]
    assert new != old and new.startswith("notes-")
    names = tables(ddb_client)
    assert new in names and old not in names
    t = ddb_client.describe_table(TableName=new)["Table"]
    assert t["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert all("#replaced" not in urn for urn, _, _ in state_rows(hangar.home))


def test_delete_when_removed_from_program(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    two = """
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
      extra:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
    """
    table_project(d, body=two, outputs="""
      tableName: ${notes.name}
      extraName: ${extra.name}
    """)
    hangar.up(d, check=True)
    extra = hangar.outputs(d)["extraName"]
    assert extra in tables(ddb_client)
    table_project(d)
    p = hangar.up(d, check=True)
    assert "-  aws:dynamodb:Table extra deleted" in p.stdout and "- 1 deleted" in p.stdout
    assert extra not in tables(ddb_client)
    assert len(state_rows(hangar.home)) == 1


def test_protect_refuses_delete(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d, body="""
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
        options:
          protect: true
    """)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    table_project(d, body="""
      other:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
    """, outputs="")
    p = hangar.up(d)
    assert p.returncode == 1
    assert "protected" in p.stderr and "notes" in p.stderr
    assert name in tables(ddb_client)
    # refused before anything changed: "other" was not created
    assert not [t for t in tables(ddb_client) if t.startswith("other-")]
    p = hangar.run("destroy", "--stack", "dev", "--yes", cwd=d)
    assert p.returncode == 1 and "protected" in p.stderr
    assert name in tables(ddb_client)


def test_destroy(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    p = hangar.run("destroy", "--stack", "dev", "--yes", cwd=d, check=True)
    assert "- 1 deleted" in p.stdout
    assert name not in tables(ddb_client)
    assert state_rows(hangar.home) == []


# ---- locks and crashes --------------------------------------------------------------

def test_lock_contention_names_the_holder(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    holder = subprocess.Popen(["sleep", "30"])
    try:
        db = sqlite3.connect(os.path.join(hangar.home, "state.db"))
        db.execute("INSERT INTO locks(org,project,stack,pid,host,started) VALUES(?,?,?,?,?,?)",
                   ("organization", "core", "dev", holder.pid, socket.gethostname(), time.time()))
        db.commit()
        db.close()
        t = time.time()
        p = hangar.up(d)
        assert time.time() - t < 5
        assert p.returncode == 1
        assert "locked" in p.stderr and str(holder.pid) in p.stderr and socket.gethostname() in p.stderr
        p = hangar.run("stack", "unlock", "--stack", "dev", cwd=d)
        assert p.returncode == 1 and "still running" in p.stderr
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: unlock clears it without --force
    hangar.run("stack", "unlock", "--stack", "dev", cwd=d, check=True)
    hangar.up(d, check=True)


def test_kill_during_up_then_rerun_converges(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    body = "".join("""
      t%d:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
    """ % i for i in range(8))
    table_project(d, body=body, outputs="")
    for delay in (0.02, 0.05):
        cmd = [CLI, "up", "--stack", "dev", "--yes", "--skip-preview", "--parallel", "1", "-C", d,
               "--endpoint", hangar.endpoint]
        proc = subprocess.Popen(cmd, env=hangar.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    p = hangar.up(d, check=True)
    rows = state_rows(hangar.home)
    assert len(rows) == 8 and all(not pending for _, _, pending in rows)
    ids = sorted(i for _, i, _ in rows)
    project_tables = sorted(t for t in tables(ddb_client)
                            if t.split("-")[0] in {"t%d" % i for i in range(8)} and t in ids)
    assert ids == project_tables
    # no orphans: every t<i>-xxxxxxx table this project made is in the state
    made = [t for t in tables(ddb_client) if any(t.startswith("t%d-" % i) for i in range(8))]
    orphans = [t for t in made if t not in ids]
    # other tests' tables never use these logical names, so any extra is an orphan
    assert orphans == [], orphans
    p = hangar.up(d, check=True)
    assert "8 unchanged" in p.stdout


def test_refresh_recreates_after_emulator_restart(emulator_factory, tmp_path):
    emu = emulator_factory()
    h = Hangar(str(tmp_path / "home"), emu.endpoint)
    d = str(tmp_path / "core")
    table_project(d)
    h.up(d, check=True)
    name = h.outputs(d)["tableName"]
    emu.stop()
    emu2 = emulator_factory()   # in-memory: everything is gone
    client = make_client(emu2.endpoint)
    assert name not in tables(client)
    p = h.run("refresh", "--stack", "dev", "--yes", cwd=d, endpoint=emu2.endpoint, check=True)
    assert "deleted" in p.stdout
    p = h.up(d, "--refresh", endpoint=emu2.endpoint, check=True)
    assert "+ 1 created" in p.stdout
    assert h.outputs(d)["tableName"] in tables(client)


def test_up_refresh_recreates_what_vanished(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    ddb_client.delete_table(TableName=name)
    p = hangar.up(d, "--refresh", check=True)
    assert "+ 1 created" in p.stdout
    assert hangar.outputs(d)["tableName"] in tables(ddb_client)


# ---- stack references ----------------------------------------------------------------

def test_stack_reference_reads_outputs(hangar, tmp_path, ddb_client):
    core = str(tmp_path / "core")
    api = str(tmp_path / "api")
    table_project(core)
    hangar.up(core, check=True)
    core_name = hangar.outputs(core)["tableName"]
    write(os.path.join(api, "Pulumi.yaml"), """\
        name: api
        runtime: yaml
        config:
          coreStack:
            type: string
        resources:
          core:
            type: pulumi:pulumi:StackReference
            properties:
              name: organization/core/${coreStack}
          copy:
            type: aws:dynamodb:Table
            properties:
              name: ${core.outputs["tableName"]}-copy
              attributes: [{name: id, type: S}]
              hashKey: id
              billingMode: PAY_PER_REQUEST
        outputs:
          coreTable: ${core.outputs["tableName"]}
          copyName: ${copy.name}
        """)
    write(os.path.join(api, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n  api:coreStack: dev\n")
    hangar.up(api, check=True)
    out = hangar.outputs(api)
    assert out["coreTable"] == core_name
    assert out["copyName"] == core_name + "-copy"
    assert core_name + "-copy" in tables(ddb_client)


def test_missing_referenced_stack_fails_before_any_change(hangar, tmp_path, ddb_client):
    api = str(tmp_path / "api")
    write(os.path.join(api, "Pulumi.yaml"), """\
        name: api
        runtime: yaml
        resources:
          mine:
            type: aws:dynamodb:Table
            properties:
              attributes: [{name: id, type: S}]
              hashKey: id
              billingMode: PAY_PER_REQUEST
          core:
            type: pulumi:pulumi:StackReference
            properties:
              name: organization/nowhere/dev
        outputs:
          t: ${core.outputs["tableName"]}
        """)
    write(os.path.join(api, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    before = set(tables(ddb_client))
    p = hangar.up(api)
    assert p.returncode == 1
    assert "organization/nowhere/dev" in p.stderr and "does not exist" in p.stderr
    assert set(tables(ddb_client)) == before


# ---- stack and config commands ------------------------------------------------------

def test_stack_output_and_export(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    p = hangar.run("stack", "output", "tableName", "--stack", "dev", cwd=d, check=True)
    assert p.stdout.strip() == out["tableName"]
    p = hangar.run("stack", "export", "--stack", "dev", cwd=d, check=True)
    doc = json.loads(p.stdout)
    assert doc["version"] == 3
    res = doc["checkpoint"]["latest"]["resources"]
    assert res[0]["type"] == "pulumi:pulumi:Stack" and res[0]["outputs"] == out
    table = [r for r in res if r["type"] == "aws:dynamodb:Table"][0]
    assert table["urn"] == "urn:pulumi:dev::core::aws:dynamodb:Table::notes"
    assert table["id"] == out["tableName"] and table["custom"] is True
    assert table["inputs"]["hashKey"] == "id" and table["outputs"]["arn"] == out["tableArn"]
    assert table["dependencies"] == []
    p = hangar.run("stack", "ls", cwd=d, check=True)
    assert "dev" in p.stdout
    # import what was exported round-trips
    path = str(tmp_path / "cp.json")
    with open(path, "w") as f:
        f.write(p.stdout if False else json.dumps(doc))
    hangar.run("stack", "import", "--stack", "dev", "--file", path, cwd=d, check=True)
    assert hangar.outputs(d) == out
    p = hangar.up(d, check=True)
    assert "1 unchanged" in p.stdout


def test_config_set_get_rm(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.run("config", "set", "env", "development", "--stack", "dev", cwd=d, check=True)
    hangar.run("config", "set", "aws:region", "us-east-1", "--stack", "dev", cwd=d, check=True)
    p = hangar.run("config", "get", "env", "--stack", "dev", cwd=d, check=True)
    assert p.stdout.strip() == "development"
    with open(os.path.join(d, "Pulumi.dev.yaml")) as f:
        text = f.read()
    assert "core:env: development" in text and "aws:region: us-east-1" in text
    p = hangar.run("config", "set", "token", "s3cr3t", "--secret", "--stack", "dev", cwd=d, check=True)
    with open(os.path.join(d, "Pulumi.dev.yaml")) as f:
        text = f.read()
    assert "secure:" in text and "s3cr3t" not in text
    p = hangar.run("config", "get", "token", "--stack", "dev", cwd=d, check=True)
    assert p.stdout.strip() == "s3cr3t"
    hangar.run("config", "rm", "env", "--stack", "dev", cwd=d, check=True)
    p = hangar.run("config", "get", "env", "--stack", "dev", cwd=d)
    assert p.returncode == 1 and "not found" in p.stderr
    # the program still loads with the edited file
    hangar.up(d, check=True)


def test_non_interactive_requires_yes(hangar, tmp_path, ddb_client):
    d = str(tmp_path / "core")
    table_project(d)
    before = set(tables(ddb_client))
    p = hangar.run("up", "--stack", "dev", cwd=d)
    assert p.returncode == 1
    assert "--yes or --skip-preview must be passed in to proceed when running in non-interactive mode" in p.stderr
    assert set(tables(ddb_client)) == before


def test_stack_selection_and_usage_errors(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d)
    # the only Pulumi.<stack>.yaml is picked without --stack
    p = hangar.run("preview", cwd=d, check=True)
    assert "Previewing update (dev)" in p.stdout
    p = hangar.run("upp")
    assert p.returncode == 2 and "up" in p.stderr
    p = hangar.run("up", "--bogus", cwd=d)
    assert p.returncode == 2
    p = hangar.run("--version", check=True)
    assert p.stdout.startswith("v")
    p = hangar.run("up", "--help", check=True)
    assert "--skip-preview" in p.stdout


def test_unknown_property_names_file_and_line(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d, body="""
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
          hashkey: id
    """, outputs="")
    p = hangar.up(d)
    assert p.returncode == 1
    assert "Pulumi.yaml:" in p.stderr and "'hashkey'" in p.stderr and "did you mean 'hashKey'" in p.stderr
