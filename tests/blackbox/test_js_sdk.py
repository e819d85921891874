"""The third real client: the AWS SDK for JavaScript v3 against the emulator.

boto3 sets up what a deployed notes service would have (the notes table, keyed
by id, and the Lua create handler from lambdas/notes with NOTES_TABLE in its
environment); then tests/js/sdk_smoke.mjs, run by whichever `node` is first on
PATH with the SDK versions pinned in tests/js/package-lock.json, drives
DynamoDB and Lambda through the unmodified SDK and prints one TAP-style line
per check. The SDK is installed with `npm ci` the first time (tests/js/
node_modules is git-ignored); without the npm registry that step fails loudly
rather than skipping, since CI always reaches it.
"""

import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import ACCOUNT_ID, create_table, make_client, unique_name, zip_tree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JS_DIR = os.path.join(ROOT, "tests", "js")
SCRIPT = os.path.join(JS_DIR, "sdk_smoke.mjs")
NOTES_DIR = os.path.join(ROOT, "lambdas", "notes")
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/notes-lambda"
PINNED = ("@aws-sdk/client-dynamodb", "@aws-sdk/client-lambda", "@aws-sdk/lib-dynamodb")
SMOKE_TIMEOUT = 60  # seconds for the script itself, once the SDK is installed
NPM_TIMEOUT = 600   # the first `npm ci` downloads ~80 packages


def tool(name):
    path = shutil.which(name)
    if not path:
        pytest.fail(f"`{name}` is not on PATH; scripts/install-deps.sh installs Node.js and npm")
    return path


def sdk_installed():
    """node_modules is there and was installed from the current lock file."""
    marker = os.path.join(JS_DIR, "node_modules", ".package-lock.json")
    if not os.path.exists(marker):
        return False
    if not all(os.path.exists(os.path.join(JS_DIR, "node_modules", p, "package.json")) for p in PINNED):
        return False
    return os.path.getmtime(marker) >= os.path.getmtime(os.path.join(JS_DIR, "package-lock.json"))


@pytest.fixture(scope="module")
def node():
    node = tool("node")
    if not sdk_installed():
        npm = tool("npm")
        t0 = time.time()
        try:
            r = subprocess.run([npm, "ci", "--prefix", JS_DIR, "--no-audit", "--no-fund"],
                               cwd=JS_DIR, capture_output=True, text=True, timeout=NPM_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`npm ci --prefix tests/js` did not finish in {NPM_TIMEOUT}s: "
                        "is the npm registry reachable?")
        if r.returncode != 0:
            pytest.fail("`npm ci --prefix tests/js` failed (exit %d after %.0fs), so the AWS SDK for "
                        "JavaScript is not installed. This test needs the npm registry once; CI "
                        "reaches it. npm said:\n%s" % (r.returncode, time.time() - t0,
                                                       (r.stdout + r.stderr)[-3000:]))
        assert sdk_installed(), "npm ci succeeded but the pinned packages are not in tests/js/node_modules"
    return node


def notes_zip():
    """lambdas/notes zipped with paths relative to it (create.lua, lib/notes.lua)."""
    return zip_tree(NOTES_DIR)


def run_smoke(node, endpoint, *args):
    # Only what the script needs: no AWS_* from the caller's shell can redirect
    # the SDK (profiles, endpoints, credentials) behind the test's back.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HANGAR_ENDPOINT"] = endpoint
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    t0 = time.time()
    try:
        r = subprocess.run([node, SCRIPT, *args], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=SMOKE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"sdk_smoke.mjs ran longer than {SMOKE_TIMEOUT}s; output so far:\n{e.stdout}")
    return r, time.time() - t0


def test_lock_file_pins_exact_versions():
    """The SDK is pinned: exact versions in package.json, the same ones in the lock."""
    with open(os.path.join(JS_DIR, "package.json")) as f:
        pkg = json.load(f)
    with open(os.path.join(JS_DIR, "package-lock.json")) as f:
        lock = json.load(f)
    for name in PINNED:
        want = pkg["dependencies"][name]
        assert re.fullmatch(r"\d+\.\d+\.\d+", want), f"{name} is not pinned exactly: {want!r}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == want, name
    assert lock["packages"][""]["dependencies"] == pkg["dependencies"], "lock file is stale"
    with open(os.path.join(JS_DIR, ".gitignore")) as f:
        assert "node_modules/" in f.read().split()


def test_js_sdk_against_notes_table_and_handler(node, endpoint, ddb):
    lam = make_client(endpoint, service="lambda")
    table = create_table(ddb, name=unique_name("js-notes"), hash_key=("id", "S"))
    fn = unique_name("notes-create-js")
    lam.create_function(FunctionName=fn, Runtime="lua5.4", Role=ROLE, Handler="create.handler",
                        Code={"ZipFile": notes_zip()}, Timeout=10,
                        Environment={"Variables": {"NOTES_TABLE": table}})
    try:
        r, took = run_smoke(node, endpoint, table, fn)
        out = r.stdout
        assert r.returncode == 0, f"sdk_smoke.mjs exited {r.returncode}:\n{out}\n{r.stderr}"
        assert "not ok" not in out, out
        m = re.search(r"^js-sdk-smoke: all (\d+) checks passed$", out, re.M)
        assert m, out
        assert int(m.group(1)) >= 40, out  # the Lambda checks ran, not just DynamoDB's
        for must in ("Invoke create with fixtures/events/create.json",
                     "GetItem on the notes table returns exactly the note the handler wrote",
                     "bad-json.json answers 400",
                     "x-amz-crc32 matched the body of all"):
            assert must in out, f"missing check {must!r}:\n{out}"
        assert took < SMOKE_TIMEOUT, took

        # The note the handler wrote, as boto3 sees it: the JS and Python clients agree.
        items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
        assert len(items) == 1, items
        note = items[0]
        assert note["title"] == {"S": "Groceries"} and note["version"] == {"N": "1"}, note
        # The script's own scratch tables are gone again.
        leftovers = [t for t in ddb.list_tables()["TableNames"] if t.startswith("js-smoke-")]
        assert not leftovers, leftovers
    finally:
        lam.delete_function(FunctionName=fn)
        ddb.delete_table(TableName=table)


def test_js_sdk_without_arguments_makes_its_own_tables(node, endpoint, ddb):
    """The script alone (how a user would try it): DynamoDB checks only, and it tidies up."""
    before = set(ddb.list_tables()["TableNames"])
    r, _ = run_smoke(node, endpoint)
    assert r.returncode == 0, f"sdk_smoke.mjs exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    assert "Lambda checks skipped" in r.stdout, r.stdout
    assert re.search(r"^js-sdk-smoke: all \d+ checks passed$", r.stdout, re.M), r.stdout
    assert set(ddb.list_tables()["TableNames"]) == before


def test_js_sdk_fails_loudly(node, endpoint):
    """A failing check makes the script exit non-zero with a `not ok` line."""
    r, _ = run_smoke(node, endpoint, unique_name("no-such-table"))
    assert r.returncode == 1, r.stdout
    assert re.search(r"^not ok \d+ - ", r.stdout, re.M), r.stdout
    assert "ResourceNotFoundException" in r.stdout, r.stdout
    assert "js-sdk-smoke: FAILED" in r.stdout, r.stdout
