"""A Map number given in the definition or, with a `...Path` field, read from the state input.

MaxConcurrency, ToleratedFailureCount/Percentage, ItemReader's MaxItems and ItemBatcher's
MaxItemsPerBatch/MaxInputBytesPerBatch all come in pairs (`X` or `XPath`, never both): the value
is checked where the definition is parsed, the path's target when the state runs (a bad target is
States.Runtime, as for any reference path that selects nothing usable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import RUNTIME, StatesError
from .fields import describe, in_range, integer, number, one_of, path
from .jsonpath import Path, PathNotFound, dumps
from .state import invalid_path_cause


@dataclass(frozen=True)
class Limit:
    """`key` given as a value (checked) or as `keyPath` (checked when resolved)."""

    key: str
    value: float | None
    path: Path | None
    low: int
    high: int | None
    integral: bool

    @property
    def given(self) -> bool:
        return self.value is not None or self.path is not None

    def resolve(self, effective: Any, default: float) -> float:
        """The value, the path's target in the effective input, or `default` when not given."""
        if self.path is None:
            return default if self.value is None else self.value
        try:
            raw = self.path.get(effective)
        except PathNotFound:
            raise StatesError(RUNTIME, invalid_path_cause(self.path)) from None
        if not in_range(raw, self.low, self.high, self.integral):
            raise StatesError(RUNTIME, self._invalid(raw))
        return float(raw)

    def _invalid(self, raw: Any) -> str:
        """Why the path's target is refused, in AWS's words where a recording has them."""
        wording = _AWS_WORDING.get(self.key)
        if wording is None:
            wanted = describe(self.low, self.high, self.integral)
            return f"{self.key}Path must select {wanted}: {dumps(raw)}"
        not_valid, out_of_range = wording
        if in_range(raw, -float("inf"), None, self.integral):
            return out_of_range.format(value=dumps(raw))
        assert self.path is not None
        shown = raw if isinstance(raw, str) else dumps(raw)
        kind = "integer" if self.integral else "float"
        return not_valid.format(key=self.key, value=shown, kind=kind, path=self.path.text)


# AWS's causes for a bad `...Path` target (LocalStack's max_concurrency.py and
# tolerated_failure.py, whose texts its AWS-recorded snapshot tests check): a value of the
# wrong type, then a number out of range.
_NOT_VALID = 'The {key}Path field refers to value "{value}" which is not a valid {kind}: {path}'
_AWS_WORDING = {
    "MaxConcurrency": (
        _NOT_VALID,
        "Expected non-negative integer for MaxConcurrency, got '{value}' instead.",
    ),
    "ToleratedFailureCount": (_NOT_VALID, "ToleratedFailureCount cannot be negative."),
    "ToleratedFailurePercentage": (
        _NOT_VALID,
        "ToleratedFailurePercentage must be between 0 and 100.",
    ),
}


def limit(
    spec: dict[str, Any], key: str, where: str, low: int, high: int | None, integral: bool
) -> Limit:
    """The `key`/`keyPath` pair of `spec`; both at once is refused."""
    one_of(spec, (key, f"{key}Path"), where)
    value = (
        integer(spec, key, where, low, high) if integral else number(spec, key, where, low, high)
    )
    return Limit(key, value, path(spec, f"{key}Path", where), low, high, integral)
