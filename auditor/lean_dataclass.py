"""The standard library's `dataclass`, with one shared __repr__, __eq__ and __hash__ instead of three compiled per class.

Python 3.11 compiles every generated method of every dataclass apart; an audit imports about sixty of them, and
their repr and eq alone cost ~25 ms of each run's start (a small chargemaster's audit is ~0.3 s). The shared methods
read each class's field names, worked out once when the class is made, and behave as the generated ones do: the same
repr text, equality only between instances of the same class, a frozen class hashed on its compared fields, a
mutable one unhashable, and a method the class body defines itself left in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import dataclass_transform


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))  # type checkers read it as one
def dataclass(
    cls: type | None = None,
    /,
    *,
    repr: bool = True,  # noqa: A002 - the standard library's own keyword names
    eq: bool = True,
    order: bool = False,
    unsafe_hash: bool = False,
    frozen: bool = False,
    **options,
):
    """`dataclasses.dataclass` with the same keywords; see the module's docstring."""

    def wrap(klass: type) -> type:
        if order or unsafe_hash:  # ordering or a forced hash: the standard library's generated methods
            return dataclasses.dataclass(
                klass, repr=repr, eq=eq, order=order, unsafe_hash=unsafe_hash, frozen=frozen, **options
            )
        own = set(vars(klass))  # what the class body defines itself is kept, as dataclasses keeps it
        # A body defining __eq__ alone gets __hash__ = None from Python itself: no hash of its own (dataclasses' rule).
        own_hash = "__hash__" in own and not (vars(klass)["__hash__"] is None and "__eq__" in own)
        made = dataclasses.dataclass(klass, repr=False, eq=False, frozen=frozen, **options)
        fields = dataclasses.fields(made)
        if repr and "__repr__" not in own:
            made._repr_names = tuple(f.name for f in fields if f.repr)
            made.__repr__ = _repr
        if eq:
            made._eq_key = staticmethod(_getter([f.name for f in fields if f.compare]))
            if "__eq__" not in own:
                made.__eq__ = _eq
            if not own_hash:
                if frozen:
                    made._hash_key = staticmethod(
                        _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
                    )
                    made.__hash__ = _hash
                else:
                    made.__hash__ = None  # equal by value but mutable: unhashable, as dataclasses makes it
        return made

    return wrap if cls is None else wrap(cls)


def _getter(names: list[str]) -> Callable[[object], tuple]:
    """The named attributes of an object as a tuple (attrgetter gives a bare value for one name)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _repr(self) -> str:
    """ClassName(field=value, ...), as dataclasses writes it."""
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._repr_names)
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self, other) -> bool:
    """Equal when of the same class with equal compared fields, as dataclasses compares."""
    if other.__class__ is self.__class__:
        return self._eq_key(self) == self._eq_key(other)
    return NotImplemented


def _hash(self) -> int:
    """The hash of the hashed fields' tuple, as dataclasses hashes a frozen class."""
    return hash(self._hash_key(self))
