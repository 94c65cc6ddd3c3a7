"""code-valid-in-quarter: a code is deleted, invalid, or unknown to OPPS in the audit quarter.

Params: `statuses` (list of deleted / invalid / unknown_to_opps), optional `when` selector.
The frame carries the quarter's classification (columns `cs_status`, `cs_last_seen`, `cs_first_seen`).
A code no Addendum B quarter held lists is explained from what else is known: the packaged table of CPT
deletions before 2019 (date and successors), the imported HCPCS Level II file's termination date, or a
series no code lies in; otherwise the message says the tool cannot tell deleted from never a code. A deleted code
in a family CPT (or CMS) replaced by a new range (cpt_family_replacements.csv) names the range to bill instead.
"""

from __future__ import annotations

import re

import polars as pl

from auditor.codeset.deletions import cpt_deletions, family_replacements, level2_terminations, successors
from auditor.codeset.table import LEVEL2_SERIES
from auditor.engine.lists import CatalogError, resolve_selector

KINDS = ("code-valid-in-quarter",)
_STATUSES = {"deleted", "invalid", "unknown_to_opps"}
# Shapes no CPT or HCPCS code has ever taken: 00000-00099 and 02000-09999 (anesthesia is 00100-01999), and
# Level II letters CMS never assigned (F, I, N, O).
_EMPTY_CPT = r"^0(?:00\d{2}|[2-9]\d{3})$"
_EMPTY_LEVEL2 = rf"^[{''.join(c for c in 'ABCDEFGHIJKLMNOPQRSTUV' if c not in LEVEL2_SERIES)}]\d{{4}}$"
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
    cpt = cpt.select(
        "code",
        x_detail=pl.when(pl.col("deleted_on").is_not_null())
        .then(pl.lit("CPT deleted it on ") + pl.col("deleted_on"))
        .otherwise(pl.lit("CPT deleted it before 2019"))
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


def _replaced_by() -> tuple[pl.Expr, pl.Expr]:
    """(detail, expected) for a code in a family CPT replaced by a new range (null elsewhere): what to bill now."""
    detail, expected = pl.lit(None, pl.String), pl.lit(None, pl.String)
    code = pl.col("code")
    for r in family_replacements().iter_rows(named=True):
        # A range's ends share one shape (37220, C5271, 0266T): among codes of that shape text order is code order,
        # and a code of another shape inside the text range (0267U, a lab code, between 0266T and 0273T) is not in it.
        shape = "^" + re.sub(r"\d", lambda _: r"\d", r["first"]) + "$"
        inside = code.str.contains(shape) & code.is_between(pl.lit(r["first"]), pl.lit(r["last"]))
        said = (
            f"; {r['by']} replaced {r['first']}-{r['last']} on {r['replaced_on']}: {r['territory']} codes "
            f"{r['replacement']}"
        )
        if r["each_pattern"]:
            # Each old code has one successor (C5273 -> 15273), named for the line's own code: whole texts looked up
            # per code (a text built from the code column inside this when-chain trips a polars 2.1 panic).
            each = successors(r)
            said_own = {old: f"{said} (for {old}: {new})" for old, new in each.items()}
            wanted = {old: f"a current {r['territory']} code ({new})" for old, new in each.items()}
            then_said = code.replace_strict(said_own, default=None, return_dtype=pl.String)
            then_wanted = code.replace_strict(wanted, default=None, return_dtype=pl.String)
        else:
            then_said = pl.lit(said)
            then_wanted = pl.lit(f"a current {r['territory']} code ({r['replacement']})")
        detail = pl.when(inside).then(then_said).otherwise(detail)
        expected = pl.when(inside).then(then_wanted).otherwise(expected)
    return detail, expected


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
    replaced, instead = _replaced_by()
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
