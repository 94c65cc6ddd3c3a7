"""CMS standard-charges files: a wide sheet's payer-plan columns set aside before it is read, a tall sheet's rows
of one item for each payer plan audited once; no edit reads payer rates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import polars as pl

from auditor.ingest.content import filled

# The template's per payer and plan columns (v2 and v3): 'standard_charge|Aetna|PPO|negotiated_dollar',
# 'estimated_amount|Aetna|PPO', 'median_amount|...', '10th_percentile|...', 'count|...', 'additional_payer_notes|...'.
# Two or more parts after the name: 'standard_charge|gross' and 'standard_charge|min' are the item's own charges.
_PAYER_PLAN = re.compile(
    r"^(?:standard_charge|estimated_amount|additional_payer_notes|median_amount|10th_percentile"
    r"|90th_percentile|count)\|[^|]*\|"
)
# A tall file names the payer on each row (normalised header); a wide one names payers in its columns.
TALL = "PAYER NAME"
_SEARCH_ROWS = 30  # the header search's reach: the template's header sits under a preamble of two lines


def _norm(cell: object) -> str:
    return re.sub(r"\s*\|\s*", "|", str(cell).strip().lower()) if cell is not None else ""


class SetAside(NamedTuple):
    """What set_aside made of a sheet: the frame, the sheet's note, the emptied columns and the frame rows that held
    nothing but payer-plan values (blank once those are emptied, so they are listed as skipped, not lost)."""

    frame: pl.DataFrame
    note: str | None = None
    columns: frozenset[str] = frozenset()
    rows: tuple[int, ...] = ()


ONLY_PAYER_RATES = "no charge code, description, CPT/HCPCS or revenue code on this row: only payer-plan rates, which are not read"


def set_aside(frame: pl.DataFrame, keep: Iterable[str] = ()) -> SetAside:
    """The frame with a CMS wide header's payer-plan columns emptied (header included; positions kept, so columns
    are still named by their place in the file), with a note saying how many; else the frame as it was. A column
    headed as one of `keep` (headers the user named) stays."""
    if frame.width < 3:
        return SetAside(frame)
    for at, row in enumerate(frame.head(_SEARCH_ROWS).iter_rows()):
        if not any(isinstance(c, str) and "|" in c for c in row):
            continue  # the template's header names its codes code|1, code|2, ...
        cells = [_norm(c) for c in row]
        if "code|1" not in cells or "description" not in cells:
            continue
        named = {_norm(h) for h in keep}
        payer = [
            name
            for name, cell in zip(frame.columns, cells, strict=True)
            if _PAYER_PLAN.match(cell) and cell not in named
        ]
        if not payer:
            return SetAside(frame)
        # Thousands of them in a health system's file: reading each cell of each for a role none can take cost
        # most of the read (6,000 columns: ~4x the rest of the sheet).
        # Rebuilt column by column, one blank column per type named again: a with_columns over 6,000 columns costs
        # ~0.35 s of planning, this ~0.02 s.
        aside, schema = set(payer), frame.schema
        blanks = {t: pl.Series([None] * frame.height, dtype=t) for t in {schema[c] for c in aside}}
        emptied = pl.DataFrame(
            [blanks[schema[c]].alias(c) if c in aside else frame.get_column(c) for c in frame.columns]
        )
        plans = len({tuple(c.split("|")[1:3]) for c in cells if _PAYER_PLAN.match(c) and c not in named})
        note = (
            f"{len(payer):,} payer-plan columns ({plans:,} payer plans' negotiated rates, estimates and notes) not "
            "read: payer rates are not audited"
        )
        return SetAside(emptied, note, frozenset(payer), _only_payer_values(frame, payer, at + 1))
    return SetAside(frame)


def _only_payer_values(frame: pl.DataFrame, payer: list[str], start: int) -> tuple[int, ...]:
    """Frame rows from `start` whose only filled cells are in the payer columns."""
    aside = set(payer)
    below = frame.slice(start)
    # Narrow frames built column by column: a query on the whole frame costs ~0.15 s of planning at 6,000 columns.
    others = pl.DataFrame([below.get_column(c) for c in frame.columns if c not in aside])
    bare = others.select(~pl.any_horizontal([filled(c) for c in others.columns])).to_series()
    if not bare.any():
        return ()
    at = bare.arg_true()  # blank lines besides these: few, so the payer columns are read only on them
    rates = pl.DataFrame([below.get_column(c).gather(at) for c in payer])
    held = rates.select(pl.any_horizontal([filled(c) for c in payer])).to_series()
    return tuple(start + int(i) for i in at.filter(held))


def fold_payer_rows(audited: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]], str | None]:
    """A tall sheet's item rows, one per item: the rows that repeat an item for another payer plan (alike in every
    field read, only the payer's rate differs) come back as (row, reason) to list as skipped, with a note."""
    keys = [c for c in audited.columns if c != "row"]
    if audited.height < 2 or not keys:
        return audited, [], None
    first = pl.col("row").min().over(keys)
    marked = audited.with_columns(_first=first)
    again = marked.filter(pl.col("row") != pl.col("_first"))
    if again.height == 0:
        return audited, [], None
    # Each item once: its money at stake and its line counts are the item's, not the item's times its payer plans.
    kept = marked.filter(pl.col("row") == pl.col("_first")).drop("_first")
    # One reason for them all, so that a report lists them as one group rather than one per item (thousands).
    why = (
        "an item's row for another payer plan, the same item as an earlier row (payer rates are not audited): "
        "each item is audited once, on its first row"
    )
    folded = [(row, why) for row in again.get_column("row").to_list()]
    note = (
        f"{again.height:,} rows repeat an item for another payer plan: each item audited once, on its first row "
        f"({kept.height:,} items)"
    )
    return kept, folded, note
