"""claims-summary.txt: the terse terminal summary of a claims run (printed, or written beside the reports)."""

from __future__ import annotations

from pathlib import Path

from auditor.claims.summary import meta_text
from auditor.report.claims_context import ClaimsContext

TOP_CATEGORIES = 8


def render_claims_summary(ctx: ClaimsContext, written: dict[str, Path] | None = None) -> str:
    """Inputs, readiness counts, top finding categories and, when given, where the reports went."""
    result, summary = ctx.result, ctx.summary
    t, meta = summary["totals"], result.meta
    version, generated = meta.get("tool_version") or "", meta.get("generated_at") or "?"
    lines = [
        f"cdm-audit claims {version}  generated {generated}",
        f"  diagnoses checked against {meta_text(meta.get('icd_code_set'))}; "
        f"WISeR scope {meta_text(meta.get('wiser'))}",
    ]
    for f in result.files:
        if f.get("error"):
            lines.append(f"  NOT READ: {f['error']}")
            continue
        sha = (f.get("sha256") or "")[:12]
        lines.append(
            f"  {f.get('path')} ({f.get('format') or '?'}{', sha256 ' + sha + '…' if sha else ''}): "
            f"{f.get('rows_audited') or 0:,} lines audited, {f.get('rows_skipped') or 0:,} skipped"
        )
    lines += [f"!! {n}" for n in result.notes]
    lines.append(
        f"{t['claims']:,} claims ({t['lines']:,} lines), {t['in_scope']:,} in WISeR scope: "
        f"{t['ready']:,} ready, {t['needs_attention']:,} need attention, "
        f"{t['out_of_scope']:,} out of scope"
    )
    lines.append(
        f"{t['errors']:,} errors, {t['warnings']:,} warnings, {t['infos']:,} info"
        + (f", {t['waived']:,} waived" if t["waived"] else "")
        + f"; {t['unspecified_dx']:,} claims with an unspecified diagnosis, "
        f"{t['broken_pairs']:,} with a broken pair"
    )
    if summary["by_category"]:
        lines.append("Top categories:")
        for row in summary["by_category"][:TOP_CATEGORIES]:
            lines.append(f"  {row['total']:>8,}  {row['category']} ({row['claims']:,} claim(s))")
    if summary["top_reasons"]:
        lines.append("Out of scope because:")
        lines += [f"  {r['claims']:>8,}  {r['reason']}" for r in summary["top_reasons"][:5]]
    if written:
        lines.append("Reports: " + ", ".join(str(p) for p in written.values()))
    return "\n".join(lines)


def write_claims_text(ctx: ClaimsContext, out_dir: Path, written: dict[str, Path] | None = None) -> Path:
    """claims-summary.txt, naming the report files written before it (and itself)."""
    path = out_dir / "claims-summary.txt"
    path.write_text(render_claims_summary(ctx, {**(written or {}), "text": path}) + "\n", encoding="utf-8")
    return path
