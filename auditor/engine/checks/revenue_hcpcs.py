"""revenue-code-needs-code: an implant or drug line under a revenue code that needs a HCPCS code has none.

Params: `revenue_codes` (list, or "$config.<key>") that need a code; `readings` ({list, column}: what a line
under each revenue code must read as to be judged, e.g. 0278 -> implant, 0636 -> drug; a revenue code the
list lacks is judged when the line reads as any of them); `words` ({list, column}: the word list);
`unless_reads_as` (readings that veto a line, e.g. [external]). Hospitals file non-billable supplies under
these revenue codes without a code, so a line is judged only when its description names an implant or drug.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import readings
from auditor.engine.lists import CatalogError, list_rows

KINDS = ("revenue-code-needs-code",)


def prepare(edit, lists) -> None:
    """Build each reading's word pattern and the revenue code -> reading map."""
    p = edit.params
    for key in ("revenue_codes", "readings", "words"):
        if key not in p:
            raise CatalogError(f"revenue-code-needs-code needs {key}")
    by_reading = readings.words(p["words"], lists)
    column = p["readings"].get("column", "reads_as")
    rows = list_rows(p["readings"]["list"], None, lists)
    p["_reading_of"] = {r["code"].strip().zfill(4): r[column].strip() for r in rows}
    missing = (set(p["_reading_of"].values()) | set(p.get("unless_reads_as", []))) - set(by_reading)
    if missing:
        raise CatalogError(f"the word list has no reading(s) {sorted(missing)}")
    wanted = sorted(set(p["_reading_of"].values()))
    p["_patterns"] = {r: readings.pattern(by_reading[r]) for r in wanted}
    p["_any"] = readings.pattern([w for r in wanted for w in by_reading[r]])
    p["_vetoes"] = readings.pattern([w for r in p.get("unless_reads_as", []) for w in by_reading[r]])


def columns(edit) -> tuple[str, ...]:
    """The blank code, and the revenue code that asks for it."""
    return ("code", "revenue_code")


def _codes(ctx, value) -> list[str]:
    """The revenue codes judged (a list, or the facility's `$config.` setting), in the frame's 4-digit form."""
    if isinstance(value, str) and value.startswith("$config."):
        value = ctx.config.lookup(value[len("$config.") :])
    return [str(c).strip().zfill(4) for c in value]


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Lines under a judged revenue code, with no code, whose description reads as what that revenue code holds."""
    p = edit.params
    codes = _codes(ctx, p["revenue_codes"])
    rev = pl.col("revenue_code")
    # Revenue codes the readings list does not know (a facility's own) are judged on any reading.
    unknown = [c for c in codes if c not in p["_reading_of"]]
    reading = pl.when(rev.is_in(unknown) & readings.reads_as(p["_any"])).then(pl.lit("an implant or drug"))
    for name, regex in p["_patterns"].items():
        mine = [c for c in codes if p["_reading_of"].get(c) == name]
        article = "an" if name[:1] in "aeiou" else "a"
        reading = reading.when(rev.is_in(mine) & readings.reads_as(regex)).then(pl.lit(f"{article} {name}"))
    reading = reading.otherwise(None)
    # The word patterns read only the uncoded lines under a judged revenue code: polars does not put a cheap
    # condition before a costly one, so each filter of one `&` would run every pattern over every line.
    return (
        ctx.frame.lazy()
        .filter(eligible & pl.col("code").is_null() & rev.is_in(codes))
        .with_columns(v_reads=reading)
        .filter(pl.col("v_reads").is_not_null() & ~readings.reads_as(p["_vetoes"]))
        .select("_rid", expected=pl.lit("a HCPCS code"), v_value=rev, v_reads="v_reads")
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
