#!/usr/bin/python3
"""The benchmark driver behind bench/run (see bench/README.md).

Starts hangar-emulator, the ceiling (bench/ceiling.c), dynalite and moto's
server one at a time on loopback, loads each the same way, drives every
scenario with wrk (bench/wrk/*.lua), and writes bench/results/<stamp>.md and
.json with every figure and the ratios measured in this same run.

Runs under Debian's /usr/bin/python3 (boto3 for set-up); moto's server runs
under the `python3` first on PATH, where moto is installed.
"""

import argparse
import datetime
import glob
import http.client
import io
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import zipfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WRK_DIR = os.path.join(BENCH, "wrk")
REGION = "us-east-1"
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIABENCHMARK0000000/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)
PAYLOAD = "0123456789abcdef0123456789abcdef"

DDB_SCENARIOS = ["ddb_get", "ddb_put", "ddb_update_add", "ddb_query", "ddb_batch_write"]
# hangar-emulator's default --threads (hg_acceptor_default_workers, emulator/core/acceptor.c)
DEFAULT_THREADS = max(1, min(64, (os.cpu_count() or 2) // 2))
ALL_SCENARIOS = DDB_SCENARIOS + ["lambda_invoke", "apigw_post", "apigw_get",
                                 "startup", "rss", "scale", "deploy"]
WRK_SCRIPT = {
    "ddb_get": "ddb_get.lua", "ddb_put": "ddb_put.lua", "ddb_update_add": "ddb_update_add.lua",
    "ddb_query": "ddb_query.lua", "ddb_batch_write": "ddb_batch_write.lua",
    "lambda_invoke": "lambda_invoke.lua", "apigw_post": "apigw_post.lua", "apigw_get": "apigw_get.lua",
}
TRIVIAL_HANDLER = """
local M = {}
function M.handler(event, context)
  return { ok = true, n = event.n }
end
return M
"""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port, method="GET", path="/", body=None, headers=None, timeout=2.0):
    """One request on a fresh connection: (status, body bytes), or (None, b"") if refused."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data
    except (ConnectionError, socket.timeout, http.client.HTTPException, OSError):
        return None, b""


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tree_rss_kb(pid):
    """RSS of a process plus its children (moto's and npm's wrappers fork)."""
    total = rss_kb(pid) or 0
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        for child in out.split():
            total += tree_rss_kb(int(child))
    except OSError:
        pass
    return total


class Server:
    """A server under test on loopback; `ready` is (method, path, body, headers) answered 2xx/4xx when up."""

    def __init__(self, name, argv, port, ready, env=None, cwd=None, logdir=None):
        self.name, self.argv, self.port, self.ready = name, argv, port, ready
        self.env, self.cwd = env, cwd
        self.logpath = os.path.join(logdir, f"{name}-{port}.log") if logdir else os.devnull
        self.proc = None

    def start(self, timeout=60):
        self.logfile = open(self.logpath, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=self.logfile, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        method, path, body, headers = self.ready
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logpath}")
            status, _ = http_status(self.port, method, path, body, headers, timeout=1.0)
            if status is not None:
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout}s")

    def rss_kb(self):
        return tree_rss_kb(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "logfile", None):
            self.logfile.close()


DDB_READY = ("POST", "/", b"{}", {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                   "Content-Type": "application/x-amz-json-1.0",
                                   "X-Amz-Date": "20240101T000000Z", "Authorization": AUTH})


def hangar_server(opts, port, data=None):
    argv = [opts.emulator, "--port", str(port), "--log-level", "warn", "--threads", str(opts.threads)]
    if data:
        argv += ["--data", data]
    return Server("hangar", argv, port, ("GET", "/_hangar/health", None, None), logdir=opts.logdir)


def ceiling_server(opts, port):
    return Server("ceiling", [opts.ceiling, "--port", str(port), "--threads", str(opts.threads)], port,
                  ("GET", "/", None, None), logdir=opts.logdir)


def dynalite_server(opts, port):
    cli = os.path.join(BENCH, "peers", "node_modules", "dynalite", "cli.js")
    return Server("dynalite", ["node", cli, "--port", str(port)], port, DDB_READY, logdir=opts.logdir)


def moto_python():
    """The python3 first on PATH, if it imports moto (Debian's does not ship it)."""
    exe = shutil.which("python3")
    if not exe:
        return None, "no python3 on PATH"
    r = subprocess.run([exe, "-c", "import moto, sys; sys.stdout.write(moto.__version__)"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{exe} cannot import moto"
    return exe, r.stdout.strip()


def moto_server(opts, port):
    return Server("moto", [opts.moto_python, "-m", "moto.server", "-p", str(port)], port, DDB_READY,
                  logdir=opts.logdir)


# ---------------------------------------------------------------- DynamoDB set-up

def boto(service, port):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id="AKIABENCHMARK0000000", aws_secret_access_key="bench",
                        config=Config(retries={"max_attempts": 10, "mode": "standard"},
                                      read_timeout=300, connect_timeout=10))


def create_tables(port):
    ddb = boto("dynamodb", port)
    ddb.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.create_table(TableName="bench_q", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    for t in ("bench", "bench_q"):
        for _ in range(200):
            if ddb.describe_table(TableName=t)["Table"]["TableStatus"] == "ACTIVE":
                break
            time.sleep(0.05)


def item_for(kind, i):
    if kind == "bench":
        return {"pk": {"S": f"k{i:07d}"}, "n": {"N": str(i)}, "payload": {"S": PAYLOAD}}
    if kind == "bench_q":
        return {"pk": {"S": f"q{i // 100:05d}"}, "sk": {"N": str(i % 100)}, "payload": {"S": PAYLOAD}}
    if kind == "note":
        return {"id": {"S": f"note-{i:06d}"}, "title": {"S": f"note {i}"},
                "content": {"S": f"content of note {i}"}, "createdAt": {"S": "2024-01-01T00:00:00Z"},
                "updatedAt": {"S": "2024-01-01T00:00:00Z"}, "version": {"N": "1"}}
    raise ValueError(kind)


def _load_range(args):
    """One loader process: BatchWriteItem of 25 over [start, end) on one kept-alive connection."""
    port, table, kind, start, end = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem", "Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Date": "20240101T000000Z", "Authorization": AUTH}
    for lo in range(start, end, 25):
        pending = [{"PutRequest": {"Item": item_for(kind, i)}} for i in range(lo, min(lo + 25, end))]
        for attempt in range(50):
            conn.request("POST", "/", body=json.dumps({"RequestItems": {table: pending}}), headers=headers)
            r = conn.getresponse()
            data = json.loads(r.read() or b"{}")
            if r.status != 200:
                if attempt < 49 and "Throttl" in data.get("__type", ""):
                    time.sleep(0.05)
                    continue
                raise RuntimeError(f"BatchWriteItem on port {port}: {r.status} {data}")
            pending = data.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError("BatchWriteItem kept leaving items unprocessed")
    conn.close()
    return end - start


def load_items(port, table, kind, start, end, procs=4):
    """Writes items [start, end) of `kind` with `procs` client processes; returns seconds taken."""
    t0 = time.perf_counter()
    step = max(25, -(-(end - start) // procs // 25) * 25)
    ranges = [(port, table, kind, lo, min(lo + step, end)) for lo in range(start, end, step)]
    with multiprocessing.Pool(len(ranges)) as pool:
        pool.map(_load_range, ranges)
    return time.perf_counter() - t0


def check_get(port, table, key):
    body = json.dumps({"TableName": table, "Key": key}).encode()
    status, data = http_status(port, "POST", "/", body, dict(DDB_READY[3], **{
        "X-Amz-Target": "DynamoDB_20120810.GetItem"}))
    return status == 200 and b'"Item"' in data


# ---------------------------------------------------------------- wrk

def wrk_once(opts, script, port, env, duration):
    cmd = ["wrk", "-t", str(opts.wrk_threads), "-c", str(opts.connections), "-d", f"{duration}s",
           "--timeout", "10s", "--latency", "-s", os.path.join(WRK_DIR, script), f"http://127.0.0.1:{port}"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, BENCH_WRK_DIR=WRK_DIR, **env))
    m = re.search(r"^WRK_JSON (.*)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk {script} failed ({r.returncode}): {r.stdout[-800:]} {r.stderr[-800:]}")
    run = json.loads(m.group(1))
    # Cross-check the JSON against wrk's own --latency text: both must agree on the request count.
    text = re.search(r"(\d+) requests in", r.stdout)
    run["wrk_text_requests"] = int(text.group(1)) if text else None
    run["errors_total"] = sum(run["errors"].values())
    return run


def summarize(runs, label):
    """Medians of a scenario's runs (each run kept), logged on one line."""
    med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_us", "p99_us")}
    med["errors"] = sum(r["errors_total"] for r in runs)
    med["requests"] = sum(r["requests"] for r in runs)
    med["runs"] = runs
    kinds = {k: sum(r["errors"][k] for r in runs) for k in runs[0]["errors"]}
    med["error_kinds"] = {k: v for k, v in kinds.items() if v}
    log(f"  {label}: {med['rps']:,.0f} req/s  p50 {med['p50_us'] / 1000:.2f} ms  "
        f"p99 {med['p99_us'] / 1000:.2f} ms  errors {med['errors']} {med['error_kinds'] or ''}")
    return med


def wrk_scenario(opts, script, port, env, label):
    return summarize([wrk_once(opts, script, port, env, opts.duration) for _ in range(opts.runs)], label)


def interleaved_runs(opts, specs):
    """opts.runs rounds, each a run of every (script, port, env) in specs, in
    order, each on its own server, idle while another is loaded. This
    machine's speed drifts by 10-20 % within minutes, so runs that are
    compared are seconds apart, not minutes: a comparison is the median of
    each round's ratio (paired_ratio). Returns one list of runs per spec."""
    runs = [[] for _ in specs]
    for _ in range(opts.runs):
        for i, spec in enumerate(specs):
            runs[i].append(wrk_once(opts, *spec, opts.duration))
    return runs


def paired_ratio(num_runs, den_runs):
    return statistics.median(n["rps"] / d["rps"] for n, d in zip(num_runs, den_runs))


def paired_runs(opts, first, then):
    """interleaved_runs of two: (first's runs, then's runs, median of then/first)."""
    first_runs, then_runs = interleaved_runs(opts, [first, then])
    return first_runs, then_runs, paired_ratio(then_runs, first_runs)


def profile(opts, script, port, env, pid, label):
    """A perf profile of `pid` during one more wrk run: the top symbols, as text."""
    if not shutil.which("perf"):
        return "perf is not installed"
    data = os.path.join(opts.workdir, f"perf-{label}.data")
    rec = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", data, "-p", str(pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        wrk_once(opts, script, port, env, min(opts.duration, 5))
    finally:
        rec.send_signal(signal.SIGINT)
        rec.wait(30)
    def report(sort, limit, rows):
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                              "--percent-limit", limit, "-g", "none"], capture_output=True, text=True)
        lines = [l.rstrip(" -") for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
        return "\n".join(lines[:rows]) or rep.stderr[-300:]
    return ("by library:\n" + report("dso", "1", 10) + "\n\nby symbol (self time >= 1.5 %):\n" +
            report("dso,symbol", "1.5", 20))


# ---------------------------------------------------------------- scenarios

def ddb_env(scenario, items):
    parts = max(1, items // 100)
    return {"ddb_get": {"BENCH_TABLE": "bench", "BENCH_ITEMS": str(items)},
            "ddb_put": {"BENCH_TABLE": "bench"},
            "ddb_update_add": {"BENCH_TABLE": "bench"},
            "ddb_query": {"BENCH_TABLE": "bench_q", "BENCH_PARTITIONS": str(parts)},
            "ddb_batch_write": {"BENCH_TABLE": "bench"}}[scenario]


def check_loaded(port, name, items):
    """Every server must hold what the scenarios read, or its figures would time errors or empty answers."""
    ddb = boto("dynamodb", port)
    last = f"k{items - 1:07d}"
    if "Item" not in ddb.get_item(TableName="bench", Key={"pk": {"S": last}}):
        raise RuntimeError(f"{name}: item {last} missing after the load")
    n = ddb.query(TableName="bench_q", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "q00000"}})["Count"]
    if n != 100:
        raise RuntimeError(f"{name}: Query of one partition returned {n} items, not 100")


PAIRED_WITH_CEILING = ("ddb_get", "ddb_put")


def start_loaded(opts, res, name, make):
    """A DynamoDB server started, its idle RSS taken, its two tables made and loaded."""
    port = free_port()
    srv = make(opts, port).start()
    try:
        res["rss_kb"].setdefault(name, {})["idle"] = srv.rss_kb()
        create_tables(port)
        secs = load_items(port, "bench", "bench", 0, opts.items)
        secs += load_items(port, "bench_q", "bench_q", 0, opts.items)
        res["load_seconds"][name] = round(secs, 2)
        log(f"{name}: loaded 2 x {opts.items} items in {secs:.1f}s")
        check_loaded(port, name, opts.items)
        return srv
    except BaseException:
        srv.stop()
        raise


def run_ddb_server(opts, res, name, make, scenarios, ceiling=None, peer=None):
    """One DynamoDB server: start, load, run each scenario, RSS after load.
    With ceiling (a running ceiling server), each GetItem and PutItem run comes
    right after a run of the ceiling; with peer ((name, a running loaded
    server)), each run is followed by the same run on the peer. Each share of
    the ceiling and ratio to the peer is the median of the rounds' ratios."""
    srv = start_loaded(opts, res, name, make)
    try:
        ceiling_runs = []
        for sc in scenarios:
            env = ddb_env(sc, opts.items)
            with_ceiling = ceiling is not None and sc in PAIRED_WITH_CEILING
            specs = [("fixed.lua", ceiling.port, {})] if with_ceiling else []
            specs.append((WRK_SCRIPT[sc], srv.port, env))
            if peer:
                specs.append((WRK_SCRIPT[sc], peer[1].port, env))
            runs = interleaved_runs(opts, specs)
            mine = runs[1] if with_ceiling else runs[0]
            med = summarize(mine, f"{name} {sc}")
            if with_ceiling:
                ceiling_runs += runs[0]
                med["ceiling_rps"] = [r["rps"] for r in runs[0]]
                med["ceiling_share"] = paired_ratio(mine, runs[0])
                log(f"    the ceiling right before each run: {', '.join(f'{c:,.0f}' for c in med['ceiling_rps'])} "
                    f"req/s; share {med['ceiling_share'] * 100:.0f} % (median of the pairs)")
            if peer:
                res["throughput"].setdefault(sc, {})[peer[0]] = summarize(runs[-1], f"{peer[0]} {sc}")
                med[f"{peer[0]}_ratio"] = paired_ratio(mine, runs[-1])
                log(f"    {name} / {peer[0]}: {med[f'{peer[0]}_ratio']:.2f}x (median of the rounds)")
            res["throughput"].setdefault(sc, {})[name] = med
        if ceiling_runs:
            res["throughput"].setdefault("ceiling", {})["ceiling"] = summarize(
                ceiling_runs, "ceiling fixed body, all its runs")
        if name == "hangar" and not opts.quick:
            for sc in ("ddb_get", "ddb_put"):
                if sc in scenarios:
                    res["profiles"][sc] = profile(opts, WRK_SCRIPT[sc], srv.port, ddb_env(sc, opts.items),
                                                  srv.proc.pid, sc)
        res["rss_kb"][name]["after_load"] = srv.rss_kb()
        if peer:
            res["rss_kb"][peer[0]]["after_load"] = peer[1].rss_kb()
        return srv
    except BaseException:
        srv.stop()
        raise


def zip_bytes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def run_lambda(opts, res, port):
    lam = boto("lambda", port)
    lam.create_function(FunctionName="bench-trivial", Runtime="lua5.4", Handler="main.handler",
                        Role="arn:aws:iam::000000000000:role/bench", Code={"ZipFile": zip_bytes(
                            {"main.lua": TRIVIAL_HANDLER})}, Timeout=10)
    out = lam.invoke(FunctionName="bench-trivial", Payload=b'{"n":1}')
    if out.get("FunctionError"):
        raise RuntimeError(f"trivial handler failed: {out['Payload'].read()!r}")
    res["throughput"].setdefault("lambda_invoke", {})["hangar"] = wrk_scenario(
        opts, "lambda_invoke.lua", port, {"BENCH_FUNCTION": "bench-trivial"}, "hangar lambda_invoke")


def copy_fixtures(dest):
    """fixtures/ and lambdas/ copied, so deploys never write in the repo and a handler can be edited."""
    shutil.copytree(os.path.join(ROOT, "fixtures"), os.path.join(dest, "fixtures"))
    shutil.copytree(os.path.join(ROOT, "lambdas"), os.path.join(dest, "lambdas"))
    return dest


def hangar_cli(opts, home, port, *args, check=True):
    env = dict(os.environ, HANGAR_HOME=home, HANGAR_ENDPOINT=f"http://127.0.0.1:{port}",
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION,
               PULUMI_CONFIG_PASSPHRASE=os.environ.get("PULUMI_CONFIG_PASSPHRASE", "hangar-bench"))
    t0 = time.perf_counter()
    r = subprocess.run([opts.hangar, *args], capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    if check and r.returncode != 0:
        raise RuntimeError(f"hangar {' '.join(args)} failed: {r.stdout[-1500:]} {r.stderr[-1500:]}")
    return secs, r.stdout


def run_gateway(opts, res, port, srv, chosen):
    tree = copy_fixtures(tempfile.mkdtemp(prefix="gw-", dir=opts.workdir))
    home = os.path.join(tree, "home")
    micro = os.path.join(tree, "fixtures", "micro-stacks")
    hangar_cli(opts, home, port, "up", "--all", "--stack", "dev", "--yes", "--skip-preview", "-C", micro)
    _, url = hangar_cli(opts, home, port, "stack", "output", "notesUrl", "--stack", "dev",
                        "-C", os.path.join(micro, "api-gateway"))
    _, table = hangar_cli(opts, home, port, "stack", "output", "testTableName", "--stack", "dev", "-C", micro)
    url, table = url.strip(), table.strip()
    m = re.match(r"https?://[^/]+(/.*)$", url)
    if not m:
        raise RuntimeError(f"unexpected notesUrl {url!r}")
    path = m.group(1)
    notes = 1000
    load_items(port, table, "note", 0, notes, procs=2)
    status, body = http_status(port, "GET", f"{path}/note-000001")
    if status != 200:
        raise RuntimeError(f"GET {path}/note-000001 answered {status}: {body[:300]!r}")
    res["gateway_path"] = path
    envs = {"apigw_get": {"BENCH_PATH": path, "BENCH_ITEMS": str(notes)}, "apigw_post": {"BENCH_PATH": path}}
    for sc, env in envs.items():
        if sc in chosen:
            res["throughput"].setdefault(sc, {})["hangar"] = wrk_scenario(opts, WRK_SCRIPT[sc], port, env,
                                                                          f"hangar {sc}")
    for sc, env in envs.items():
        if sc in chosen and not opts.quick:
            res["profiles"][sc] = profile(opts, WRK_SCRIPT[sc], port, env, srv.proc.pid, sc)


def time_to(argv, port, probe, timeout=10):
    """Seconds from spawning argv until probe(port) is true; the process is stopped after."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.perf_counter() - t0 < timeout:
            if probe(port):
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode}")
            time.sleep(0.0002)
        raise RuntimeError(f"{argv[0]} not ready within {timeout}s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_startup(opts, res):
    """Start-up to healthy (in memory) and to the first GetItem on an existing --data dir."""
    base = [opts.emulator, "--log-level", "warn", "--threads", str(opts.threads)]
    healthy = lambda p: http_status(p, "GET", "/_hangar/health", timeout=0.5)[0] == 200
    starts = opts.starts
    t_health = []
    for _ in range(starts):
        port = free_port()
        t_health.append(time_to(base + ["--port", str(port)], port, healthy))
    data = os.path.join(opts.workdir, "startup-data")
    port = free_port()
    srv = hangar_server(opts, port, data=data).start()
    try:
        create_tables(port)
        load_items(port, "bench", "bench", 0, 25, procs=1)
    finally:
        srv.stop()
    key = {"pk": {"S": "k0000001"}}
    first_get = lambda p: check_get(p, "bench", key)
    t_get = []
    for _ in range(starts):
        port = free_port()
        t_get.append(time_to(base + ["--port", str(port), "--data", data], port, first_get))
    res["startup"]["hangar"] = {
        "healthy_ms_median": round(statistics.median(t_health) * 1000, 2),
        "healthy_ms_all": [round(t * 1000, 2) for t in t_health],
        "first_getitem_ms_median": round(statistics.median(t_get) * 1000, 2),
        "first_getitem_ms_all": [round(t * 1000, 2) for t in t_get],
    }
    log(f"  hangar start-up: healthy {res['startup']['hangar']['healthy_ms_median']} ms, "
        f"first GetItem {res['startup']['hangar']['first_getitem_ms_median']} ms (medians of {starts})")
    # The floor of this measurement: the same spawn-and-poll loop on the ceiling,
    # a libmicrohttpd server that does nothing else before listening.
    ts = []
    for _ in range(starts):
        port = free_port()
        ts.append(time_to(ceiling_server(opts, port).argv, port,
                          lambda p: http_status(p, "GET", "/", timeout=0.5)[0] == 200))
    res["startup"]["ceiling"] = {"first_answer_ms_median": round(statistics.median(ts) * 1000, 2),
                                 "first_answer_ms_all": [round(t * 1000, 2) for t in ts]}
    log(f"  ceiling start-up (the harness's floor): {res['startup']['ceiling']['first_answer_ms_median']} ms")
    # The peers, for scale: a few starts each to their first answer.
    peers = [("dynalite", lambda p: dynalite_server(opts, p).argv)]
    if opts.moto_python:
        peers.append(("moto", lambda p: moto_server(opts, p).argv))
    answers = lambda p: http_status(p, *DDB_READY, timeout=0.5)[0] is not None
    for name, argv_for in peers:
        ts = []
        for _ in range(max(1, min(3, starts))):
            port = free_port()
            ts.append(time_to(argv_for(port), port, answers, timeout=60))
        res["startup"][name] = {"first_answer_ms_median": round(statistics.median(ts) * 1000, 1),
                                "first_answer_ms_all": [round(t * 1000, 1) for t in ts]}
        log(f"  {name} start-up to first answer: {res['startup'][name]['first_answer_ms_median']} ms")


def run_idle_rss(opts, res):
    port = free_port()
    srv = hangar_server(opts, port).start()
    try:
        time.sleep(0.5)
        res["rss_kb"].setdefault("hangar", {})["idle_fresh"] = srv.rss_kb()
    finally:
        srv.stop()
    log(f"  hangar idle RSS (fresh, after health): {res['rss_kb']['hangar']['idle_fresh']} kB")


def run_scale(opts, res):
    """GetItem and Query throughput at 10 k items against opts.scale_items, paired.

    Two servers, one loaded with 10 k items and one with opts.scale_items,
    both up; each run on the large one comes right after a run on the small
    one (idle meanwhile), and the ratio is the median of those pairs. Measured
    minutes apart on one server, the same code gave 69 % then 104 % for
    GetItem: this machine's speed drifts more than the effect measured."""
    out = res["scale"]
    sizes = (10_000, opts.scale_items)
    servers = {}
    try:
        for size in sizes:
            port = free_port()
            servers[size] = hangar_server(opts, port).start()
            create_tables(port)
            secs = load_items(port, "bench_q", "bench_q", 0, size, procs=4)
            log(f"scale: {size:,} items in bench_q ({secs:.1f}s, {size / secs:,.0f} items/s)")
            out[str(size)] = {"load_seconds": round(secs, 2)}
        out["rss_kb_after"] = servers[sizes[-1]].rss_kb()
        for op, script in (("ddb_get", "ddb_get_sorted.lua"), ("ddb_query", "ddb_query.lua")):
            small, big = ((script, servers[size].port,
                           {"BENCH_TABLE": "bench_q", "BENCH_PARTITIONS": str(size // 100)}) for size in sizes)
            small_runs, big_runs, ratio = paired_runs(opts, small, big)
            for size, runs in zip(sizes, (small_runs, big_runs)):
                out[str(size)][op] = summarize(runs, f"hangar {op} @ {size:,}")
            out.setdefault("paired_ratio", {})[op] = ratio
            pairs = ", ".join(f"{b['rps'] / a['rps'] * 100:.0f} %" for a, b in zip(small_runs, big_runs))
            log(f"    {op}: {opts.scale_items:,} vs 10,000 items, pair by pair: {pairs}; median {ratio * 100:.0f} %")
    finally:
        for srv in servers.values():
            srv.stop()


def deploy_summary(out):
    """What `hangar up` said it did: the per-stack summary of --all, else the resource counts; and its Duration."""
    durations = re.findall(r"^Duration: (\S+)", out, re.M)
    if "\nStacks:" in out:
        block = out.rsplit("\nStacks:", 1)[1].split("\nDuration:")[0]
        said = "; ".join(l.strip() for l in block.strip().splitlines() if l.strip())
    else:
        said = ", ".join(re.findall(r"(\d+ (?:created|updated|unchanged|deleted|replaced))", out))
    return f"{said} (hangar's own Duration {durations[-1] if durations else '?'})"


def run_deploy(opts, res):
    """Deployer timings for the micro-stack layout (up --all) and the monolith, each into a fresh emulator."""
    layouts = {"micro-stacks (up --all)": ("micro-stacks", ["--all"]), "monolith": ("monolith", [])}
    for label, (folder, extra) in layouts.items():
        samples = {"from_nothing": [], "noop": [], "one_handler_change": []}
        changes = {}
        for rep in range(opts.deploy_reps):
            tree = copy_fixtures(tempfile.mkdtemp(prefix="dp-", dir=opts.workdir))
            home = os.path.join(tree, "home")
            proj = os.path.join(tree, "fixtures", folder)
            port = free_port()
            srv = hangar_server(opts, port).start()
            try:
                up = ["up", *extra, "--stack", "dev", "--yes", "--skip-preview", "-C", proj]
                for step in samples:
                    if step == "one_handler_change":
                        with open(os.path.join(tree, "lambdas", "notes", "get.lua"), "a") as f:
                            f.write(f"\n-- bench: a one-handler change ({rep})\n")
                    secs, out = hangar_cli(opts, home, port, *up)
                    samples[step].append(secs)
                    # What the step did, as hangar printed it: proof the timing is of the intended change.
                    changes[step] = deploy_summary(out)
            finally:
                srv.stop()
        res["deploy"][label] = {k: {"ms_median": round(statistics.median(v) * 1000, 1),
                                    "ms_all": [round(x * 1000, 1) for x in v], "hangar_said": changes.get(k)}
                                for k, v in samples.items()}
        d = res["deploy"][label]
        log(f"  deploy {label}: from nothing {d['from_nothing']['ms_median']} ms, no-op "
            f"{d['noop']['ms_median']} ms, one handler {d['one_handler_change']['ms_median']} ms")


# ---------------------------------------------------------------- report

def fig(res, scenario, server, key="rps"):
    try:
        return res["throughput"][scenario][server][key]
    except KeyError:
        return None


def targets(res):
    """Each target next to its figure: (what, target text, figure text, met or None if not measured)."""
    rows = []

    def ratio(a, b):
        return a / b if a is not None and b else None

    for sc, what in (("ddb_get", "GetItem"), ("ddb_put", "PutItem")):
        r = fig(res, sc, "hangar", "dynalite_ratio") or ratio(fig(res, sc, "hangar"), fig(res, sc, "dynalite"))
        rows.append((f"{what} vs dynalite", ">= 4x", f"{r:.2f}x" if r else "n/a", r >= 4 if r else None))
        r = fig(res, sc, "hangar", "ceiling_share") or ratio(fig(res, sc, "hangar"), fig(res, "ceiling", "ceiling"))
        rows.append((f"{what} vs libmicrohttpd ceiling", ">= 50 %", f"{r * 100:.0f} %" if r else "n/a",
                     r >= 0.5 if r else None))
    for sc, what in (("apigw_post", "gateway -> Lua -> DynamoDB POST /notes"),
                     ("apigw_get", "gateway -> Lua -> DynamoDB GET /notes/{id}")):
        rps, p99 = fig(res, sc, "hangar"), fig(res, sc, "hangar", "p99_us")
        rows.append((what, ">= 10,000 req/s, p99 < 5 ms",
                     f"{rps:,.0f} req/s, p99 {p99 / 1000:.2f} ms" if rps else "n/a",
                     (rps >= 10000 and p99 < 5000) if rps else None))
    st = res["startup"].get("hangar")
    rows.append(("start-up to healthy (median)", "< 20 ms", f"{st['healthy_ms_median']} ms" if st else "n/a",
                 st["healthy_ms_median"] < 20 if st else None))
    idle = res["rss_kb"].get("hangar", {}).get("idle_fresh")
    rows.append(("idle RSS", "< 10 MB", f"{idle / 1024:.1f} MB" if idle else "n/a", idle < 10240 if idle else None))
    sc = res["scale"]
    big = [k for k in sc if k.isdigit() and k != "10000"]
    for op in ("ddb_get", "ddb_query"):
        if "10000" in sc and big and op in sc.get("paired_ratio", {}):
            a, b = sc["10000"][op]["rps"], sc[big[-1]][op]["rps"]
            r = sc["paired_ratio"][op]
            rows.append((f"{'GetItem' if op == 'ddb_get' else 'Query'} at {int(big[-1]):,} vs 10,000 items",
                         "within 20 %", f"{r * 100:.0f} % (median of pairs; medians {b:,.0f} vs {a:,.0f} req/s)",
                         r >= 0.8))
        else:
            rows.append((f"{'GetItem' if op == 'ddb_get' else 'Query'} at 1,000,000 vs 10,000 items",
                         "within 20 %", "not run", None))
    d = res["deploy"].get("micro-stacks (up --all)")
    rows.append(("deploy of both micro-stacks from nothing", "< 300 ms",
                 f"{d['from_nothing']['ms_median']} ms" if d else "n/a",
                 d["from_nothing"]["ms_median"] < 300 if d else None))
    return rows


def write_report(opts, res, stamp):
    os.makedirs(opts.results, exist_ok=True)
    # a run off the emulator's own worker count says so in its name
    threads = "" if opts.threads == DEFAULT_THREADS else f"-threads{opts.threads}"
    base = os.path.join(opts.results, stamp + threads + ("-quick" if opts.quick else ""))
    res["targets"] = [{"what": w, "target": t, "figure": f, "met": m} for w, t, f, m in targets(res)]
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    md = []
    m = res["machine"]
    md.append(f"# Hangar benchmarks, {res['started']}\n")
    md.append(f"`bench/run{' --quick' if opts.quick else ''}` at commit `{res['commit']}`. Machine: {m['cpu']}, "
              f"{m['cpus']} CPUs, {m['mem_gb']} GB, {m['kernel']}, DAMON monitors on: {m.get('damon', 'unknown')}. Load average (1/5/15 min) at start "
              f"{m['load_start']}, at end {m['load_end']}.")
    md.append(f"wrk: {opts.wrk_threads} threads, {opts.connections} connections, {opts.duration} s per run, "
              f"{opts.runs} run(s); figures are medians over the runs. hangar-emulator and the ceiling both "
              f"use {opts.threads} worker thread{'' if opts.threads == 1 else 's'} (plus the acceptor's standby, started only if every worker is stuck); hangar runs with `--log-level warn` (no per-request log), "
              "state in memory. One server is loaded at a time; wrk shares the machine's CPUs with it. Each "
              "GetItem and PutItem run of hangar comes right after a run of the ceiling, and each DynamoDB "
              "run of hangar right before the same run of dynalite (the others idle meanwhile): a share of the "
              "ceiling or a ratio to dynalite is the median of those rounds' ratios, so a drift of the "
              "machine's speed over minutes does not enter it. moto runs on its own afterwards. The Lambda and "
              "gateway scenarios each start on a fresh hangar server.\n")
    md.append("## Targets\n")
    md.append("| what | target | figure | met |")
    md.append("|---|---|---|---|")
    for w, t, f_, ok in targets(res):
        md.append(f"| {w} | {t} | {f_} | {'yes' if ok else ('no' if ok is False else 'n/a')} |")
    md.append("\n## Throughput and latency\n")
    servers = ["hangar", "dynalite", "moto", "ceiling"]
    md.append("| scenario | server | req/s | p50 ms | p99 ms | errors | hangar / this |")
    md.append("|---|---|---|---|---|---|---|")
    for sc, per in res["throughput"].items():
        for s in servers:
            if s not in per:
                continue
            v = per[s]
            h = fig(res, sc, "hangar")
            rel = "" if s == "hangar" or not h or not v["rps"] else f"{h / v['rps']:.2f}x"
            if fig(res, sc, "hangar", f"{s}_ratio"):
                rel = f"{fig(res, sc, 'hangar', f'{s}_ratio'):.2f}x (median of rounds)"
            if sc == "ceiling" and v["rps"]:
                shares = []
                for k, what in (("ddb_get", "GetItem"), ("ddb_put", "PutItem")):
                    paired = fig(res, k, "hangar", "ceiling_share")
                    if paired:
                        shares.append(f"{what} at {paired * 100:.0f} % of the run right before it (median of pairs)")
                    elif fig(res, k, "hangar"):
                        shares.append(f"{what} at {fig(res, k, 'hangar') / v['rps'] * 100:.0f} % of this")
                rel = ", ".join(shares)
            md.append(f"| {sc} | {s} | {v['rps']:,.0f} | {v['p50_us'] / 1000:.2f} | {v['p99_us'] / 1000:.2f} "
                      f"| {v['errors']} | {rel} |")
    for note in res["notes"]:
        md.append(f"\n- {note}")
    if res["load_seconds"]:
        md.append("\nLoading 2 x {} items (BatchWriteItem, 4 client processes): {}.".format(
            opts.items, ", ".join(f"{k} {v} s" for k, v in res["load_seconds"].items())))
    if res["startup"]:
        md.append("\n## Start-up\n")
        for name, v in res["startup"].items():
            md.append(f"- {name}: " + ", ".join(f"{k} {v[k]}" for k in sorted(v) if k.endswith("median")) +
                      f" (all: {json.dumps({k: v[k] for k in v if k.endswith('all')})})")
    if res["rss_kb"]:
        md.append("\n## Memory (RSS, MB)\n")
        for name, v in res["rss_kb"].items():
            md.append(f"- {name}: " + ", ".join(f"{k} {x / 1024:.1f}" for k, x in v.items() if x))
    if res["scale"]:
        md.append("\n## Item-count scaling (hangar, one table, hash + range key, 100 items per partition)\n")
        md.append("One server per size, both up; each run on the large one right after a run on the small "
                  "one. Ratio of each pair, then the median: " + ", ".join(
                      f"{'GetItem' if op == 'ddb_get' else 'Query'} {r * 100:.0f} %"
                      for op, r in res["scale"].get("paired_ratio", {}).items()) + ".\n")
        md.append("| items | load s | GetItem req/s | GetItem p99 ms | Query(100) req/s | Query p99 ms |")
        md.append("|---|---|---|---|---|---|")
        for k, v in res["scale"].items():
            if k.isdigit():
                md.append(f"| {int(k):,} | {v['load_seconds']} | {v['ddb_get']['rps']:,.0f} | "
                          f"{v['ddb_get']['p99_us'] / 1000:.2f} | {v['ddb_query']['rps']:,.0f} | "
                          f"{v['ddb_query']['p99_us'] / 1000:.2f} |")
        if "rss_kb_after" in res["scale"]:
            md.append(f"\nRSS of the large server after its load: {res['scale']['rss_kb_after'] / 1024:.1f} MB.")
    if res["deploy"]:
        md.append("\n## Deployer (`hangar up`, wall clock, into a fresh emulator)\n")
        md.append("| layout | from nothing ms | no-op ms | one-handler change ms |")
        md.append("|---|---|---|---|")
        for label, v in res["deploy"].items():
            md.append(f"| {label} | {v['from_nothing']['ms_median']} | {v['noop']['ms_median']} | "
                      f"{v['one_handler_change']['ms_median']} |")
        md.append(f"\nMedians of {opts.deploy_reps} repetition(s), each including the `hangar` process start; "
                  "all samples in the .json. What `hangar up` reported for each step (last repetition):\n")
        for label, v in res["deploy"].items():
            md.append(f"- {label}: " + "; ".join(f"{k}: {v[k]['hangar_said']}" for k in v))
    missed = [w for w, _, _, ok in targets(res) if ok is False]
    if res["profiles"]:
        md.append("\n## Where the time goes (perf record -g, hangar-emulator, self time by symbol)\n")
        if missed:
            md.append("Missed: " + "; ".join(missed) + ".\n")
        for sc, text in res["profiles"].items():
            md.append(f"### {sc}\n\n```\n{text}\n```\n")
    if res.get("analysis"):
        md.append("\n## Reading\n\n" + res["analysis"])
    with open(base + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    return base


def damon_monitors():
    """The kernel's DAMON monitors that are on, as "operations: actions" (e.g.
    "paddr: pageout"). Their work grows with the memory in use and they
    preempt the server's threads for milliseconds, which shows in the p99
    of a server holding a lot of memory."""
    found = []
    for kd in sorted(glob.glob("/sys/kernel/mm/damon/admin/kdamonds/[0-9]*")):
        try:
            with open(os.path.join(kd, "state")) as f:
                if f.read().strip() != "on":
                    continue
            for ctx in sorted(glob.glob(os.path.join(kd, "contexts", "[0-9]*"))):
                with open(os.path.join(ctx, "operations")) as f:
                    ops = f.read().strip()
                actions = []
                for sch in sorted(glob.glob(os.path.join(ctx, "schemes", "[0-9]*"))):
                    with open(os.path.join(sch, "action")) as f:
                        actions.append(f.read().strip())
                found.append(f"{ops}: {', '.join(actions) or 'monitoring only'}")
        except OSError:
            continue
    return "; ".join(found) or "none"


def machine_info():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cpus": os.cpu_count(), "mem_gb": round(mem, 1), "kernel": platform.release(),
            "damon": damon_monitors(), "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def main():
    ap = argparse.ArgumentParser(description="Hangar benchmarks (driven by bench/run)")
    ap.add_argument("--quick", action="store_true", help="short smoke: 2 s runs, 1 run, 1k items, no 1M scaling")
    ap.add_argument("--scenario", action="append", choices=ALL_SCENARIOS, help="run only this (repeatable)")
    ap.add_argument("--build", required=True, help="the Release build directory")
    ap.add_argument("--ceiling", required=True, help="the ceiling binary")
    ap.add_argument("--results", default=os.path.join(BENCH, "results"))
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                    help="worker threads of hangar and the ceiling (default: the emulator's own, half the CPUs, 1 to 64)")
    ap.add_argument("--scale-items", type=int, default=1_000_000, help="the large size of the scaling scenario")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 10, --quick 2)")
    ap.add_argument("--runs", type=int, help="wrk runs per figure, median taken (default 3, --quick 1)")
    opts = ap.parse_args()
    opts.emulator = os.path.join(opts.build, "hangar-emulator")
    opts.hangar = os.path.join(opts.build, "hangar")
    opts.wrk_threads, opts.connections = 2, 32
    if opts.quick:
        opts.duration, opts.runs, opts.items, opts.starts, opts.deploy_reps = 2, 1, 1000, 3, 1
    else:
        opts.duration, opts.runs, opts.items, opts.starts, opts.deploy_reps = 10, 3, 10_000, 10, 3
    ns = ap.parse_args()
    opts.duration = ns.duration or opts.duration
    opts.runs = ns.runs or opts.runs
    chosen = opts.scenario or ALL_SCENARIOS
    opts.workdir = tempfile.mkdtemp(prefix="hangar-bench-")
    opts.logdir = opts.workdir
    opts.moto_python, moto_note = moto_python()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    if os.environ.get("BENCH_COMMIT"):
        commit = f"{os.environ['BENCH_COMMIT']} (exported with --at-commit, built clean)"
    elif subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", ".", ":(exclude)bench"]).returncode:
        commit += " plus uncommitted changes outside bench/"
    elif os.environ.get("BENCH_BUILD"):
        commit += f" (binaries from BENCH_BUILD={os.environ['BENCH_BUILD']})"
    res = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "commit": commit,
           "machine": machine_info(), "quick": opts.quick, "scenarios": chosen,
           "settings": {"wrk_threads": opts.wrk_threads, "connections": opts.connections,
                        "duration_s": opts.duration, "runs": opts.runs, "items": opts.items,
                        "server_threads": opts.threads},
           "throughput": {}, "startup": {}, "rss_kb": {}, "scale": {}, "deploy": {}, "profiles": {},
           "load_seconds": {}, "notes": []}
    if opts.moto_python:
        res["peers"] = {"moto": moto_note}
    else:
        res["notes"].append(f"moto skipped: {moto_note}.")
    with open(os.path.join(BENCH, "peers", "package.json")) as f:
        res.setdefault("peers", {})["dynalite"] = json.load(f)["dependencies"]["dynalite"]
    log(f"work dir {opts.workdir}; scenarios: {', '.join(chosen)}")
    try:
        ddb = [s for s in DDB_SCENARIOS if s in chosen]
        if {"startup"} & set(chosen):
            log("start-up")
            run_startup(opts, res)
        if {"rss", "startup"} & set(chosen):
            run_idle_rss(opts, res)
        if ddb or "rss" in chosen:
            ceiling = peer = None
            try:
                if set(PAIRED_WITH_CEILING) & set(chosen):
                    log("the ceiling (libmicrohttpd, fixed body): a run of it right before each GetItem "
                        "and PutItem run of hangar")
                    ceiling = ceiling_server(opts, free_port()).start()
                if ddb:
                    log("dynalite: a run of it right after each DynamoDB run of hangar")
                    peer = ("dynalite", start_loaded(opts, res, "dynalite", dynalite_server))
                log("hangar-emulator")
                run_ddb_server(opts, res, "hangar", hangar_server, ddb, ceiling, peer).stop()
            finally:
                for other in (ceiling, peer[1] if peer else None):
                    if other:
                        other.stop()
        # Lambda and the gateway each start on a fresh server: the scenarios
        # before them leave hundreds of MB behind (PutItem alone 650 k items),
        # and on a machine whose kernel scans memory (damon_monitors) that
        # alone raised the gateway's p99 several-fold. Each figure measures
        # its own scenario, whatever ran before it.
        for group, run in (("lambda_invoke", lambda port, srv: run_lambda(opts, res, port)),
                           ("apigw", lambda port, srv: run_gateway(opts, res, port, srv, chosen))):
            if not [sc for sc in chosen if sc.startswith(group)]:
                continue
            log(f"hangar-emulator, fresh, for {group}")
            srv = hangar_server(opts, free_port()).start()
            try:
                run(srv.port, srv)
                res["rss_kb"].setdefault("hangar", {})[f"after_{group}"] = srv.rss_kb()
            finally:
                srv.stop()
        if ddb and opts.moto_python:
            log("moto")
            run_ddb_server(opts, res, "moto", moto_server, ddb).stop()
        if "scale" in chosen:
            if opts.quick:
                res["notes"].append("item-count scaling at 1 M items skipped in --quick.")
            else:
                log(f"item-count scaling: 10,000 then {opts.scale_items:,} items")
                run_scale(opts, res)
        if "deploy" in chosen:
            log("deployer")
            run_deploy(opts, res)
    finally:
        res["machine"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        res["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        analysis = os.environ.get("BENCH_ANALYSIS")
        if analysis and os.path.exists(analysis):
            with open(analysis) as f:
                res["analysis"] = f.read()
        base = write_report(opts, res, stamp)
        log(f"results: {base}.md and {base}.json")
        shutil.rmtree(opts.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
