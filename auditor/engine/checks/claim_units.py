"""Units on claim lines: `max-units` per line, and `product-units-vs-area` (skin substitute sq cm).

max-units params: `when` (selector), `max` (number): a selected line billed with more units is flagged.
product-units-vs-area params: `products` (selector of per-sq-cm products), `applications` ({list, where}
of application codes with `size_band` and `role` columns), `band_sq_cm` ({size_band: sq cm per unit}),
`exclude_modifiers` (e.g. [JW]: wasted amounts are not applied area). In each claim and date, the application
lines imply an area range (a primary is one band whatever its units; each add-on unit adds one band); product
lines whose units add up outside that range are flagged.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.conditions import row_condition
from auditor.engine.lists import CatalogError, list_rows, resolve_selector
from auditor.ingest.normalize import unit_count

KINDS = ("max-units", "product-units-vs-area")


def prepare(edit, lists) -> None:
    """Resolve selectors and the application bands."""
    p = edit.params
    if edit.check == "max-units":
        if "max" not in p or "when" not in p:
            raise CatalogError("max-units needs when and max")
        p["_when"] = resolve_selector(p["when"], lists)
        return
    for key in ("products", "applications", "band_sq_cm"):
        if key not in p:
            raise CatalogError(f"product-units-vs-area needs {key}")
    p["_products"] = resolve_selector(p["products"], lists)
    rows = list_rows(p["applications"]["list"], p["applications"].get("where"), lists)
    bands = p["band_sq_cm"]
    for r in rows:
        if r["size_band"] not in bands:
            raise CatalogError(f"no band_sq_cm for size band {r['size_band']!r}")
    p["_apps"] = {r["code"].strip().upper(): (float(bands[r["size_band"]]), r["role"]) for r in rows}


def columns(edit) -> tuple[str, ...]:
    """The units cell."""
    return ("units",)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines whose units do not fit."""
    if edit.check == "max-units":
        p = edit.params
        units = unit_count("units")
        return (
            ctx.picked(p["_when"])
            .filter(eligible & (units > float(p["max"])))
            .select("_rid", v_units=pl.col("units"), v_max=pl.lit(str(p["max"])))
            .collect(engine="in-memory")
        )
    return _area(ctx, edit, eligible)


def _area(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Product units against the area range the application lines of the same claim and date imply."""
    p = edit.params
    apps = p["_apps"]
    frame = ctx.frame.lazy()
    # '100 SQ CM' is 100 units: read as no number, it counted as one and the area check passed it by.
    units = unit_count("units").fill_null(1.0)
    size = pl.col("code").replace_strict(
        {k: v[0] for k, v in apps.items()}, default=None, return_dtype=pl.Float64
    )
    role = pl.col("code").replace_strict(
        {k: v[1] for k, v in apps.items()}, default=None, return_dtype=pl.String
    )
    app_lines = frame.filter(size.is_not_null()).with_columns(_size=size, _role=role, _u=units)
    # Per band size: with a primary, n add-on units mean an applied area of size*n+1 .. size*(n+1).
    bands = (
        app_lines.group_by("_scope", "_size")
        .agg(
            _primary=(pl.col("_role") == "primary").any(),
            _addon=pl.col("_u").filter(pl.col("_role") == "add-on").sum(),
            _apps=pl.format("{} x{}", pl.col("code"), pl.col("_u").cast(pl.Int64)),
        )
        .with_columns(pl.col("_apps").list.join(" + "))
    )
    bands = bands.filter(pl.col("_primary")).with_columns(
        _min=pl.col("_size") * pl.col("_addon") + 1, _max=pl.col("_size") * (pl.col("_addon") + 1)
    )
    ranges = bands.group_by("_scope").agg(pl.col("_min").sum(), pl.col("_max").sum(), "_apps")
    ranges = ranges.with_columns(pl.col("_apps").list.join(" + "))
    waste = row_condition({"field": "modifiers", "has_any": list(p.get("exclude_modifiers") or [])})
    products = frame.filter(p["_products"].expr() & ~waste).with_columns(_u=units)
    used = products.group_by("_scope").agg(_used=pl.col("_u").sum())
    hits = (
        products.filter(eligible)
        .join(used, on="_scope")
        .join(ranges, on="_scope", how="inner")
        .filter((pl.col("_used") < pl.col("_min")) | (pl.col("_used") > pl.col("_max")))
    )
    return hits.select(
        "_rid",
        v_units=pl.col("_used").cast(pl.Int64).cast(pl.String),
        v_range=pl.format("{}-{}", pl.col("_min").cast(pl.Int64), pl.col("_max").cast(pl.Int64)),
        v_applications=pl.col("_apps"),
        expected=pl.format(
            "{}-{} sq cm of product (the application lines' area)",
            pl.col("_min").cast(pl.Int64),
            pl.col("_max").cast(pl.Int64),
        ),
    ).collect(engine="in-memory")
