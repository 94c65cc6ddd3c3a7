"""Turn an encoder pairing table into scoped rows the edits can check (scope = one procedure's links)."""

from __future__ import annotations

import polars as pl

from auditor.ingest.reader import CANONICAL, SCHEMA


def with_chargemaster_codes(
    table: pl.DataFrame, chargemaster: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The table with the procedure and linked codes the chargemaster gives its charge numbers (where the table
    has no code of its own), and apart, its rows naming a charge number the chargemaster does not list
    (file, sheet, row, reason): with no code there is nothing to check, and a procedure left without its
    links would be flagged for lacking them.

    A charge number the chargemaster lists under several codes takes its first line's code.
    """
    codes = (
        chargemaster.filter(pl.col("charge_code").is_not_null() & pl.col("code").is_not_null())
        .group_by("charge_code", maintain_order=True)
        .agg(pl.col("code").first())
    )
    unknown = pl.lit(None, dtype=pl.String)
    for side in ("procedure", "linked"):
        number, code, found = f"{side}_charge_code", f"{side}_code", f"_{side}_found"
        table = table.join(
            codes.rename({"charge_code": number, "code": found}), on=number, how="left", maintain_order="left"
        )
        lost = pl.col(code).is_null() & pl.col(number).is_not_null() & pl.col(found).is_null()
        said = pl.format(f"{side} charge number '{{}}' is not in the chargemaster: no code to check", number)
        unknown = pl.when(unknown.is_null() & lost).then(said).otherwise(unknown)
        table = table.with_columns(pl.coalesce(code, found).alias(code))
    table = table.with_columns(_unknown=unknown).drop("_procedure_found", "_linked_found")
    skipped = table.filter(pl.col("_unknown").is_not_null()).select("file", "sheet", "row", reason="_unknown")
    return table.filter(pl.col("_unknown").is_null()).drop("_unknown"), skipped


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
    # on the same table row. Its one description or charge code names a link only when the row has one: the
    # links of a row of several are 'row-link's, whose missing description is none to judge. Codes a cell lists
    # as alternatives ('C1767 or C1820', read 'C1767|C1820') are one item: each keeps the row's description.
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
            link_role=pl.when(single).then(pl.lit("link")).otherwise(pl.lit("row-link")),
        )
        .explode("code")
        .with_columns(pl.col("code").str.split("|"))
        .explode("code")
    )
    both = pl.concat([procedures, links], how="vertical").sort(
        "file", "sheet", "row", "link_role", descending=[False, False, False, True]
    )
    missing = [c for c in CANONICAL if c not in both.columns]
    both = both.with_columns([pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in missing])
    return both.select([*CANONICAL, "_scope", "link_role"])
