"""Turn an encoder pairing table into scoped rows the edits can check (scope = one procedure's links)."""

from __future__ import annotations

import polars as pl

from auditor.ingest.reader import CANONICAL, SCHEMA


def pairing_rows(table: pl.DataFrame) -> pl.DataFrame:
    """One row per procedure (its first table row) plus one per link, in the chargemaster schema, with `_scope`."""
    if table.height == 0:
        return pl.DataFrame(schema=SCHEMA | {"_scope": pl.String, "link_role": pl.String})
    scope = pl.concat_str([pl.col("file"), pl.lit("|"), pl.col("procedure_code").fill_null("(no procedure)")])
    base = table.with_columns(_scope=scope)
    procedures = (
        base.filter(pl.col("procedure_code").is_not_null())
        .sort("row")
        .group_by("_scope", maintain_order=True)
        .agg(
            pl.col(
                "file", "sheet", "row", "procedure_code", "procedure_description", "procedure_charge_code"
            ).first()
        )
        .select(
            "file",
            "sheet",
            "row",
            "_scope",
            code=pl.col("procedure_code"),
            description=pl.col("procedure_description"),
            charge_code=pl.col("procedure_charge_code"),
            link_role=pl.lit("procedure"),
        )
    )
    # A wide table's row links several codes ('C1820,C1778' from its Device 1, Device 2 columns): one link each,
    # on the same table row. Its one description or charge code names a link only when the row has one.
    codes = pl.col("linked_code").str.split(",")
    single = codes.list.len() == 1
    links = (
        base.filter(pl.col("linked_code").is_not_null())
        .select(
            "file",
            "sheet",
            "row",
            "_scope",
            code=codes,
            description=pl.when(single).then(pl.col("linked_description")),
            charge_code=pl.when(single).then(pl.col("linked_charge_code")),
            link_role=pl.lit("link"),
        )
        .explode("code")
    )
    both = pl.concat([procedures, links], how="vertical").sort(
        "file", "sheet", "row", "link_role", descending=[False, False, False, True]
    )
    missing = [c for c in CANONICAL if c not in both.columns]
    both = both.with_columns([pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in missing])
    return both.select([*CANONICAL, "_scope", "link_role"])
