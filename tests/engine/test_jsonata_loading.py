"""The JSONata library is loaded only by definitions that hold a JSONata expression."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from orchestrator.engine import execute
machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"x.$": "$.a"}, "End": True}}}
execute(machine, {"a": 1}, invoke=lambda name, payload: payload)
print("jsonata" in sys.modules)
execute({"QueryLanguage": "JSONata", "StartAt": "P",
         "States": {"P": {"Type": "Pass", "Output": "{% 1 + 1 %}", "End": True}}},
        invoke=lambda name, payload: payload)
print("jsonata" in sys.modules)
"""


def test_jsonpath_machines_do_not_import_the_jsonata_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]
