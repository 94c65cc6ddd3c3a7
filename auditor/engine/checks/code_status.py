"""code-valid-in-quarter: a code is deleted, invalid, or unknown to OPPS in the audit quarter.

Params: `statuses` (list of deleted / invalid / unknown_to_opps), optional `when` selector.
The frame carries the quarter's classification (columns `cs_status`, `cs_last_seen`, `cs_first_seen`).
A code no Addendum B quarter held lists is explained from what else is known: the packaged table of CPT
deletions before 2019 (date and successors), the imported HCPCS Level II file's termination date, or a
series no code lies in; otherwise the message says the tool cannot tell deleted from never a code. A deleted code
in a family CPT (or CMS) replaced by a new range (cpt_family_replacements.csv) names the range to bill instead.
"""

from __future__ import annotations

import functools

import polars as pl

from auditor.codeset.deletions import (
    codes_between,
    cpt_deletions,
    family_replacements,
    level2_terminations,
    successors,
)
from auditor.codeset.table import LEVEL2_SERIES
from auditor.engine.lists import CatalogError, resolve_selector

KINDS = ("code-valid-in-quarter",)
_STATUSES = {"deleted", "invalid", "unknown_to_opps"}
# Shapes no CPT or HCPCS code has ever taken: 00000-00099 and 02000-09999 (anesthesia is 00100-01999), and
# Level II letters CMS never assigned (F, I, N, O).
_EMPTY_CPT = r"^0(?:00[0-9]{2}|[2-9][0-9]{3})$"
_EMPTY_LEVEL2 = rf"^[{''.join(c for c in 'ABCDEFGHIJKLMNOPQRSTUV' if c not in LEVEL2_SERIES)}][0-9]{{4}}$"
UNKNOWN = (
    "not listed by any Addendum B quarter the tool holds (2019 onward): deleted before 2019 or never a code; "
    "the tool cannot tell which"
)


def prepare(edit, lists) -> None:
    """Check the statuses and resolve the optional selector."""
    statuses = set(edit.params.get("statuses", []))
    if not statuses or statuses - _STATUSES:
        raise CatalogError(f"statuses must be among {sorted(_STATUSES)}")
    edit.params["_when"] = resolve_selector(edit.params.get("when"), lists)


def _known_history(quarter: str) -> pl.LazyFrame:
    """code -> (x_detail, x_expected) for codes deleted before the quarters held, from the table and HCPCS file."""
    cpt = cpt_deletions().lazy()
    successors = pl.col("successors").str.replace_all(r"\|", ", ")
    # A HCPCS Level II code (a letter and four digits) is CMS's to retire, a CPT code the AMA's.
    who = (
        pl.when(pl.col("code").str.contains(r"^[A-Z]"))
        .then(pl.lit("CMS retired it"))
        .otherwise(pl.lit("CPT deleted it"))
    )
    cpt = cpt.select(
        "code",
        x_detail=pl.when(pl.col("deleted_on").is_not_null())
        .then(who + pl.lit(" on ") + pl.col("deleted_on"))
        .otherwise(who + pl.lit(" before 2019"))
        + pl.when(successors.is_not_null())
        .then(pl.lit("; successor codes: ") + successors)
        .otherwise(pl.lit("")),
        x_expected=pl.when(successors.is_not_null())
        .then(pl.lit("a current code (successors: ") + successors + pl.lit(")"))
        .otherwise(None),
    )
    hcpcs = level2_terminations(quarter).lazy()
    xref = pl.col("xref").str.replace_all(r"\|", ", ")
    hcpcs = hcpcs.select(
        "code",
        x_detail=pl.lit("deleted: the HCPCS Level II file (")
        + pl.col("hcpcs_quarter")
        + pl.lit(") gives its termination date ")
        + pl.col("termination_date")
        + pl.when(xref.is_not_null()).then(pl.lit("; cross-reference: ") + xref).otherwise(pl.lit("")),
        x_expected=pl.when(xref.is_not_null())
        .then(pl.lit("a current code (cross-reference: ") + xref + pl.lit(")"))
        .otherwise(None),
    )
    # The imported HCPCS file is the more current word on a Level II code.
    return pl.concat([hcpcs, cpt]).unique("code", keep="first", maintain_order=True)


@functools.lru_cache(maxsize=1)
def _replacements() -> pl.DataFrame:
    """Each code of a family CPT (or CMS) replaced by a new range -> the words its message adds and what to bill
    now (x_replaced, x_instead): the ranges' few codes spelled out once, joined to the flagged lines."""
    rows = []
    for r in family_replacements().iter_rows(named=True):
        said = (
            f"; {r['by']} replaced {r['first']}-{r['last']} on {r['replaced_on']}: {r['territory']} codes "
            f"{r['replacement']}"
        )
        # Each old code has one successor where the table says how to name it (C5273 -> 15273).
        each = successors(r) if r["each_pattern"] else dict.fromkeys(codes_between(r["first"], r["last"]))
        for old, new in each.items():
            rows.append(
                (
                    old,
                    f"{said} (for {old}: {new})" if new else said,
                    f"a current {r['territory']} code ({new or r['replacement']})",
                )
            )
    return pl.DataFrame(
        rows, schema={"code": pl.String, "x_replaced": pl.String, "x_instead": pl.String}, orient="row"
    )


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose code has one of the statuses in the audit quarter."""
    cond = eligible & pl.col("cs_status").is_in(list(edit.params["statuses"])).fill_null(False)
    if edit.params["_when"] is not None:
        cond = cond & edit.params["_when"].expr()
    hits = ctx.frame.lazy().filter(cond)
    quarter = ctx.quarter_expr()
    if "invalid" in edit.params["statuses"]:
        # What is known of a code depends on the quarter (a termination counts from its date on): per quarter.
        known = pl.concat([_known_history(q).with_columns(_kq=pl.lit(q)) for q in ctx.quarters()])
        hits = (
            hits.with_columns(_kq=quarter)
            .join(known, on=["code", "_kq"], how="left", maintain_order="left")
            .drop("_kq")
        )
    else:
        hits = hits.with_columns(x_detail=pl.lit(None, pl.String), x_expected=pl.lit(None, pl.String))
    status, code = pl.col("cs_status"), pl.col("code")
    not_yet = pl.col("cs_first_seen").is_not_null() & (pl.col("cs_first_seen") > quarter)
    never = code.str.contains(_EMPTY_CPT) | code.str.contains(_EMPTY_LEVEL2)
    # What to bill now for a code of a replaced family: a join (the flagged lines are few), not a when-chain over
    # the ranges (a text built from the code column there made polars 2.1 panic on runs of several quarters).
    hits = hits.join(_replacements().lazy(), on="code", how="left", maintain_order="left")
    replaced, instead = pl.col("x_replaced"), pl.col("x_instead")
    # A code not yet effective gets its start quarter in the message instead of a last-seen one.
    return hits.select(
        "_rid",
        v_last_seen=pl.col("cs_last_seen").fill_null("never"),
        v_first_seen=pl.col("cs_first_seen").fill_null("never"),
        v_detail=pl.when(status == "deleted")
        .then(
            pl.lit("CMS last listed it in ")
            + pl.col("cs_last_seen").fill_null("an earlier quarter")
            + replaced.fill_null("")
        )
        .when(not_yet)
        .then(pl.lit("it only takes effect in ") + pl.col("cs_first_seen"))
        .when(status == "unknown_to_opps")
        .then(pl.lit("its HCPCS series is not used by Medicare"))
        .when(pl.col("x_detail").is_not_null())
        .then(pl.col("x_detail"))
        .when(never)
        .then(pl.lit("no CPT or HCPCS code has this shape (an unused series): never a code"))
        .otherwise(pl.lit(UNKNOWN)),
        expected=pl.when((status == "deleted") & instead.is_not_null())
        .then(instead)
        .when(status == "deleted")
        .then(pl.lit("a code valid for ") + quarter + pl.lit(" dates of service"))
        .when(pl.col("cs_first_seen").is_not_null())
        .then(
            pl.lit("a code in effect in ")
            + quarter
            + pl.lit(" (this one starts ")
            + pl.col("cs_first_seen")
            + pl.lit(")")
        )
        .when(pl.col("x_expected").is_not_null())
        .then(pl.col("x_expected"))
        .otherwise(pl.lit("a CPT/HCPCS code listed in CMS Addendum B for ") + quarter),
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
