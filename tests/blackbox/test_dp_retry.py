"""The deployer's AWS client never sends a create twice when a second send
would make a second object: a fault-injecting proxy forwards a request to
the emulator and then drops the answer (the connection closes with nothing
written back), as a reset connection or a lost reply would.

CreateRestApi gets a new id from AWS on every call, so a blind resend makes
two APIs; `hangar up` must end with exactly one, found by the name it gave.
Safe operations (reads, name-keyed creates) are still resent.
"""

import http.client
import os
import re
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

import boto3
import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, make_client
from test_dp_e2e import Hangar, tables, write

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")


class DroppingProxy:
    """Forwards every request to the emulator. The first `drop` requests
    whose "METHOD path" matches `pattern` are forwarded, and their answers
    thrown away: the client sees the connection close with no reply."""

    def __init__(self, target, pattern, drop=1):
        u = urllib.parse.urlsplit(target)
        host, port, outer = u.hostname, u.port, self
        self.pattern, self.drop = re.compile(pattern), drop
        self.forwarded = []          # "METHOD path" of every request that reached the emulator
        self.dropped = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                c = http.client.HTTPConnection(host, port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                c.close()
                op = "%s %s" % (self.command, self.path.split("?")[0])
                # X-Amz-Target names JSON-protocol operations (all POST /)
                target = self.headers.get("X-Amz-Target")
                if target:
                    op += " " + target
                with outer.lock:
                    outer.forwarded.append(op)
                    dropping = outer.dropped < outer.drop and outer.pattern.fullmatch(op) is not None
                    if dropping:
                        outer.dropped += 1
                if dropping:
                    # the emulator did the work; the client never hears of it
                    self.close_connection = True
                    return
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.lock:
            return sum(1 for op in self.forwarded if rx.fullmatch(op))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(endpoint):
    made = []

    def make(pattern, drop=1):
        p = DroppingProxy(endpoint, pattern, drop)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


@pytest.fixture
def apigw(endpoint):
    return boto3.client("apigateway", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def api_project(d, logical):
    write(os.path.join(d, "Pulumi.yaml"), """\
name: retryapi
runtime: yaml
resources:
  %s:
    type: aws:apigateway:RestApi
    properties: {description: made once}
  root:
    type: aws:apigateway:Resource
    properties: {restApi: "${%s.id}", parentId: "${%s.rootResourceId}", pathPart: items}
outputs:
  apiId: ${%s.id}
  resourceId: ${root.id}
""" % (logical, logical, logical, logical))
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")


def apis_named(apigw, prefix):
    items = apigw.get_rest_apis(limit=500)["items"]
    return [a for a in items if a["name"].startswith(prefix + "-")]


def test_a_lost_create_rest_api_answer_leaves_exactly_one_api(endpoint, tmp_path, proxy, apigw):
    d = str(tmp_path / "api")
    api_project(d, "lostanswer")
    px = proxy(r"POST /restapis")
    h = Hangar(str(tmp_path / "home"), px.url)
    p = h.up(d)
    assert p.returncode == 0, p.stdout + p.stderr
    assert px.dropped == 1
    # the create reached the emulator once, and was not sent again
    assert px.count(r"POST /restapis") == 1, px.forwarded
    made = apis_named(apigw, "lostanswer")
    assert len(made) == 1, made
    outs = h.outputs(d)
    assert outs["apiId"] == made[0]["id"]
    # the rest of the stack was built on the API that exists
    res = apigw.get_resource(restApiId=made[0]["id"], resourceId=outs["resourceId"])
    assert res["path"] == "/items"
    # and a second up finds nothing to do
    again = h.up(d)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(apis_named(apigw, "lostanswer")) == 1


def test_a_lost_read_is_still_resent(endpoint, tmp_path, proxy):
    # a read is safe to repeat: after its lost answer the client sends it again
    d = str(tmp_path / "core")
    write(os.path.join(d, "Pulumi.yaml"), """\
name: retrytable
runtime: yaml
resources:
  notes:
    type: aws:dynamodb:Table
    properties:
      attributes: [{name: id, type: S}]
      hashKey: id
      billingMode: PAY_PER_REQUEST
outputs:
  tableName: ${notes.name}
""")
    write(os.path.join(d, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n")
    px = proxy(r"POST / DynamoDB_20120810\.DescribeTable", drop=1)
    h = Hangar(str(tmp_path / "home"), px.url)
    p = h.up(d)
    assert p.returncode == 0, p.stdout + p.stderr
    assert px.dropped == 1
    assert px.count(r"POST / DynamoDB_20120810\.DescribeTable") >= 2, px.forwarded
    assert h.outputs(d)["tableName"] in tables(make_client(endpoint))
