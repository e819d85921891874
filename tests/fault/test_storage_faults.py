"""The data directory runs out of room or cannot be written.

Disk full: the emulator's --data directory is a 2 MB tmpfs mounted for the
test (we run as root in CI; without the privilege to mount, the test skips
and says why). Writes go on until the disk is full: the failing write gets a
500-class AWS error whose message names the storage problem, reads keep
answering, the server stays up, and every write it acknowledged is there
when the files are copied somewhere roomy and opened by a new emulator.

Read-only: a read-only bind mount of a data directory that already holds a
table. (A live remount to read-only is refused with EBUSY while SQLite holds
its files open for writing, so the directory is read-only from the start.)
The emulator either serves reads and answers writes with a 500, or refuses to
start, promptly, with a message that names the directory.
"""

import os
import shutil
import subprocess
import tempfile
import time

import botocore.exceptions
import pytest

from hg_blackbox_conftest import Emulator, create_table, make_client


def mount(*args):
    p = subprocess.run(["mount"] + list(args), capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def umount(path):
    for _ in range(50):
        if subprocess.run(["umount", path], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", path], capture_output=True)


@pytest.fixture
def small_disk():
    d = tempfile.mkdtemp(prefix="hangar-full-")
    ok, why = mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", d)
    if not ok:
        os.rmdir(d)
        pytest.skip("cannot mount a 2 MB tmpfs to fill (needs root): " + why)
    try:
        yield d
    finally:
        umount(d)
        shutil.rmtree(d, ignore_errors=True)


def test_disk_full_fails_writes_cleanly_and_keeps_reads(emulator_factory, small_disk, tmp_path):
    data = os.path.join(small_disk, "data")
    emu = emulator_factory(data_dir=data)
    client = make_client(emu.endpoint)
    table = create_table(client)
    acked = []
    failure = None
    pad = "x" * 30000
    for i in range(400):  # 400 x 30 KB is far beyond 2 MB
        try:
            client.put_item(TableName=table, Item={"pk": {"S": "k%d" % i}, "pad": {"S": pad}})
            acked.append(i)
        except botocore.exceptions.ClientError as e:
            failure = e.response
            break
    assert failure is not None, "2 MB disk never filled after %d writes of 30 KB" % len(acked)
    assert len(acked) > 5, "the disk filled before any write: %r" % failure
    status = failure["ResponseMetadata"]["HTTPStatusCode"]
    code, msg = failure["Error"]["Code"], failure["Error"].get("Message", "")
    assert 500 <= status < 600, failure
    assert code == "InternalServerError", failure
    assert "storage" in msg.lower() and ("full" in msg.lower() or "disk" in msg.lower()), msg

    # still up: more writes fail the same way, reads answer
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        client.put_item(TableName=table, Item={"pk": {"S": "again"}, "pad": {"S": pad}})
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 500
    assert table in client.list_tables()["TableNames"]
    for i in acked[:: max(1, len(acked) // 10)] + [acked[-1]]:
        item = client.get_item(TableName=table, Key={"pk": {"S": "k%d" % i}}, ConsistentRead=True)["Item"]
        assert item["pad"]["S"] == pad
    scanned = client.scan(TableName=table, Select="COUNT", ConsistentRead=True)
    assert scanned["Count"] + scanned.get("ScannedCount", 0) >= len(acked)

    # nothing acknowledged lost: copy the files somewhere roomy and reopen
    emu.stop()
    roomy = str(tmp_path / "roomy")
    shutil.copytree(data, roomy)
    p = subprocess.run(["sqlite3", os.path.join(roomy, "hangar.db"), "PRAGMA integrity_check"],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "ok", (p.stdout, p.stderr)
    emu2 = emulator_factory(data_dir=roomy)
    client = make_client(emu2.endpoint)
    for i in acked:
        r = client.get_item(TableName=table, Key={"pk": {"S": "k%d" % i}}, ConsistentRead=True)
        assert "Item" in r, "acknowledged write k%d lost after the disk filled" % i
    client.put_item(TableName=table, Item={"pk": {"S": "after"}})


def test_read_only_data_dir(emulator_factory, tmp_path):
    data = str(tmp_path / "data")
    emu = emulator_factory(data_dir=data)
    client = make_client(emu.endpoint)
    table = create_table(client)
    client.put_item(TableName=table, Item={"pk": {"S": "kept"}})
    emu.stop()

    ro = str(tmp_path / "ro")
    os.mkdir(ro)
    ok, why = mount("--bind", data, ro)
    if not ok:
        pytest.skip("cannot bind-mount (needs root): " + why)
    try:
        ok, why = mount("-o", "remount,bind,ro", ro)
        if not ok:
            pytest.skip("cannot remount read-only: " + why)
        e = Emulator(data_dir=ro)
        binary = os.environ["HANGAR_EMULATOR"]
        t0 = time.time()
        proc = subprocess.Popen([binary, "--port", "0", "--data", ro, "--log-level", "warn"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            # it stayed up: then it must serve reads and refuse writes with a 500
            e.start()
            try:
                c = make_client(e.endpoint)
                assert "Item" in c.get_item(TableName=table, Key={"pk": {"S": "kept"}})
                with pytest.raises(botocore.exceptions.ClientError) as ei:
                    c.put_item(TableName=table, Item={"pk": {"S": "new"}})
                assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 500
                assert "storage" in ei.value.response["Error"]["Message"].lower()
            finally:
                e.stop()
            return
        # it refused to start: promptly, with a message naming the directory
        assert time.time() - t0 < 5
        assert proc.returncode != 0
        assert "runtime error:" not in err and "AddressSanitizer" not in err, err
        assert ro in err or "read-only" in err.lower(), (
            "the refusal to start on a read-only --data directory must name it: %r" % err)
    finally:
        umount(ro)
