"""Credit lines on a claim (a charge reversed, or part of it): netted against their charges before any edit."""

from __future__ import annotations

import polars as pl

from auditor.claims.skip_reasons import NETTED, REVERSED

# A credit: negative units, or a negative charge (systems that keep units positive and negate the amount).
CREDIT = (pl.col("units_n") < 0).fill_null(False) | (pl.col("charges") < 0).fill_null(False)
# What a line's credit reverses: the same code (or, without one, the same revenue code) on the same claim.
_KEY = ("claim_key", "code", "revenue_code")


def net_credits(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lines with each claim's credits netted, and the lines netted away (sheet, row, _skip: why).

    Transaction-level extracts carry a reversed charge as a line of negative units or amount. Audited as they
    stand, a procedure charged and reversed still "has" its device, and a reversed device still pairs with
    its procedure. Per claim and code: units net to zero or less, every line of the code is set aside (the
    service is not on the claim); units left over, the code's first charge line stays with the net units
    and charges, and its other lines are set aside as netted into it. Claims without a credit are untouched.
    """
    skipped = pl.DataFrame(schema={"sheet": pl.String, "row": pl.Int64, "_skip": pl.String})
    if lines.height == 0 or not lines.select(CREDIT.any()).item():
        return lines, skipped
    size = (
        pl.when(pl.col("units_n").is_null() | (pl.col("units_n") == 0))
        .then(1.0)
        .otherwise(pl.col("units_n").abs())
    )
    marked = lines.with_row_index("_i").with_columns(
        _q=pl.when(CREDIT).then(-size).otherwise(size), _credit=CREDIT
    )
    touched = marked.filter(pl.col("_credit").any().over(_KEY))
    groups = touched.group_by(_KEY, maintain_order=True).agg(
        _net=pl.col("_q").sum(),
        _money=pl.col("charges").sum(),
        _priced=pl.col("charges").is_not_null().any(),
        _keep=pl.col("_i").filter(~pl.col("_credit")).first(),
    )
    # One wording per outcome (not per code or row): the reports group skipped lines by their reason.
    reason = pl.when(pl.col("_net") <= 0).then(pl.lit(REVERSED)).otherwise(pl.lit(NETTED))
    verdict = touched.select("_i", "sheet", "row", *_KEY).join(
        groups.with_columns(_why=reason), on=list(_KEY), how="left", nulls_equal=True, maintain_order="left"
    )
    # Every line of a touched code either stands for it (units left, its first charge) or is set aside.
    stays = (pl.col("_net") > 0) & (pl.col("_i") == pl.col("_keep"))
    kept, dropped = verdict.filter(stays), verdict.filter(~stays)
    out = marked.join(
        kept.select("_i", "_net", "_money", "_priced"), on="_i", how="left", maintain_order="left"
    ).filter(~pl.col("_i").is_in(dropped.get_column("_i").implode()))
    # The line that stands for the code carries the net units and money (as text too: messages quote units).
    # A file without units gives none: the count of charges is the net then, and no units are made up.
    counted = pl.col("_net").is_not_null() & pl.col("units_n").is_not_null()
    out = out.with_columns(
        units_n=pl.when(counted).then(pl.col("_net")).otherwise(pl.col("units_n")),
        units=pl.when(counted).then(_number(pl.col("_net"))).otherwise(pl.col("units")),
        charges=pl.when(pl.col("_net").is_not_null() & pl.col("_priced"))
        .then(pl.col("_money"))
        .otherwise(pl.col("charges")),
    ).drop("_i", "_q", "_credit", "_net", "_money", "_priced")
    return out, dropped.select("sheet", "row", _skip=pl.col("_why"))


def _number(expr: pl.Expr) -> pl.Expr:
    """A unit count as text: 2.0 -> '2', 2.5 -> '2.5'."""
    return (
        pl.when(expr == expr.round(0))
        .then(expr.cast(pl.Int64).cast(pl.String))
        .otherwise(expr.round(3).cast(pl.String))
    )
