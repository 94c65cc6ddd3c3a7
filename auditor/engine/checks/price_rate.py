"""price-below-rate: a line charged below the OPPS payment rate of its code in the audit quarter.

Params: `ratio` (number or "$config.<key>": a charge below ratio x rate is flagged), `status_indicators`
(the OPPS status indicators judged: only those whose Addendum B rate pays for the same unit the line
charges), `surgical` (selector of procedure codes whose cost sits on room-time lines) with `room_time`
(regex: a file with such a description prices surgery by the minute, so its surgical code lines are not
judged), `skip` (selector of codes never judged), `skip_modifiers` (lines with one of these modifiers,
e.g. 26 or 52, charge a part of the service), `skip_description` (regex of lines left out) and
`min_price` (lower prices are open-price placeholders, not prices). Professional-fee and inpatient lines are
never judged: the OPPS rate is the hospital outpatient payment.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import price_lines
from auditor.engine.findings import STAKE, STAKE_BASIS
from auditor.engine.lists import resolve_selector

KINDS = ("price-below-rate",)


def prepare(edit, lists) -> None:
    """Resolve the skipped and surgical code selectors."""
    edit.params["_skip"] = resolve_selector(edit.params.get("skip"), lists)
    edit.params["_surgical"] = resolve_selector(edit.params.get("surgical"), lists)


def columns(edit) -> tuple[str, ...]:
    """The price cell."""
    return ("price",)


def _selected(edit, name: str) -> pl.Expr:
    """Lines whose code a resolved selector param names (none when the param is absent)."""
    selector = edit.params.get(name)
    return selector.expr() if selector is not None else pl.lit(False)


def _modifier_skipped(edit, frame: pl.DataFrame) -> pl.Expr:
    """Lines carrying one of the `skip_modifiers` (a component or a reduced service)."""
    wanted = [str(m).upper() for m in edit.params.get("skip_modifiers", [])]
    if not wanted or "modifiers" not in frame.columns:
        return pl.lit(False)
    mods = pl.col("modifiers").cast(pl.String).fill_null("").str.to_uppercase()
    return mods.str.extract_all(r"[A-Z0-9]{2}").list.eval(pl.element().is_in(wanted)).list.any()


def _timed_scopes(edit, frame: pl.DataFrame) -> pl.Series:
    """The files (scopes) that price surgery by room time: some description matches `room_time`."""
    pattern = edit.params.get("room_time")
    if not pattern or "description" not in frame.columns:
        return pl.Series("_scope", [], dtype=frame.schema["_scope"])
    return (
        frame.lazy()
        .filter(pl.col("description").str.contains(pattern).fill_null(False))
        .select(pl.col("_scope").unique())
        .collect(engine="in-memory")
        .to_series()
    )


def _rated(ctx, edit) -> pl.Expr:
    """Lines with a judged status indicator whose charge and OPPS rate are both real prices."""
    statuses = [str(s) for s in edit.params.get("status_indicators", [])]
    min_price = float(price_lines.value(ctx, edit.params.get("min_price", 0)) or 0)
    cond = pl.col("cs_rate").is_not_null() & (pl.col("cs_rate") > 0) & (pl.col("price") >= min_price)
    return cond & pl.col("cs_si").is_in(statuses) & (pl.col("price") > 0)


def _same_service(edit, frame: pl.DataFrame) -> pl.Expr:
    """Row by row, whether the charge and the rate price the same service: none of the exclusions holds."""
    cond = ~_selected(edit, "_skip") & ~_modifier_skipped(edit, frame)
    skip_description = edit.params.get("skip_description")
    if skip_description and "description" in frame.columns:
        cond = cond & ~pl.col("description").str.contains(skip_description).fill_null(False)
    # The OPPS rate pays the hospital for an outpatient: a professional fee or an inpatient price is another price.
    return cond & (price_lines.fee_type(frame) != "PRO") & (price_lines.setting(frame) != "IP")


def unevaluable(ctx, edit, eligible: pl.Expr) -> str | None:
    """Why no line can be judged: the quarter was imported without OPPS rates, or none of the codes has one."""
    frame = ctx.frame
    if frame.get_column("code").null_count() == frame.height:
        return None  # no codes at all: the code edits say so
    if "cs_rate" not in frame.columns:
        return f"the code table holds no OPPS payment rates for {ctx.quarter}"
    if frame.get_column("cs_rate").null_count() == frame.height:
        return f"none of the file's codes has an OPPS payment rate in {ctx.quarter}"
    return None


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines charged below `ratio` times the OPPS payment rate of their code."""
    ratio = float(price_lines.value(ctx, edit.params.get("ratio", 1.0)))
    if "cs_rate" not in ctx.frame.columns:
        return pl.DataFrame(schema={"_rid": pl.Int64})
    # The numeric tests first, then the text ones (modifiers, descriptions, fee type, setting) on the few lines
    # left: they are row by row, and their regexes over every line cost more than the rest of the check.
    below = (
        ctx.frame.lazy()
        .filter(eligible & _rated(ctx, edit) & (pl.col("price") < ratio * pl.col("cs_rate")))
        .collect(engine="in-memory")
    )
    out = below.filter(_same_service(edit, below))
    if out.height and edit.params.get("_surgical") is not None:
        # A file that prices surgery by room time is known from all its descriptions, not the lines left.
        timed = pl.col("_scope").is_in(_timed_scopes(edit, ctx.frame).implode())
        out = out.filter(~(_selected(edit, "_surgical") & timed))
    share = (pl.col("price") / pl.col("cs_rate") * 100).round(0).cast(pl.Int64).cast(pl.String)
    return out.select(
        "_rid",
        v_price=price_lines.dollars(pl.col("price")),
        v_rate=price_lines.dollars(pl.col("cs_rate")),
        v_share=share,
        # What the line falls short by, not the whole rate: a $500 charge on a $511.59 rate is $11.59 short.
        **{
            STAKE: (ratio * pl.col("cs_rate") - pl.col("price")).round(2),
            STAKE_BASIS: pl.lit(_shortfall(ratio)),
        },
        expected=pl.lit("a charge at or above the OPPS payment rate (")
        + price_lines.dollars(pl.col("cs_rate"))
        + pl.lit(")"),
    )


def _shortfall(ratio: float) -> str:
    """What a finding's stake is: the charge's shortfall under the rate (times the ratio when it is not 1)."""
    return "shortfall under the OPPS rate" if ratio == 1 else f"shortfall under {ratio:g}x the OPPS rate"
