"""Loading flows from `file.py:flow` and `package.module:flow` specs, and from pyproject.toml."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from orchestrator import Flow
from orchestrator.errors import FlowDefinitionError
from orchestrator.loader import load_flow, load_project_flows, split_spec

ROOT = Path(__file__).resolve().parents[1]

ONE_FLOW = """
from orchestrator import flow, task

@task
def clean(rows: list) -> list:
    return rows

@flow(name="ETL")
def etl(rows: list = []):
    clean(rows)
"""


pytestmark = pytest.mark.usefixtures("isolated_imports")


def _write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a/b.py:etl", ("a/b.py", "etl")),
        ("a/b.py", ("a/b.py", None)),
        ("pkg.mod:flow_1", ("pkg.mod", "flow_1")),
        ("pkg.mod", ("pkg.mod", None)),
        ("C:\\work\\x.py", ("C:\\work\\x.py", None)),
        (" x.py:etl ", ("x.py", "etl")),
    ],
)
def test_split_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_spec(spec) == expected


def test_file_with_attribute(tmp_path: Path) -> None:
    path = _write(tmp_path / "loose_flows.py", ONE_FLOW)
    found = load_flow(f"{path}:etl")
    assert isinstance(found, Flow) and found.name == "ETL"
    assert found.graph.nodes[0].task_key == "loose_flows:clean"


def test_relative_path_from_root(tmp_path: Path) -> None:
    _write(tmp_path / "sub" / "rel_flows.py", ONE_FLOW)
    assert load_flow("sub/rel_flows.py:etl", root=tmp_path).name == "ETL"


def test_single_flow_needs_no_attribute(tmp_path: Path) -> None:
    path = _write(tmp_path / "single_flow.py", ONE_FLOW)
    assert load_flow(str(path)).name == "ETL"


def test_sibling_import(tmp_path: Path) -> None:
    _write(tmp_path / "sibling_tasks.py", "from orchestrator import task\n\n@task\ndef t(): ...\n")
    path = _write(
        tmp_path / "sibling_flow.py",
        """
        from orchestrator import Flow
        from sibling_tasks import t

        with Flow("sib") as sib:
            t()
        """,
    )
    assert load_flow(f"{path}:sib").graph.nodes[0].task_key == "sibling_tasks:t"


def test_file_inside_a_package_keeps_its_dotted_name(tmp_path: Path) -> None:
    _write(tmp_path / "ldpkg" / "__init__.py", "")
    path = _write(tmp_path / "ldpkg" / "flows.py", ONE_FLOW)
    # Lambda imports tasks by module name: the file must be `ldpkg.flows`, not `flows`.
    found = load_flow(f"{path}:etl")
    assert found.graph.nodes[0].task_key == "ldpkg.flows:clean"


def test_dotted_module(tmp_path: Path) -> None:
    _write(tmp_path / "dotpkg" / "__init__.py", "")
    _write(tmp_path / "dotpkg" / "flows.py", ONE_FLOW)
    assert load_flow("dotpkg.flows:etl", root=tmp_path).name == "ETL"


def test_reloading_a_file_sees_its_changes(tmp_path: Path) -> None:
    path = _write(tmp_path / "changing_flow.py", ONE_FLOW)
    assert load_flow(f"{path}:etl").name == "ETL"
    _write(path, ONE_FLOW.replace('"ETL"', '"ETL v2"'))
    assert load_flow(f"{path}:etl").name == "ETL v2"


def test_file_named_like_an_imported_module(tmp_path: Path) -> None:
    path = _write(tmp_path / "json.py", ONE_FLOW)
    with pytest.raises(FlowDefinitionError, match=r"importable as 'json'.*Fix: rename json\.py"):
        load_flow(f"{path}:etl")


def test_several_flows_without_attribute(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "two_flows.py",
        ONE_FLOW + "\nfrom orchestrator import Flow\nwith Flow('B') as b_flow:\n    clean([])\n",
    )
    with pytest.raises(FlowDefinitionError, match=r"several flows \(b_flow, etl\).*:b_flow"):
        load_flow(str(path))


def test_no_flow_in_module(tmp_path: Path) -> None:
    path = _write(tmp_path / "no_flow.py", "x = 1\n")
    with pytest.raises(FlowDefinitionError, match="defines no flow"):
        load_flow(str(path))


def test_missing_attribute_lists_flows(tmp_path: Path) -> None:
    path = _write(tmp_path / "attr_flow.py", ONE_FLOW)
    with pytest.raises(
        FlowDefinitionError, match=r"no attribute 'elt' \(flows defined there: etl\)"
    ):
        load_flow(f"{path}:elt")


def test_attribute_not_a_flow(tmp_path: Path) -> None:
    path = _write(tmp_path / "not_flow.py", ONE_FLOW)
    with pytest.raises(FlowDefinitionError, match=r"not_flow\.py:clean is a Task, not a Flow"):
        load_flow(f"{path}:clean")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError, match=r"does not exist"):
        load_flow(f"{tmp_path / 'nope.py'}:etl")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.py").mkdir()
    with pytest.raises(FlowDefinitionError, match="name a .py file, not a directory"):
        load_flow(str(tmp_path / "dir.py"))


def test_import_error_names_users_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "boom.py", "import os\n\nx = 1 / 0\n")
    with pytest.raises(
        FlowDefinitionError,
        match=r"failed with ZeroDivisionError: division by zero \(.*boom\.py:3\)",
    ):
        load_flow(str(path))


def test_missing_dependency_of_users_module(tmp_path: Path) -> None:
    path = _write(tmp_path / "needs_dep.py", "import not_installed_anywhere\n")
    with pytest.raises(
        FlowDefinitionError,
        match=r"ModuleNotFoundError: No module named 'not_installed_anywhere' \(.*needs_dep.py:1",
    ):
        load_flow(str(path))


def test_sdk_error_at_import_gets_the_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad_option.py",
        "from orchestrator import task\n\n@task(memory=1)\ndef t(): ...\n",
    )
    with pytest.raises(FlowDefinitionError, match=r"memory=1 .*\(.*bad_option\.py:3\)\. Fix:"):
        load_flow(str(path))


def test_unknown_module(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError, match=r"no module named 'nowhere_pkg'"):
        load_flow("nowhere_pkg.flows:etl", root=tmp_path)


def test_not_a_spec() -> None:
    with pytest.raises(FlowDefinitionError, match="neither a .py file nor a module name"):
        load_flow("not a spec")


# -- pyproject ---------------------------------------------------------------------------------


def test_project_flows(tmp_path: Path) -> None:
    _write(tmp_path / "projpkg" / "__init__.py", "")
    _write(tmp_path / "projpkg" / "etl.py", ONE_FLOW)
    _write(tmp_path / "scripts" / "other_flow.py", ONE_FLOW.replace('"ETL"', '"Other"'))
    pyproject = _write(
        tmp_path / "pyproject.toml",
        '[tool.orchestrator]\nflows = ["projpkg.etl:etl", "scripts/other_flow.py:etl"]\n',
    )
    assert [f.name for f in load_project_flows(pyproject)] == ["ETL", "Other"]


def test_project_without_flows(tmp_path: Path) -> None:
    pyproject = _write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(FlowDefinitionError, match=r"no \[tool.orchestrator\] flows list"):
        load_project_flows(pyproject)


def test_project_flows_not_strings(tmp_path: Path) -> None:
    pyproject = _write(tmp_path / "pyproject.toml", "[tool.orchestrator]\nflows = [1]\n")
    with pytest.raises(FlowDefinitionError, match="not a non-empty list of strings"):
        load_project_flows(pyproject)


def test_project_missing_pyproject(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError, match="does not exist"):
        load_project_flows(tmp_path / "pyproject.toml")


def test_this_repository_flows() -> None:
    pyproject = ROOT / "pyproject.toml"
    listed = tomllib.loads(pyproject.read_text())["tool"]["orchestrator"]["flows"]
    flows = load_project_flows(pyproject)
    assert len(flows) == len(listed)
    assert all(isinstance(f, Flow) for f in flows)
