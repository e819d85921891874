"""`hangar up|preview|destroy --all`: many micro-stacks below one folder.

Small synthetic projects are written to tmp folders (folder names chosen so
that alphabetical order is the WRONG deployment order; only the stack
references can give the right one) and deployed into the module's emulator
with their own HANGAR_HOME; boto3 checks what exists.
"""

import http.client
import json
import os
import socketserver
import subprocess
import textwrap
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import make_client

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


def project(d, name, resources, outputs="", config=""):
    """A Pulumi YAML project; resources/outputs are YAML bodies indented by two."""
    text = "name: %s\nruntime: yaml\n" % name
    if config:
        text += "config:\n" + textwrap.indent(textwrap.dedent(config), "  ")
    text += "resources:\n" + textwrap.indent(textwrap.dedent(resources), "  ")
    if outputs:
        text += "outputs:\n" + textwrap.indent(textwrap.dedent(outputs), "  ")
    write(os.path.join(d, "Pulumi.yaml"), text)
    if not os.path.exists(os.path.join(d, "Pulumi.dev.yaml")):
        write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")


def table(logical="notes", tags=None, billing="PAY_PER_REQUEST"):
    t = """
    %s:
      type: aws:dynamodb:Table
      properties:
        attributes:
          - name: id
            type: S
        hashKey: id
        billingMode: %s
    """ % (logical, billing)
    if tags:
        t += "    tags:\n" + "".join("          %s: %s\n" % (k, v) for k, v in tags.items())
    return t


def core_project(d, name="core", tags=None, extra_outputs=""):
    project(d, name, table(tags=tags), "tableName: ${notes.name}\ntableArn: ${notes.arn}\n" + extra_outputs)


def reader_project(d, name, ref, tag_expr='${core.outputs["tableName"]}'):
    """A project whose table carries a tag read from another stack."""
    project(d, name, """
    core:
      type: pulumi:pulumi:StackReference
      properties:
        name: %s
    """ % ref + table("items", tags={"Source": "'%s'" % tag_expr}), "itemsName: ${items.name}\n")


class Hangar:
    def __init__(self, home, endpoint):
        self.home = home
        self.endpoint = endpoint

    def run(self, *args, check=None, timeout=120):
        env = dict(os.environ)
        env["HANGAR_HOME"] = self.home
        env.pop("HANGAR_STACK", None)
        env.pop("PULUMI_STACK", None)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        cmd = [CLI] + list(args)
        if args[0] in ("up", "preview", "destroy"):
            cmd += ["--endpoint", self.endpoint]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check is True:
            assert p.returncode == 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        if check is False:
            assert p.returncode != 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        return p

    def up_all(self, root, check=True):
        return self.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", root, check=check)

    def preview_all(self, root, check=True):
        return self.run("preview", "--all", "--stack", "dev", "-C", root, check=check)

    def destroy_all(self, root, check=True):
        return self.run("destroy", "--all", "--stack", "dev", "--yes", "-C", root, check=check)

    def outputs(self, d):
        return json.loads(self.run("stack", "output", "--json", "--stack", "dev", "-C", d, check=True).stdout)

    def stacks(self):
        p = self.run("stack", "ls", "--json", check=None)
        return p.stdout


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


@pytest.fixture(scope="module")
def ddb(endpoint):
    return make_client(endpoint)


def tables(client):
    names, kw = [], {}
    while True:
        r = client.list_tables(**kw)
        names += r["TableNames"]
        if "LastEvaluatedTableName" not in r:
            return names
        kw = {"ExclusiveStartTableName": r["LastEvaluatedTableName"]}


def tags_of(client, name):
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def block_order(stdout, *names):
    """Positions of the "=== <stack> (" block headers, failing if one is missing."""
    pos = []
    for n in names:
        i = stdout.find("=== %s (" % n)
        assert i >= 0, "no block for %s in:\n%s" % (n, stdout)
        pos.append(i)
    return pos


def two_stacks(root):
    """core in zz-core/ and a reader in aa-api/: alphabetical order is the wrong order."""
    core_project(os.path.join(root, "zz-core"))
    reader_project(os.path.join(root, "aa-api"), "api", "organization/core/dev")


# ---- ordering, skipping, re-deploying -----------------------------------------------------

def test_up_all_deploys_in_reference_order_then_skips_everything(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    two_stacks(root)
    p = hangar.up_all(root)
    core_at, api_at = block_order(p.stdout, "organization/core/dev", "organization/api/dev")
    assert core_at < api_at, p.stdout
    assert "Stacks:" in p.stdout and "Duration:" in p.stdout
    core = hangar.outputs(os.path.join(root, "zz-core"))["tableName"]
    items = hangar.outputs(os.path.join(root, "aa-api"))["itemsName"]
    assert tags_of(ddb, items)["Source"] == core

    p = hangar.up_all(root)
    assert "organization/core/dev: unchanged, skipped" in p.stdout
    assert "organization/api/dev: unchanged, skipped" in p.stdout
    assert "created" not in p.stdout and "updated" not in p.stdout and "===" not in p.stdout


def test_same_home_pointed_at_a_fresh_emulator_deploys_again(hangar, tmp_path, ddb, emulator_factory):
    # the fingerprint names the endpoint: the state of the first emulator must
    # not make up --all skip everything on a second, empty one
    root = str(tmp_path / "stacks")
    two_stacks(root)
    hangar.up_all(root)
    assert "unchanged, skipped" in hangar.up_all(root).stdout
    fresh = emulator_factory()
    other = Hangar(hangar.home, fresh.endpoint)
    p = other.up_all(root)
    assert "skipped" not in p.stdout, p.stdout
    block_order(p.stdout, "organization/core/dev", "organization/api/dev")
    fresh_ddb = make_client(fresh.endpoint)
    core = other.outputs(os.path.join(root, "zz-core"))["tableName"]
    items = other.outputs(os.path.join(root, "aa-api"))["itemsName"]
    assert sorted(tables(fresh_ddb)) == sorted([core, items])
    assert tags_of(fresh_ddb, items)["Source"] == core
    # and once deployed there, the next up --all against it skips again
    p = other.up_all(root)
    assert "organization/core/dev: unchanged, skipped" in p.stdout, p.stdout
    assert "organization/api/dev: unchanged, skipped" in p.stdout, p.stdout


def test_root_project_and_nested_projects_and_skipped_folders(hangar, tmp_path, ddb):
    """The root folder may itself be a project (as fixtures/micro-stacks is);
    build/, node_modules/ and hidden folders are never searched."""
    root = str(tmp_path / "stacks")
    core_project(root)
    reader_project(os.path.join(root, "api"), "api", "organization/core/dev")
    for junk in ("build", "node_modules", ".cache"):
        core_project(os.path.join(root, junk, "x"), name="junk-" + junk.strip("."))
    p = hangar.up_all(root)
    assert "Updating 2 stacks" in p.stdout, p.stdout
    assert "junk" not in p.stdout


def test_a_changed_output_redeploys_the_dependent_and_an_unchanged_one_does_not(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    core = os.path.join(root, "zz-core")
    core_project(core, extra_outputs="greeting: hello\n")
    reader_project(os.path.join(root, "aa-api"), "api", "organization/core/dev", '${core.outputs["greeting"]}')
    hangar.up_all(root)
    items = hangar.outputs(os.path.join(root, "aa-api"))["itemsName"]
    assert tags_of(ddb, items)["Source"] == "hello"

    # A change in core that leaves its outputs alone: core updates, api is skipped.
    core_project(core, tags={"Team": "infra"}, extra_outputs="greeting: hello\n")
    p = hangar.up_all(root)
    assert "~ 1 updated" in p.stdout
    assert "organization/api/dev: unchanged, skipped" in p.stdout, p.stdout

    # A changed output: api runs again and picks it up.
    core_project(core, tags={"Team": "infra"}, extra_outputs="greeting: goodbye\n")
    p = hangar.up_all(root)
    core_at, api_at = block_order(p.stdout, "organization/core/dev", "organization/api/dev")
    assert core_at < api_at
    assert "~  aws:dynamodb:Table items updated" in p.stdout, p.stdout
    assert tags_of(ddb, items)["Source"] == "goodbye"
    p = hangar.up_all(root)
    assert p.stdout.count("unchanged, skipped") == 4   # two block lines, two summary lines


def test_a_changed_file_the_program_reads_redeploys_its_stack(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    d = os.path.join(root, "one")
    write(os.path.join(d, "label.txt"), "first")
    project(d, "reads-file", table(tags={"Label": "'${label}'"}), "label: ${label}\n",
            config="")
    # variables: are read before resources; put the readFile there
    with open(os.path.join(d, "Pulumi.yaml")) as f:
        text = f.read()
    text = text.replace("resources:\n", "variables:\n  label:\n    fn::readFile: ./label.txt\nresources:\n", 1)
    with open(os.path.join(d, "Pulumi.yaml"), "w") as f:
        f.write(text)
    hangar.up_all(root)
    assert hangar.outputs(d)["label"] == "first"
    assert "unchanged, skipped" in hangar.up_all(root).stdout
    write(os.path.join(d, "label.txt"), "second")
    p = hangar.up_all(root)
    assert "unchanged, skipped" not in p.stdout.split("Stacks:")[0], p.stdout
    assert hangar.outputs(d)["label"] == "second"


# ---- independence and failures ----------------------------------------------------------------

class SlowProxy:
    """Forwards every request to the emulator after a fixed delay, so time
    spent shows whether independent stacks ran at once or one by one."""

    def __init__(self, target, delay):
        u = urllib.parse.urlsplit(target)
        host, port, outer = u.hostname, u.port, self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                time.sleep(outer.delay)
                c = http.client.HTTPConnection(host, port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                c.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.delay = delay
        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_independent_stacks_run_in_parallel(hangar, tmp_path, endpoint, ddb):
    proxy = SlowProxy(endpoint, 0.15)
    try:
        slow = Hangar(hangar.home, proxy.url)
        one = str(tmp_path / "one")
        core_project(os.path.join(one, "solo"), name="solo")
        t = time.time()
        slow.up_all(one)
        single = time.time() - t

        many = str(tmp_path / "many")
        for i in range(4):
            core_project(os.path.join(many, "p%d" % i), name="indep%d" % i)
        t = time.time()
        p = slow.up_all(many)
        four = time.time() - t
    finally:
        proxy.close()
    assert p.stdout.count("+ 1 created") == 4, p.stdout
    # one by one would take about 4x a single stack; at once, about 1x
    assert four < 2.5 * single, "4 independent stacks took %.2fs, one took %.2fs" % (four, single)


def test_a_failed_stack_stops_its_dependents_not_the_others(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    project(os.path.join(root, "zz-core"), "core", table(billing="SOMETIMES"), "tableName: ${notes.name}\n")
    reader_project(os.path.join(root, "aa-api"), "api", "organization/core/dev")
    core_project(os.path.join(root, "mm-other"), name="other")
    before = set(tables(ddb))
    p = hangar.up_all(root, check=False)
    assert p.returncode != 0
    assert "organization/api/dev: not run: it depends on organization/core/dev, which failed" in p.stdout, p.stdout
    assert "organization/other/dev: 1 created" in p.stdout, p.stdout
    assert "billingMode" in p.stdout + p.stderr
    new = set(tables(ddb)) - before
    assert len(new) == 1 and next(iter(new)).startswith("notes-"), new


def test_cycle_is_refused_naming_it_before_anything_changes(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    reader_project(os.path.join(root, "a"), "a", "organization/b/dev")
    reader_project(os.path.join(root, "b"), "b", "organization/a/dev")
    core_project(os.path.join(root, "c"), name="c")
    before = set(tables(ddb))
    p = hangar.up_all(root, check=False)
    assert "stack cycle: organization/a/dev -> organization/b/dev -> organization/a/dev" in p.stderr, p.stderr
    assert set(tables(ddb)) == before


def test_missing_external_reference_is_refused_before_anything_changes(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    core_project(os.path.join(root, "core"))
    reader_project(os.path.join(root, "api"), "api", "organization/elsewhere/dev")
    before = set(tables(ddb))
    p = hangar.up_all(root, check=False)
    assert "organization/elsewhere/dev" in p.stderr and "nothing was changed" in p.stderr, p.stderr
    assert set(tables(ddb)) == before


def test_external_reference_to_a_deployed_stack_is_fine(hangar, tmp_path, ddb):
    outside = str(tmp_path / "outside")
    core_project(outside, name="shared")
    hangar.run("up", "--stack", "dev", "--yes", "-C", outside, check=True)
    root = str(tmp_path / "stacks")
    reader_project(os.path.join(root, "api"), "api", "organization/shared/dev")
    p = hangar.up_all(root)
    assert "organization/api/dev: 1 created" in p.stdout, p.stdout


def test_all_needs_a_stack_name(hangar, tmp_path):
    root = str(tmp_path / "stacks")
    core_project(os.path.join(root, "core"))
    p = hangar.run("up", "--all", "--yes", "-C", root, check=False)
    assert "--stack" in p.stderr
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "-C", str(tmp_path / "empty-nothing"), check=False)
    assert p.returncode != 0


# ---- preview and destroy ---------------------------------------------------------------------

def test_preview_all_changes_nothing(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    two_stacks(root)
    before = set(tables(ddb))
    p = hangar.preview_all(root)
    assert "+ 1 to create" in p.stdout
    assert ("organization/api/dev: not previewed: it reads organization/core/dev, which is not deployed yet"
            in p.stdout), p.stdout
    assert set(tables(ddb)) == before
    assert not os.path.exists(os.path.join(hangar.home, "state.db")) or "core" not in hangar.stacks()

    hangar.up_all(root)
    core_project(os.path.join(root, "zz-core"), tags={"Team": "infra"})
    p = hangar.preview_all(root)
    assert "~  aws:dynamodb:Table notes update" in p.stdout
    assert "may change" in p.stdout, p.stdout          # the dependent's note
    p = hangar.up_all(root)                              # the preview changed nothing: the update is still due
    assert "~ 1 updated" in p.stdout


def test_destroy_all_goes_in_reverse_order(hangar, tmp_path, ddb):
    root = str(tmp_path / "stacks")
    two_stacks(root)
    hangar.up_all(root)
    core = hangar.outputs(os.path.join(root, "zz-core"))["tableName"]
    items = hangar.outputs(os.path.join(root, "aa-api"))["itemsName"]
    p = hangar.destroy_all(root)
    core_at, api_at = block_order(p.stdout, "organization/core/dev", "organization/api/dev")
    assert api_at < core_at, p.stdout
    names = set(tables(ddb))
    assert core not in names and items not in names
    # and up --all brings both back (destroy clears the fingerprints)
    p = hangar.up_all(root)
    assert p.stdout.count("+ 1 created") == 2, p.stdout


# ---- the lambda code fix the e2e flow relies on ------------------------------------------------

def test_editing_a_lambda_code_file_updates_the_function(hangar, tmp_path, endpoint):
    root = str(tmp_path / "stacks")
    d = os.path.join(root, "fn")
    write(os.path.join(d, "code", "index.lua"), "local M = {}\nfunction M.handler() return 1 end\nreturn M\n")
    project(d, "fnproj", """
    role:
      type: aws:iam:Role
      properties:
        assumeRolePolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    fn:
      type: aws:lambda:Function
      properties:
        runtime: lua5.4
        handler: index.handler
        role: ${role.arn}
        code:
          fn::fileArchive: ./code
    """, "fnName: ${fn.name}\n")
    hangar.up_all(root)
    lam = make_client(endpoint, service="lambda")
    name = hangar.outputs(d)["fnName"]
    sha = lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
    assert "unchanged, skipped" in hangar.up_all(root).stdout
    write(os.path.join(d, "code", "index.lua"), "local M = {}\nfunction M.handler() return 2 end\nreturn M\n")
    p = hangar.up_all(root)
    assert "~  aws:lambda:Function fn updated" in p.stdout and "~sourceCodeHash" in p.stdout, p.stdout
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] != sha
    # and the single-stack path sees it too: nothing left to do
    p = hangar.run("up", "--stack", "dev", "--yes", "-C", d, check=True)
    assert "updated" not in p.stdout
