"""`infra/samconfig.toml`: the SAM CLI's configuration file, one environment per stage.

The SAM CLI reads `[<env>.<command>.parameters]` tables (format `version = 0.1`) for the
`--config-env` it is given, so each stage keeps its own stack name, region and deploy options in
one file, and `sam deploy --config-file infra/samconfig.toml --config-env prod` alone repeats what
`orchestrator deploy --stage prod` did.

A deploy updates only its own stage's tables, and within them only the keys it sets, so other
stages and keys added by hand (or by `sam deploy --guided`) survive. The file is read with
`tomllib` and written by the small deterministic writer below — the SAM CLI's files hold only
tables of scalars and arrays, which does not warrant a TOML-writing dependency. Comments are not
part of the data: the comment block at the top of the file is kept, others are dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from orchestrator.deploy.errors import DeployError

SAMCONFIG = Path("infra/samconfig.toml")  # relative to the project root, as sam is run there
VERSION = 0.1  # the only samconfig format version the SAM CLI reads
NEW_FILE_HEADER = (
    "# SAM CLI configuration: one environment per stage. `orchestrator deploy --stage S` writes\n"
    "# [S.build.parameters] and [S.deploy.parameters] and keeps every other table.\n\n"
)

Config = dict[str, Any]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def read(path: Path) -> Config:
    """The file's tables (empty when it does not exist yet)."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise DeployError(f"{path} is not valid TOML: {err}; fix or delete it") from None


def parameter(path: Path, env: str, command: str, key: str) -> Any:
    """`[<env>.<command>.parameters] <key>` of the file at `path`, or None."""
    return read(path).get(env, {}).get(command, {}).get("parameters", {}).get(key)


def with_env(config: Config, env: str, commands: dict[str, dict[str, Any]]) -> Config:
    """`config` with `commands` (command → parameters) merged into environment `env`.

    Only the given keys change; everything else, in this environment and the others, is kept in
    its order, and `version` is set to the one the SAM CLI reads.
    """
    out: Config = {"version": VERSION, **{k: v for k, v in config.items() if k != "version"}}
    environment = dict(out.get(env, {}))
    for command, parameters in commands.items():
        table = dict(environment.get(command, {}))
        table["parameters"] = {**table.get("parameters", {}), **parameters}
        environment[command] = table
    out[env] = environment
    return out


def update(path: Path, env: str, commands: dict[str, dict[str, Any]]) -> bool:
    """Merge `commands` into `env` of the file at `path`; True when the file changed."""
    old_text = path.read_text(encoding="utf-8") if path.is_file() else None
    header = _leading_comments(old_text) if old_text is not None else NEW_FILE_HEADER
    text = header + render(with_env(read(path), env, commands))
    if text == old_text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return True


def render(config: Config) -> str:
    """TOML for `config`: top-level scalars first, then one `[a.b.c]` header per table of values."""
    lines: list[str] = []
    _table(lines, (), config)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: tuple[str, ...], table: dict[str, Any]) -> None:
    values = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if values or (path and not any(isinstance(v, dict) for v in table.values())):
        if path:
            lines.extend(["", f"[{'.'.join(_key(p) for p in path)}]"])
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in values.items())
    for key, sub in table.items():
        if isinstance(sub, dict):
            _table(lines, (*path, key), sub)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):  # only inside an array: tables are written with headers
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    raise DeployError(f"cannot write {value!r} ({type(value).__name__}) to a samconfig file")


def _string(text: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX) are all valid in a TOML basic string; JSON leaves
    # DEL unescaped, which TOML forbids.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _leading_comments(text: str) -> str:
    """The comment block the file starts with (blank lines included), to write back unchanged."""
    kept = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        kept.append(line if line.endswith("\n") else line + "\n")
    return "".join(kept)
