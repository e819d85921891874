"""Faults around the deployer.

1. `hangar up` killed with SIGKILL midway through a project of a table, three
   Lambda functions with their permissions, and a REST API with resources,
   methods and integrations: a rerun converges. The state then names exactly
   the emulator's resources of this project (no orphans, no duplicates), the
   stack lock left by the dead process is reported stale and cleared, and a
   further `up` changes nothing.
2. The emulator restarted in memory (everything gone) while the deployer's
   state survives: `hangar up --refresh` recreates what vanished.

Each test has its own emulator and HANGAR_HOME, so counting every table,
function and API the emulator holds is exact.
"""

import os
import signal
import sqlite3
import subprocess
import textwrap
import time

import pytest

from hg_blackbox_conftest import make_client

CLI = os.environ.get("HANGAR_CLI")

HANDLER = 'return {handler = function(event) return {statusCode = 200, body = "ok"} end}\n'


def project(d, nfunctions=3):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.lua"), "w") as f:
        f.write(HANDLER)
    res = """
      table:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: id, type: S}]
          hashKey: id
          billingMode: PAY_PER_REQUEST
      api:
        type: aws:apigateway:RestApi
        properties:
          description: fault test
    """
    for i in range(nfunctions):
        res += """
      fn{i}:
        type: aws:lambda:Function
        properties:
          runtime: lua5.4
          handler: index.handler
          role: arn:aws:iam::000000000000:role/fault
          environment:
            variables:
              TABLE: ${{table.name}}
          code:
            fn::assetArchive:
              index.lua:
                fn::fileAsset: ./index.lua
      res{i}:
        type: aws:apigateway:Resource
        properties:
          restApi: ${{api.id}}
          parentId: ${{api.rootResourceId}}
          pathPart: r{i}
      method{i}:
        type: aws:apigateway:Method
        properties:
          restApi: ${{api.id}}
          resourceId: ${{res{i}.id}}
          httpMethod: GET
          authorization: NONE
      integration{i}:
        type: aws:apigateway:Integration
        properties:
          restApi: ${{api.id}}
          resourceId: ${{res{i}.id}}
          httpMethod: ${{method{i}.httpMethod}}
          type: AWS_PROXY
          integrationHttpMethod: POST
          uri: ${{fn{i}.invokeArn}}
      permission{i}:
        type: aws:lambda:Permission
        properties:
          action: lambda:InvokeFunction
          function: ${{fn{i}.name}}
          principal: apigateway.amazonaws.com
          sourceArn: ${{api.executionArn}}/*/*
    """.format(i=i)
    text = "name: faulty\nruntime: yaml\nresources:\n" + textwrap.indent(textwrap.dedent(res), "  ")
    with open(os.path.join(d, "Pulumi.yaml"), "w") as f:
        f.write(text)
    with open(os.path.join(d, "Pulumi.dev.yaml"), "w") as f:
        f.write("config:\n  aws:region: us-east-1\n")
    return 2 + 5 * nfunctions


class Deployer:
    def __init__(self, home, endpoint):
        self.home, self.endpoint = home, endpoint

    def env(self):
        env = dict(os.environ)
        env["HANGAR_HOME"] = self.home
        env.pop("HANGAR_STACK", None)
        env.pop("PULUMI_STACK", None)
        return env

    def cmd(self, d, *args, endpoint=True):
        c = [CLI] + list(args) + ["-C", d]
        if endpoint:
            c += ["--endpoint", self.endpoint]
        return c

    def run(self, d, *args, endpoint=True, check=False):
        p = subprocess.run(self.cmd(d, *args, endpoint=endpoint), env=self.env(), capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check:
            assert p.returncode == 0, "hangar %s failed:\n%s\n%s" % (" ".join(args), p.stdout, p.stderr)
        return p

    def up(self, d, *extra, check=True):
        return self.run(d, "up", "--stack", "dev", "--yes", "--skip-preview", *extra, check=check)

    def state(self):
        db = sqlite3.connect(os.path.join(self.home, "state.db"))
        try:
            return db.execute("SELECT urn, id, pending FROM resources").fetchall()
        finally:
            db.close()


def emulator_resources(endpoint):
    ddb = make_client(endpoint)
    lam = make_client(endpoint, service="lambda")
    gw = make_client(endpoint, service="apigateway")
    tables = ddb.list_tables()["TableNames"]
    functions = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    apis = [a["id"] for a in gw.get_rest_apis()["items"]]
    resources = {a: sorted(r["path"] for r in gw.get_resources(restApiId=a)["items"]) for a in apis}
    return tables, functions, apis, resources


def require_cli():
    if not CLI:
        pytest.fail("HANGAR_CLI is not set (path to the hangar binary)")


def test_kill9_of_up_midway_then_rerun_converges(emulator_factory, tmp_path):
    require_cli()
    emu = emulator_factory()
    h = Deployer(str(tmp_path / "home"), emu.endpoint)
    d = str(tmp_path / "proj")
    count = project(d)

    # measure a full run on a throwaway emulator to pick kill points inside it
    probe = emulator_factory()
    t = time.time()
    Deployer(str(tmp_path / "probe-home"), probe.endpoint).up(d)
    full = time.time() - t
    probe.stop()

    killed_mid = 0
    for frac in (0.3, 0.6):
        proc = subprocess.Popen(h.cmd(d, "up", "--stack", "dev", "--yes", "--skip-preview", "--parallel", "1"),
                                env=h.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * frac)
        if proc.poll() is None:
            killed_mid += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    # the dead process's lock: up must not hang on it; it is stale and clearable
    p = h.up(d, check=False)
    if p.returncode != 0:
        assert "lock" in (p.stderr + p.stdout).lower(), p.stdout[-3000:] + p.stderr
        h.run(d, "stack", "unlock", "--stack", "dev", endpoint=False, check=True)
        p = h.up(d)
    rows = h.state()
    assert all(not pending for _, _, pending in rows), rows
    assert len(rows) == count, "state holds %d resources, the program %d: %r" % (len(rows), count, rows)

    tables, functions, apis, resources = emulator_resources(emu.endpoint)
    ids = {i for _, i, _ in rows}
    assert len(tables) == 1 and tables[0] in ids, ("orphan or duplicate tables", tables, ids)
    assert len(functions) == 3 and set(functions) <= ids, ("orphan or duplicate functions", functions)
    assert len(apis) == 1 and apis[0] in ids, ("orphan or duplicate APIs", apis)
    assert resources[apis[0]] == ["/", "/r0", "/r1", "/r2"], resources

    p = h.up(d)
    assert "%d unchanged" % count in p.stdout, p.stdout
    assert killed_mid >= 1, "no kill landed while up was running (full run took %.2fs)" % full


def test_up_refresh_recreates_what_an_in_memory_restart_lost(emulator_factory, tmp_path):
    require_cli()
    emu = emulator_factory()
    h = Deployer(str(tmp_path / "home"), emu.endpoint)
    d = str(tmp_path / "proj")
    count = project(d, nfunctions=1)
    h.up(d)
    before = emulator_resources(emu.endpoint)
    assert len(before[0]) == 1 and len(before[1]) == 1 and len(before[2]) == 1, before
    emu.stop()

    emu2 = emulator_factory()          # in memory: everything is gone
    h.endpoint = emu2.endpoint
    assert emulator_resources(emu2.endpoint)[:3] == ([], [], [])
    p = h.up(d, "--refresh", check=False)
    assert p.returncode == 0, ("`hangar up --refresh` could not recreate what vanished:\n%s\n%s"
                               % (p.stdout, p.stderr))
    tables, functions, apis, resources = emulator_resources(emu2.endpoint)
    assert len(tables) == 1 and len(functions) == 1 and len(apis) == 1, (tables, functions, apis)
    assert resources[apis[0]] == ["/", "/r0"], resources
    rows = h.state()
    assert len(rows) == count and all(not pending for _, _, pending in rows), rows
    ids = {i for _, i, _ in rows}
    assert tables[0] in ids and functions[0] in ids and apis[0] in ids
    p = h.up(d)
    assert "%d unchanged" % count in p.stdout, p.stdout
