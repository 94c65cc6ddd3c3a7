"""prior-auth: WISeR lines in scope need a UTN, a well-formed one, covering every WISeR code on the claim.

Params: `flag` is one of
- `missing`: an in-scope line on a claim with no UTN at all;
- `malformed`: an in-scope line whose UTN does not match `pattern` (regex);
- `not_covered`: an in-scope line without a UTN while another in-scope line of the claim has one, or with a
  UTN other than the one on the first line of its service (an add-on sent on another request);
- `multiple_services`: in-scope lines of a second WISeR service sharing one UTN with the first service.
Claim lines carry `wiser_in_scope`, `wiser_category`, `wiser_state`, `participant` and `utn` (claims only).
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError

KINDS = ("prior-auth",)
FLAGS = ("missing", "malformed", "not_covered", "multiple_services")


def prepare(edit, lists) -> None:
    """Check the flag (and the UTN pattern for `malformed`)."""
    p = edit.params
    if p.get("flag") not in FLAGS:
        raise CatalogError(f"prior-auth needs flag: one of {', '.join(FLAGS)}")
    if p["flag"] == "malformed" and not p.get("pattern"):
        raise CatalogError("prior-auth flag malformed needs pattern")


def columns(edit) -> tuple[str, ...]:
    """The UTN (prior authorization) cell."""
    return ("utn",)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """In-scope WISeR lines whose authorization is missing, malformed or does not cover them."""
    frame = ctx.frame
    if "wiser_in_scope" not in frame.columns:
        return pl.DataFrame(schema={"_rid": pl.Int64})
    p = edit.params
    claim = "claim_key"
    # The in-scope lines and whether their claim has a UTN, found once for the four prior-auth edits.
    scoped = ctx.memo(
        "wiser_lines",
        lambda: (
            frame.lazy()
            .filter(pl.col("wiser_in_scope").fill_null(False))
            .with_columns(_any=pl.col("utn").is_not_null().any().over(claim))
            .collect(engine="in-memory")
        ),
    )
    lines = scoped.lazy().with_columns(_ok=eligible)
    if p["flag"] == "missing":
        hits = lines.filter(~pl.col("_any"))
    elif p["flag"] == "malformed":
        hits = lines.filter(pl.col("utn").is_not_null() & ~pl.col("utn").str.contains(p["pattern"]))
    elif p["flag"] == "not_covered":
        first = pl.col("utn").sort_by("_rid").first().over(claim, "wiser_category")
        other_utn = pl.col("utn").is_not_null() & first.is_not_null() & (pl.col("utn") != first)
        hits = lines.filter((pl.col("_any") & pl.col("utn").is_null()) | other_utn)
    else:
        lead = pl.col("wiser_category").sort_by("_rid").first().over(claim, "utn")
        hits = lines.filter(pl.col("utn").is_not_null() & (pl.col("wiser_category") != lead))
    return (
        hits.filter(pl.col("_ok"))
        .select(
            "_rid",
            v_utn=pl.col("utn").fill_null("(none)"),
            v_length=pl.col("utn").str.len_chars().fill_null(0),
            v_service=pl.col("wiser_category"),
            v_state=pl.col("wiser_state").fill_null("?"),
            v_participant=pl.col("participant").fill_null("the participant"),
        )
        .collect(engine="in-memory")
    )
