"""The notes service end to end: fixtures/micro-stacks deployed with
`hangar up --all` into a fresh emulator, then every route and error case
driven over HTTP through the api-gateway stack's `url` output.

fixtures/ and lambdas/ are copied into a tmp folder first (the api-gateway
program reads ../../../lambdas/notes), so the tests may edit a handler
without ever writing into the repository. The tests run in file order and
share the deployment: deploy, CRUD, errors, the stack reference, no-op,
then a handler edit, then the monolith layout.
"""

import http.client
import json
import os
import shutil
import subprocess
import time
import urllib.parse

import pytest

from conftest import make_client

CLI = os.environ.get("HANGAR_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="HANGAR_CLI is not set (path to the hangar binary)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTES = ("create", "list", "get", "update", "delete")
CORS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers")


class Hangar:
    def __init__(self, home, endpoint):
        self.home, self.endpoint = home, endpoint

    def run(self, *args, check=True):
        env = dict(os.environ, HANGAR_HOME=self.home)
        env.pop("HANGAR_STACK", None)
        env.pop("PULUMI_STACK", None)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        cmd = [CLI] + list(args)
        if args[0] in ("up", "preview", "destroy"):
            cmd += ["--endpoint", self.endpoint]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        assert "runtime error:" not in p.stderr and "AddressSanitizer" not in p.stderr, p.stderr
        if check:
            assert p.returncode == 0, "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr)
        return p

    def outputs(self, d):
        return json.loads(self.run("stack", "output", "--json", "--stack", "dev", "-C", d).stdout)


class Api:
    """HTTP against a stage URL; every response must carry the CORS headers."""

    def __init__(self, url):
        self.u = urllib.parse.urlsplit(url)

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.u.hostname, self.u.port, timeout=30)
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        conn.request(method, self.u.path + path, body=data,
                     headers={"Content-Type": "application/json"} if data is not None else {})
        r = conn.getresponse()
        raw = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        for h in CORS:
            assert h.lower() in headers, (method, path, r.status, headers)
        if raw:
            assert headers.get("content-type") == "application/json", headers
        return r.status, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A private copy of fixtures/ and lambdas/ (the same relative layout)."""
    w = tmp_path_factory.mktemp("notes-e2e")
    shutil.copytree(os.path.join(ROOT, "fixtures", "micro-stacks"), w / "fixtures" / "micro-stacks")
    shutil.copytree(os.path.join(ROOT, "fixtures", "monolith"), w / "fixtures" / "monolith")
    shutil.copytree(os.path.join(ROOT, "lambdas"), w / "lambdas")
    return w


@pytest.fixture(scope="module")
def hangar(endpoint, work):
    return Hangar(str(work / "home"), endpoint)


@pytest.fixture(scope="module")
def stacks(work):
    root = str(work / "fixtures" / "micro-stacks")
    return {"root": root, "core": root, "api": os.path.join(root, "api-gateway")}


@pytest.fixture(scope="module")
def deployed(hangar, stacks):
    t = time.time()
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", stacks["root"])
    took = time.time() - t
    print("\nboth micro-stacks from nothing: %.0f ms (hangar up --all, wall clock incl. process start)" % (took * 1000))
    return {"stdout": p.stdout, "core": hangar.outputs(stacks["core"]), "api": hangar.outputs(stacks["api"])}


def crud_flow(api):
    """create -> get -> update -> get -> list -> delete -> get(404)."""
    st, note = api.call("POST", "/notes", {"title": "first", "content": "hello"})
    assert st == 201 and note["version"] == 1 and note["title"] == "first", note
    nid = note["id"]
    assert api.call("GET", "/notes/" + nid) == (200, note)
    st, upd = api.call("PUT", "/notes/" + nid, {"content": "hello again", "expectedVersion": 1})
    assert st == 200 and upd["version"] == 2 and upd["content"] == "hello again" and upd["title"] == "first"
    assert upd["createdAt"] == note["createdAt"]
    assert api.call("GET", "/notes/" + nid) == (200, upd)
    st, page = api.call("GET", "/notes?limit=100")
    assert st == 200 and nid in [n["id"] for n in page["items"]] and "next" in page
    st, body = api.call("DELETE", "/notes/" + nid)
    assert st == 204 and body is None
    assert api.call("GET", "/notes/" + nid) == (404, {"message": "Note %s not found" % nid})
    return nid


def test_up_all_deploys_core_then_api(deployed, stacks):
    out = deployed["stdout"]
    core_at = out.find("=== organization/core-infrastructure/dev (")
    api_at = out.find("=== organization/api-gateway/dev (")
    assert 0 <= core_at < api_at, out
    assert deployed["core"]["testTableName"].startswith("notes-")
    assert deployed["core"]["testTableArn"].endswith(":table/" + deployed["core"]["testTableName"])
    url = deployed["api"]["url"]
    assert url.endswith("/dev/_user_request_") and deployed["api"]["notesUrl"] == url + "/notes"


def test_crud_over_http(deployed):
    crud_flow(Api(deployed["api"]["url"]))


def test_list_pages_with_a_cursor(deployed):
    api = Api(deployed["api"]["url"])
    ids = {api.call("POST", "/notes", {"title": "n%d" % i, "content": "c"})[1]["id"] for i in range(5)}
    seen, nxt = [], None
    while True:
        st, page = api.call("GET", "/notes?limit=2" + ("&next=" + urllib.parse.quote(nxt) if nxt else ""))
        assert st == 200 and len(page["items"]) <= 2, page
        seen += [n["id"] for n in page["items"]]
        nxt = page["next"]
        if not nxt:
            break
    assert ids <= set(seen) and len(seen) == len(set(seen))
    for nid in ids:
        assert api.call("DELETE", "/notes/" + nid)[0] == 204


def preflight(url):
    """OPTIONS /notes and /notes/{id} answer 200 from the MOCK integrations
    with the CORS headers, without a lambda."""
    u = urllib.parse.urlsplit(url)
    for path in ("/notes", "/notes/00000000-0000-4000-8000-000000000000"):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conn.request("OPTIONS", u.path + path, headers={
            "Origin": "http://example.com", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Content-Type"})
        r = conn.getresponse()
        r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        assert r.status == 200, (path, r.status, headers)
        assert headers.get("access-control-allow-origin") == "*", (path, headers)
        methods = set(headers.get("access-control-allow-methods", "").split(","))
        assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= methods, (path, headers)
        assert "Content-Type" in headers.get("access-control-allow-headers", "").split(","), (path, headers)


def test_cors_preflight(deployed):
    preflight(deployed["api"]["url"])


def test_errors_over_http(deployed):
    api = Api(deployed["api"]["url"])
    st, note = api.call("POST", "/notes", {"title": "t", "content": "c"})
    nid = note["id"]
    assert api.call("PUT", "/notes/" + nid, {"title": "t2", "expectedVersion": 1})[0] == 200
    st, msg = api.call("PUT", "/notes/" + nid, {"title": "stale", "expectedVersion": 1})
    assert st == 409 and "version" in msg["message"], msg
    for body, field in (({"content": "c"}, "title"), ({"title": "t"}, "content"), ({"title": 5, "content": "c"}, "title"),
                        ({"title": "x" * 201, "content": "c"}, "title"), ({"title": "t", "content": ""}, "content")):
        st, msg = api.call("POST", "/notes", body)
        assert st == 400 and field in msg["message"], (body, msg)
    st, msg = api.call("PUT", "/notes/" + nid, {"title": "t", "expectedVersion": "one"})
    assert st == 400 and "expectedVersion" in msg["message"]
    st, msg = api.call("POST", "/notes", "{not json")
    assert st == 400 and "JSON" in msg["message"]
    st, msg = api.call("GET", "/notes?limit=0")
    assert st == 400 and "limit" in msg["message"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.call("PUT", "/notes/" + missing, {"title": "x"})[0] == 404
    assert api.call("DELETE", "/notes/" + missing)[0] == 404
    assert api.call("DELETE", "/notes/" + nid)[0] == 204


def test_table_name_reached_the_lambdas_through_the_stack_reference(deployed, endpoint):
    lam = make_client(endpoint, service="lambda")
    table = deployed["core"]["testTableName"]
    names = deployed["api"]["functionNames"]
    assert set(names) == set(ROUTES)
    for route, name in names.items():
        conf = lam.get_function_configuration(FunctionName=name)
        assert conf["Environment"]["Variables"]["NOTES_TABLE"] == table, (route, conf)
        assert conf["Runtime"] == "lua5.4" and conf["Handler"] == route + ".handler"
    # and the notes really land in that table
    api = Api(deployed["api"]["url"])
    nid = api.call("POST", "/notes", {"title": "where", "content": "am I"})[1]["id"]
    item = make_client(endpoint).get_item(TableName=table, Key={"id": {"S": nid}})["Item"]
    assert item["title"] == {"S": "where"}
    api.call("DELETE", "/notes/" + nid)


def test_second_up_all_is_a_noop(deployed, hangar, stacks):
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", stacks["root"])
    assert "organization/core-infrastructure/dev: unchanged, skipped" in p.stdout
    assert "organization/api-gateway/dev: unchanged, skipped" in p.stdout
    assert "===" not in p.stdout, p.stdout
    p = hangar.run("preview", "--all", "--stack", "dev", "-C", stacks["root"])
    assert p.stdout.count("unchanged, skipped") == 4, p.stdout


def changes(stdout):
    """The resource lines of a run that change something (+, ~, +-, -)."""
    return [line for line in stdout.splitlines() if line[:4] in (" +  ", " ~  ", " +- ", " -  ")]


def test_editing_one_handler_touches_only_that_function(deployed, hangar, stacks, work, endpoint):
    lam = make_client(endpoint, service="lambda")
    names = deployed["api"]["functionNames"]
    shas = {r: lam.get_function(FunctionName=n)["Configuration"]["CodeSha256"] for r, n in names.items()}
    with open(work / "lambdas" / "notes" / "get.lua", "a") as f:
        f.write("\n-- edited by the e2e test\n")

    p = hangar.run("preview", "--all", "--stack", "dev", "-C", stacks["root"])
    assert "organization/core-infrastructure/dev: unchanged, skipped" in p.stdout, p.stdout
    assert "=== organization/api-gateway/dev (" in p.stdout
    assert changes(p.stdout) == [" ~  aws:lambda:Function getNote update [diff: ~sourceCodeHash]"], p.stdout
    assert "~ 1 to update" in p.stdout

    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", stacks["root"])
    assert "organization/core-infrastructure/dev: unchanged, skipped" in p.stdout, p.stdout
    lines = changes(p.stdout)
    assert len(lines) == 1 and lines[0].startswith(" ~  aws:lambda:Function getNote updated"), p.stdout
    assert "~ 1 updated" in p.stdout
    after = {r: lam.get_function(FunctionName=n)["Configuration"]["CodeSha256"] for r, n in names.items()}
    assert after["get"] != shas["get"]
    assert {r: s for r, s in after.items() if r != "get"} == {r: s for r, s in shas.items() if r != "get"}
    crud_flow(Api(deployed["api"]["url"]))   # the new code serves
    p = hangar.run("up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", stacks["root"])
    assert p.stdout.count("unchanged, skipped") == 4, p.stdout


def test_monolith_serves_the_same_flow(hangar, work, endpoint):
    d = str(work / "fixtures" / "monolith")
    t = time.time()
    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", "-C", d)
    print("\nmonolith from nothing: %.0f ms" % ((time.time() - t) * 1000))
    assert "+ 36 created" in p.stdout, p.stdout
    out = hangar.outputs(d)
    lam = make_client(endpoint, service="lambda")
    for name in out["functionNames"].values():
        env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        assert env["NOTES_TABLE"] == out["testTableName"]
    crud_flow(Api(out["url"]))
    preflight(out["url"])
    p = hangar.run("up", "--stack", "dev", "--yes", "--skip-preview", "-C", d)
    assert changes(p.stdout) == [] and "36 unchanged" in p.stdout, p.stdout
