"""What `sam build` packages: one shared Lambda layer and the project's code, in `infra/package/`.

Every task Lambda runs the same handler on the same libraries, so those go into one layer that
SAM builds once (`infra/package/layer/`: the part of `orchestrator` a Lambda imports, plus a
`requirements.txt` of the runtime's and the project's dependencies), and each function's code is
only the project's modules its tasks live in (`infra/package/code/`). A function package is then
kilobytes instead of a 40 MB copy of the framework and its dependencies.

The folder is a build output, written by every `orchestrator build` (and so `orchestrator
deploy`) from the installed `orchestrator` and the project's sources — both already versioned —
so it is git-ignored and `orchestrator build --check` does not compare it.

Which `orchestrator` modules a Lambda needs is computed, not listed: the import closure of the
runtime package (every import in it, lazy ones too: they run inside the Lambda) and of whatever
the shipped code imports from `orchestrator` (module-level imports only: a flow's lazy imports —
graph, planner, local engine — serve planning and local runs, never a Lambda).
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from pathlib import Path

import orchestrator
from orchestrator.deploy.errors import DeployError

PACKAGE_DIR = Path("infra/package")
LAYER_DIR = PACKAGE_DIR / "layer"
CODE_DIR = PACKAGE_DIR / "code"
REQUIREMENTS = "requirements.txt"
FRAMEWORK = "orchestrator"
RUNTIME_PACKAGE = "orchestrator.runtime"
# The Lambda Python runtime ships these; the layer does not repeat them.
PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore"})
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SOURCE_ROOT = Path(orchestrator.__file__).resolve().parent.parent

Files = dict[Path, bytes]


def package_files(root: Path, task_modules: Iterable[str]) -> Files:
    """Every file of `infra/package/` (relative to the project root) → its bytes.

    `task_modules` are the modules the tasks' keys name (`package.module` of
    `package.module:qualname`); they must be imported already (the build has loaded the flows).
    """
    code = _project_code(root, set(task_modules))
    sources = [data.decode("utf-8") for path, data in code.items() if path.suffix == ".py"]
    framework_roots = {m for m in task_modules if _is_framework(m)}
    for text in sources:
        framework_roots |= {m for m in _imports(text, lazy=False) if _is_framework(m)}
    modules = framework_closure(framework_roots)
    files: Files = {CODE_DIR / rel: data for rel, data in code.items()}
    for name in sorted(modules):
        path = _framework_file(name)
        assert path is not None  # the closure holds only modules that have a file
        files[LAYER_DIR / path.relative_to(_SOURCE_ROOT)] = path.read_bytes()
    files[LAYER_DIR / REQUIREMENTS] = layer_requirements(root, modules).encode()
    return dict(sorted(files.items()))


# -- the framework's part --------------------------------------------------------------------------


def framework_closure(extra_roots: Iterable[str] = ()) -> set[str]:
    """The `orchestrator` modules a task Lambda imports: the runtime package, `extra_roots`, and
    what they import, transitively (with every parent package, which Python imports first)."""
    todo = [RUNTIME_PACKAGE, *_submodules(RUNTIME_PACKAGE), *extra_roots]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        path = _framework_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        todo.extend(_parents(name))
        is_runtime = name == RUNTIME_PACKAGE or name.startswith(RUNTIME_PACKAGE + ".")
        source = path.read_text(encoding="utf-8")
        todo.extend(m for m in _imports(source, lazy=is_runtime, module=name) if _is_framework(m))
    return seen


def layer_requirements(root: Path, modules: Iterable[str]) -> str:
    """`requirements.txt` of the layer: the distributions the framework modules import (with the
    bounds `orchestrator` declares for them), then the project's own `[project] dependencies`."""
    declared = _framework_requirements()
    needed: dict[str, str] = {}
    for name in sorted(modules):
        path = _framework_file(name)
        assert path is not None
        lazy = name.startswith(RUNTIME_PACKAGE)
        for imported in _imports(path.read_text(encoding="utf-8"), lazy=lazy, module=name):
            top = imported.partition(".")[0]
            if top == FRAMEWORK or top in sys.stdlib_module_names:
                continue
            dist = _normalise(top)
            if dist in PROVIDED_BY_LAMBDA:
                continue
            if dist not in declared:
                raise DeployError(
                    f"{name} (shipped in the Lambda layer) imports {top!r}, which no dependency "
                    "of orchestrator provides; declare it in orchestrator's dependencies"
                )
            needed[dist] = declared[dist]
    lines = [
        "# Generated by `orchestrator build`: what the task Lambdas import besides the code.",
        "# The orchestrator runtime's dependencies (boto3 ships with the Lambda runtime):",
        *(needed[d] for d in sorted(needed)),
    ]
    project = _project_dependencies(root)
    if project:
        lines += ["# The project's [project] dependencies:", *project]
    return "\n".join(lines) + "\n"


def _framework_requirements() -> dict[str, str]:
    """Normalised distribution name → requirement, for orchestrator's non-optional dependencies."""
    try:
        requires = metadata.requires(FRAMEWORK) or []
    except metadata.PackageNotFoundError:
        raise DeployError(
            "orchestrator is not installed, so the Lambda layer cannot name its dependencies. "
            "Fix: pip install orchestrator (or `pip install -e .` in its repository)"
        ) from None
    out = {}
    for requirement in requires:
        if "extra ==" in requirement.partition(";")[2]:
            continue
        out[_normalise(_requirement_name(requirement))] = requirement
    return out


def _project_dependencies(root: Path) -> list[str]:
    """The project's `[project] dependencies`, less orchestrator itself (the layer carries its
    runtime). In orchestrator's own repository the `[project]` is the framework: none."""
    with (root / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh).get("project", {})
    if _normalise(str(project.get("name", ""))) == FRAMEWORK:
        return []
    deps = [str(d) for d in project.get("dependencies", [])]
    return [d for d in deps if _normalise(_requirement_name(d)) != FRAMEWORK]


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1) if match else requirement


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _is_framework(module: str) -> bool:
    return module == FRAMEWORK or module.startswith(FRAMEWORK + ".")


def _framework_file(name: str) -> Path | None:
    base = _SOURCE_ROOT.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _submodules(package: str) -> list[str]:
    folder = _SOURCE_ROOT.joinpath(*package.split("."))
    return [f"{package}.{p.stem}" for p in sorted(folder.glob("*.py")) if p.stem != "__init__"]


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# -- imports, read statically ----------------------------------------------------------------------


def _imports(source: str, *, lazy: bool, module: str = "") -> Iterator[str]:
    """Absolute names of the modules `source` imports (`from a import b` yields `a` and `a.b`:
    `b` may be a submodule). `typing.TYPE_CHECKING` blocks never run; function bodies run only
    when called, so they count only with `lazy`. `module` names the source, for relative imports.
    """
    file = _framework_file(module) if module else None
    package = (
        module if file is not None and file.name == "__init__.py" else module.rpartition(".")[0]
    )
    yield from _walk(ast.parse(source).body, lazy, package)


def _walk(body: Sequence[ast.AST], lazy: bool, package: str) -> Iterator[str]:
    for node in body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.orelse, lazy, package)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if lazy:
                yield from _walk(node.body, lazy, package)
        else:  # if/try/with/for/class bodies run at import
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    yield from _walk(children, lazy, package)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


# -- the project's part ----------------------------------------------------------------------------


def _project_code(root: Path, task_modules: set[str]) -> Files:
    """The project's top-level modules or packages the tasks live in, and the project modules
    their code imports (path relative to the code folder → bytes). Never orchestrator itself."""
    tops = sorted({m.partition(".")[0] for m in task_modules if not _is_framework(m)})
    out: Files = {}
    done: set[str] = set()
    while tops:
        top = tops.pop()
        if top in done:
            continue
        done.add(top)
        for rel, data in _module_files(top):
            out[rel] = data
            if rel.suffix == ".py":
                tops.extend(_local_imports(data, root, done))
    return out


def _module_files(top: str) -> Iterator[tuple[Path, bytes]]:
    """The files of the top-level module or package `top`, as imported in this process."""
    module = sys.modules.get(top)
    if module is None:
        raise DeployError(f"module {top!r} of a task is not imported; cannot package it")
    locations = list(getattr(module, "__path__", []) or [])
    if not locations:
        file = getattr(module, "__file__", None)
        if file is None or not Path(file).is_file():
            raise DeployError(f"module {top!r} of a task has no source file to package")
        yield Path(Path(file).name), Path(file).read_bytes()
        return
    for location in locations:  # a namespace package may span several folders
        folder = Path(location)
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS and d[:1] != ".")
            for filename in sorted(filenames):
                if filename.endswith(".pyc") or filename.startswith("."):
                    continue
                full = Path(dirpath) / filename
                yield Path(top) / full.relative_to(folder), full.read_bytes()


def _local_imports(source: bytes, root: Path, done: set[str]) -> list[str]:
    """Top-level modules `source` imports that are the project's own (imported from a file under
    `root`, outside any virtual environment or site-packages)."""
    out = []
    try:
        names = {m.partition(".")[0] for m in _imports(source.decode("utf-8"), lazy=True)}
    except (SyntaxError, UnicodeDecodeError):
        return []
    for top in sorted(names - done):
        if top == FRAMEWORK or top in sys.stdlib_module_names or not top:
            continue
        module = sys.modules.get(top)
        file = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), "")
        if not file:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(root.resolve()) and not _installed(path):
            out.append(top)
    return out


def _installed(path: Path) -> bool:
    return "site-packages" in path.parts or any(
        path.is_relative_to(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix}
    )


# -- writing ---------------------------------------------------------------------------------------


def sync(root: Path, files: Files) -> list[Path]:
    """Make `root/infra/package/` hold exactly `files`; the parts that changed (layer, code).

    Writes only files whose bytes differ (each through a temporary file and a rename, so two
    builds at once never leave a half-written file) and removes files no longer generated.
    """
    changed: set[Path] = set()
    for rel, data in files.items():
        path = root / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        changed.add(_part(rel))
    folder = root / PACKAGE_DIR
    for dirpath, _dirnames, filenames in os.walk(folder, topdown=False):
        for filename in filenames:
            full = Path(dirpath) / filename
            rel = full.relative_to(root)
            if rel not in files and not filename.endswith(".tmp"):
                full.unlink(missing_ok=True)
                changed.add(_part(rel))
        if Path(dirpath) != folder and not any(Path(dirpath).iterdir()):
            Path(dirpath).rmdir()
    return sorted(changed)


def _part(rel: Path) -> Path:
    return LAYER_DIR if rel.is_relative_to(LAYER_DIR) else CODE_DIR
