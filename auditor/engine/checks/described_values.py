"""allowed-values-if-described: allowed-values, judged only on lines whose description reads as a given thing.

Params: those of allowed-values, plus `words` ({list, column}: a word list whose column says what each word
reads as), `reads_as` (readings that select a line, e.g. [implant]) and `unless_reads_as` (readings that
veto it, e.g. [external] for chargers and programmers). A line with a blank description never reads as anything.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import allowed_values, readings
from auditor.engine.lists import CatalogError

KINDS = ("allowed-values-if-described",)


def prepare(edit, lists) -> None:
    """Resolve the allowed-values params and build the word patterns."""
    p = edit.params
    if "words" not in p or not p.get("reads_as"):
        raise CatalogError("allowed-values-if-described needs words and reads_as")
    by_reading = readings.words(p["words"], lists)
    missing = (set(p["reads_as"]) | set(p.get("unless_reads_as", []))) - set(by_reading)
    if missing:
        raise CatalogError(f"the word list has no reading(s) {sorted(missing)}")
    p["_reads"] = readings.pattern([w for r in p["reads_as"] for w in by_reading[r]])
    p["_vetoes"] = readings.pattern([w for r in p.get("unless_reads_as", []) for w in by_reading[r]])
    allowed_values.prepare(edit, lists)


def columns(edit) -> tuple[str, ...]:
    """The field whose value is not allowed."""
    return allowed_values.columns(edit)


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """allowed-values over the lines that read as the wanted thing and as none of the vetoes."""
    p = edit.params
    described = readings.reads_as(p["_reads"]) & ~readings.reads_as(p["_vetoes"])
    return allowed_values.plan(ctx, edit, eligible, costly=described)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
