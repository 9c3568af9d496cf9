"""`record`: `dataclasses.dataclass` without compiling code at import time.

`@dataclass` writes the source of `__init__`, `__repr__`, `__eq__`, `__hash__` and, when frozen,
`__setattr__`/`__delattr__` for each class and compiles it, every time the module is imported:
~1.5 ms for a class of ten fields, which a pyc cannot cache. The graph's and the options'
dataclasses alone cost a first plan in a fresh process ~30 ms that way. `record` takes the same
arguments and makes the same class — a real dataclass (`fields`, `replace`, `asdict`,
`__match_args__`, `__dataclass_params__`), whose methods behave as the generated ones do — from
methods written once, below, and specialised per class by closures: nothing is compiled.

What it does not reproduce, it leaves to `dataclass` itself: `order`, `unsafe_hash`, `slots`,
`weakref_slot`, `InitVar`s, and a dataclass base class (a base of a record must be a plain
class, as `_Model` is for the graph). Type checkers see `dataclasses.dataclass`.
"""

from __future__ import annotations

import dataclasses
import inspect
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

__all__ = ["record"]

MISSING: Any = dataclasses.MISSING


class _Factory:
    """The default a signature shows for a field with a default factory, as dataclasses'."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _fast(cls: type, frozen: bool, **unsupported: bool) -> bool:
    """Whether `record` builds `cls` itself, rather than leaving it to `dataclass`."""
    if any(unsupported.values()):  # order, unsafe_hash, slots, weakref_slot
        return False
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        return False
    if frozen and ("__setattr__" in cls.__dict__ or "__delattr__" in cls.__dict__):
        return False  # dataclass raises the TypeError
    annotations = inspect.get_annotations(cls)
    if "self" in annotations:  # dataclass renames its __init__'s first parameter
        return False
    for annotation in annotations.values():
        if "InitVar" in str(annotation) or isinstance(annotation, dataclasses.InitVar):
            return False
    return True


def _set_new(cls: type, name: str, value: Callable[..., Any]) -> None:
    """As dataclasses' `_set_new_attribute`: a method the class defines itself is kept."""
    if name in cls.__dict__:
        return
    value.__qualname__ = f"{cls.__qualname__}.{value.__name__}"
    setattr(cls, name, value)


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool) -> Any:
    """`__init__`: the generated one's parameters, defaults, order and errors."""
    params = [f for f in fields if f.init]
    positional = tuple(f.name for f in params if not f.kw_only)
    seen_default = False
    for f in params:
        if f.kw_only:
            continue
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    #: (name, default, default factory) of each field the initialiser sets, in declaration
    #: order (a field it does not take, with a plain default, reads the class attribute).
    plan: tuple[tuple[str, Any, Any], ...] = tuple(
        (f.name, f.default, f.default_factory)
        for f in fields
        if f.init or f.default_factory is not MISSING
    )
    known = frozenset(f.name for f in params)
    required = frozenset(
        f.name for f in params if f.default is MISSING and f.default_factory is MISSING
    )
    keyword_only = frozenset(f.name for f in params if f.kw_only)
    defaulted = [
        f.name
        for f in params
        if not f.kw_only and (f.default is not MISSING or f.default_factory is not MISSING)
    ]
    post_init = hasattr(cls, "__post_init__")
    # A frozen dataclass sets its fields with object.__setattr__: straight into the instance's
    # __dict__ when no field is a data descriptor (nor a slot). Otherwise, as `self.x = x`.
    direct = (
        frozen
        and not any("__slots__" in vars(klass) for klass in cls.__mro__[:-1])
        and not any(_data_descriptor(cls, f.name) for f in fields)
    )
    assign = object.__setattr__ if frozen else setattr
    where = f"{cls.__qualname__}.__init__()"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if args:
            if len(args) > len(positional):
                raise TypeError(_too_many(where, len(args), kwargs))
            if kwargs:
                for name in positional[: len(args)]:
                    if name in kwargs:
                        raise TypeError(f"{where} got multiple values for argument {name!r}")
                kwargs.update(zip(positional, args))  # noqa: B905 - fewer args: checked
            else:
                kwargs = dict(zip(positional, args))  # noqa: B905 - (zip's keyword is slow)
        if not known.issuperset(kwargs):
            raise TypeError(f"{where} got an unexpected keyword argument {_stranger(kwargs)!r}")
        if not required.issubset(kwargs):
            missing = [f.name for f in params if f.name in required and f.name not in kwargs]
            raise TypeError(_missing(where, missing, positional))
        if direct:
            state = self.__dict__
            for name, default, factory in plan:
                state[name] = (
                    kwargs[name] if name in kwargs else default if factory is MISSING else factory()
                )
        else:
            for name, default, factory in plan:
                assign(
                    self,
                    name,
                    kwargs[name]
                    if name in kwargs
                    else default
                    if factory is MISSING
                    else factory(),
                )
        if post_init:
            self.__post_init__()

    def _stranger(kwargs: dict[str, Any]) -> str:
        return next(name for name in kwargs if name not in known)

    def _too_many(where: str, given: int, kwargs: dict[str, Any]) -> str:
        """CPython's message for too many positional arguments (`self` counted)."""
        most = len(positional) + 1
        least = most - len(defaulted)
        takes = f"from {least} to {most}" if defaulted else str(most)
        s = "s" if defaulted or most != 1 else ""
        keywords = sum(1 for name in kwargs if name in keyword_only)
        also = (
            f" positional argument{'s' if given + 1 != 1 else ''} (and {keywords} keyword-only "
            f"argument{'s' if keywords != 1 else ''})"
            if keywords
            else ""
        )
        return f"{where} takes {takes} positional argument{s} but {given + 1}{also} were given"

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY
                if f.kw_only
                else inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=f.default
                if f.default is not MISSING
                else _FACTORY
                if f.default_factory is not MISSING
                else inspect.Parameter.empty,
                annotation=f.type,
            )
            for f in (*(f for f in params if not f.kw_only), *(f for f in params if f.kw_only))
        ],
        return_annotation=None,
    )
    return __init__


def _data_descriptor(cls: type, name: str) -> bool:
    """Whether `name` is a data descriptor (a property, say) on `cls`, as attribute lookup
    finds it: then setting it is not writing the instance's __dict__."""
    for klass in cls.__mro__:
        if name in vars(klass):
            kind = type(vars(klass)[name])
            return hasattr(kind, "__set__") or hasattr(kind, "__delete__")
    return False


def _missing(where: str, missing: list[str], positional: tuple[str, ...]) -> str:
    """CPython's message for missing arguments (the positional ones first, as it reports)."""
    names = [n for n in missing if n in positional] or missing
    kind = "positional" if names[0] in positional else "keyword-only"
    quoted = [repr(n) for n in names]
    listed = (
        quoted[0]
        if len(quoted) == 1
        else f"{quoted[0]} and {quoted[1]}"
        if len(quoted) == 2
        else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    )
    s = "s" if len(names) > 1 else ""
    return f"{where} missing {len(names)} required {kind} argument{s}: {listed}"


def _repr(fields: tuple[dataclasses.Field[Any], ...]) -> Any:
    names = tuple(f.name for f in fields if f.repr)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:  # noqa: N807
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of `names`' values, as the generated methods build it (`(self.a, self.b,)`)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _eq(fields: tuple[dataclasses.Field[Any], ...]) -> Any:
    values = _values(tuple(f.name for f in fields if f.compare))

    def __eq__(self: Any, other: object) -> bool:  # noqa: N807
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(fields: tuple[dataclasses.Field[Any], ...]) -> Any:
    values = _values(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))

    def __hash__(self: Any) -> int:  # noqa: N807
        return hash(values(self))

    return __hash__


def _frozen(cls: type[Any], fields: tuple[dataclasses.Field[Any], ...]) -> tuple[Any, Any]:
    names = frozenset(f.name for f in fields)

    def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:  # noqa: N807
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _record(
    cls: type,
    init: bool,
    repr: bool,  # noqa: A002 - dataclass's keyword
    eq: bool,
    frozen: bool,
    kw_only: bool,
    match_args: bool,
) -> type:
    # What dataclass's hash table decides, read before any method is set.
    class_hash = cls.__dict__.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in cls.__dict__))
    documented = bool(cls.__doc__)
    if not documented:
        cls.__doc__ = cls.__name__  # for now: dataclass would read the signature of no __init__
    # The fields, defaults, `__match_args__`, `__dataclass_fields__`: dataclass itself, asked
    # for no method (it compiles none).
    dataclasses.dataclass(
        cls, init=False, repr=False, eq=False, kw_only=kw_only, match_args=match_args
    )
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init, params.repr, params.eq, params.frozen = init, repr, eq, frozen
    fields = dataclasses.fields(cls)
    if init:
        _set_new(cls, "__init__", _init(cls, fields, frozen))
    if repr:
        _set_new(cls, "__repr__", _repr(fields))
    if eq:
        _set_new(cls, "__eq__", _eq(fields))
    if frozen:
        for method in _frozen(cls, fields):
            _set_new(cls, method.__name__, method)
    if eq and not explicit_hash:
        if frozen:
            method = _hash(fields)
            method.__qualname__ = f"{cls.__qualname__}.__hash__"
            cls.__hash__ = method  # type: ignore[method-assign]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    if not documented:
        try:
            text = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            text = ""
        cls.__doc__ = cls.__name__ + text
    return cls


def _record_decorator(
    cls: type | None = None,
    /,
    *,
    init: bool = True,
    repr: bool = True,  # noqa: A002 - dataclass's keyword
    eq: bool = True,
    order: bool = False,
    unsafe_hash: bool = False,
    frozen: bool = False,
    match_args: bool = True,
    kw_only: bool = False,
    slots: bool = False,
    weakref_slot: bool = False,
) -> Any:
    def wrap(cls: type) -> type:
        if not _fast(
            cls,
            frozen,
            order=order,
            unsafe_hash=unsafe_hash,
            slots=slots,
            weakref_slot=weakref_slot,
        ):
            return dataclasses.dataclass(
                cls,
                init=init,
                repr=repr,
                eq=eq,
                order=order,
                unsafe_hash=unsafe_hash,
                frozen=frozen,
                match_args=match_args,
                kw_only=kw_only,
                slots=slots,
                weakref_slot=weakref_slot,
            )
        return _record(cls, init, repr, eq, frozen, kw_only, match_args)

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:
    record = _record_decorator
