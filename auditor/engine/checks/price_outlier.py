"""price-outlier: a line priced far above or below the median of the other lines billing the same item.

Params: `factor`, `min_siblings` and `wide_factor` (numbers or "$config.<key>"); `skip` (selector of
codes never judged), `wide` (selector of codes whose median mixes many products, sizes or package sizes:
a $20 screw and a $20,000 plate under C1713, a tablet and a 120 ml bottle under one J-code; judged only
above `wide_factor` times the median, a decimal slip), `skip_description` (regex of lines left out).
Lines are grouped by code, modifiers, NDC and setting (see price_lines); local codes are never judged.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import price_lines
from auditor.engine.checks.companions import no_hits

KINDS = ("price-outlier",)


def prepare(edit, lists) -> None:
    """Resolve the skipped and wide code selectors."""
    price_lines.prepare(edit, lists)


def columns(edit) -> tuple[str, ...]:
    """The price cell."""
    return ("price",)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines at least `factor` times away from their item's median price."""
    factor = float(price_lines.value(ctx, edit.params.get("factor", 10)))
    min_n = int(price_lines.value(ctx, edit.params.get("min_siblings", 3)))
    wide = float(price_lines.value(ctx, edit.params.get("wide_factor", factor)))
    src = ctx.frame
    # Sizes stay out of the key: the outlier test needs siblings, and a decimal slip is 10x whatever the size.
    item = price_lines.item_keys(src)
    keys = ["_scope", "code", *item]
    # An item needs `min_n` lines, so its code does too.
    priced = src.lazy().filter(eligible & price_lines.comparable(edit, src) & (pl.col("price") > 0))
    frame = (
        price_lines.with_siblings(priced, min_n)
        .select("_rid", "_scope", "code", "price", _wide=price_lines.wide(edit), **item)
        .collect(engine="in-memory")
    )
    if frame.height == 0:  # no code with enough priced lines to have a median
        return no_hits()
    frame = frame.lazy()  # the medians and the judging as one query
    med = frame.group_by(keys).agg(_median=pl.col("price").median(), _n=pl.len())
    joined = frame.join(med.filter(pl.col("_n") >= min_n), on=keys, how="inner")
    ratio = pl.col("price") / pl.col("_median")
    judged = pl.when(pl.col("_wide")).then(ratio >= wide).otherwise((ratio >= factor) | (ratio <= 1 / factor))
    out = joined.filter(judged)
    return out.select(
        "_rid",
        v_median=price_lines.dollars(pl.col("_median")),
        v_n=pl.col("_n").cast(pl.String),
        # A price a hundredth of the median would read "0.0x": ratios that round to 0.0 keep three decimals.
        v_ratio=pl.when(ratio < 0.05).then(ratio.round(3)).otherwise(ratio.round(1)).cast(pl.String),
        expected=pl.lit("a price in line with the code's other lines (median ")
        + price_lines.dollars(pl.col("_median"))
        + pl.lit(")"),
    ).collect(engine="in-memory")
