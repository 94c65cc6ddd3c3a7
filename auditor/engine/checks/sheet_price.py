"""sheet-priced-per-area: a per-sq-cm product line whose description names a sheet size and whose price is a sheet's.

Params: `when` (selector of products billed per sq cm), `factor` (number or "$config.<key>"; default 20):
a line is flagged when its price is at least `factor` times the reference per-sq-cm price while its price
divided by the area its description names is not (the sheet size explains the price). The reference is
the lower quartile of the other priced lines of the same code in the same file (most of a product's lines
are per sq cm, and a quartile is not pulled up by the sheet-priced ones); with no such line, the OPPS
payment rate of the code (per sq cm). `skip_description` (regex of lines left out).
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import price_lines
from auditor.engine.checks.companions import no_hits
from auditor.engine.lists import resolve_selector

KINDS = ("sheet-priced-per-area",)

_NUM = r"([0-9]+(?:\.[0-9]+)?)"
# "320SQCM", "37.5 SQ CM", "132SQ CM", "70 SQCM", "16 CM2", "21 SQ. CM": the area written out.
_AREA = rf"(?i){_NUM}\s*(?:SQ\.?\s*CM|SQUARE\s+CENTIMET\w*|CM2|CM²)"
# "4X4CM", "2X3IN", "10 X 15 CM", "7CMX4CM", '8X10"', "20X25MM", "16X20": width and length with units.
_DIMS = rf"(?i)(?:^|[^0-9.]){_NUM}\s*(CM|MM|IN|\"|'')?\s*X\s*{_NUM}\s*(CM|MM|IN|\"|'')?"
# Square centimetres per square unit; a size without a unit is read as cm (skin substitutes are sold in cm).
_SQ_CM = {"CM": 1.0, "MM": 0.01, "IN": 6.4516, '"': 6.4516, "''": 6.4516}


def prepare(edit, lists) -> None:
    """Resolve the product selector."""
    edit.params["_when"] = resolve_selector(edit.params["when"], lists)


def columns(edit) -> tuple[str, ...]:
    """The price cell, read against the size in the description."""
    return ("price", "description")


def area_sq_cm(description: pl.Expr) -> pl.Expr:
    """The sheet area a description names, in sq cm: the written area, else width x length; null when none."""
    written = description.str.extract(_AREA, 1).cast(pl.Float64, strict=False)
    unit = pl.coalesce(description.str.extract(_DIMS, 4), description.str.extract(_DIMS, 2))
    per_unit = unit.str.to_uppercase().replace_strict(_SQ_CM, default=1.0, return_dtype=pl.Float64)
    width = description.str.extract(_DIMS, 1).cast(pl.Float64, strict=False)
    length = description.str.extract(_DIMS, 3).cast(pl.Float64, strict=False)
    return pl.coalesce(written, width * length * per_unit)


def area_text(description: pl.Expr) -> pl.Expr:
    """The words the area was read from ("16X20", "320SQCM")."""
    dims = description.str.extract(
        rf"(?i)({_NUM[1:-1]}\s*(?:CM|MM|IN|\"|'')?\s*X\s*{_NUM[1:-1]}\s*(?:CM|MM|IN|\"|'')?)"
    )
    written = description.str.extract(rf"(?i)({_NUM[1:-1]}\s*(?:SQ\.?\s*CM|SQUARE\s+CENTIMET\w*|CM2|CM²))")
    return pl.coalesce(written, dims).str.strip_chars()


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Product lines priced at least `factor` times the reference per-sq-cm price, explained by their sheet size."""
    factor = float(price_lines.value(ctx, edit.params.get("factor", 20)))
    src = ctx.frame
    cond = edit.params["_when"].expr() & pl.col("price").is_not_null() & (pl.col("price") > 0)
    skip = edit.params.get("skip_description")
    if skip:
        cond = cond & ~pl.col("description").str.contains(skip).fill_null(False)
    rate = pl.col("cs_rate") if "cs_rate" in src.columns else pl.lit(None, dtype=pl.Float64)
    desc = pl.col("description").cast(pl.String).fill_null("")
    lines = (
        src.lazy()
        .filter(cond)
        .select(
            "_rid",
            "_scope",
            "code",
            "price",
            _rate=rate,
            _rq=ctx.quarter_expr(),
            _area=area_sq_cm(desc),
            _text=area_text(desc),
        )
        .collect(engine="in-memory")
    )
    if lines.height == 0:  # no priced product line: the rest would be a handful of queries over nothing
        return no_hits()
    lines = lines.lazy()  # the siblings, their quartile and the judging as one query
    pairs = lines.select("_rid", "_scope", "code").join(
        lines.select("_scope", "code", _other=pl.col("_rid"), _sib=pl.col("price")), on=["_scope", "code"]
    )
    siblings = (
        pairs.filter(pl.col("_rid") != pl.col("_other"))
        .group_by("_rid")
        .agg(_ref=pl.col("_sib").quantile(0.25, interpolation="lower"), _n=pl.len())
    )
    judged = lines.filter(pl.col("_area") >= 1).join(siblings, on="_rid", how="left")
    reference = pl.coalesce(pl.col("_ref"), pl.col("_rate"))
    per_cm = pl.col("price") / pl.col("_area")
    flagged = judged.filter(
        reference.is_not_null() & (pl.col("price") >= factor * reference) & (per_cm < factor * reference)
    )
    basis = (
        pl.when(pl.col("_ref").is_not_null())
        .then(
            pl.lit("per-sq-cm price of its ")
            + pl.col("_n").cast(pl.String)
            + pl.lit(" other line(s) (lower quartile)")
        )
        .otherwise(pl.lit("OPPS rate per sq cm (") + pl.col("_rq") + pl.lit(")"))
    )
    ref = price_lines.dollars(reference)
    return flagged.select(
        "_rid",
        v_price=price_lines.dollars(pl.col("price")),
        v_area=pl.col("_area").round(1).cast(pl.String),
        v_size=pl.col("_text"),
        v_per_sq_cm=price_lines.dollars(per_cm),
        v_times=(pl.col("price") / reference).round(0).cast(pl.Int64).cast(pl.String),
        v_basis=basis,
        v_reference=ref,
        expected=pl.lit("a per-sq-cm price near ") + ref + pl.lit(" (bill the sheet as its sq cm in units)"),
    ).collect(engine="in-memory")
