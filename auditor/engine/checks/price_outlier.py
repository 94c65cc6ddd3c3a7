"""price-outlier: a line priced far above or below the median of the other lines with the same code.

Params: `factor` and `min_siblings`, each a number or "$config.<key>".
"""

from __future__ import annotations

import polars as pl

KINDS = ("price-outlier",)


def prepare(edit, lists) -> None:
    """No selectors to resolve."""


def columns(edit) -> tuple[str, ...]:
    """The price cell."""
    return ("price",)


def _value(ctx, raw):
    """A literal or a `$config.` reference."""
    if isinstance(raw, str) and raw.startswith("$config."):
        return ctx.config.lookup(raw[len("$config.") :])
    return raw


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines at least `factor` times away from their code's median price."""
    factor = float(_value(ctx, edit.params.get("factor", 10)))
    min_n = int(_value(ctx, edit.params.get("min_siblings", 3)))
    frame = (
        ctx.frame.lazy()
        .filter(eligible & pl.col("code").is_not_null() & (pl.col("price") > 0))
        .select("_rid", "_scope", "code", "price")
        .collect()
    )
    med = frame.group_by("_scope", "code").agg(_median=pl.col("price").median(), _n=pl.len())
    joined = frame.join(med.filter(pl.col("_n") >= min_n), on=["_scope", "code"], how="inner")
    ratio = pl.col("price") / pl.col("_median")
    out = joined.filter((ratio >= factor) | (ratio <= 1 / factor))
    return out.select(
        "_rid",
        v_median=pl.col("_median").round(2).cast(pl.String),
        v_n=pl.col("_n").cast(pl.String),
        v_ratio=ratio.round(1).cast(pl.String),
        expected=pl.lit("a price in line with the code's other lines (median ")
        + pl.col("_median").round(2).cast(pl.String)
        + pl.lit(")"),
    )
