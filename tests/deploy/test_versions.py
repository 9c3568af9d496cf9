"""Versions pin code: a change to task code alone publishes new function versions, and the
state machine's substitutions name them, so its definition — and so its version — changes too.

SAM names a function's version resource after a hash of its code location, which `sam package`
makes content-addressed; packaged here the same way (the S3 key is the code's hash).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import yaml

from orchestrator.contract import RESULTS_BUCKET_SUBSTITUTION
from orchestrator.deploy.translate import package_template, translate
from orchestrator.testing.stack import zip_directory
from tests.deploy.helpers import BEFORE_ISSUE9, build_project


def build(root: Path) -> dict[str, Any]:
    build_project(root)
    template: dict[str, Any] = yaml.safe_load((root / "template.yaml").read_text("utf-8"))

    def upload(kind: str, logical_id: str, path: str) -> dict[str, str]:
        target = root / path
        body = zip_directory(target) if target.is_dir() else target.read_bytes()
        return {"Bucket": "artifacts", "Key": hashlib.sha256(body).hexdigest()}

    return translate(package_template(template, upload))


def versions(cfn: dict[str, Any]) -> dict[str, str]:
    """Function logical id → the logical id of the version resource SAM published for it."""
    return {
        r["Properties"]["FunctionName"]["Ref"]: logical
        for logical, r in cfn["Resources"].items()
        if r["Type"] == "AWS::Lambda::Version"
    }


def substitutions(cfn: dict[str, Any], machine: str) -> dict[str, Any]:
    """The machine's function substitutions (not the results bucket's name)."""
    subs: dict[str, Any] = cfn["Resources"][machine]["Properties"]["DefinitionSubstitutions"]
    return {k: v for k, v in subs.items() if k != RESULTS_BUCKET_SUBSTITUTION}


def test_a_code_only_change_publishes_new_versions_that_the_machine_names(
    tmp_path: Path,
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(BEFORE_ISSUE9, root)
    (root / "infra" / "lambda").mkdir(parents=True)
    (root / "infra" / "lambda" / "shared").symlink_to(root / "shared")
    before = build(root)
    flows = root / "shared" / "flows.py"
    flows.write_text(flows.read_text().replace("return len(rows)", "return len(rows) + 0"))
    after = build(root)

    old, new = versions(before), versions(after)
    assert set(old) == set(new) and old != new  # every function: a new version resource
    for machine in ("HourlyStateMachine", "AdhocStateMachine"):
        named_before = {v["Ref"] for v in substitutions(before, machine).values()}
        named_after = {v["Ref"] for v in substitutions(after, machine).values()}
        assert named_before <= set(old.values()) and named_after <= set(new.values())
        assert named_before.isdisjoint(named_after)
        # The definition changed, so the machine's own version is published anew and records
        # the code it was built from.
        version = f"{machine}Version"
        assert (
            before["Resources"][version]["Properties"]["Description"]
            != after["Resources"][version]["Properties"]["Description"]
        )
        assert before["Resources"][version]["DeletionPolicy"] == "Retain"  # rollback target
