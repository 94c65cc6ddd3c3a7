"""Code lists shipped beside the edits, and selectors that turn them into sets of codes."""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

import polars as pl

from auditor.lean_dataclass import dataclass


class CatalogError(ValueError):
    """An edit or list file is malformed (a packaging bug or a bad facility override)."""


# Code lists are keyed by code; the description lexicon by phrase (words), abbreviation (short) or kind.
_KEYS = {"code", "words", "short", "kind"}


def load_lists(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Every `<name>.csv` in the folder as a list of row dicts, keyed by name."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if rows and not _KEYS & rows[0].keys():
            raise CatalogError(f"{path}: a list needs a key column, one of {', '.join(sorted(_KEYS))}")
        out[path.stem] = rows
    return out


def expand_codes(items: list) -> set[str]:
    """Literal codes and numeric ranges ('61850-61868', 'C5271-C5278') to a set."""
    out: set[str] = set()
    for item in items:
        text = str(item).strip().upper()
        m = re.match(r"^([A-Z]?)([0-9]+)([A-Z]?)-([A-Z]?)([0-9]+)([A-Z]?)$", text)
        if m and m.group(1) == m.group(4) and m.group(3) == m.group(6):
            width = len(m.group(2))
            for n in range(int(m.group(2)), int(m.group(5)) + 1):
                out.add(f"{m.group(1)}{n:0{width}d}{m.group(3)}")
        else:
            out.add(text)
    return out


@dataclass(frozen=True)
class Selector:
    """A resolved selector: a set of codes and/or a regex, minus an exception selector."""

    codes: frozenset[str]
    pattern: str | None = None
    exclude: Selector | None = None

    def expr(self, col: str = "code") -> pl.Expr:
        """Boolean polars expression: the column's code is selected."""
        c = pl.col(col)
        hit = c.is_in(self._code_series) if self.codes else pl.lit(False)
        if self.pattern:
            hit = hit | c.str.contains(self.pattern)
        if self.exclude is not None:
            hit = hit & ~self.exclude.expr(col)
        return hit.fill_null(False)

    @functools.cached_property
    def _code_series(self) -> pl.Series:
        """The codes as one polars list value, built once: runs ask for the expression many times each."""
        return pl.Series(sorted(self.codes), dtype=pl.String).implode()

    def contains(self, code: str | None) -> bool:
        """Whether a single code is selected."""
        if not code:
            return False
        hit = code in self.codes or bool(self.pattern and re.search(self.pattern, code))
        return hit and not (self.exclude is not None and self.exclude.contains(code))


def resolve_selector(spec: dict | None, lists: dict[str, list[dict]]) -> Selector | None:
    """Turn `{codes, list, where, pattern, except}` into a Selector."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise CatalogError(f"a selector must be a mapping, got {spec!r}")
    unknown = set(spec) - {"codes", "list", "where", "pattern", "except"}
    if unknown:
        raise CatalogError(f"unknown selector key(s) {sorted(unknown)}")
    codes = expand_codes(spec.get("codes", []))
    if "list" in spec:
        codes |= {r["code"].strip().upper() for r in list_rows(spec["list"], spec.get("where"), lists)}
    pattern = spec.get("pattern")
    if pattern:
        re.compile(pattern)
    return Selector(frozenset(codes), pattern, resolve_selector(spec.get("except"), lists))


def list_rows(name: str, where: dict | None, lists: dict[str, list[dict]]) -> list[dict]:
    """Rows of a named list whose columns match `where` (a value or a list of values per column)."""
    if name not in lists:
        raise CatalogError(f"unknown code list {name!r}; lists are: {', '.join(sorted(lists))}")
    rows = lists[name]
    for col, want in (where or {}).items():
        allowed = {str(w) for w in (want if isinstance(want, list) else [want])}
        if rows and col not in rows[0]:
            raise CatalogError(f"list {name!r} has no column {col!r}")
        rows = [r for r in rows if r.get(col, "") in allowed]
    return rows


def groups_from(spec: dict, lists: dict[str, list[dict]]) -> dict[str, list[frozenset[str]]]:
    """Per-trigger requirement groups: `{list, column, resolve: {list, column}}` -> code -> [alternative sets].

    The column holds groups separated by ';', each a '|'-separated set of tokens; a token is a code,
    or a value of the resolve list's column (e.g. a device type) standing for every code with it.
    """
    rows = list_rows(spec["list"], spec.get("where"), lists)
    col = spec["column"]
    resolve = spec.get("resolve")
    by_token: dict[str, set[str]] = {}
    if resolve:
        for r in list_rows(resolve["list"], None, lists):
            by_token.setdefault(r[resolve["column"]].strip(), set()).add(r["code"].strip().upper())
    out: dict[str, list[frozenset[str]]] = {}
    for r in rows:
        text = (r.get(col) or "").strip()
        if not text:
            continue
        groups = []
        for group in text.split(";"):
            codes: set[str] = set()
            for token in (t.strip() for t in group.split("|") if t.strip()):
                codes |= by_token.get(token, {token.upper()})
            groups.append(frozenset(codes))
        out[r["code"].strip().upper()] = groups
    return out
