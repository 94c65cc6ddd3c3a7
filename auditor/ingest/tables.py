"""More than one table on a sheet: a table beside the main one (past blank columns) or below it (own header).

Beside: two or more columns blank on every row of the sheet's table part set a block of columns from the main
table's. A block is a table of its own when it has a row of two or more cells (its header) and its own rows;
it stays part of the main table when it has no table shape (a notes column) or when it shares the main
header row and its rows run on the same lines (a spacer inside one table). A table beside is not read: its
rows share row numbers with the main table's; they are listed as skipped, with its cell range.

Below: after a blank row, a row of labels that name two or more roles and hold no value starts a table of its
own. With the main table's columns (a header repeated after a page break) it continues the main table; with
other columns it is read with its own roles; when it is no chargemaster its rows are listed as skipped.
"""

from __future__ import annotations

from dataclasses import field, replace

import polars as pl

from auditor.ingest.content import filled as has_text
from auditor.ingest.content import live_columns
from auditor.ingest.fields import TableKind, norm_header
from auditor.ingest.header import VALUE, HeaderMatch, column_letter, locate, names_roles, qualifies
from auditor.ingest.raw import RawSheet
from auditor.lean_dataclass import dataclass

GAP = 2  # blank columns that part two tables; a single blank column is a spacer (real files have them)
SAME_ROWS = 0.9  # share of rows two column blocks must have filled together to be one table
_VALUE = VALUE.pattern
_KEY_ROLES = ("charge_code", "description", "cpt", "hcpcs", "revenue_code", "price")


@dataclass
class OtherTable:
    """A table on a sheet besides its main one: where it is and what became of its rows."""

    where: str  # "beside" or "below"
    cells: str  # its cell range, as A1:C9
    header_row: int | None
    reason: str
    rows: list[int] = field(
        default_factory=list
    )  # user rows listed as skipped for `reason` (a header row, ...)
    read: bool = False  # its data rows are read (with the main table's columns or its own)
    columns: dict[str, str] = field(default_factory=dict)
    rows_audited: int = 0
    rows_skipped: int = 0  # of its data rows, skipped for a reason of their own

    def to_dict(self) -> dict:
        """JSON shape of one entry of a sheet's `tables`."""
        out = {"where": self.where, "cells": self.cells, "header_row": self.header_row, "read": self.read}
        if self.read:
            out |= {"columns": self.columns, "rows_audited": self.rows_audited}
        out |= {"rows_skipped": len(self.rows) + self.rows_skipped, "reason": self.reason}
        return out


@dataclass
class _Block:
    lo: int
    hi: int
    match: HeaderMatch | None
    header_at: int | None  # frame row of its header (or first row of two or more cells)
    body: pl.Series  # per frame row: filled in this block
    table_like: bool
    data_rows: int


def _columns(frame: pl.DataFrame, lo: int, hi: int) -> pl.DataFrame:
    """Frame columns lo..hi-1, renamed c0.. (roles index columns by position)."""
    return frame.select([pl.col(c).alias(f"c{i}") for i, c in enumerate(frame.columns[lo:hi])])


def _runs(counts: list[int]) -> list[tuple[int, int]]:
    """Column blocks [lo, hi) of filled columns, parted by GAP or more blank columns."""
    filled = [i for i, n in enumerate(counts) if n]
    if not filled:
        return []
    blocks, lo, last = [], filled[0], filled[0]
    for i in filled[1:]:
        if i - last - 1 >= GAP:
            blocks.append((lo, last + 1))
            lo = i
        last = i
    blocks.append((lo, last + 1))
    return blocks


def split_beside(
    raw: RawSheet, frame: pl.DataFrame, kind: TableKind, bridge: frozenset[str] = frozenset()
) -> tuple[RawSheet, list[OtherTable]]:
    """The sheet narrowed to its main table's columns, and the tables beside it (none: the sheet unchanged).
    Columns named in `bridge` count as filled: they never part one table from another."""
    if frame.width < GAP + 2:
        return raw, []
    live = set(live_columns(frame))
    cells = frame.select(
        [(has_text(c) if c in live else pl.repeat(False, pl.len())).alias(c) for c in frame.columns]
    )
    per_row = cells.select(pl.sum_horizontal(pl.all())).to_series()
    multi = (per_row >= 2).arg_true()
    if multi.len() == 0:
        return raw, []
    top = int(multi[0])  # title lines above the first row of two cells do not bridge a gap
    counts = cells.slice(top).sum().row(0)
    blocks = _runs([n or int(c in bridge) for c, n in zip(cells.columns, counts, strict=True)])
    if len(blocks) < 2:
        return raw, []
    infos = [_block(frame, cells, lo, hi, kind) for lo, hi in blocks]
    found = [i for i, b in enumerate(infos) if b.match is not None]
    if not found:
        return raw, []
    main = found[0]  # the first chargemaster from the left is the sheet's table; the others are beside it
    lo = hi = main
    while lo > 0 and _joins(infos[lo - 1], infos[main]):
        lo -= 1
    while hi < len(infos) - 1 and _joins(infos[hi + 1], infos[main]):
        hi += 1
    if lo == 0 and hi == len(infos) - 1:
        return raw, []
    col_lo = 0 if lo == 0 else infos[lo].lo
    col_hi = frame.width if hi == len(infos) - 1 else infos[hi].hi
    others = []
    if lo > 0:
        others.append(_beside(raw, cells, 0, col_lo, infos[:lo], "left of"))
    if hi < len(infos) - 1:
        others.append(_beside(raw, cells, col_hi, frame.width, infos[hi + 1 :], "beside"))
    narrowed = replace(raw, frame=_columns(frame, col_lo, col_hi), first_col=raw.first_col + col_lo)
    return narrowed, others


def _block(frame: pl.DataFrame, cells: pl.DataFrame, lo: int, hi: int, kind: TableKind) -> _Block:
    """One block of columns read on its own: its header and roles (when it is a chargemaster) and its rows."""
    per_row = cells.select(pl.sum_horizontal(cells.columns[lo:hi])).to_series()
    body = per_row > 0
    multi = (per_row >= 2).arg_true()
    first_multi = int(multi[0]) if multi.len() else None
    match = locate(_columns(frame, lo, hi), kind)
    header_at = match.index if match is not None and match.index >= 0 else first_multi
    after = 0 if header_at is None else header_at + 1
    data_rows = int(body.slice(after).sum())
    wide = sum(1 for c in cells.columns[lo:hi] if cells.get_column(c).any()) >= 2
    table_like = match is not None or (first_multi is not None and wide and data_rows >= 1)
    return _Block(lo, hi, match, header_at, body, table_like, data_rows)


def _joins(other: _Block, main: _Block) -> bool:
    """Whether a block belongs to the main table: no table shape, or a shared header over the same rows."""
    if not other.table_like:
        return True
    if other.header_at is None or main.header_at is None or abs(other.header_at - main.header_at) > 1:
        return False
    start = max(other.header_at, main.header_at) + 1
    a, b = other.body.slice(start), main.body.slice(start)
    either = int((a | b).sum())
    return either > 0 and int((a & b).sum()) / either >= SAME_ROWS


def _beside(
    raw: RawSheet, cells: pl.DataFrame, lo: int, hi: int, blocks: list[_Block], side: str
) -> OtherTable:
    """Every non-blank row of columns lo..hi-1, listed as skipped: a table beside the main one."""
    part = cells.select(cells.columns[lo:hi])
    rows = part.select(pl.any_horizontal(pl.all())).to_series().arg_true()
    used = [i for i, c in enumerate(part.columns) if part.get_column(c).any()]
    first, last = raw.first_row + int(rows[0]), raw.first_row + int(rows[-1])
    rng = (
        f"{column_letter(raw.first_col + lo + used[0])}{first}:"
        f"{column_letter(raw.first_col + lo + used[-1])}{last}"
    )
    table = next((b for b in blocks if b.table_like), blocks[0])
    what = (
        "it reads as a chargemaster of its own"
        if table.match is not None
        else "it is not a chargemaster (no charge code, CPT/HCPCS or description column)"
    )
    header = None if table.header_at is None else raw.first_row + table.header_at
    reason = (
        f"second table at {rng} {side} the main table (past {GAP} or more blank columns): not read; {what}, "
        "and its rows share row numbers with the main table's: move it to a sheet of its own to audit it"
    )
    return OtherTable("beside", rng, header, reason, rows=[raw.first_row + int(i) for i in rows])


@dataclass
class Below:
    """A table below the main one: its header row, the frame rows it runs to, and its own roles."""

    header: int  # frame row of its header
    stop: int  # frame row after its last
    match: HeaderMatch | None  # None: not a chargemaster
    same: bool  # the main table's columns: it continues the main table


def tables_below(frame: pl.DataFrame, filled: pl.Series, match: HeaderMatch, kind: TableKind) -> list[Below]:
    """Header rows of further tables under the main table's (a row of labels after a blank row)."""
    rows = pl.DataFrame({"filled": filled}).with_row_index("i")
    rows = rows.with_columns(blanks=(pl.col("filled") == 0).cum_sum())
    multi = rows.filter((pl.col("filled") >= 2) & (pl.col("i") >= match.index))
    # Rows of two or more cells with a blank row since the previous such row (notes of one cell may lie between).
    after_gap = multi.filter((pl.col("blanks") - pl.col("blanks").shift(1) > 0) & (pl.col("i") > match.index))
    idx = after_gap.get_column("i")
    if idx.len() == 0:
        return []
    # Data rows hold a code, an amount or a date; a header row holds none (checked at once, then row by row).
    valued = (
        frame[idx]
        .select(
            pl.any_horizontal(
                [
                    pl.col(c).str.strip_chars().str.to_uppercase().str.contains(_VALUE).fill_null(False)
                    for c in frame.columns
                ]
            )
        )
        .to_series()
    )
    found = [i for i in idx.filter(~valued).to_list() if names_roles(list(frame.row(i)), kind)]
    # A line of labels with no row under it before the next is a caption, not a header.
    heads = [i for k, i in enumerate(found) if (filled.slice(i + 1, _end(found, k, frame) - i - 1) > 0).any()]
    out = []
    for k, head in enumerate(heads):
        stop = _end(heads, k, frame)
        own = locate(frame.slice(head, stop - head), kind, header_row=0)
        if not qualifies(own, kind):
            out.append(Below(head, stop, None, False))
            continue
        out.append(Below(head, stop, own, _same_columns(own, match)))
    return out


def _end(heads: list[int], k: int, frame: pl.DataFrame) -> int:
    return heads[k + 1] if k + 1 < len(heads) else frame.height


def _same_columns(own: HeaderMatch, main: HeaderMatch) -> bool:
    """Whether a header below reads the main table's columns: the same key roles, or the same labels."""
    if own.cms_codes != main.cms_codes:
        return False
    if all(own.mapping.get(k) == main.mapping.get(k) for k in _KEY_ROLES):
        return True
    cols = sorted({c for cs in main.mapping.values() for c in cs})
    labels = [norm_header(h) for h in main.headers]
    mine = [norm_header(h) for h in own.headers]
    same = sum(1 for c in cols if c < len(mine) and labels[c] and labels[c] == mine[c])
    return bool(cols) and same >= max(2, len(cols) // 2 + 1)


def cell_range(raw: RawSheet, frame: pl.DataFrame, filled: pl.Series, start: int, stop: int) -> str:
    """A1:C9 range of the non-blank cells in frame rows start..stop-1."""
    part = frame.slice(start, stop - start)
    used = [i for i, c in enumerate(part.columns) if part.select(has_text(c).any()).item()]
    rows = (filled.slice(start, stop - start) > 0).arg_true()
    if not used or rows.len() == 0:
        return f"row {raw.first_row + start}"
    return (
        f"{column_letter(raw.first_col + used[0])}{raw.first_row + start + int(rows[0])}:"
        f"{column_letter(raw.first_col + used[-1])}{raw.first_row + start + int(rows[-1])}"
    )
