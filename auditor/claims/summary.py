"""Readiness counts of a claims run: totals, tables by state, participant and service, categories, reasons."""

from __future__ import annotations

import polars as pl

from auditor.claims.result import ClaimsResult
from auditor.engine.categories import CLAIM_FLAGS, with_claim_flag

# Per-claim flags, in table column order; the category table says which categories raise each.
FLAGS = CLAIM_FLAGS
# Columns of every by_state / by_participant / by_service row, after `key` and `label`.
TABLE_COUNTS = ("claims", "in_scope", "ready", "needs_attention", "out_of_scope") + FLAGS
NO_VALUE = {
    "by_state": "(no state)",
    "by_participant": "(no WISeR participant)",
    "by_service": "(no WISeR service)",
}
NO_REASON = "(no reason given)"
# Claim columns the by-state / participant / service tables group and count.
TABLE_COLUMNS = ("claim_id", "state", "participant", "wiser_categories", "wiser_status", "readiness")


def meta_text(value) -> str:
    """A meta entry as one line: dicts as 'key value' pairs, lists joined, None as 'not recorded'."""
    if value is None or value == "":
        return "not recorded"
    if isinstance(value, dict):
        return "; ".join(
            f"{str(k).replace('_', ' ')} {meta_text(v)}" for k, v in value.items() if v not in (None, "")
        )
    if isinstance(value, (list, tuple)):
        return ", ".join(meta_text(v) for v in value)
    return str(value)


def live_findings(result: ClaimsResult) -> pl.DataFrame:
    """Findings that count: waived ones are shown in the reports but never counted."""
    return result.findings.filter(~pl.col("waived").fill_null(False))


def claim_flags(result: ClaimsResult, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The claims frame (only `columns` when given) plus one boolean column per flag in FLAGS."""
    cat = pl.col("category")
    flags = (
        live_findings(result)
        .group_by("claim_id")
        .agg(**{flag: cat.is_in(with_claim_flag(flag)).any() for flag in FLAGS})
    )
    # The tables read a handful of columns: joining only those keeps a run of millions of claims small.
    claims = result.claims if columns is None else result.claims.select(columns)
    return claims.join(flags, on="claim_id", how="left", maintain_order="left").with_columns(
        pl.col(f).fill_null(False) for f in FLAGS
    )


def service_rows(claims: pl.DataFrame) -> pl.DataFrame:
    """One row per claim and WISeR service id in its `wiser_categories` (null when it has none)."""
    svc = pl.col("wiser_categories")
    return (
        claims.with_row_index("_claim")
        .with_columns(svc.str.split(","))
        .explode("wiser_categories")
        .with_columns(svc.str.strip_chars().replace("", None))
        .filter(svc.is_not_null() | svc.is_null().all().over("_claim"))  # "a," is service a only
        .unique(["_claim", "wiser_categories"], maintain_order=True)
        .drop("_claim")
    )


def _table(
    frame: pl.DataFrame, key: str, none_label: str, labels: dict[str, str] | None = None
) -> list[dict]:
    """One row per value of `key` (nulls last, as `none_label`), most claims first, then by key."""
    readiness, wiser = pl.col("readiness"), pl.col("wiser_status")
    grouped = (
        frame.group_by(key)
        .agg(
            claims=pl.len(),
            in_scope=(wiser == "in_scope").sum(),
            ready=(readiness == "ready").sum(),
            needs_attention=(readiness == "needs_attention").sum(),
            out_of_scope=(readiness == "out_of_scope").sum(),
            **{f: pl.col(f).sum() for f in FLAGS},
        )
        .sort([pl.col(key).is_null(), "claims", key], descending=[False, True, False], nulls_last=True)
    )
    rows = []
    for row in grouped.iter_rows(named=True):
        value = row.pop(key)
        label = none_label if value is None else (labels or {}).get(value, value)
        rows.append({"key": value, "label": label, **{k: int(row[k]) for k in TABLE_COUNTS}})
    return rows


def _by_category(live: pl.DataFrame) -> list[dict]:
    """Unwaived finding counts per category and severity, with blocking findings and claims touched."""
    sev = pl.col("severity")
    grouped = (
        live.group_by("category")
        .agg(
            error=(sev == "error").sum(),
            warning=(sev == "warning").sum(),
            info=(sev == "info").sum(),
            total=pl.len(),
            blocking=pl.col("blocks").fill_null(False).sum(),
            claims=pl.col("claim_id").n_unique(),
        )
        .sort(["total", "category"], descending=[True, False], nulls_last=True)
    )
    return [
        {k: (int(v) if isinstance(v, int) else v) for k, v in r.items()}
        for r in grouped.iter_rows(named=True)
    ]


def _top_reasons(claims: pl.DataFrame) -> list[dict]:
    """Why claims are out of scope, most frequent first."""
    out = (
        claims.filter(pl.col("readiness") == "out_of_scope")
        .group_by(pl.col("wiser_reason").fill_null(NO_REASON).alias("reason"))
        .agg(claims=pl.len())
        .sort(["claims", "reason"], descending=[True, False])
    )
    return [{"reason": r, "claims": int(n)} for r, n in out.iter_rows()]


def build_summary(result: ClaimsResult) -> dict:
    """Totals and tables every claims report shows; all counts come from here, computed with polars."""
    live = live_findings(result)
    flagged = claim_flags(result, TABLE_COLUMNS)
    claims = result.claims
    readiness, wiser, sev = pl.col("readiness"), pl.col("wiser_status"), pl.col("severity")
    counts = claims.select(
        lines=pl.col("lines").sum(),
        in_scope=(wiser == "in_scope").sum(),
        wiser_out_of_scope=(wiser == "out_of_scope").sum(),
        not_wiser=(wiser == "not_wiser").sum(),
        ready=(readiness == "ready").sum(),
        needs_attention=(readiness == "needs_attention").sum(),
        out_of_scope=(readiness == "out_of_scope").sum(),
    ).row(0, named=True)
    per_sev = live.select(
        errors=(sev == "error").sum(),
        warnings=(sev == "warning").sum(),
        infos=(sev == "info").sum(),
        blocking=pl.col("blocks").fill_null(False).sum(),
    ).row(0, named=True)
    flag_counts = flagged.select(pl.col(f).sum() for f in FLAGS).row(0, named=True)
    totals = {
        "claims": claims.height,
        "lines": int(counts["lines"] or 0),
        "lines_audited": result.lines_audited,
        "lines_skipped": len(result.skipped),
        **{
            k: int(counts[k] or 0)
            for k in (
                "in_scope",
                "ready",
                "needs_attention",
                "out_of_scope",
                "wiser_out_of_scope",
                "not_wiser",
            )
        },
        "findings": live.height,
        "waived": result.findings.height - live.height,
        **{k: int(per_sev[k] or 0) for k in ("errors", "warnings", "infos", "blocking")},
        **{f: int(flag_counts[f] or 0) for f in FLAGS},
    }
    services = service_rows(flagged)
    titles = {k: v.get("title") or k for k, v in result.services.items()}
    return {
        "totals": totals,
        "by_state": _table(flagged, "state", NO_VALUE["by_state"]),
        "by_participant": _table(flagged, "participant", NO_VALUE["by_participant"]),
        "by_service": _table(services, "wiser_categories", NO_VALUE["by_service"], titles),
        "by_category": _by_category(live),
        "top_reasons": _top_reasons(claims),
    }
