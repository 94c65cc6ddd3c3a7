"""The compliance summary of a chargemaster audit or a claims run, as the record compliance_pdf renders."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from auditor.engine.categories import queue_of
from auditor.report.claims_context import ClaimsContext
from auditor.report.compliance_pdf import write_compliance_pdf
from auditor.report.context import ReportContext, queue_titles

FILE = "compliance-summary.pdf"


def chargemaster_record(doc: dict) -> dict:
    """Run record, problem counts by queue and severity, the top ten problems and the waivers of an audit."""
    run = doc["run"]
    problems = doc.get("problems", [])
    titles = queue_titles()
    counts: dict[tuple[str, str], int] = {}
    for p in problems:
        key = (titles.get(queue_of(p["category"]), "Other"), p["severity"])
        counts[key] = counts.get(key, 0) + 1
    return {
        "title": "Chargemaster audit — compliance summary",
        "kind": "chargemaster",
        "run": {
            "generated_at": run.get("generated_at"),
            "tool_version": run.get("tool_version"),
            "edit_set_version": run.get("edit_set_version"),
            "as_of": run.get("as_of"),
            "inputs": [
                {
                    "path": i.get("path"),
                    "sha256": i.get("sha256"),
                    "rows": sum(sh.get("rows_read") or 0 for sh in i.get("sheets") or []),
                }
                for i in run.get("inputs", [])
            ],
        },
        "counts": [
            {"queue": queue, "severity": sev, "problems": n} for (queue, sev), n in sorted(counts.items())
        ],
        "top_problems": [
            {
                "edit": p["edit"],
                "severity": p["severity"],
                "message": p["message"],
                "count": len(p.get("findings") or []),
            }
            for p in problems[:10]
        ],
        "waivers": [
            {
                "edit": w.get("edit"),
                "charge_code": w.get("charge_code"),
                "reason": w.get("reason"),
                "until": w.get("until"),
            }
            for w in run.get("config", {}).get("waivers", [])
        ],
    }


def claims_record(ctx: ClaimsContext) -> dict:
    """Run record, readiness counts, the most frequent blocking findings of a claims run."""
    result, summary = ctx.result, ctx.summary
    live = result.findings.filter(~pl.col("waived"))
    top = (
        live.group_by("edit", "severity")
        .agg(pl.col("message").first(), count=pl.len())
        .sort(["count", "edit"], descending=[True, False])
        .head(10)
    )
    return {
        "title": "Claims run — compliance summary",
        "kind": "claims",
        "run": {
            "generated_at": result.meta.get("generated_at"),
            "tool_version": result.meta.get("tool_version"),
            "edit_set_version": result.meta.get("edit_set_version"),
            "as_of": result.meta.get("as_of"),
            "inputs": [
                {"path": f.get("path"), "sha256": f.get("sha256"), "rows": f.get("rows_read")}
                for f in result.files
            ],
        },
        "counts": [
            {"queue": key.replace("_", " "), "problems": summary["totals"].get(key)}
            for key in (
                "claims",
                "ready",
                "needs_attention",
                "out_of_scope",
                "errors",
                "warnings",
                "infos",
                "blocking",
            )
        ],
        "top_problems": top.to_dicts(),
        "waivers": [],
    }


def write_chargemaster_compliance(ctx: ReportContext | dict, out_dir: Path) -> Path:
    """compliance-summary.pdf for a chargemaster audit."""
    return write_compliance_pdf(chargemaster_record(ReportContext.of(ctx).doc), out_dir / FILE)


def write_claims_compliance(ctx: ClaimsContext, out_dir: Path) -> Path:
    """compliance-summary.pdf for a claims run."""
    return write_compliance_pdf(claims_record(ctx), out_dir / FILE)
