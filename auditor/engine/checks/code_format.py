"""code-format: the CPT/HCPCS cell is not shaped like any CPT or HCPCS Level II code.

Params: none. CPT is 5 digits or 4 digits + F/T/U/M; HCPCS Level II is a letter A-V + 4 digits.
"""

from __future__ import annotations

import polars as pl

from auditor.ingest.normalize import CODE_SHAPE

KINDS = ("code-format",)


def prepare(edit, lists) -> None:
    """No parameters to resolve."""


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows with a code that cannot be a CPT or HCPCS code."""
    cond = eligible & pl.col("code").is_not_null() & ~pl.col("code").str.contains(CODE_SHAPE)
    return (
        ctx.frame.lazy()
        .filter(cond)
        .select(
            "_rid",
            expected=pl.lit("a CPT code (5 digits, or 4 digits + F/T/U/M) or HCPCS code (letter + 4 digits)"),
        )
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect()
