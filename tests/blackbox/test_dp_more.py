"""More of issue 5 end to end, for what the other deployer tests leave out:
endpoint and credentials precedence (seen through a recording proxy),
SigV4 signing, retries of transient failures, a failed step stopping only
its dependents, resource options (retainOnDelete, deleteBeforeReplace,
ignoreChanges, replaceOnChanges), delete in reverse order and parallelism
inside one stack, program errors with file:line before anything changes,
missing required config, fn::invoke, the API Gateway / Lambda outputs as
@pulumi/aws names them, and every command's --help and the stack commands.
"""

import http.client
import json
import os
import re
import socket
import socketserver
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import pytest

from conftest import make_client
from test_dp_e2e import Hangar, table_project, tables, write

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")


@pytest.fixture
def hangar(endpoint, tmp_path):
    return Hangar(str(tmp_path / "home"), endpoint)


@pytest.fixture(scope="module")
def ddb(endpoint):
    return make_client(endpoint)


def tags_of(client, name):
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def table(logical, extra="", billing="PAY_PER_REQUEST", key="id"):
    return """
      %s:
        type: aws:dynamodb:Table
        properties:
          attributes: [{name: %s, type: S}]
          hashKey: %s
          billingMode: %s
%s""" % (logical, key, key, billing, extra)


def raw(hangar, *args, env=None, cwd=None):
    """hangar without the helper's automatic --endpoint."""
    e = hangar.env()
    e.pop("HANGAR_ENDPOINT", None)
    e.update(env or {})
    cmd = [CLI] + list(args) + (["-C", cwd] if cwd else [])
    p = subprocess.run(cmd, env=e, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
    return p


class Proxy:
    """Forwards to the emulator, recording each request's method, path and
    Authorization header; optionally delays every request, or answers the
    first `fail` requests with a 503 ThrottlingException."""

    def __init__(self, target, delay=0.0, fail=0):
        u = urllib.parse.urlsplit(target)
        host, port, outer = u.hostname, u.port, self
        self.delay, self.fail, self.seen, self.failed = delay, fail, [], 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, headers, data):
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                with outer.lock:
                    outer.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                    failing = outer.failed < outer.fail
                    if failing:
                        outer.failed += 1
                if failing:
                    data = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                                       "message": "Rate exceeded"}).encode()
                    return self.reply(503, [("Content-Type", "application/x-amz-json-1.0")], data)
                time.sleep(outer.delay)
                c = http.client.HTTPConnection(host, port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                self.reply(r.status, r.getheaders(), data)
                c.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def access_keys(self):
        return {m.group(1) for _, _, a in self.seen for m in [re.search(r"Credential=([^/]+)/", a)] if m}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(endpoint):
    made = []

    def make(**kw):
        p = Proxy(endpoint, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- endpoint, credentials, signing, retries ----------------------------------------------

def test_endpoint_flag_beats_env_which_beats_the_default(hangar, tmp_path, proxy, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    via_env, via_flag = proxy(), proxy()
    dead = "http://127.0.0.1:%d" % free_port()
    # HANGAR_ENDPOINT alone
    p = raw(hangar, "preview", "--stack", "dev", env={"HANGAR_ENDPOINT": via_env.url}, cwd=d)
    assert p.returncode == 0, p.stderr
    # --endpoint wins over HANGAR_ENDPOINT (which points nowhere)
    p = raw(hangar, "up", "--stack", "dev", "--yes", "--endpoint", via_flag.url, env={"HANGAR_ENDPOINT": dead}, cwd=d)
    assert p.returncode == 0, p.stderr
    assert via_flag.seen and hangar.outputs(d)["tableName"] in tables(ddb)
    # the global form before the command works too
    p = raw(hangar, "--endpoint", via_env.url, "up", "--stack", "dev", "--yes", cwd=d)
    assert p.returncode == 0 and "1 unchanged" in p.stdout, p.stderr
    # neither: http://127.0.0.1:4566 (a change, so that AWS must be called)
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 4566)) == 0:
            pytest.skip("something listens on 127.0.0.1:4566")
    table_project(d, body=table("notes", "          tags: {Changed: 'yes'}\n"))
    p = raw(hangar, "up", "--stack", "dev", "--yes", cwd=d)
    assert p.returncode == 1 and "127.0.0.1:4566" in p.stderr, p.stderr


def test_credentials_env_then_shared_file_then_test(hangar, tmp_path, proxy):
    d = str(tmp_path / "core")
    table_project(d)
    home = tmp_path / "userhome"
    write(str(home / ".aws" / "credentials"),
          "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n"
          "[other]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n")
    clean = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
             "AWS_SHARED_CREDENTIALS_FILE": "", "AWS_PROFILE": ""}
    cases = [
        (dict(clean, AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="x", HOME=str(home)), "AKIDENV"),
        (dict(clean, HOME=str(home)), "AKIDFILE"),
        (dict(clean, HOME=str(home), AWS_PROFILE="other"), "AKIDPROFILE"),
        (dict(clean, HOME=str(tmp_path / "nohome")), "test"),
    ]
    for i, (env, want) in enumerate(cases):
        table_project(d, body=table("notes", "          tags: {Case: '%d'}\n" % i))   # a change: AWS is called
        px = proxy()
        p = raw(hangar, "preview", "--stack", "dev", "--endpoint", px.url, env=env, cwd=d)
        assert p.returncode == 0, p.stderr
        p = raw(hangar, "up", "--stack", "dev", "--yes", "--endpoint", px.url, env=env, cwd=d)
        assert p.returncode == 0, p.stderr
        assert px.seen, "no request reached the proxy"
        assert px.access_keys() == {want}, (want, px.seen[:3])
        # SigV4: the scope is <date>/<region>/<service>/aws4_request
        for _, _, auth in px.seen:
            assert auth.startswith("AWS4-HMAC-SHA256 Credential=%s/" % want), auth
            assert re.search(r"/\d{8}/us-east-1/(dynamodb|sts)/aws4_request", auth), auth
            assert "SignedHeaders=" in auth and "Signature=" in auth


def test_transient_failures_are_retried(hangar, tmp_path, proxy, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    px = proxy(fail=2)
    p = raw(hangar, "up", "--stack", "dev", "--yes", "--endpoint", px.url, cwd=d)
    assert p.returncode == 0, p.stderr
    assert px.failed == 2 and len(px.seen) > 2
    assert hangar.outputs(d)["tableName"] in tables(ddb)


def test_a_failed_step_stops_its_dependents_and_lets_the_rest_finish(hangar, tmp_path, ddb):
    taken = "taken-more-%d" % os.getpid()
    ddb.create_table(TableName=taken, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    try:
        d = str(tmp_path / "core")
        table_project(d, body=table("broken", "          name: %s\n" % taken)
                      + table("child", "          tags: {Parent: '${broken.arn}'}\n")
                      + table("loner"), outputs="")
        before = set(tables(ddb))
        p = hangar.up(d)
        assert p.returncode == 1
        assert "ResourceInUseException" in p.stderr and taken in p.stderr, p.stderr
        made = set(tables(ddb)) - before
        assert [t for t in made if t.startswith("loner-")], (made, p.stdout)
        assert not [t for t in made if t.startswith("child-")], (made, p.stdout)
        assert "**creating failed** error: ResourceInUseException" in p.stdout, p.stdout
        assert "+ 1 created" in p.stdout and re.search(r"\n    \d failed\n", p.stdout), p.stdout
    finally:
        ddb.delete_table(TableName=taken)


# ---- resource options ------------------------------------------------------------------------

def test_retain_on_delete_keeps_the_table(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d, body=table("keep", "        options:\n          retainOnDelete: true\n") + table("other"),
                  outputs="keepName: ${keep.name}\n")
    hangar.up(d, check=True)
    name = hangar.outputs(d)["keepName"]
    table_project(d, body=table("other"), outputs="")
    p = hangar.up(d, check=True)
    assert "-  aws:dynamodb:Table keep deleted" in p.stdout
    assert name in tables(ddb)
    exported = json.loads(hangar.run("stack", "export", "--stack", "dev", cwd=d, check=True).stdout)
    assert [r["urn"] for r in exported["checkpoint"]["latest"]["resources"] if r["urn"].endswith("::keep")] == []
    ddb.delete_table(TableName=name)


def test_delete_before_replace_frees_a_fixed_name(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    fixed = "fixed-dbr-%d" % os.getpid()
    opts = "          name: %s\n        options:\n          deleteBeforeReplace: true\n" % fixed
    table_project(d, body=table("t", opts), outputs="")
    hangar.up(d, check=True)
    table_project(d, body=table("t", opts, key="pk"), outputs="")
    p = hangar.up(d, "--json", check=True)
    evs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    assert evs[-1]["resourceChanges"] == {"replace": 1}, evs
    ks = ddb.describe_table(TableName=fixed)["Table"]["KeySchema"]
    assert ks == [{"AttributeName": "pk", "KeyType": "HASH"}]
    hangar.run("destroy", "--stack", "dev", "--yes", cwd=d, check=True)


def test_ignore_changes_and_replace_on_changes(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    def prog(label, options):
        table_project(d, body=table("t", "          tags: {Label: %s}\n        options:\n%s" % (label, options)),
                      outputs="name: ${t.name}\n")
    prog("one", "          ignoreChanges: [tags]\n")
    hangar.up(d, check=True)
    name = hangar.outputs(d)["name"]
    prog("two", "          ignoreChanges: [tags]\n")
    p = hangar.up(d, check=True)
    assert "1 unchanged" in p.stdout and "updated" not in p.stdout, p.stdout
    assert tags_of(ddb, name)["Label"] == "one"
    # a change to tags now forces a replacement instead of an update
    prog("three", "          replaceOnChanges: [tags]\n")
    p = hangar.up(d, check=True)
    assert "+- aws:dynamodb:Table t replaced" in p.stdout and "[diff: ~tags" in p.stdout, p.stdout
    new = hangar.outputs(d)["name"]
    assert new != name and name not in tables(ddb) and tags_of(ddb, new)["Label"] == "three"


# ---- engine: reverse deletes, parallelism ------------------------------------------------------

def test_destroy_deletes_dependents_first(hangar, tmp_path):
    d = str(tmp_path / "core")
    table_project(d, body=table("base") + table("mid", "          tags: {Up: '${base.name}'}\n")
                  + table("top", "          tags: {Up: '${mid.name}'}\n"), outputs="")
    p = hangar.up(d, "--json", check=True)
    created = [json.loads(l)["name"] for l in p.stdout.splitlines()
               if '"resourceEvent"' in l and '"done"' in l]
    assert created == ["base", "mid", "top"], created
    p = hangar.run("destroy", "--stack", "dev", "--yes", "--json", cwd=d, check=True)
    deleted = [json.loads(l)["name"] for l in p.stdout.splitlines()
               if '"resourceEvent"' in l and '"done"' in l]
    assert deleted == ["top", "mid", "base"], deleted


def test_independent_resources_run_in_parallel(hangar, tmp_path, proxy):
    body = "".join(table("p%d" % i) for i in range(6))
    times = {}
    for par in ("1", "8"):
        d = str(tmp_path / ("core" + par))
        table_project(d, body=body, outputs="")
        px = proxy(delay=0.15)
        t = time.time()
        p = raw(hangar, "up", "--stack", "dev", "--yes", "--parallel", par, "--endpoint", px.url, cwd=d)
        times[par] = time.time() - t
        assert p.returncode == 0 and "+ 6 created" in p.stdout, p.stderr
        raw(hangar, "destroy", "--stack", "dev", "--yes", "--endpoint", hangar.endpoint, cwd=d)
    # one at a time takes about 6x the at-once time (each create waits on the proxy)
    assert times["8"] < 0.5 * times["1"], times


# ---- program errors, config, fn::invoke ------------------------------------------------------------

def test_program_errors_name_file_line_and_touch_nothing(hangar, tmp_path, ddb):
    cases = {
        "unknown type": (table("ok") + """
      bad:
        type: aws:dynamodb:Tabel
        properties: {}
""", "aws:dynamodb:Tabel"),
        "undefined resource": (table("ok", "          tags: {X: '${nowhere.name}'}\n"), "nowhere"),
        "cycle": (table("ok") + table("a", "          tags: {X: '${b.name}'}\n")
                  + table("b", "          tags: {X: '${a.name}'}\n"), "cycle"),
    }
    before = set(tables(ddb))
    for what, (body, named) in cases.items():
        d = str(tmp_path / what.replace(" ", "-"))
        table_project(d, body=body, outputs="")
        p = hangar.up(d)
        assert p.returncode == 1, (what, p.stdout)
        assert re.search(r"Pulumi\.yaml:\d+", p.stderr), (what, p.stderr)
        assert named in p.stderr, (what, p.stderr)
    write(str(tmp_path / "syntax" / "Pulumi.yaml"), "name: core\nruntime: yaml\nresources:\n  a: [unclosed\n")
    write(str(tmp_path / "syntax" / "Pulumi.dev.yaml"), "config: {}\n")
    p = hangar.up(str(tmp_path / "syntax"))
    assert p.returncode == 1 and re.search(r"Pulumi\.yaml:\d+", p.stderr), p.stderr
    assert set(tables(ddb)) == before


def test_missing_required_config_names_the_key_and_the_file(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: core
        runtime: yaml
        config:
          env:
            type: string
        resources:
          t:
            type: aws:dynamodb:Table
            properties:
              attributes: [{name: id, type: S}]
              hashKey: id
              billingMode: PAY_PER_REQUEST
              tags: {Env: '${env}'}
        """)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    before = set(tables(ddb))
    p = hangar.up(d)
    assert p.returncode == 1
    assert "core:env" in p.stderr and "Pulumi.dev.yaml" in p.stderr, p.stderr
    assert set(tables(ddb)) == before
    hangar.run("config", "set", "env", "test", "--stack", "dev", cwd=d, check=True)
    hangar.up(d, check=True)


def test_invoke_caller_identity_and_region(hangar, tmp_path):
    d = str(tmp_path / "core")
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: core
        runtime: yaml
        variables:
          me:
            fn::invoke:
              function: aws:index:getCallerIdentity
          where:
            fn::invoke:
              function: aws:index:getRegion
        resources: {}
        outputs:
          account: ${me.accountId}
          region: ${where.name}
          stack: ${pulumi.stack}
          project: ${pulumi.project}
        """)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: eu-west-1\n")
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    assert re.fullmatch(r"\d{12}", out["account"]), out
    assert out["region"] == "eu-west-1" and out["stack"] == "dev" and out["project"] == "core"


# ---- API Gateway and Lambda outputs ----------------------------------------------------------------

def test_api_and_lambda_outputs_as_pulumi_names_them(hangar, tmp_path, endpoint):
    d = str(tmp_path / "api")
    write(os.path.join(d, "code", "hello.lua"),
          "local M = {}\nfunction M.handler(event)\n"
          "  return {statusCode = 200, headers = {['Content-Type'] = 'text/plain'}, body = 'hi'}\nend\nreturn M\n")
    write(os.path.join(d, "Pulumi.yaml"), """\
        name: api
        runtime: yaml
        resources:
          role:
            type: aws:iam:Role
            properties:
              assumeRolePolicy:
                fn::toJSON:
                  Version: "2012-10-17"
                  Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
          attach:
            type: aws:iam:RolePolicyAttachment
            properties:
              role: ${role.name}
              policyArn: arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
          fn:
            type: aws:lambda:Function
            properties:
              runtime: lua5.4
              handler: hello.handler
              role: ${role.arn}
              code:
                fn::fileArchive: ./code
          api:
            type: aws:apigateway:RestApi
            properties: {}
          res:
            type: aws:apigateway:Resource
            properties:
              restApi: ${api.id}
              parentId: ${api.rootResourceId}
              pathPart: hello
          method:
            type: aws:apigateway:Method
            properties:
              restApi: ${api.id}
              resourceId: ${res.id}
              httpMethod: GET
              authorization: NONE
          integration:
            type: aws:apigateway:Integration
            properties:
              restApi: ${api.id}
              resourceId: ${res.id}
              httpMethod: ${method.httpMethod}
              type: AWS_PROXY
              integrationHttpMethod: POST
              uri: ${fn.invokeArn}
          perm:
            type: aws:lambda:Permission
            properties:
              action: lambda:InvokeFunction
              function: ${fn.name}
              principal: apigateway.amazonaws.com
              sourceArn: ${api.executionArn}/*/*
          deployment:
            type: aws:apigateway:Deployment
            properties:
              restApi: ${api.id}
            options:
              dependsOn: [ "${integration}" ]
          stage:
            type: aws:apigateway:Stage
            properties:
              restApi: ${api.id}
              deployment: ${deployment.id}
              stageName: v1
        outputs:
          fnArn: ${fn.arn}
          fnName: ${fn.name}
          invokeArn: ${fn.invokeArn}
          apiId: ${api.id}
          rootResourceId: ${api.rootResourceId}
          executionArn: ${api.executionArn}
          invokeUrl: ${stage.invokeUrl}
          roleArn: ${role.arn}
        """)
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    assert out["fnName"].startswith("fn-") and len(out["fnName"]) == 10
    assert out["invokeArn"] == ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations"
                                % out["fnArn"])
    agw = make_client(endpoint, service="apigateway")
    items = agw.get_resources(restApiId=out["apiId"])["items"]
    assert [i["id"] for i in items if i["path"] == "/"] == [out["rootResourceId"]]
    account = out["fnArn"].split(":")[4]
    assert out["executionArn"] == "arn:aws:execute-api:us-east-1:%s:%s" % (account, out["apiId"])
    assert out["invokeUrl"] == "%s/restapis/%s/v1/_user_request_" % (hangar.endpoint, out["apiId"])
    assert out["roleArn"].startswith("arn:aws:iam::") and ":role/role-" in out["roleArn"]
    u = urllib.parse.urlsplit(out["invokeUrl"] + "/hello")
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", u.path)
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"hi")
    c.close()


# ---- the commands ----------------------------------------------------------------------------------

def test_every_command_has_help(hangar):
    for cmd in ("up", "preview", "destroy", "refresh", "stack", "config", "version"):
        p = raw(hangar, cmd, "--help")
        assert p.returncode == 0 and "usage" in p.stdout.lower(), (cmd, p.stdout, p.stderr)
    for sub in ("ls", "output", "export", "import", "rm", "unlock", "init", "select"):
        p = raw(hangar, "stack", sub, "--help")
        assert p.returncode == 0 and p.stdout.strip(), (sub, p.stdout, p.stderr)
    p = raw(hangar, "--help")
    assert p.returncode == 0 and all(c in p.stdout for c in ("up", "preview", "destroy", "refresh", "stack"))
    p = raw(hangar, "version")
    assert p.returncode == 0 and p.stdout.startswith("v")


def test_stack_init_select_ls_rm(hangar, tmp_path, ddb):
    d = str(tmp_path / "core")
    table_project(d)
    write(os.path.join(d, "Pulumi.prod.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.run("stack", "init", "prod", cwd=d, check=True)
    hangar.run("stack", "select", "prod", cwd=d, check=True)
    # no --stack: the selected one
    p = raw(hangar, "up", "--yes", "--endpoint", hangar.endpoint, cwd=d)
    assert p.returncode == 0 and "Updating (prod)" in p.stdout, p.stderr
    name = hangar.outputs(d, stack="prod")["tableName"]
    p = hangar.run("stack", "ls", cwd=d, check=True)
    assert "prod" in p.stdout
    # rm refuses a stack that still has resources
    p = hangar.run("stack", "rm", "prod", "--yes", cwd=d)
    assert p.returncode != 0 and name in tables(ddb)
    hangar.run("destroy", "--stack", "prod", "--yes", cwd=d, check=True)
    hangar.run("stack", "rm", "prod", "--yes", cwd=d, check=True)
    p = hangar.run("stack", "ls", cwd=d, check=True)
    assert "prod" not in p.stdout


def mock_route(name):
    """A resource /<name> whose GET answers 200 {"route": name} from a MOCK integration."""
    return """
  %(n)sRes:
    type: aws:apigateway:Resource
    properties: {restApi: "${api.id}", parentId: "${api.rootResourceId}", pathPart: %(n)s}
  %(n)sMethod:
    type: aws:apigateway:Method
    properties: {restApi: "${api.id}", resourceId: "${%(n)sRes.id}", httpMethod: GET, authorization: NONE}
  %(n)sIntegration:
    type: aws:apigateway:Integration
    properties:
      restApi: ${api.id}
      resourceId: ${%(n)sRes.id}
      httpMethod: ${%(n)sMethod.httpMethod}
      type: MOCK
      requestTemplates: {application/json: '{"statusCode": 200}'}
  %(n)sMethodResponse:
    type: aws:apigateway:MethodResponse
    properties: {restApi: "${api.id}", resourceId: "${%(n)sRes.id}", httpMethod: "${%(n)sMethod.httpMethod}", statusCode: "200"}
  %(n)sIntegrationResponse:
    type: aws:apigateway:IntegrationResponse
    properties:
      restApi: ${api.id}
      resourceId: ${%(n)sRes.id}
      httpMethod: ${%(n)sIntegration.httpMethod}
      statusCode: ${%(n)sMethodResponse.statusCode}
      responseTemplates: {application/json: '{"route": "%(n)s"}'}
""" % {"n": name}


def api_program(d, routes):
    text = "name: mockapi\nruntime: yaml\nresources:\n  api:\n    type: aws:apigateway:RestApi\n    properties: {}\n"
    text += "".join(mock_route(r) for r in routes)
    text += """
  deployment:
    type: aws:apigateway:Deployment
    properties:
      restApi: ${api.id}
      triggers:
        redeployment:
          fn::toJSON: [%s]
  stage:
    type: aws:apigateway:Stage
    properties: {restApi: "${api.id}", deployment: "${deployment.id}", stageName: test}
outputs:
  url: ${stage.invokeUrl}
  deploymentId: ${deployment.id}
  apiId: ${api.id}
""" % ", ".join('"${%sIntegrationResponse.id}"' % r for r in routes)
    with open(os.path.join(d, "Pulumi.yaml"), "w") as f:
        f.write(text)
    if not os.path.exists(os.path.join(d, "Pulumi.dev.yaml")):
        write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")


def get(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", u.path, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def test_a_changed_trigger_redeploys_and_the_stage_serves_the_new_route(hangar, tmp_path, endpoint):
    d = str(tmp_path / "api")
    os.makedirs(d)
    api_program(d, ["alpha"])
    hangar.up(d, check=True)
    out = hangar.outputs(d)
    assert get(out["url"] + "/alpha") == (200, b'{"route": "alpha"}')
    assert get(out["url"] + "/beta")[0] != 200

    api_program(d, ["alpha", "beta"])
    p = hangar.run("preview", "--stack", "dev", cwd=d, check=True)
    assert "+- aws:apigateway:Deployment deployment replace" in p.stdout, p.stdout
    p = hangar.up(d, check=True)
    assert "+- aws:apigateway:Deployment deployment replaced" in p.stdout, p.stdout
    assert "~  aws:apigateway:Stage stage updated" in p.stdout, p.stdout
    new = hangar.outputs(d)
    assert new["deploymentId"] != out["deploymentId"] and new["url"] == out["url"]
    assert get(new["url"] + "/beta") == (200, b'{"route": "beta"}')
    assert get(new["url"] + "/alpha") == (200, b'{"route": "alpha"}')
    # the old snapshot is gone, as @pulumi/aws deletes a replaced deployment
    agw = make_client(endpoint, service="apigateway")
    ids = [x["id"] for x in agw.get_deployments(restApiId=new["apiId"])["items"]]
    assert ids == [new["deploymentId"]], ids
    p = hangar.up(d, check=True)
    assert "unchanged" in p.stdout and "replaced" not in p.stdout and "updated" not in p.stdout

    # response parameters and templates change in place
    with open(os.path.join(d, "Pulumi.yaml")) as f:
        text = f.read()
    text = text.replace('httpMethod: "${betaMethod.httpMethod}", statusCode: "200"}',
                        'httpMethod: "${betaMethod.httpMethod}", statusCode: "200",\n'
                        '                 responseParameters: {method.response.header.X-Route: true}}')
    text = text.replace("""responseTemplates: {application/json: '{"route": "beta"}'}""",
                        """responseTemplates: {application/json: '{"route": "b"}'}\n"""
                        """      responseParameters: {method.response.header.X-Route: "'beta'"}""")
    with open(os.path.join(d, "Pulumi.yaml"), "w") as f:
        f.write(text)
    p = hangar.up(d, check=True)
    assert "~  aws:apigateway:MethodResponse betaMethodResponse updated" in p.stdout, p.stdout
    assert "~  aws:apigateway:IntegrationResponse betaIntegrationResponse updated" in p.stdout, p.stdout
    res = [x["id"] for x in agw.get_resources(restApiId=new["apiId"])["items"] if x["path"] == "/beta"][0]
    mr = agw.get_method_response(restApiId=new["apiId"], resourceId=res, httpMethod="GET", statusCode="200")
    assert mr["responseParameters"] == {"method.response.header.X-Route": True}
    ir = agw.get_integration_response(restApiId=new["apiId"], resourceId=res, httpMethod="GET", statusCode="200")
    assert ir["responseTemplates"] == {"application/json": '{"route": "b"}'}
    assert ir["responseParameters"] == {"method.response.header.X-Route": "'beta'"}


def test_stack_reference_org_defaults_to_organization(hangar, tmp_path):
    core, api = str(tmp_path / "core"), str(tmp_path / "api")
    table_project(core)
    hangar.up(core, check=True)
    write(os.path.join(api, "Pulumi.yaml"), """\
        name: api
        runtime: yaml
        resources:
          core:
            type: pulumi:pulumi:StackReference
            properties:
              name: core/dev
        outputs:
          t: ${core.outputs["tableName"]}
        """)
    write(os.path.join(api, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    hangar.up(api, check=True)
    assert hangar.outputs(api)["t"] == hangar.outputs(core)["tableName"]
