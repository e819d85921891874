"""libcrypto and libzip are loaded when first needed, not at exec (common/hg_dl.h).

The dynamic loader's work on these two libraries was about 3 ms of the
emulator's time to healthy on a 2-vCPU VM. These tests pin down the parts
of that change: the binary does not list them as needed, neither is loaded
by start-up, a binary key brings libcrypto (and the item round-trips),
and the first zip brings libzip (and its function runs).
"""
import base64
import hashlib
import os
import re
import subprocess

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
