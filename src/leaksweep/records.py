"""Value classes: what ``dataclasses`` gives, at a fraction of the cost of creating one.

The pre-commit hook imports some thirty value classes on every commit. Made with
``dataclasses`` they cost about a third of the hook's instructions: importing it pulls in
``inspect``, ``ast``, ``dis`` and ``tokenize``, and each frozen, slotted class is built by
compiling half a dozen generated methods, computing its signature for a docstring and then
creating the class a second time to add ``__slots__``. Here the class is created once with its
slots (the metaclass sees the annotations before the class exists), equality, hashing, repr
and pickling are shared functions, and a class's first few instances are made by a shared
constructor; after them one is generated for the class (for speed per instance), so classes a
run barely uses never pay for generating one.

Type checkers see a dataclass: ``dataclass_transform`` tells them the constructor's signature,
frozenness (the default; ``class X(Record, frozen=False)`` for a mutable one) and ``field``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

# Importing ``typing`` is 7% of the pre-commit hook's instructions, and the modules on its path use
# it for annotations only: they import it for type checkers alone, behind a TYPE_CHECKING of
# their own (type checkers treat any name TYPE_CHECKING as true). Here, the decorator that
# tells them what a record is does nothing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) a field of a frozen record."""


class _Field:
    __slots__ = ("compare", "default", "factory", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, repr: bool, compare: bool) -> None:
        self.default = default
        self.factory = factory
        self.repr = repr
        self.compare = compare


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with options, as ``dataclasses.field``: a default or a factory for one, and
    whether the field shows in the repr (never for secrets) and counts in equality."""
    if default is not _MISSING and default_factory is not None:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, repr, compare)


class _Spec:
    """A record class's fields, read once when the class is created."""

    __slots__ = ("built", "compared", "defaults", "factories", "frozen", "key", "names", "shown", "values")

    def __init__(
        self,
        names: tuple[str, ...],
        frozen: bool,
        defaults: dict[str, Any],
        factories: dict[str, Callable[[], Any]],
        shown: tuple[str, ...],
        compared: tuple[str, ...],
    ) -> None:
        self.built = 0  # instances made before the constructor was generated
        self.names = names
        self.frozen = frozen
        self.defaults = defaults
        self.factories = factories
        self.shown = shown  # in the repr
        self.compared = compared  # in equality and the hash
        self.values = _tuple_of(names)
        self.key = _tuple_of(compared)


def _field_names(annotations: dict[str, Any]) -> list[str]:
    # Annotations are strings here (``from __future__ import annotations``) or objects.
    return [n for n, a in annotations.items() if "ClassVar" not in str(a)]


def _class_spec(cls: type) -> _Spec:
    spec: _Spec = cls.__dict__["__record__"]  # each record class's own, never a parent's
    return spec


def _spec(obj: object) -> _Spec:
    return _class_spec(type(obj))


# Generating a constructor costs about as much as some dozens of instances made without one, so
# a class gets its own once it is in use: most of the pre-commit hook's classes make only a few
# instances (8 measured best for the hook's instruction count: 255 million against 265 when
# every class generates its constructor at once, 258 with 64).
GENERATE_AFTER = 8


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec = _class_spec(cls)
    if spec.built < GENERATE_AFTER:
        spec.built += 1
        _bind(self, spec, args, kwargs)
        return
    init = _make_init(cls)
    type.__setattr__(cls, "__init__", init)
    init(self, *args, **kwargs)


def _bind(self: Any, spec: _Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """What the generated constructor does, arguments checked as Python checks them."""
    names = spec.names
    qualname = type(self).__qualname__
    if len(args) > len(names):
        given, takes = len(args) + 1, len(names) + 1
        raise TypeError(f"{qualname}.__init__() takes {takes} positional arguments but {given} were given")
    for name, value in zip(names, args, strict=False):
        if name in kwargs:
            raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
        object.__setattr__(self, name, value)
    missing = []
    for name in names[len(args) :]:
        if name in kwargs:
            value = kwargs[name]
        elif name in spec.defaults:
            value = spec.defaults[name]
        elif name in spec.factories:
            value = spec.factories[name]()
        else:
            missing.append(name)
            continue
        object.__setattr__(self, name, value)
    unknown = [name for name in kwargs if name not in names]
    if unknown:
        raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {unknown[0]!r}")
    if missing:
        raise TypeError(
            f"{qualname}.__init__() missing required argument(s): {', '.join(map(repr, missing))}"
        )


def _make_init(cls: type) -> Callable[..., None]:
    spec = _class_spec(cls)
    glob: dict[str, Any] = {"_FACTORY": _MISSING}
    params, body = [], []
    for i, n in enumerate(spec.names):
        # A frozen record's fields are set through their slots' own descriptors: a third faster
        # than object.__setattr__(self, name, value), which looks the name up each time.
        glob[f"_s{i}"] = next(k.__dict__[n] for k in cls.__mro__ if n in k.__dict__).__set__
        value = f"_v{i}"
        if n in spec.factories:
            glob[f"_f{i}"] = spec.factories[n]
            params.append(f"{n}=_FACTORY")
            value = f"_f{i}() if {n} is _FACTORY else {n}"
        elif n in spec.defaults:
            glob[f"_d{i}"] = spec.defaults[n]
            params.append(f"{n}=_d{i}")
            value = n
        else:
            params.append(n)
            value = n
        body.append(f"    _s{i}(self, {value})\n" if spec.frozen else f"    self.{n} = {value}\n")
    source = f"def __init__(self, {', '.join(params)}) -> None:\n{''.join(body) or '    pass'}\n"
    exec(source, glob)  # built from the class's own field names only
    init: Callable[..., None] = glob["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in _spec(self).shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = _spec(self).key
    return bool(key(self) == key(other))


def _hash(self: Any) -> int:
    return hash(_spec(self).key(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[Any, ...]:
    values: tuple[Any, ...] = _spec(self).values(self)
    return values


def _tuple_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The named attributes of an object as a tuple, fetched in C (``attrgetter``): pickling a
    worker's results and comparing records call this for every record."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for n, value in zip(_spec(self).names, state, strict=True):
        object.__setattr__(self, n, value)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class _RecordMeta(type):
    def __new__(
        mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], frozen: bool | None = None
    ) -> _RecordMeta:
        parent: _Spec | None = next(
            (b.__dict__["__record__"] for b in bases if "__record__" in b.__dict__), None
        )
        own = _field_names(ns.get("__annotations__", {}))
        if frozen is None:
            frozen = parent.frozen if parent is not None else True
        if parent is not None and parent.names and parent.frozen != frozen:
            raise TypeError(f"{name}: a frozen record cannot inherit from a mutable one, nor the reverse")
        defaults = dict(parent.defaults) if parent else {}
        factories = dict(parent.factories) if parent else {}
        shown, compared = list(parent.shown if parent else ()), list(parent.compared if parent else ())
        for n in own:
            value = ns.pop(n, _MISSING)  # a class attribute of a slot's name is not allowed
            show = compare = True
            if isinstance(value, _Field):
                show, compare = value.repr, value.compare
                if value.factory is not None:
                    factories[n] = value.factory
                value = value.default
            if value is not _MISSING:
                defaults[n] = value
            if show:
                shown.append(n)
            if compare:
                compared.append(n)
        names = (*(parent.names if parent else ()), *own)
        spec = _Spec(names, frozen, defaults, factories, tuple(shown), tuple(compared))
        seen_default = False
        for n in spec.names:
            has_default = n in spec.defaults or n in spec.factories
            if seen_default and not has_default:
                raise TypeError(f"{name}: non-default field {n!r} follows a field with a default")
            seen_default = seen_default or has_default
        ns["__slots__"] = tuple(own)
        ns["__record__"] = spec
        if not bases:  # Record itself: what it would define, its subclasses choose
            return super().__new__(mcls, name, bases, ns)
        ns["__match_args__"] = spec.names
        # Each class its own lazy constructor, so that replacing it with the generated one
        # never changes what a subclass inherits.
        ns.setdefault("__init__", _first_init)
        ns.setdefault("__repr__", _repr)
        ns.setdefault("__eq__", _eq)
        if frozen:
            ns.setdefault("__hash__", _hash)
            ns.setdefault("__setattr__", _frozen_setattr)
            ns.setdefault("__delattr__", _frozen_delattr)
        else:
            ns.setdefault("__hash__", None)  # mutable and compared by value: unhashable
        ns.setdefault("__getstate__", _getstate)
        ns.setdefault("__setstate__", _setstate)
        return super().__new__(mcls, name, bases, ns)


class Record(metaclass=_RecordMeta):
    """Base of the value classes; see the module's docstring."""

    __slots__ = ()


def fields(record: object) -> tuple[str, ...]:
    """The field names of a record class or instance, in order."""
    return _class_spec(record if isinstance(record, type) else type(record)).names


def values(record: object) -> tuple[Any, ...]:
    """The field values of a record, in order (``record == type(record)(*values(record))``)."""
    return _getstate(record)


def is_record(value: object) -> bool:
    return isinstance(value, Record)


def replace(record: T, /, **changes: Any) -> T:
    """A copy of ``record`` with some fields changed (``dataclasses.replace``)."""
    spec = _spec(record)
    for n in changes:
        if n not in spec.names:
            raise TypeError(f"{type(record).__qualname__} has no field {n!r}")
    values = {n: changes[n] if n in changes else getattr(record, n) for n in spec.names}
    return type(record)(**values)
