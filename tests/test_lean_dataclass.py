"""The package's dataclass shares one repr, eq and hash among its classes; each behaves as the standard library's."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, field

import pytest

from auditor import lean_dataclass


def _shapes(make):
    """The same class shapes made with `make` (the standard library's dataclass, or ours)."""

    @make
    class Plain:
        name: str
        count: int = 0
        tags: list = field(default_factory=list)
        hidden: str = field(default="x", repr=False, compare=False)

    @make(frozen=True)
    class Frozen:
        code: str
        rate: float | None = None
        note: str = field(default="", compare=False)

    @make(frozen=True)
    class One:
        code: str

    @make(frozen=True)
    class OwnHash:
        name: str
        extra: dict = field(default_factory=dict)

        def __hash__(self) -> int:
            return hash(self.name)

    @make(eq=False)
    class Identity:
        value: int

    @make(frozen=True, slots=True)
    class Slotted:
        a: int
        b: str = "b"

    @make
    class Child(Plain):
        more: int = 1

    @make(frozen=True)
    class Empty:
        pass

    return {c.__name__: c for c in (Plain, Frozen, One, OwnHash, Identity, Slotted, Child, Empty)}


ARGS = {
    "Plain": [("a", 1, [1]), ("a", 1, [1]), ("b", 1, [1])],
    "Frozen": [("C1778", 1.5, "n"), ("C1778", 1.5, "other note"), ("C1778", 2.0, "n")],
    "One": [("x",), ("x",), ("y",)],
    "OwnHash": [("k", {"a": 1}), ("k", {"a": 1}), ("k", {"a": 2})],
    "Identity": [(1,), (1,), (2,)],
    "Slotted": [(1, "b"), (1, "b"), (1, "c")],
    "Child": [("a", 1, [], "h", 2), ("a", 1, [], "other", 2), ("a", 1, [], "h", 3)],
    "Empty": [(), (), ()],
}


def _behaviour(cls, args):
    """Everything a caller can see of instances made from `args`: reprs, equalities, hashes, whether frozen."""
    first, same, other = (cls(*a) for a in args)
    try:
        hashes = (hash(first) == hash(same), hash(first) == hash(other), hash(first))
    except TypeError as exc:
        hashes = ("unhashable", str(exc))
    try:
        first.__setattr__(dataclasses.fields(cls)[0].name, None) if dataclasses.fields(cls) else None
        frozen = False
    except FrozenInstanceError:
        frozen = True
    return (
        repr(first),
        repr(other),
        first == same,
        first != same,
        first == other,
        first == "text",
        first.__eq__("text"),
        hashes,
        frozen,
        dataclasses.astuple(same),
        [f.name for f in dataclasses.fields(cls)],
    )


@pytest.mark.parametrize("name", sorted(ARGS))
def test_each_shape_behaves_as_the_standard_librarys(name):
    ours, theirs = _shapes(lean_dataclass.dataclass)[name], _shapes(dataclasses.dataclass)[name]
    got, expected = _behaviour(ours, ARGS[name]), _behaviour(theirs, ARGS[name])
    if name == "Identity":  # identity equality and hash: the hash values themselves differ between objects
        got, expected = got[:7] + got[8:], expected[:7] + expected[8:]
    assert got == expected


def test_repr_of_nested_values_and_of_fields_kept_out():
    made = _shapes(lean_dataclass.dataclass)
    value = made["Frozen"]("C1778", None, "a 'quoted' note")
    assert repr(value) == "_shapes.<locals>.Frozen(code='C1778', rate=None, note=\"a 'quoted' note\")"
    plain = made["Plain"]("p", 2, [value], "not shown")
    assert repr(plain) == f"_shapes.<locals>.Plain(name='p', count=2, tags=[{value!r}])"
