"""Denial and pend rates by state, participant, service, CARC/RARC, code and month, and the patterns behind them."""

from __future__ import annotations

import polars as pl

from auditor.claims.wiser import WiserScope
from auditor.denials import codes
from auditor.denials.settle import denied_line

PENDED = ("pended",)
NON_AFFIRMED = ("non-affirmed",)
# participant_category: a participant denies at least this share of a service's claims (and at least two
# claims) while the other participants together deny at most OTHERS_AT_MOST of theirs.
DENIES_AT_LEAST, OTHERS_AT_MOST, MIN_CLAIMS = 0.5, 0.2, 2


def line_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """Joined standing lines with `denied`, `pended` and the claim's month (of the determination)."""
    status = pl.col("claim_status").fill_null("")
    return lines.filter(pl.col("joined")).with_columns(
        denied=denied_line(lines) & ~status.is_in(PENDED),
        pended=status.is_in(PENDED),
        non_affirmed=status.is_in(NON_AFFIRMED),
        month=pl.coalesce(pl.col("paid_date"), pl.col("dos")).dt.strftime("%Y-%m"),
    )


def claim_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per joined claim (its claim key: two claims may share an id): whether any line was denied or
    pended, its WISeR service, what predicted it, and the payer that denied it (else its first payer)."""
    return (
        lines.sort("claim_id", "claim_key", "line_ordinal", maintain_order=True)
        .group_by("claim_key", maintain_order=True)
        .agg(
            pl.col("claim_id").first(),
            pl.col("claim_file").first(),
            pl.col("state").first(),
            pl.col("participant").first(),
            # A secondary's payment stands beside the primary's denial: the appeal goes to who denied.
            pl.col("payer").sort_by(~pl.col("denied"), maintain_order=True).first(),
            pl.col("payer_key").sort_by(~pl.col("denied"), maintain_order=True).first(),
            pl.col("utn").first(),
            pl.col("month").min(),
            pl.col("service").drop_nulls().first(),
            # The service itself denied (its first WISeR line), not only an add-on beside it.
            pl.col("denied")
            .filter(pl.col("service").is_not_null())
            .first()
            .fill_null(False)
            .alias("service_denied"),
            pl.col("denied").any(),
            pl.col("pended").any(),
            pl.col("non_affirmed").any(),
            pl.col("predicted_by").first(),
            pl.coalesce(pl.col("paid_date").filter(pl.col("denied")).min(), pl.col("paid_date").min()).alias(
                "determined"
            ),
            pl.col("dos").min().alias("dos_first"),
            pl.col("carcs")
            .filter(pl.col("denied"))
            .str.split(",")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .alias("denial_carcs"),
        )
        .with_columns(
            service=pl.col("service").fill_null("not WISeR"),
            state=pl.col("state").fill_null("unknown"),
            participant=pl.col("participant").fill_null("not a WISeR state"),
        )
    )


def rates(claims: pl.DataFrame, key: str) -> list[dict]:
    """Claims, denied, pended and their rates per value of `key`, most denied first."""
    out = (
        claims.group_by(key)
        .agg(
            claims=pl.len(),
            denied=pl.col("denied").sum(),
            pended=pl.col("pended").sum(),
            predicted=(pl.col("denied") & pl.col("predicted_by").is_not_null()).sum(),
        )
        .with_columns(
            denial_rate=(pl.col("denied") / pl.col("claims")).round(3),
            pend_rate=(pl.col("pended") / pl.col("claims")).round(3),
        )
        .sort(["denied", "claims", key], descending=[True, True, False])
        .rename({key: "key"})
    )
    return out.to_dicts()


def code_rates(lines: pl.DataFrame, column: str, kind: str) -> list[dict]:
    """Denied lines and claims per CARC or RARC, with our label ('unknown code' for codes we do not carry)."""
    denied = lines.filter(pl.col("denied") | pl.col("pended")).with_columns(
        _code=pl.col(column).fill_null("").str.split(",")
    )
    exploded = (
        denied.explode("_code").with_columns(pl.col("_code").str.strip_chars()).filter(pl.col("_code") != "")
    )
    if kind == "carc":  # contractual and patient-share adjustments beside a denial are not reasons
        exploded = exploded.filter(pl.col("_code").map_elements(codes.is_denial, return_dtype=pl.Boolean))
    out = (
        exploded.group_by("_code")
        .agg(lines=pl.len(), claims=pl.col("claim_key").n_unique())
        .sort(["claims", "lines", "_code"], descending=[True, True, False])
    )
    return [
        {
            "key": r["_code"],
            "label": codes.label(r["_code"], kind),
            "lines": r["lines"],
            "claims": r["claims"],
        }
        for r in out.to_dicts()
    ]


def line_code_rates(lines: pl.DataFrame) -> list[dict]:
    """Lines and denied lines per billed code."""
    return (
        lines.filter(pl.col("code").is_not_null())
        .group_by("code")
        .agg(lines=pl.len(), denied=pl.col("denied").sum())
        .with_columns(denial_rate=(pl.col("denied") / pl.col("lines")).round(3))
        .sort(["denied", "lines", "code"], descending=[True, True, False])
        .rename({"code": "key"})
        .to_dicts()
    )


def participant_patterns(claims: pl.DataFrame) -> list[dict]:
    """A participant that denies a service's claims while the other participants pass them (the service's own
    line denied; an add-on denied beside a paid primary is the other pattern)."""
    wiser = claims.filter(pl.col("service") != "not WISeR", pl.col("participant") != "not a WISeR state")
    out = []
    for (service,), group in wiser.group_by("service", maintain_order=True):
        for (participant,), mine in group.group_by("participant", maintain_order=True):
            others = group.filter(pl.col("participant") != participant)
            n, d = mine.height, int(mine.get_column("service_denied").sum())
            on, od = others.height, int(others.get_column("service_denied").sum())
            if n >= MIN_CLAIMS and d >= MIN_CLAIMS and d / n >= DENIES_AT_LEAST and on >= MIN_CLAIMS:
                if od / on <= OTHERS_AT_MOST:
                    out.append(
                        {
                            "kind": "participant_category",
                            "title": f"{participant} denies {service} claims the other participants pass",
                            "detail": f"{d} of {n} denied ({participant}); {od} of {on} elsewhere",
                            "service": service,
                            "participant": participant,
                            "state": mine.get_column("state").first(),
                            "claims": sorted(mine.filter("service_denied").get_column("claim_id").to_list()),
                        }
                    )
    return sorted(out, key=lambda p: (p["service"], p["participant"]))


def addon_patterns(lines: pl.DataFrame) -> list[dict]:
    """Claims with a UTN where a WISeR line was paid and another WISeR line of the claim was denied: the add-on
    or secondary code that was not on the authorization (CGS tips, wiser-research 4)."""
    wiser = lines.filter(pl.col("service").is_not_null(), pl.col("utn").is_not_null())
    per = wiser.group_by("claim_key").agg(
        pl.col("claim_id").first(),
        paid_codes=pl.col("code").filter(pl.col("paid").fill_null(0) > 0).unique().sort(),
        denied_codes=pl.col("code").filter(pl.col("denied")).unique().sort(),
    )
    hits = per.filter(pl.col("paid_codes").list.len() > 0, pl.col("denied_codes").list.len() > 0).sort(
        "claim_id", "claim_key"
    )
    if hits.is_empty():
        return []
    return [
        {
            "kind": "addon_under_affirmed_primary",
            "title": "Add-on or secondary code denied while the authorized primary was paid",
            "detail": "; ".join(
                f"{r['claim_id']}: {', '.join(r['paid_codes'])} paid, {', '.join(r['denied_codes'])} denied"
                for r in hits.to_dicts()
            ),
            "claims": hits.get_column("claim_id").to_list(),
            "codes": sorted(set().union(*hits.get_column("denied_codes").to_list())),
        }
    ]


def recurrence_patterns(claims: pl.DataFrame, fixes: dict) -> list[dict]:
    """Denials for a reason marked fixed, on claims with a date of service after the fix: an edit code
    (WS001: the readiness finding predicted the denial) or a CARC ("CARC-197")."""
    out = []
    for reason, fixed_on in sorted(fixes.items()):
        carc = reason.upper().removeprefix("CARC-") if reason.upper().startswith("CARC-") else None
        hit = (
            pl.col("denial_carcs").list.contains(carc)
            if carc
            else pl.col("predicted_by").fill_null("").str.split(",").list.contains(reason.upper())
        )
        again = claims.filter(pl.col("denied") & hit & (pl.col("dos_first") > fixed_on)).sort(
            "claim_id", "claim_key"
        )
        if again.height:
            out.append(
                {
                    "kind": "recurring_after_fix",
                    "title": f"{reason} denials recur after it was marked fixed on {fixed_on.isoformat()}",
                    "detail": f"{again.height} claim(s) with a date of service after the fix denied for it",
                    "reason": reason,
                    "fixed_on": fixed_on.isoformat(),
                    "claims": again.get_column("claim_id").to_list(),
                }
            )
    return out


def analyse(lines: pl.DataFrame, scope: WiserScope, fixes: dict | None = None) -> dict:
    """The denial analytics of joined lines: totals, rates by dimension, patterns."""
    del scope  # the service of each line is already on it; kept for dimensions added later
    flagged = line_frame(lines)
    claims = claim_frame(flagged)
    denied = claims.filter("denied")
    return {
        "totals": {
            "claims": claims.height,
            "lines": flagged.height,
            "denied_claims": denied.height,
            "denied_lines": int(flagged.get_column("denied").sum()),
            "pended_claims": int(claims.get_column("pended").sum()),
            "predicted_denials": denied.filter(pl.col("predicted_by").is_not_null()).height,
            "unpredicted_denials": denied.filter(pl.col("predicted_by").is_null()).height,
        },
        "rates": {
            "state": rates(claims, "state"),
            "participant": rates(claims, "participant"),
            "service": rates(claims, "service"),
            "month": sorted(rates(claims, "month"), key=lambda r: r["key"] or ""),
            "carc": code_rates(flagged, "carcs", "carc"),
            "rarc": code_rates(flagged, "rarcs", "rarc"),
            "code": line_code_rates(flagged),
        },
        "patterns": participant_patterns(claims)
        + addon_patterns(flagged)
        + recurrence_patterns(claims, fixes or {}),
        "_claims": claims,
        "_lines": flagged,
    }
