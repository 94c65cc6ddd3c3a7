"""code-format: what the CPT/HCPCS cell holds when it is not a CPT or HCPCS Level II code.

Params: `shape` (default `malformed`): `malformed` flags cells that cannot be any code (several codes in
one cell, 6 digits, stray characters); `local` flags payer-local codes (Medi-Cal level III X/Y/Z codes,
state workers' compensation codes such as 0130C or 1028M), whether in the code column or set aside by
the reader; `ndc` flags lines whose code column held an NDC instead of a CPT/HCPCS code.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError
from auditor.ingest import shapes as sh

KINDS = ("code-format",)
SHAPES = ("malformed", "local", "ndc")
# CPT categories whose codes all start with 0 (III: 0042T.., PLA: 0001U.., MAAA: 0001M.., vaccine
# administration: 0001A..): the same shape with another first digit is no CPT code, but payers such as
# Washington L&I use it for their own codes (1028M).
LOCAL_IN_CPT_SHAPE = r"^[1-9][0-9]{3}[TUMA]$"
_EXPECTED = {
    "malformed": "a CPT code (5 digits, or 4 digits + F/T/U/M/A) or HCPCS code (letter + 4 digits)",
    "local": "a CPT/HCPCS code on lines billed to Medicare (the payer-local code only for its payer)",
    "ndc": "the drug's HCPCS code in the CPT/HCPCS column (the NDC in its own column)",
}
_REVENUE_SHAPED = "a CPT/HCPCS code, or an empty cell for a line without one: a 0 and three digits is a revenue code's shape"


def prepare(edit, lists) -> None:
    """Check the shape parameter."""
    shape = edit.params.get("shape", "malformed")
    if shape not in SHAPES:
        raise CatalogError(f"code-format shape must be one of {', '.join(SHAPES)}, got {shape!r}")


def _aside(ctx, kind: str, shape: str | None = None) -> pl.Expr:
    """Rows whose code the reader set aside as another code type (the value is kept in other_code)."""
    if not {"code_type", "other_code"} <= set(ctx.frame.columns):
        return pl.lit(False)
    hit = (
        pl.col("code").is_null()
        & (pl.col("code_type") == kind).fill_null(False)
        & pl.col("other_code").is_not_null()
    )
    return hit & _other().str.contains(shape) if shape else hit


def _other() -> pl.Expr:
    """The set-aside value, trimmed and upper-cased like the code column."""
    return pl.col("other_code").cast(pl.String).str.strip_chars().str.to_uppercase()


def _value(ctx) -> pl.Expr:
    """The code the finding names: the code column, else the value set aside."""
    return pl.coalesce(pl.col("code"), _other()) if "other_code" in ctx.frame.columns else pl.col("code")


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose code cell holds the shape the edit looks for."""
    shape = edit.params.get("shape", "malformed")
    code = pl.col("code")
    local_in_code = code.str.contains(sh.LOCAL) | code.str.contains(LOCAL_IN_CPT_SHAPE)
    if shape == "malformed":
        # Payer-local codes and NDCs are codes, just not CPT/HCPCS ones: other shapes say so. A word with no
        # digit ("PANEL", "N/A", "MISC") or a zero ('0', '000': a numeric export's empty field) is a placeholder
        # for "no code", read like an empty cell.
        cond = (
            code.is_not_null()
            & ~code.str.contains(sh.CPT_OR_LEVEL2)
            & ~local_in_code
            & ~code.str.contains(sh.NDC)
            & code.str.contains(r"[0-9]")
            & ~code.str.contains(r"^0{1,4}$")
        )
        value = code
    elif shape == "local":
        cond = local_in_code.fill_null(False) | _aside(ctx, "LOCAL", sh.LOCAL)
        value = _value(ctx)
    else:
        cond = code.str.contains(sh.NDC).fill_null(False) | _aside(ctx, "NDC")
        value = _value(ctx)
    expected = pl.lit(_EXPECTED[shape])
    if shape == "malformed":
        # '0278' in the code column is a revenue code (an export that fills the column for lines without one).
        expected = (
            pl.when(code.str.contains(r"^0[0-9]{3}$")).then(pl.lit(_REVENUE_SHAPED)).otherwise(expected)
        )
    return (
        ctx.frame.lazy()
        .filter(eligible & cond.fill_null(False))
        .select("_rid", v_value=value, expected=expected)
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
