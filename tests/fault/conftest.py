"""Fixtures for the fault tests: the black-box conftest's emulator process,
clients and raw-HTTP helpers, loaded under another module name (both files
are called conftest.py, and pytest imports each as `conftest`).

Test modules import helpers with `from hg_blackbox_conftest import ...`.
"""

import importlib.util
import os
import sys

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox", "conftest.py")
_spec = importlib.util.spec_from_file_location("hg_blackbox_conftest", _path)
_bb = importlib.util.module_from_spec(_spec)
sys.modules["hg_blackbox_conftest"] = _bb
_spec.loader.exec_module(_bb)

# Re-export the fixtures so pytest registers them for tests/fault too.
from hg_blackbox_conftest import (  # noqa: E402,F401
    emulator, emulator_factory, tmp_data_dir, endpoint, ddb, raw,
)


def rss_kb(pid):
    """Resident set size of pid in kB, from /proc/<pid>/status."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)
