"""Fixtures for the black-box DynamoDB tests.

Each test module gets its own hangar-emulator process on a free port (so a
crash is pinned to the module that caused it), boto3 clients pointed at it
with dummy credentials, a helper that creates uniquely named tables, and a
raw-HTTP helper that signs arbitrary bodies with botocore's SigV4 so the
protocol edges (bad JSON, unknown targets, huge bodies) can be exercised.

If HANGAR_ENDPOINT is set, that already-running endpoint is used instead of
starting the binary (useful to sanity-check the tests against another
implementation).  Tests that need to control the process themselves
(persistence, TTL interval) skip in that mode.
"""

import http.client
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "secret"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
DDB_TARGET_PREFIX = "DynamoDB_20120810."
ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"

LISTEN_RE = re.compile(rb"hangar-emulator listening on (http://\S+)")
# Sanitizer and crash markers that must never appear in the emulator's stderr.
CRASH_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "Segmentation fault",
    "AddressSanitizer:DEADLYSIGNAL",
)


def external_endpoint():
    return os.environ.get("HANGAR_ENDPOINT")


class Emulator:
    """One hangar-emulator child process.  start() blocks until it is healthy."""

    def __init__(self, args=(), data_dir=None):
        self.args = list(args)
        self.data_dir = data_dir
        self.proc = None
        self.endpoint = None
        self.stderr_path = None
        self._stderr_file = None
        self.exit_codes = []  # every exit status seen, for the crash check

    def start(self, timeout=15.0):
        binary = os.environ.get("HANGAR_EMULATOR")
        if not binary:
            pytest.fail("HANGAR_EMULATOR is not set (path to the hangar-emulator binary)")
        if not os.access(binary, os.X_OK):
            pytest.fail(f"HANGAR_EMULATOR={binary} is not executable")
        cmd = [binary, "--port", "0", "--host", "127.0.0.1", "--log-level", "warn"]
        if self.data_dir:
            cmd += ["--data", self.data_dir]
        cmd += self.args
        fd, self.stderr_path = tempfile.mkstemp(prefix="hangar-stderr-", suffix=".log")
        os.close(fd)
        self._stderr_file = open(self.stderr_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr_file,
                                     stdin=subprocess.DEVNULL, env=env)
        self.endpoint = self._read_listen_line(timeout)
        self._drain_stdout()
        self._wait_healthy(timeout)
        return self

    def _read_listen_line(self, timeout):
        found = {}

        def reader():
            for line in iter(self.proc.stdout.readline, b""):
                m = LISTEN_RE.search(line)
                if m:
                    found["url"] = m.group(1).decode()
                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        if "url" not in found:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("emulator did not print its listening line within %.0fs; stderr:\n%s"
                        % (timeout, self.stderr_text()[-4000:]))
        return found["url"]

    def _drain_stdout(self):
        # Keep reading stdout so a chatty emulator never blocks on a full pipe.
        def drain(pipe):
            for _ in iter(pipe.readline, b""):
                pass
        threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True).start()

    def _wait_healthy(self, timeout):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("emulator exited (%s) during start; stderr:\n%s"
                            % (self.proc.returncode, self.stderr_text()[-4000:]))
            try:
                status, _, body = http_get(self.endpoint, "/_hangar/health", timeout=2)
                if status == 200:
                    return
                last = status
            except OSError as e:
                last = e
            time.sleep(0.05)
        pytest.fail(f"emulator never became healthy: {last}")

    def stderr_text(self):
        if not self.stderr_path:
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, timeout=10.0):
        """Graceful stop (SIGTERM).  Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.exit_codes.append("hung on SIGTERM")
        self.exit_codes.append(self.proc.returncode)
        self._close()
        return self.exit_codes[-1]

    def kill9(self):
        """Hard kill, as a power cut would; not counted as a crash."""
        self.proc.kill()
        self.proc.wait()
        self._close()

    def _close(self):
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr_file:
            self._stderr_file.close()
            self._stderr_file = None
        self.proc = None

    def crash_report(self):
        """None if the process behaved; otherwise a description for pytest.fail."""
        problems = []
        for code in self.exit_codes:
            # 0 is a clean exit; -SIGTERM means it died on the signal without a handler,
            # which is acceptable for a server that does not install one.
            if code not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
                problems.append(f"exit status {code}")
        text = self.stderr_text()
        for marker in CRASH_MARKERS:
            if marker in text:
                problems.append(f"stderr contains {marker!r}")
        if problems:
            return "emulator misbehaved: %s\n--- stderr tail ---\n%s" % (
                ", ".join(problems), text[-6000:])
        return None

    def cleanup_files(self):
        if self.stderr_path and os.path.exists(self.stderr_path):
            os.unlink(self.stderr_path)


def check_and_cleanup(emu):
    """Stop emu if it still runs (so no test leaves one behind), then fail on
    any crash it had."""
    if emu.proc is not None and emu.proc.poll() is None:
        emu.stop()
    report = emu.crash_report()
    if report is None:
        emu.cleanup_files()
    else:
        pytest.fail(report + f"\n(full stderr kept in {emu.stderr_path})", pytrace=False)


# The module emulator runs two workers on any machine: the default is half
# the CPUs (one on a 2-CPU box), and the per-worker caches and the store's
# locking are only exercised across threads with more than one. Emulators
# from emulator_factory get the default unless a test asks otherwise.
MODULE_EMULATOR_ARGS = ("--threads", "2")


@pytest.fixture(scope="module")
def emulator():
    """A running emulator for the whole module; fails the module if it crashed."""
    ext = external_endpoint()
    if ext:
        yield type("External", (), {"endpoint": ext.rstrip("/"), "proc": None})()
        return
    emu = Emulator(args=MODULE_EMULATOR_ARGS).start()
    yield emu
    if emu.proc is not None and emu.proc.poll() is not None:
        emu.exit_codes.append(emu.proc.returncode)  # died during the module
        emu._close()
    else:
        emu.stop()
    check_and_cleanup(emu)


@pytest.fixture
def emulator_factory():
    """Start extra emulators with custom arguments; each is stopped and crash-checked."""
    if external_endpoint():
        pytest.skip("needs to start its own emulator (HANGAR_ENDPOINT is set)")
    started = []

    def start(args=(), data_dir=None):
        emu = Emulator(args=args, data_dir=data_dir).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        if emu.proc is not None:
            emu.stop()
    for emu in started:
        check_and_cleanup(emu)


@pytest.fixture
def tmp_data_dir():
    d = tempfile.mkdtemp(prefix="hangar-data-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_client(endpoint, region=REGION, service="dynamodb", **cfg):
    config = botocore.config.Config(
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=5, read_timeout=60, **cfg)
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=config)


@pytest.fixture(scope="module")
def endpoint(emulator):
    return emulator.endpoint


@pytest.fixture(scope="module")
def ddb(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="module")
def ddb_resource(endpoint):
    return boto3.resource("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def zip_bytes(files):
    """A function bundle: {"path/in/zip": source text or bytes} -> the zip's bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
    return buf.getvalue()


def zip_tree(folder, relative_to=None):
    """The .lua files under folder, zipped with paths relative to relative_to
    (folder itself by default), in a stable order."""
    files = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".lua"):
                full = os.path.join(dirpath, name)
                with open(full, "rb") as f:
                    files[os.path.relpath(full, relative_to or folder)] = f.read()
    return zip_bytes(dict(sorted(files.items())))


def unique_name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_table(client, name=None, hash_key=("pk", "S"), range_key=None, gsis=(), lsis=(),
                 extra_attrs=(), billing="PAY_PER_REQUEST", **kw):
    """Create a table and wait until ACTIVE; returns its name.

    gsis / lsis: lists of dicts {"name", "hash": (attr, type) [, "range": (attr, type)],
    "projection": {...}} — the attribute definitions they need are added automatically.
    """
    name = name or unique_name()
    attrs = {hash_key[0]: hash_key[1]}
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attrs[range_key[0]] = range_key[1]
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    for a, t in extra_attrs:
        attrs[a] = t

    def index_spec(ix, is_global):
        ks = [{"AttributeName": ix["hash"][0], "KeyType": "HASH"}]
        attrs[ix["hash"][0]] = ix["hash"][1]
        if ix.get("range"):
            ks.append({"AttributeName": ix["range"][0], "KeyType": "RANGE"})
            attrs[ix["range"][0]] = ix["range"][1]
        spec = {"IndexName": ix["name"], "KeySchema": ks,
                "Projection": ix.get("projection", {"ProjectionType": "ALL"})}
        if is_global and billing == "PROVISIONED":
            spec["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        return spec

    args = {"TableName": name, "KeySchema": schema, "BillingMode": billing}
    if gsis:
        args["GlobalSecondaryIndexes"] = [index_spec(g, True) for g in gsis]
    if lsis:
        args["LocalSecondaryIndexes"] = [index_spec(l, False) for l in lsis]
    args["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": t}
                                    for a, t in attrs.items()]
    if billing == "PROVISIONED":
        args["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    args.update(kw)
    client.create_table(**args)
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return name


@pytest.fixture
def make_table(ddb):
    """Factory: make_table(hash_key=..., range_key=..., gsis=..., ...) -> table name.
    Tables are deleted after the test."""
    made = []

    def make(**kw):
        name = create_table(ddb, **kw)
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


# ---------------------------------------------------------------- raw HTTP

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def error_code(self):
        t = self.json().get("__type", "")
        return t.split("#", 1)[-1]

    @property
    def message(self):
        j = self.json()
        return j.get("message", j.get("Message", ""))

    def __repr__(self):
        return f"<RawResponse {self.status} {self.body[:300]!r}>"


def http_get(endpoint, path, timeout=10):
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed_headers(endpoint, body, target=None, region=REGION, service="dynamodb",
                   extra_headers=None):
    """SigV4 headers (botocore's signer) for a POST of body to endpoint."""
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    if extra_headers:
        headers.update(extra_headers)
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=body,
                                         headers=headers)
    creds = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)
    botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    return dict(req.headers.items())


def raw_request(endpoint, operation=None, body=b"{}", target=None, region=REGION,
                extra_headers=None, timeout=30):
    """POST body (bytes, str or a JSON-able object) as DynamoDB operation, signed.

    operation "PutItem" becomes X-Amz-Target DynamoDB_20120810.PutItem; pass
    target= to send an exact header value instead (or operation=None and
    target=None to send none)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    if target is None and operation is not None:
        target = DDB_TARGET_PREFIX + operation
    headers = signed_headers(endpoint, body, target=target, region=region,
                             extra_headers=extra_headers)
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        return RawResponse(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def raw(endpoint):
    """raw(operation, body, **kw) -> RawResponse, against this module's emulator."""
    def send(operation=None, body=b"{}", **kw):
        return raw_request(endpoint, operation, body, **kw)
    return send


# ---------------------------------------------------------------- assertions

def assert_client_error(excinfo, code, *words, status=400):
    """Check a botocore ClientError: AWS error code, HTTP status, and that the
    message contains every word (case-insensitive)."""
    err = excinfo.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    msg = err["Error"].get("Message", "")
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in message {msg!r}"
    return msg
