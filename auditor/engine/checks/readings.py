"""What a line's description reads as (implant, drug, external part), from a word list shipped as data."""

from __future__ import annotations

import re

import polars as pl

from auditor.engine.lists import CatalogError, list_rows


def words(spec: dict, lists: dict) -> dict[str, list[str]]:
    """`{list, column}` -> reading -> its words; the list's `code` column holds the word (lists are keyed by code)."""
    if not isinstance(spec, dict) or "list" not in spec:
        raise CatalogError(f"a word list is {{list, column}}, got {spec!r}")
    column = spec.get("column", "reads_as")
    out: dict[str, list[str]] = {}
    for row in list_rows(spec["list"], None, lists):
        if column not in row:
            raise CatalogError(f"list {spec['list']!r} has no column {column!r}")
        out.setdefault(row[column].strip(), []).append(row["code"].strip().upper())
    return out


def pattern(tokens: list[str]) -> str | None:
    """A regex matching any token as a whole word: a digit may come before it (10MG reads as MG) but not after,
    so a catalogue number such as Z26SCR40 holds no word."""
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(set(tokens), key=len, reverse=True))
    return f"(?:^|[^A-Z])(?:{alternatives})(?:[^A-Z0-9]|$)"


def reads_as(regex: str | None, col: str = "description") -> pl.Expr:
    """True where the upper-cased column holds one of the words (never on a blank description)."""
    if regex is None:
        return pl.lit(False)
    return pl.col(col).str.to_uppercase().str.contains(regex).fill_null(False)
