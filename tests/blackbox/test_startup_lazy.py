"""What start-up leaves until first needed (common/hg_dl.h, and invariants in
lambda/pool.c, lambda/invoke.c and logs/logs.c).

- libcrypto and libzip: the dynamic loader's work on them was about 3 ms of
  the emulator's time to healthy on a 2-vCPU VM. The binary does not list
  them as needed; a binary key brings libcrypto, the first zip libzip.
- The Lambda reaper, the Event workers and the logs writer: their threads
  were about 1 ms of every start. The first lease starts the reaper, the
  first log line the writer, the first Event the two workers; the reaper
  still frees idle environments.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import time

from conftest import ACCOUNT_ID, make_client, zip_bytes

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/lambda-role"


def needed(binary):
    out = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", out, re.M)


def mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        return {os.path.basename(line.split()[-1]) for line in f if "/" in line}


def has(libs, stem):
    return any(name.startswith(stem + ".so") for name in libs)


def threads(pid):
    """The names of pid's threads, with their counts."""
    names = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except FileNotFoundError:          # a thread that just ended
            continue
        names[name] = names.get(name, 0) + 1
    return names


def wait_threads(pid, name, count, seconds=5):
    deadline = time.time() + seconds
    while time.time() < deadline and threads(pid).get(name, 0) < count:
        time.sleep(0.02)
    return threads(pid)


def test_binary_does_not_need_them():
    libs = needed(os.environ["HANGAR_EMULATOR"])
    assert any(n.startswith("libsqlite3.so") for n in libs), libs   # the parse found the list
    assert not any(n.startswith(("libcrypto.so", "libzip.so")) for n in libs), libs


def test_loaded_by_their_first_use(emulator_factory):
    emu = emulator_factory()
    pid = emu.proc.pid
    libs = mapped(pid)
    assert has(libs, "libsqlite3"), libs                # the maps were read
    assert not has(libs, "libcrypto") and not has(libs, "libzip"), libs
    ddb = make_client(emu.endpoint)
    ddb.create_table(TableName="lazy", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "B"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    key = {"k": {"B": b"\x00\xffkey"}}
    ddb.put_item(TableName="lazy", Item={**key, "n": {"N": "1"}})   # a binary key is stored decoded
    assert ddb.get_item(TableName="lazy", Key=key)["Item"] == {**key, "n": {"N": "1"}}
    libs = mapped(pid)
    assert has(libs, "libcrypto") and not has(libs, "libzip"), libs
    lam = make_client(emu.endpoint, service="lambda")
    code = zip_bytes({"index.lua": "return { handler = function(e) return { n = e.n * 2 } end }"})
    fn = lam.create_function(FunctionName="lazy-zip", Runtime="lua5.4", Role=ROLE,
                             Handler="index.handler", Code={"ZipFile": code})
    assert fn["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert has(mapped(pid), "libzip")
    out = lam.invoke(FunctionName="lazy-zip", Payload=b'{"n": 21}')
    assert out["StatusCode"] == 200
    assert out["Payload"].read() == b'{"n":42}'


def test_threads_start_with_their_first_work(emulator_factory):
    emu = emulator_factory()
    pid = emu.proc.pid
    names = wait_threads(pid, "hg-ddb-ttl", 1)
    assert names.get("hg-ddb-ttl") == 1, names             # the names are read: the sweeper starts at once
    for lazy in ("hg-lambda-reap", "hg-logs-writer", "hg-lambda-event"):
        assert lazy not in names, names
    lam = make_client(emu.endpoint, service="lambda")
    code = zip_bytes({"index.lua": "return { handler = function(e) print('hi') return e end }"})
    lam.create_function(FunctionName="lazy-threads", Runtime="lua5.4", Role=ROLE,
                        Handler="index.handler", Code={"ZipFile": code})
    assert lam.invoke(FunctionName="lazy-threads", Payload=b'{"a":1}')["Payload"].read() == b'{"a":1}'
    names = wait_threads(pid, "hg-logs-writer", 1)
    assert names.get("hg-lambda-reap") == 1 and names.get("hg-logs-writer") == 1, names
    assert "hg-lambda-event" not in names, names
    assert lam.invoke(FunctionName="lazy-threads", InvocationType="Event", Payload=b'{}')["StatusCode"] == 202
    names = wait_threads(pid, "hg-lambda-event", 2)
    assert names.get("hg-lambda-event") == 2 and names.get("hg-lambda-reap") == 1, names


def test_the_reaper_still_frees_idle_environments(emulator_factory):
    emu = emulator_factory(args=["--lambda-idle", "0.3"])
    lam = make_client(emu.endpoint, service="lambda")
    code = zip_bytes({"index.lua": "n = 0\nreturn { handler = function(e) n = n + 1 return { n = n } end }"})
    lam.create_function(FunctionName="reaped", Runtime="lua5.4", Role=ROLE,
                        Handler="index.handler", Code={"ZipFile": code})
    runs = lambda: json.loads(lam.invoke(FunctionName="reaped")["Payload"].read())["n"]
    assert [runs(), runs()] == [1, 2]                      # one warm environment
    time.sleep(1.5)                                        # idle for five times --lambda-idle
    assert runs() == 1                                     # a fresh one: the old was freed
