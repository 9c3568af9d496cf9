"""Names AWS accepts, derived from the names users write (any Unicode)."""

from __future__ import annotations

import re

MAX_RESOURCE_NAME = 80


def to_ascii(text: str) -> str:
    """`text` transliterated to ASCII; anyascii (and the data it loads, ~10 ms) only for text
    that needs it, so planning ASCII-named flows does not pay for it."""
    if text.isascii():
        return text
    from anyascii import anyascii

    return anyascii(text)


def resource_name(display_name: str) -> str:
    """A stable ASCII name for AWS (≤ 80 chars of [A-Za-z0-9-_]) from any display name.

    Non-Latin names are transliterated ("推荐系统" → "TuiJianXiTong"); a hash of the display name
    is appended when transliteration changed it, so two names never collide on one slug.
    """
    ascii_name = to_ascii(display_name)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-_") or "flow"
    if ascii_name != display_name or slug != display_name:
        import hashlib  # OpenSSL's ~5 ms load, only for names that need a digest

        digest = hashlib.sha256(display_name.encode()).hexdigest()[:6]
        slug = f"{slug[: MAX_RESOURCE_NAME - 7]}-{digest}"
    return slug[:MAX_RESOURCE_NAME]


def node_id(task_name: str) -> str:
    """A state-name-safe id for a task: ASCII letters, digits and underscores."""
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", to_ascii(task_name)).strip("_") or "task"
    if ident[0].isdigit():
        ident = "t_" + ident
    return ident[:60]


def function_id(task_name: str) -> str:
    """CamelCase ASCII id for the task's Lambda (a CloudFormation logical id prefix)."""
    words = re.split(r"[^A-Za-z0-9]+", to_ascii(task_name))
    camel = "".join(w[:1].upper() + w[1:] for w in words if w) or "Task"
    if camel[0].isdigit():
        camel = "T" + camel
    return camel[:60]
