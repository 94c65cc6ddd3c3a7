"""Findings as one polars frame (claims runs): messages, waivers and implied lowering, no object per finding."""

from __future__ import annotations

import datetime as dt
import string

import polars as pl

from auditor.engine.catalog import Edit, EditSet
from auditor.engine.checks import QUARTER
from auditor.engine.config import FacilityConfig

SCOPE_LABELS = {"chargemaster": "chargemaster", "pairing": "procedure's pairing links", "claim": "claim"}
# One row per finding: what the claims reports read of a finding (the Finding fields they show).
ROW_SCHEMA = {
    "edit": pl.String,
    "name": pl.String,
    "family": pl.String,
    "category": pl.String,
    "severity": pl.String,
    "message": pl.String,
    "file": pl.String,
    "sheet": pl.String,
    "row": pl.Int64,
    "charge_code": pl.String,
    "code": pl.String,
    "revenue_code": pl.String,
    "expected": pl.String,
    "reference": pl.String,
    "basis": pl.String,
    "waived": pl.Boolean,
}
_ROW_FIELDS = ("file", "sheet", "row", "charge_code", "code", "revenue_code")
_NO_ROWS = pl.DataFrame(schema=ROW_SCHEMA)  # shared: most edits flag nothing on most runs
Q_START = "_q_start"  # a dated run's row: the first day of its quarter of service (waivers are judged then)
DATED_FIELDS = (Q_START, QUARTER)  # what a dated run's rows carry besides _ROW_FIELDS


def message_expr(template: str, columns: set[str], fixed: dict[str, str]) -> pl.Expr:
    """The edit's message template as one polars string expression (placeholders read hit columns)."""
    parts: list[pl.Expr] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is None:
            continue
        if name == "quarter" and QUARTER in columns:  # a dated run: each row's own code table quarter
            parts.append(pl.col(QUARTER).fill_null(fixed.get(name, "")))
        elif name in fixed:
            parts.append(pl.lit(fixed[name]))
        elif f"v_{name}" in columns:
            parts.append(pl.col(f"v_{name}").cast(pl.String).fill_null(""))
        elif name in columns:
            parts.append(pl.col(name).cast(pl.String).fill_null(""))
        else:
            parts.append(pl.lit("?"))
    return pl.concat_str(parts) if parts else pl.lit("")


def fixed_values(quarter: str, scope_kind: str) -> dict[str, str]:
    """Placeholders every message of a run shares: the quarter used and the scope's label."""
    return {"quarter": quarter, "scope_kind_label": SCOPE_LABELS.get(scope_kind, scope_kind)}


def with_flagged_rows(hits: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The hits with their flagged rows' fields beside them (`rows` in row-position order; its `_rid` left out)."""
    # _rid is the row's position, so a gather fetches the flagged rows without a hash join.
    return hits.hstack(rows.select(pl.all().exclude("_rid").gather(hits.get_column("_rid"))).get_columns())


def hit_rows(
    edit: Edit,
    severity: str,
    hits: pl.DataFrame,
    rows: pl.DataFrame,
    quarter: str,
    config: FacilityConfig,
    today: dt.date,
    scope_kind: str,
) -> pl.DataFrame:
    """An edit's hits as ROW_SCHEMA rows: the flagged row's fields, the message written, waivers applied."""
    if hits.height == 0:
        return _NO_ROWS
    dated = [c for c in DATED_FIELDS if c in rows.columns]
    joined = with_flagged_rows(hits, rows.select(*_ROW_FIELDS, *dated))
    if "expected" not in joined.columns:
        joined = joined.hstack([pl.Series("expected", [None] * joined.height, dtype=pl.String)])
    message = message_expr(edit.message, set(joined.columns), fixed_values(quarter, scope_kind))
    waived = _waived(edit, config, today, joined)
    return joined.select(
        edit=pl.lit(edit.code, pl.String),
        name=pl.lit(edit.name, pl.String),
        family=pl.lit(edit.family, pl.String),
        category=pl.lit(edit.category, pl.String),
        severity=pl.lit(severity, pl.String),
        message=message,
        file=pl.col("file"),
        sheet=pl.col("sheet"),
        row=pl.col("row").cast(pl.Int64),
        charge_code=pl.col("charge_code"),
        code=pl.col("code"),
        revenue_code=pl.col("revenue_code"),
        expected=pl.col("expected").cast(pl.String),
        reference=pl.lit(edit.reference_text(), pl.String),
        basis=pl.lit("verified" if edit.verified else "inferred", pl.String),
        waived=waived,
    )


def _waived(edit: Edit, config: FacilityConfig, today: dt.date, joined: pl.DataFrame) -> pl.Expr:
    """Waiver.covers for a whole column: the waivers in force for this edit, by charge code as they compare it.

    In a dated run a waiver is judged as of each row's quarter start, as a run per quarter would.
    """
    if not config.waivers:
        return pl.lit(False)
    charge = pl.col("charge_code").str.strip_chars().str.to_uppercase()

    def waived_on(day: dt.date) -> pl.Expr:
        return charge.is_in(sorted({w.key for w in config.waivers if w.applies(edit.code, day)})).fill_null(
            False
        )

    if Q_START not in joined.columns:
        return waived_on(today)
    days = joined.get_column(Q_START).unique().to_list()
    return pl.any_horizontal([(pl.col(Q_START) == day) & waived_on(day) for day in days])


def lower_implied_rows(frame: pl.DataFrame, edits: EditSet) -> tuple[pl.DataFrame, dict[str, dict[str, int]]]:
    """implied.lower_implied for a frame: a finding whose line carries an unwaived finding of an edit that
    implies it goes to info (or stays there), saying so; returns the frame and, per edit, the counts by
    implying edits."""
    implying = {e.code: sorted(e.implied_by) for e in edits.edits if e.implied_by}
    lowered: dict[str, dict[str, int]] = {}
    if not implying or frame.height == 0:
        return frame, lowered
    line = ["file", "sheet", "row"]
    strong = sorted({c for codes in implying.values() for c in codes})
    on_line = (
        frame.filter(pl.col("edit").is_in(strong) & ~pl.col("waived"))
        .group_by(line)
        .agg(_on=pl.col("edit").unique())
    )
    if on_line.height == 0:
        return frame, lowered
    frame = frame.with_row_index("_i").join(on_line, on=line, how="left", nulls_equal=True)
    frame = frame.sort("_i").drop("_i")
    by = pl.lit(None, dtype=pl.String)
    for code, codes in implying.items():
        named = pl.col("_on").list.set_intersection(pl.lit(codes, dtype=pl.List(pl.String))).list.sort()
        by = pl.when(pl.col("edit") == code).then(named.list.join(" and ")).otherwise(by)
    frame = frame.with_columns(_by=by).with_columns(
        _by=pl.when((pl.col("_by") != "") & ~pl.col("waived")).then(pl.col("_by"))
    )
    counts = frame.filter(pl.col("_by").is_not_null()).group_by("edit", "_by", maintain_order=True).len()
    for code, named, n in counts.iter_rows():
        lowered.setdefault(code, {})[named] = n
    frame = frame.with_columns(
        severity=pl.when(pl.col("_by").is_not_null()).then(pl.lit("info")).otherwise(pl.col("severity")),
        message=pl.when(pl.col("_by").is_not_null())
        .then(pl.format("{} (follows from {} on this line)", pl.col("message"), pl.col("_by")))
        .otherwise(pl.col("message")),
    )
    return frame.drop("_on", "_by"), lowered


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Finding.sort_key's order (file, sheet, row, edit, code), stable like Python's sort."""
    return frame.sort(
        pl.col("file"),
        pl.col("sheet").fill_null(""),
        pl.col("row").fill_null(0),
        pl.col("edit"),
        pl.col("code").fill_null(""),
        maintain_order=True,
    )
