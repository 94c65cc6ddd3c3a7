"""Join standing remittance lines to the claims the tool audited: by claim id and line, else code and date."""

from __future__ import annotations

from dataclasses import field

import polars as pl

from auditor.claims.result import ClaimsResult
from auditor.claims.wiser import WiserScope
from auditor.lean_dataclass import dataclass

# Claim-side columns a joined remittance line carries (null when the line could not be joined).
CLAIM_COLUMNS = ("claim_file", "state", "participant", "payer_class", "utn", "readiness", "service")


@dataclass
class Joined:
    """Remittance lines with their claim, what could not be joined and why, and what the claims predicted."""

    # standing remit lines + CLAIM_COLUMNS + claim_key (the claim's identity) + joined, claim_line, predicted, predicted_by (edits blocking the
    # claim) and line_predicted_by (edits whose blocking finding sits on this very line)
    lines: pl.DataFrame
    unjoined: list[dict] = field(default_factory=list)  # {file, row, claim_id, line, code, reason}


def _claim_table(result: ClaimsResult) -> pl.DataFrame:
    """One row per audited claim id: where it came from and its WISeR facts (ids used twice are flagged)."""
    claims = result.claims.select(
        "claim_id",
        pl.col("file").alias("claim_file"),
        "state",
        "participant",
        "payer_class",
        "utn",
        "readiness",
        "dos_from",
        "dos_to",
    )
    return claims.with_columns(_files=pl.len().over("claim_id"))


def claim_key() -> pl.Expr:
    """A claim's own identity: its claims file and claim id (two files may reuse an id); null when unpicked."""
    joined = pl.concat_str([pl.col("claim_file"), pl.col("claim_id").fill_null("")], separator="\x1f")
    return pl.when(pl.col("claim_file").is_not_null()).then(joined).alias("claim_key")


def with_claim_keys(remit: pl.DataFrame, result: ClaimsResult) -> pl.DataFrame:
    """The remittance rows with the key of the claim each answers (as join picks it), to settle per claim."""
    plain = remit.drop("claim_key", strict=False)
    picked = _pick_claim(plain.with_row_index("_r"), _claim_table(result))
    return picked.sort("_r").select(*plain.columns, claim_key())


def _line_keys(claim_lines: pl.DataFrame) -> pl.DataFrame:
    """Claim lines reduced to what a remittance can be matched on."""
    return claim_lines.select("claim_id", "line", "code", "dos", pl.col("file").alias("claim_file"))


def join(remit: pl.DataFrame, result: ClaimsResult, claim_lines: pl.DataFrame, scope: WiserScope) -> Joined:
    """Join each standing remittance line to its claim and claim line; list what could not be joined."""
    claims = _claim_table(result)
    plain = remit.drop("claim_key", strict=False)  # recomputed below from this very pick
    with_claim = _pick_claim(plain.with_row_index("_r"), claims).with_columns(
        service=pl.col("code").replace_strict(scope.code_service, default=None, return_dtype=pl.String)
    )
    lines = _line_keys(claim_lines)
    # Keyed by claim file too: two claims files may reuse a claim id, and _pick_claim chose one.
    by_line = lines.filter(pl.col("line").is_not_null()).unique(
        ["claim_file", "claim_id", "line"], keep="first"
    )
    matched = with_claim.join(
        by_line.select(
            "claim_file",
            "claim_id",
            "line",
            pl.col("code").alias("_claim_code"),
            pl.lit(True).alias("_found"),
        ),
        on=["claim_file", "claim_id", "line"],
        how="left",
    )
    by_code = (
        lines.filter(pl.col("code").is_not_null())
        .group_by("claim_file", "claim_id", "code")
        .agg(pl.col("line").first().alias("_line_by_code"))
    )
    matched = matched.join(by_code, on=["claim_file", "claim_id", "code"], how="left")
    found = pl.col("_found").fill_null(False)
    differs = (
        pl.col("_claim_code").is_not_null()
        & pl.col("code").is_not_null()
        & (pl.col("_claim_code") != pl.col("code"))
    )
    reason = (
        pl.when(pl.col("_files").is_null())
        .then(pl.lit("claim id not in the claims given"))
        .when(pl.col("_files") > 1)
        .then(
            pl.lit("claim id used by more than one claim in the claims given, none or several on this date")
        )
        .when(pl.col("line_ordinal") == 0)
        .then(None)  # a claim-level adjudication joins to the claim, not to a line
        .when(found & differs)
        .then(
            pl.concat_str(
                pl.lit("the claim's line "), pl.col("line"), pl.lit(" bills "), pl.col("_claim_code")
            )
        )
        .when(found | pl.col("_line_by_code").is_not_null())
        .then(None)
        .when(pl.col("code").is_null())
        .then(pl.lit("line not on the claim"))
        .otherwise(pl.lit("code not on the claim"))
    )
    matched = matched.with_columns(
        unjoined=reason,
        claim_line=pl.when(found).then(pl.col("line")).otherwise(pl.col("_line_by_code")),
    )
    predicted = _predictions(result)
    on_line = (
        result.findings.filter(pl.col("blocks") & ~pl.col("waived") & pl.col("line").is_not_null())
        .group_by("file", "claim_id", "line")
        .agg(line_predicted_by=pl.col("edit").unique().sort())
        .with_columns(pl.col("line_predicted_by").list.join(","))
        .rename({"line": "claim_line", "file": "claim_file"})
    )
    matched = matched.join(on_line, on=["claim_file", "claim_id", "claim_line"], how="left")
    matched = matched.join(predicted, on=["claim_file", "claim_id"], how="left").with_columns(
        joined=pl.col("unjoined").is_null(),
        predicted=pl.col("predicted_by").is_not_null(),
    )
    unjoined = (
        matched.filter(pl.col("unjoined").is_not_null())
        .select("file", "row", "claim_id", "line", "code", pl.col("unjoined").alias("reason"))
        .to_dicts()
    )
    matched = matched.with_columns(claim_key())
    return Joined(matched.sort("_r").drop("_r", "_claim_code", "_found", "_line_by_code", "_files"), unjoined)


def _pick_claim(remit: pl.DataFrame, claims: pl.DataFrame) -> pl.DataFrame:
    """Each remittance row with its claim: the only claim with that id, or among claims sharing the id (two
    claim files reuse it) the one whose service dates hold the remitted date; `_files` > 1 when none or
    several do."""
    pairs = remit.join(claims, on="claim_id", how="left")
    fits = (pl.col("_files") == 1) | (
        pl.col("dos").is_not_null() & pl.col("dos").is_between(pl.col("dos_from"), pl.col("dos_to"))
    )
    pairs = pairs.with_columns(_fits=fits.fill_null(False))
    pairs = pairs.with_columns(_n=pl.col("_fits").sum().over("_r"))
    chosen = pairs.filter(pl.col("_fits") & (pl.col("_n") == 1)).with_columns(pl.lit(1).alias("_files"))
    rest = pairs.filter(~pl.col("_r").is_in(chosen.get_column("_r").implode())).unique("_r", keep="first")
    blank = {c: None for c in ("claim_file", "state", "participant", "payer_class", "utn", "readiness")}
    rest = rest.with_columns(**{c: pl.lit(v, dtype=pl.String) for c, v in blank.items()})
    return pl.concat([chosen, rest], how="vertical_relaxed").drop("_fits", "_n", "dos_from", "dos_to")


def _predictions(result: ClaimsResult) -> pl.DataFrame:
    """Per claim: the edits whose unwaived blocking findings said it would not auto-approve, comma-joined."""
    live = result.findings.filter(pl.col("blocks") & ~pl.col("waived"))
    return (
        live.group_by(pl.col("file").alias("claim_file"), "claim_id")
        .agg(
            predicted_by=pl.col("edit").unique().sort(),
            predicted_messages=pl.col("message").unique(maintain_order=True),
        )
        .with_columns(pl.col("predicted_by").list.join(","))
    )
