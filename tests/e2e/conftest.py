"""The e2e tests reuse the black-box fixtures (an emulator per module,
boto3 clients): tests/blackbox/conftest.py is loaded under its own name and
its fixtures re-exported, so there is one Emulator implementation."""

import importlib.util
import os
import sys

_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "blackbox", "conftest.py")
_spec = importlib.util.spec_from_file_location("hangar_blackbox_conftest", _path)
blackbox = importlib.util.module_from_spec(_spec)
sys.modules["hangar_blackbox_conftest"] = blackbox
_spec.loader.exec_module(blackbox)

emulator = blackbox.emulator
endpoint = blackbox.endpoint
emulator_factory = blackbox.emulator_factory
make_client = blackbox.make_client
