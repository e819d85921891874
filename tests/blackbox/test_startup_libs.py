"""libcrypto and libzip are loaded after start-up, not at exec (common/hg_dl.h).

The dynamic loader's work on these two libraries was about 3 ms of the
emulator's time to healthy on a 2-vCPU VM. These tests pin down the three
parts of that change: the binary does not list them as needed, libcrypto is
loaded right after the listening line (so a missing one stops the start,
not a request later), and libzip comes with the first zip, which works.
"""
import base64
import hashlib
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


def wait_mapped(pid, stem, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if has(mapped(pid), stem):
            return True
        time.sleep(0.02)
    return False


def test_binary_does_not_need_them():
    libs = needed(os.environ["HANGAR_EMULATOR"])
    assert any(n.startswith("libsqlite3.so") for n in libs), libs   # the parse found the list
    assert not any(n.startswith(("libcrypto.so", "libzip.so")) for n in libs), libs


def test_libcrypto_after_listening_libzip_with_the_first_zip(emulator_factory):
    emu = emulator_factory()
    pid = emu.proc.pid
    assert wait_mapped(pid, "libcrypto"), "libcrypto was never loaded after the listening line"
    assert not has(mapped(pid), "libzip")
    lam = make_client(emu.endpoint, service="lambda")
    code = zip_bytes({"index.lua": "return { handler = function(e) return { n = e.n * 2 } end }"})
    fn = lam.create_function(FunctionName="lazy-zip", Runtime="lua5.4", Role=ROLE,
                             Handler="index.handler", Code={"ZipFile": code})
    assert fn["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert has(mapped(pid), "libzip")
    out = lam.invoke(FunctionName="lazy-zip", Payload=b'{"n": 21}')
    assert out["StatusCode"] == 200
    assert out["Payload"].read() == b'{"n":42}'
