"""duplicate-price / duplicate-charge-code: the same code (or charge code) set up more than once, differently.

One finding per group, on the group's first line; the other lines are its related rows.

Params for duplicate-price: `min_ratio` (highest/lowest price at or above which lines count as
different; default 1.0 = any difference). duplicate-charge-code has no params.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks.companions import MAX_RELATED

KINDS = ("duplicate-price", "duplicate-charge-code")


def prepare(edit, lists) -> None:
    """No selectors to resolve."""


def columns(edit) -> tuple[str, ...]:
    """The code and its differing price, or the repeated charge code."""
    return ("code", "price") if edit.check == "duplicate-price" else ("charge_code",)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Every line of a group that disagrees, with the other lines of the group as related rows."""
    frame = ctx.frame.lazy().filter(eligible)
    if edit.check == "duplicate-price":
        keys = ["_scope", "code", "modifiers"]
        frame = frame.filter(pl.col("code").is_not_null() & pl.col("price").is_not_null()).select(
            "_rid", "_scope", "code", "price", "modifiers"
        )
        ratio = float(edit.params.get("min_ratio", 1.0))
        stats = frame.group_by(keys).agg(
            _lo=pl.col("price").min(), _hi=pl.col("price").max(), _rid=pl.col("_rid").min()
        )
        # Different prices means min != max; no need for a costlier distinct count.
        stats = stats.filter((pl.col("_hi") > pl.col("_lo")) & (pl.col("_hi") >= pl.col("_lo") * ratio))
        detail = {
            "v_low": pl.col("_lo").round(2).cast(pl.String),
            "v_high": pl.col("_hi").round(2).cast(pl.String),
        }
        expected = pl.lit("one price per code and modifier set, or distinct modifiers/descriptions")
    else:
        keys = ["_scope", "charge_code"]
        # Charge codes are nearly all unique: keep only repeated ones before grouping.
        frame = frame.filter(
            pl.col("charge_code").is_not_null() & pl.col("charge_code").is_duplicated()
        ).select(
            "_rid",
            "_scope",
            "charge_code",
            _sig=pl.concat_str(
                [pl.col("code").fill_null(""), pl.col("price").cast(pl.String).fill_null("")], separator="|"
            ),
        )
        stats = frame.group_by(keys).agg(_n=pl.col("_sig").n_unique(), _rid=pl.col("_rid").min())
        stats = stats.filter(pl.col("_n") > 1)
        detail = {}
        expected = pl.lit("a unique charge code per chargemaster line")
    # One finding per group, on its first line, with the other lines as related rows: a code priced
    # five ways is one thing to fix, not five. Members are gathered for flagged groups only.
    frame = frame.collect()
    stats = stats.collect()
    members = (
        frame.join(stats.select(keys), on=keys, how="semi", nulls_equal=True)
        .group_by(keys)
        .agg(_members=pl.col("_rid").sort().head(MAX_RELATED + 1))
    )
    hits = stats.join(members, on=keys, how="left", nulls_equal=True).sort("_rid")
    return hits.select(
        "_rid",
        expected=expected,
        v_lines=pl.col("_members").list.len().cast(pl.String),
        related=pl.col("_members").list.set_difference(pl.concat_list(pl.col("_rid"))).list.head(MAX_RELATED),
        **detail,
    )
