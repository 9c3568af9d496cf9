"""`record` makes the class `dataclass` makes: same fields, signature, methods' results, errors."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, ClassVar

import pytest

from orchestrator.records import record


class Invalid(Exception):
    pass


def shapes(deco: Callable[..., Any]) -> dict[str, type]:
    """The same class bodies, made by `deco` (`dataclass` or `record`)."""

    @deco(frozen=True, kw_only=True)
    class Node:
        """A frozen keyword-only class, like the graph's."""

        id: str
        inputs: dict[str, int]
        mapped: dict[str, int] = field(default_factory=dict)
        upstream: tuple[str, ...] = ()
        reason: str = ""

    @deco(frozen=True)
    class Options:
        """Positional, defaults, a factory, a check after init."""

        name: str
        retries: int = 0
        tags: list[str] = field(default_factory=list)
        hidden: int = field(default=0, repr=False, compare=False)

        def __post_init__(self) -> None:
            if self.retries < 0:
                raise Invalid(f"retries={self.retries}")

    @deco
    class Mutable:
        a: int
        b: str = "b"
        c: ClassVar[int] = 3

    @deco(eq=False)
    class Identity:
        """Compared by identity."""

        x: int

    @deco(frozen=True)
    class Empty:
        """No field."""

    @deco(frozen=True)
    class Own:
        """Its own repr, eq and hash are kept."""

        v: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    @deco
    class Later:
        """A field the initialiser does not take."""

        a: int
        b: list[int] = field(default_factory=list, init=False)
        c: int = field(default=5, init=False)

    @deco(kw_only=True)
    class Mixed:
        """KW_ONLY after a positional field."""

        a: int = field(kw_only=False)
        b: int
        c: int = 2

    return {
        cls.__name__: cls for cls in (Node, Options, Mutable, Identity, Empty, Own, Later, Mixed)
    }


CALLS: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "Node": [
        ((), {"id": "a", "inputs": {"x": 1}}),
        ((), {"id": "a", "inputs": {}, "mapped": {"m": 2}, "upstream": ("b",), "reason": "r"}),
        ((), {}),
        ((), {"id": "a"}),
        (("a",), {"inputs": {}}),
        ((), {"id": "a", "inputs": {}, "nope": 1}),
    ],
    "Options": [
        (("t",), {}),
        (("t", 2, ["x"], 9), {}),
        ((), {"name": "t", "retries": 1}),
        (("t",), {"name": "u"}),
        (("t", 1, [], 0, 5), {}),
        ((), {}),
        (("t", -1), {}),
        (("t",), {"bogus": 1}),
    ],
    "Mutable": [((1,), {}), ((1, "x"), {}), ((), {"b": "x"}), ((1, 2, 3), {})],
    "Identity": [((1,), {}), ((), {})],
    "Empty": [((), {}), ((1,), {})],
    "Own": [((1,), {})],
    "Later": [((1,), {}), ((1,), {"b": [2]}), ((), {})],
    "Mixed": [
        ((1,), {"b": 2}),
        ((), {"a": 1, "b": 2, "c": 3}),
        ((1, 2), {}),
        ((1, 2), {"b": 3}),
        ((), {}),
    ],
}


def outcome(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        obj = cls(*args, **dict(kwargs))
    except (TypeError, Invalid) as err:
        return (type(err), str(err))
    return obj


def describe(obj: Any) -> dict[str, Any]:
    """What a caller can observe of an instance."""
    seen: dict[str, Any] = {
        "vars": list(vars(obj).items()),
        "repr": repr(obj),
        "eq_copy": obj == copy.copy(obj),
        "eq_deepcopy": obj == copy.deepcopy(obj),
        "ne_other": obj != object(),
    }
    try:
        seen["hash"] = hash(obj) if type(obj).__eq__ is not object.__eq__ else "identity"
    except TypeError as err:
        seen["hash"] = str(err)
    for name in ("id", "a", "x", "zzz"):
        for verb in ("set", "del"):
            other = copy.copy(obj)
            try:
                if verb == "set":
                    setattr(other, name, 1)
                else:
                    delattr(other, name)
                seen[f"{verb} {name}"] = list(vars(other).items())
            except (FrozenInstanceError, AttributeError) as err:
                seen[f"{verb} {name}"] = (type(err), str(err))
    return seen


@pytest.fixture(scope="module")
def pairs() -> list[tuple[type, type]]:
    real, fast = shapes(dataclass), shapes(record)
    return [(real[name], fast[name]) for name in real]


def test_the_classes_match(pairs: list[tuple[type, type]]) -> None:
    for real, fast in pairs:
        assert dataclasses.is_dataclass(fast)
        params = ("init", "repr", "eq", "order", "unsafe_hash", "frozen")
        made = [vars(cls)["__dataclass_params__"] for cls in (fast, real)]
        assert [getattr(made[0], p) for p in params] == [getattr(made[1], p) for p in params], (
            real.__name__
        )
        spec = ("name", "type", "default", "default_factory", "init", "repr", "compare", "hash")
        assert [[getattr(f, a) for a in (*spec, "kw_only")] for f in dataclasses.fields(fast)] == [
            [getattr(f, a) for a in (*spec, "kw_only")] for f in dataclasses.fields(real)
        ]
        assert str(inspect.signature(fast)) == str(inspect.signature(real))
        assert fast.__doc__ == real.__doc__
        assert getattr(fast, "__match_args__", None) == getattr(real, "__match_args__", None)
        assert (fast.__hash__ is None) == (real.__hash__ is None)
        assert sorted(k for k in vars(fast) if not k.startswith("__")) == sorted(
            k for k in vars(real) if not k.startswith("__")
        )


def test_the_instances_behave_alike(pairs: list[tuple[type, type]]) -> None:
    for real, fast in pairs:
        for args, kwargs in CALLS[real.__name__]:
            want, got = outcome(real, args, kwargs), outcome(fast, args, kwargs)
            if isinstance(want, tuple):
                assert got == want, (real.__name__, args, kwargs)
                continue
            assert describe(got) == describe(want), (real.__name__, args, kwargs)
            assert dataclasses.asdict(got) == dataclasses.asdict(want)
            assert dataclasses.astuple(got) == dataclasses.astuple(want)
            assert got == outcome(fast, args, kwargs) or real.__name__ == "Identity"


def test_replace_goes_through_the_initialiser() -> None:
    fast = shapes(record)["Options"]
    opts = fast("t", 1)
    assert dataclasses.replace(opts, retries=3) == fast("t", 3)
    with pytest.raises(Invalid):
        dataclasses.replace(opts, retries=-1)


def test_a_recursive_repr_stops() -> None:
    for deco in (dataclass, record):
        cls = shapes(deco)["Mutable"]
        obj = cls([1])
        obj.a.append(obj)
        assert repr(obj).endswith(".Mutable(a=[1, ...], b='b')")


def test_what_record_does_not_build_is_a_dataclass() -> None:
    @record(order=True)
    class Ordered:
        a: int

    assert Ordered(1) < Ordered(2)

    @record(frozen=True)
    class Base:
        a: int

    @record(frozen=True)
    class Derived(Base):
        b: int = 0

    assert Derived(1, 2) == Derived(a=1, b=2)
    assert repr(Derived(1)).endswith(".Derived(a=1, b=0)")
    with pytest.raises(TypeError, match="non-frozen"):

        @record
        class Thawed(Base):  # type: ignore[misc]
            c: int = 0

    with pytest.raises(TypeError, match="non-default argument 'b'"):

        @record
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_the_project_records_compile_nothing() -> None:
    """The graph's and the options' classes are records: no generated source."""
    from orchestrator.graph import model
    from orchestrator.options import RetryDelay, TaskDefaults, TaskOptions

    classes: list[type] = [
        RetryDelay,
        TaskOptions,
        TaskDefaults,
        *(v for v in vars(model).values() if isinstance(v, type) and dataclasses.is_dataclass(v)),
    ]
    for cls in classes:
        for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__"):
            method = cls.__dict__.get(name)
            code = getattr(method, "__code__", None)
            assert code is None or code.co_filename != "<string>", f"{cls.__name__}.{name}"
