"""The hangar CLI as a user drives it: `--target URN`, the interactive flow
on a terminal (preview, then "Do you want to perform this update?" answered
yes or no through a pty), and the shape of `--json` events for `up` and
`up --all`.

Projects are written to tmp folders with their own HANGAR_HOME; tables are
auto-named, so tests sharing the module's emulator never collide.
"""

import json
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import make_client
from test_dp_e2e import Hangar, table_project, tables, write

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")

TWO = """
  a:
    type: aws:dynamodb:Table
    properties:
      attributes: [{name: id, type: S}]
      hashKey: id
      billingMode: %s
      tags: {Label: %s}
  b:
    type: aws:dynamodb:Table
    properties:
      attributes: [{name: id, type: S}]
      hashKey: id
      billingMode: PAY_PER_REQUEST
      tags: {Label: %s}
"""
TWO_OUT = """
  aName: ${a.name}
  bName: ${b.name}
"""


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


@pytest.fixture(scope="module")
def ddb(endpoint):
    return make_client(endpoint)


def tags_of(client, name):
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def urn(project, type_, name, stack="dev"):
    return "urn:pulumi:%s::%s::%s::%s" % (stack, project, type_, name)


# ---- --target ------------------------------------------------------------------------

def test_target_updates_only_the_named_resource(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d, body=TWO % ("PAY_PER_REQUEST", "one", "one"), outputs=TWO_OUT)
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    table_project(d, body=TWO % ("PAY_PER_REQUEST", "two", "two"), outputs=TWO_OUT)
    a_urn = urn("core", "aws:dynamodb:Table", "a")

    p = hangar.run("preview", "--stack", "dev", "--target", a_urn, cwd=d, check=True)
    assert "~  aws:dynamodb:Table a update" in p.stdout and " b update" not in p.stdout, p.stdout
    p = hangar.up(d, "--target", a_urn, check=True)
    assert "~  aws:dynamodb:Table a updated" in p.stdout and " b updated" not in p.stdout, p.stdout
    assert tags_of(ddb, out["aName"])["Label"] == "two"
    assert tags_of(ddb, out["bName"])["Label"] == "one"
    # b's recorded state is untouched, so a full up still has b to update
    p = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "~  aws:dynamodb:Table b update" in p.stdout and " a update" not in p.stdout, p.stdout
    hangar.up(d, check=True)
    assert tags_of(ddb, out["bName"])["Label"] == "two"


def test_target_creates_only_the_named_resource_and_leaves_deletes_alone(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d, body=TWO % ("PAY_PER_REQUEST", "x", "x"), outputs="")
    p = hangar.up(d, "--target", urn("core", "aws:dynamodb:Table", "b"), check=True)
    assert "+ 1 created" in p.stdout, p.stdout
    made = [t for t in tables(ddb) if t.startswith(("a-", "b-"))]
    rows = hangar.run("stack", "export", "--stack", "dev", cwd=d, check=True)
    res = [r for r in json.loads(rows.stdout)["checkpoint"]["latest"]["resources"]
           if r["type"] == "aws:dynamodb:Table"]
    assert [r["urn"] for r in res] == [urn("core", "aws:dynamodb:Table", "b")]
    assert res[0]["id"] in made
    # removing b from the program while targeting a: b is not deleted
    table_project(d, body="""
      a:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
    """, outputs="")
    hangar.up(d, "--target", urn("core", "aws:dynamodb:Table", "a"), check=True)
    assert res[0]["id"] in tables(ddb)
    p = hangar.up(d, check=True)
    assert "- 1 deleted" in p.stdout and res[0]["id"] not in tables(ddb)


# ---- the interactive flow ---------------------------------------------------------------

def run_on_pty(hangar, d, answer, *args):
    """Run hangar with stdin and stdout on a terminal, answer the question,
    return (exit status, everything it printed)."""
    master, slave = pty.openpty()
    cmd = [CLI] + list(args) + ["-C", d, "--endpoint", hangar.endpoint]
    proc = subprocess.Popen(cmd, env=hangar.env(), stdin=slave, stdout=slave, stderr=subprocess.PIPE, close_fds=True)
    os.close(slave)
    seen, answered, deadline = b"", False, time.time() + 60
    try:
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: the child closed the terminal
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                seen += chunk
            if not answered and b"yes/no:" in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if proc.poll() is not None and not r:
                break
        rc = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert "runtime error:" not in err and "AddressSanitizer" not in err, err
    return rc, seen.decode(errors="replace").replace("\r\n", "\n"), err


def test_interactive_up_previews_then_asks_yes(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    rc, out, err = run_on_pty(hangar, d, "yes", "up", "--stack", "dev")
    assert rc == 0, (out, err)
    preview_at = out.find("Previewing update (dev)")
    ask_at = out.find("Do you want to perform this update? yes/no:")
    update_at = out.find("Updating (dev)")
    assert 0 <= preview_at < ask_at < update_at, out
    assert "+ 1 to create" in out[:ask_at] and "+ 1 created" in out[update_at:], out
    assert hangar.outputs(d)["tableName"] in tables(ddb)


def test_interactive_up_answered_no_changes_nothing(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    before = set(tables(ddb))
    rc, out, err = run_on_pty(hangar, d, "no", "up", "--stack", "dev")
    assert rc != 0
    assert "Do you want to perform this update? yes/no:" in out and "+ 1 to create" in out, out
    assert "Updating (dev)" not in out and "created" not in out, out
    assert "confirmation declined" in err, err
    assert set(tables(ddb)) == before
    p = hangar.run("stack", "output", "--json", "--stack", "dev", cwd=d)
    assert p.returncode != 0 or json.loads(p.stdout or "{}") == {}, p.stdout


def test_interactive_destroy_answered_no_keeps_everything(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    rc, out, err = run_on_pty(hangar, d, "no", "destroy", "--stack", "dev")
    assert rc != 0 and "Do you want to perform this destroy? yes/no:" in out, (out, err)
    assert name in tables(ddb)
    rc, out, err = run_on_pty(hangar, d, "yes", "destroy", "--stack", "dev")
    assert rc == 0 and "- 1 deleted" in out, (out, err)
    assert name not in tables(ddb)


def test_non_interactive_destroy_requires_yes(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    hangar.up(d, check=True)
    name = hangar.outputs(d)["tableName"]
    p = hangar.run("destroy", "--stack", "dev", cwd=d)
    assert p.returncode == 1 and "--yes or --skip-preview must be passed in" in p.stderr
    assert name in tables(ddb)


# ---- --json -------------------------------------------------------------------------------

def events(stdout):
    lines = [line for line in stdout.splitlines() if line.strip()]
    evs = [json.loads(line) for line in lines]        # every line is one JSON object
    assert all(isinstance(e, dict) and "type" in e for e in evs), evs
    return evs


def test_up_json_events(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d)
    p = hangar.up(d, "--json", check=True)
    evs = events(p.stdout)
    assert evs[0]["type"] == "preludeEvent"
    assert evs[0]["stack"] == "dev" and evs[0]["project"] == "core" and evs[0]["operation"] == "Updating"
    res = [e for e in evs if e["type"] == "resourceEvent"]
    done = [e for e in res if e["status"] == "done"]
    assert len(done) == 1
    e = done[0]
    assert e["op"] == "create" and e["urn"] == urn("core", "aws:dynamodb:Table", "notes")
    assert e["resourceType"] == "aws:dynamodb:Table" and e["name"] == "notes"
    assert isinstance(e["diffs"], list) and e["durationSeconds"] >= 0
    outs = [e for e in evs if e["type"] == "outputsEvent"]
    assert len(outs) == 1 and outs[0]["outputs"]["tableName"].startswith("notes-")
    assert evs[-1]["type"] == "summaryEvent"
    assert evs[-1]["resourceChanges"] == {"create": 1} and evs[-1]["changed"] is True
    assert evs[-1]["durationSeconds"] >= 0

    # an update names the changed property; a no-op says same
    table_project(d, body="""
      notes:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
          tags: {Env: test}
    """)
    p = hangar.run("preview", "--stack", "dev", "--json", cwd=d, check=True)
    evs = events(p.stdout)
    assert evs[0]["operation"] == "Previewing update"
    upd = [e for e in evs if e["type"] == "resourceEvent"]
    assert [(e["op"], e["status"], e["diffs"]) for e in upd] == [("update", "planned", ["tags"])], upd
    assert evs[-1]["resourceChanges"] == {"update": 1}
    hangar.up(d, check=True)
    p = hangar.up(d, "--json", check=True)
    evs = events(p.stdout)
    assert evs[-1]["resourceChanges"] == {"same": 1} and evs[-1]["changed"] is False


def test_up_json_failure_is_a_diagnostic_event(hangar, tmp_path, ddb):
    taken = "taken-%d" % os.getpid()
    make_client(hangar.endpoint).create_table(
        TableName=taken, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    try:
        d = str(tmp_path / "core")
        table_project(d, body="""
          notes:
            type: aws:dynamodb:Table
            properties:
              name: %s
              attributes: [{name: id, type: S}]
              hashKey: id
              billingMode: PAY_PER_REQUEST
        """ % taken, outputs="")
        p = hangar.up(d, "--json")
        assert p.returncode == 1
        evs = events(p.stdout)
        diag = [e for e in evs if e["type"] == "diagnosticEvent"]
        assert len(diag) == 1 and diag[0]["severity"] == "error", evs
        assert diag[0]["urn"] == urn("core", "aws:dynamodb:Table", "notes")
        assert diag[0]["code"] == "ResourceInUseException" and diag[0]["message"], diag
        assert evs[-1]["type"] == "summaryEvent" and evs[-1]["resourceChanges"].get("failed") == 1, evs
    finally:
        make_client(hangar.endpoint).delete_table(TableName=taken)


def test_up_all_json_events(hangar, tmp_path):
    root = str(tmp_path / "stacks")
    table_project(os.path.join(root, "zz-core"), name="core")
    write(os.path.join(root, "aa-api", "Pulumi.yaml"), """\
        name: api
        runtime: yaml
        resources:
          core:
            type: pulumi:pulumi:StackReference
            properties:
              name: organization/core/dev
        outputs:
          coreTable: ${core.outputs["tableName"]}
        """)
    write(os.path.join(root, "aa-api", "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "--json", "-C", root, check=True)
    evs = events(p.stdout)
    stack_evs = [e for e in evs if e["type"] == "stackEvent"]
    assert [(e["stack"], e["status"]) for e in stack_evs] == [
        ("organization/core/dev", "done"), ("organization/api/dev", "done")], stack_evs
    assert all(os.path.isdir(e["dir"]) for e in stack_evs)
    # each stack's own events come with it, prelude to summary
    assert [e["stack"] for e in evs if e["type"] == "preludeEvent"] == ["dev", "dev"]
    assert [e["project"] for e in evs if e["type"] == "preludeEvent"] == ["core", "api"]
    last = evs[-1]
    assert last["type"] == "allSummaryEvent" and last["durationSeconds"] >= 0
    by = {s["stack"]: s for s in last["stacks"]}
    assert by["organization/core/dev"]["status"] == "done" and by["organization/core/dev"]["create"] == 1
    assert by["organization/api/dev"]["status"] == "done"
    # the second run skips both, still as JSON
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "--json", "-C", root, check=True)
    evs = events(p.stdout)
    assert [e["status"] for e in evs if e["type"] == "stackEvent"] == ["skipped", "skipped"]
    assert [s["status"] for s in evs[-1]["stacks"]] == ["skipped", "skipped"]


def test_interactive_up_all_asks_too(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    table_project(os.path.join(root, "one"), name="one")
    table_project(os.path.join(root, "two"), name="two")
    before = set(tables(ddb))
    rc, out, err = run_on_pty(hangar, root, "no", "up", "--all", "--stack", "dev")
    assert rc != 0 and "Do you want to perform this update? yes/no:" in out, (out, err)
    assert out.count("+ 1 to create") == 2 and "created" not in out, out
    assert set(tables(ddb)) == before
    rc, out, err = run_on_pty(hangar, root, "yes", "up", "--all", "--stack", "dev")
    assert rc == 0, (out, err)
    ask_at = out.find("yes/no:")
    assert out[:ask_at].count("+ 1 to create") == 2 and out[ask_at:].count("+ 1 created") == 2, out
    assert len(set(tables(ddb)) - before) == 2


# ---- config set / rm keep the file as it was written --------------------------------------

STACK_FILE = """\
# dev settings: read by the api stack too
encryptionsalt: v1:AAAAAAAAAAA=:v1:BBBBBBBBBBBBBBBB:CCCCCCCCCCCCCCCCCCCCCC==
config:
  # the region everything lands in
  aws:region: us-east-1   # keep me
  cfgproj:zeta: last-by-name

  # a comment between keys
  cfgproj:alpha: "1"
  cfgproj:nested:
    - one
    - two
other: kept   # top-level entries after config stay too
"""


def config_project(tmp_path):
    d = str(tmp_path / "cfg")
    write(os.path.join(d, "Pulumi.yaml"), "name: cfgproj\nruntime: yaml\nresources: {}\n")
    write(os.path.join(d, "Pulumi.dev.yaml"), STACK_FILE)
    return d


def config(hangar, d, *args, check=True):
    return hangar.run("config", "--stack", "dev", *args, cwd=d, check=check)


def stack_file(d):
    with open(os.path.join(d, "Pulumi.dev.yaml")) as f:
        return f.read()


def test_config_set_changes_one_line_and_keeps_comments_and_order(hangar, tmp_path):
    d = config_project(tmp_path)
    config(hangar, d, "set", "alpha", "two words")
    after = stack_file(d)
    assert after == STACK_FILE.replace('  cfgproj:alpha: "1"\n', '  cfgproj:alpha: "two words"\n'), after
    assert config(hangar, d, "get", "alpha").stdout == "two words\n"
    # a namespaced key is edited where it stands; a value YAML would misread is quoted
    config(hangar, d, "set", "aws:region", "eu-west-1")
    assert "  aws:region: eu-west-1\n  cfgproj:zeta: last-by-name\n" in stack_file(d)
    assert "# the region everything lands in\n" in stack_file(d)
    config(hangar, d, "set", "zeta", "true")
    assert config(hangar, d, "get", "zeta").stdout == "true\n"
    assert json.loads(config(hangar, d, "get", "zeta", "--json").stdout)["value"] == "true"


def test_config_set_new_key_appends_to_the_block_and_rm_removes_only_its_lines(hangar, tmp_path):
    d = config_project(tmp_path)
    config(hangar, d, "set", "fresh", "value-1")
    after = stack_file(d)
    assert after == STACK_FILE.replace("    - two\n", "    - two\n  cfgproj:fresh: value-1\n"), after
    assert config(hangar, d, "get", "fresh").stdout == "value-1\n"
    # rm of a key with a nested value takes its nested lines with it, nothing else
    config(hangar, d, "rm", "nested")
    after = stack_file(d)
    assert after == STACK_FILE.replace("  cfgproj:nested:\n    - one\n    - two\n", "  cfgproj:fresh: value-1\n"), after
    config(hangar, d, "rm", "fresh")
    config(hangar, d, "rm", "zeta")
    assert stack_file(d) == STACK_FILE.replace("  cfgproj:zeta: last-by-name\n", "").replace(
        "  cfgproj:nested:\n    - one\n    - two\n", ""), stack_file(d)
    assert config(hangar, d, "get", "zeta", check=None).returncode != 0


def test_config_set_secret_in_place_round_trips(hangar, tmp_path):
    d = str(tmp_path / "sec")
    write(os.path.join(d, "Pulumi.yaml"), "name: cfgproj\nruntime: yaml\nresources: {}\n")
    original = "# secrets live here\nconfig:\n  # the table\n  cfgproj:table: notes\n"
    write(os.path.join(d, "Pulumi.dev.yaml"), original)
    config(hangar, d, "set", "--secret", "token", "s3cr3t value")
    after = stack_file(d)
    assert after.startswith("encryptionsalt: v1:"), after
    body = after.split("\n", 1)[1]
    assert body.startswith(original), after
    assert "\n  cfgproj:token:\n    secure: v1:" in after and "s3cr3t" not in after
    assert config(hangar, d, "get", "token").stdout == "s3cr3t value\n"
    # setting it again replaces the two lines of the secure form, not more
    config(hangar, d, "set", "--secret", "token", "other")
    again = stack_file(d)
    assert again.count("secure:") == 1 and again.split("\n", 1)[1].startswith(original), again
    assert config(hangar, d, "get", "token").stdout == "other\n"
    config(hangar, d, "set", "token", "plain-now")
    assert "secure:" not in stack_file(d) and "  cfgproj:token: plain-now\n" in stack_file(d)
    assert config(hangar, d, "get", "token").stdout == "plain-now\n"


def test_config_set_without_a_file_or_block_creates_them(hangar, tmp_path):
    d = str(tmp_path / "new")
    write(os.path.join(d, "Pulumi.yaml"), "name: cfgproj\nruntime: yaml\nresources: {}\n")
    config(hangar, d, "set", "aws:region", "us-west-2")
    assert stack_file(d) == "config:\n  aws:region: us-west-2\n"
    write(os.path.join(d, "Pulumi.dev.yaml"), "# only a comment")
    config(hangar, d, "set", "k", "v")
    assert stack_file(d) == "# only a comment\nconfig:\n  cfgproj:k: v\n"
    assert config(hangar, d, "get", "k").stdout == "v\n"
