"""claims-report.html: one self-contained readiness page (inline CSS, JS and SVG) from templates/claims/."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import polars as pl
from markupsafe import Markup

from auditor.claims.result import READINESS, READINESS_LABELS, ClaimsResult
from auditor.claims.skip_reasons import accounted_for
from auditor.claims.summary import meta_text
from auditor.report.charts import bar_chart, humanise
from auditor.report.claims_context import ClaimsContext
from auditor.report.html import environment, page_csp

# Past these the page says how many it leaves out; the Excel and CSV reports always hold everything.
MAX_CLAIM_BLOCKS = 2_000
MAX_TABLE_ROWS = 20_000
MAX_SKIPPED_LINES = 2_000
FINDINGS_PER_CLAIM = 50
PAGE_SIZE = 200  # table rows laid out at once: all 20,000 visible would take ~10 s to open
CHART_ROWS = 20
LABEL_W, LABEL_CHARS = 214, 28  # service titles are long; wider than the chargemaster charts' labels
READINESS_COLOURS = {"ready": "#2e7d4f", "needs_attention": "#d08a12", "out_of_scope": "#8a94a3"}
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
NONE_TOKEN = "-"  # filter value of a claim with no state / participant


def readiness_chart(title: str, rows: list[dict]) -> Markup:
    """The stacked bar chart of a summary table: one bar per row, segments ready / needs attention / out of scope."""
    bars = [(str(r["label"]), {k: r[k] for k in READINESS}) for r in rows if r["claims"]][:CHART_ROWS]
    return bar_chart(
        title,
        bars,
        colours=READINESS_COLOURS,
        label_w=LABEL_W,
        label_chars=LABEL_CHARS,
        names={k: label.lower() for k, label in READINESS_LABELS.items()},
    )


def file_facts(f: dict) -> dict:
    """One input file with every field the page shows (missing counts as 0, missing text as '')."""
    return {
        "path": str(f.get("path") or ""),
        "format": f.get("format") or "",
        "sha256": f.get("sha256") or "",
        "size": f.get("size") if isinstance(f.get("size"), int) else "",
        **{k: f.get(k) or 0 for k in ("rows_read", "rows_audited", "rows_skipped")},
    }


def _checklists(claim: dict, services: dict[str, dict]) -> list[dict]:
    """The documentation checklist of each WISeR service of an in-scope claim."""
    if claim["wiser_status"] != "in_scope":
        return []
    out = []
    for sid in _service_ids(claim["wiser_categories"]):
        svc = services.get(sid)
        if svc and svc.get("checklist"):
            out.append(
                {
                    "id": sid,
                    "title": svc.get("title") or humanise(sid),
                    "policy": svc.get("policy") or "",
                    "policy_url": svc.get("policy_url") or "",
                    "basis": svc.get("basis") or "inferred",
                    "delayed": svc.get("delayed"),
                    "items": list(svc["checklist"]),
                }
            )
    return out


def _service_ids(joined: str | None) -> list[str]:
    """'a, b,a' -> ['a', 'b']."""
    return list(dict.fromkeys(s.strip() for s in (joined or "").split(",") if s.strip()))


def filter_value(value) -> str:
    """A value as the page's filters hold it: '-' for none, and never the '|' that separates values."""
    return NONE_TOKEN if value in (None, "") else str(value).replace("|", "\u00a6")


def _tokens(*values) -> str:
    """A data-* filter attribute: '|v1|v2|' so the page's script can match any one value."""
    return "|" + "|".join(filter_value(v) for v in values) + "|"


def attention_blocks(result: ClaimsResult, limit: int) -> tuple[list[dict], int]:
    """Claims needing attention (most errors first) as blocks with findings and checklists; and the count."""
    claims = result.claims.filter(pl.col("readiness") == "needs_attention")
    total = claims.height
    chosen = claims.sort(
        ["errors", "blocking", "file", "first_row", "claim_id"],
        descending=[True, True, False, False, False],
        nulls_last=True,
    ).head(limit)
    found: dict[str, list[dict]] = {}
    sev = pl.col("severity").replace_strict(SEVERITY_RANK, default=9, return_dtype=pl.Int8)
    rows = result.findings.join(chosen.select("claim_id").unique(), on="claim_id", how="semi").sort(
        [pl.col("blocks").fill_null(False).not_(), sev, "row", "line", "category"], nulls_last=True
    )
    for f in rows.iter_rows(named=True):
        found.setdefault(f["claim_id"], []).append(f)
    blocks = []
    for c in chosen.iter_rows(named=True):
        items = found.get(c["claim_id"], [])
        blocking = [f for f in items if f["blocks"] and not f["waived"]]
        other = [f for f in items if not (f["blocks"] and not f["waived"])]
        categories = sorted({f["category"] for f in items if not f["waived"]})
        blocks.append(
            {
                **c,
                "blocking_findings": blocking[:FINDINGS_PER_CLAIM],
                "other_findings": other[: max(FINDINGS_PER_CLAIM - len(blocking), 0)],
                "hidden_findings": max(len(items) - FINDINGS_PER_CLAIM, 0),
                "checklists": _checklists(c, result.services),
                "services": _service_ids(c["wiser_categories"]),
                "f_state": _tokens(c["state"]),
                "f_participant": _tokens(c["participant"]),
                "f_category": _tokens(*categories),
            }
        )
    return blocks, total


def other_rows(result: ClaimsResult, limit: int) -> tuple[list[dict], int]:
    """Ready and out-of-scope claims for the compact table (ready first), and how many there are."""
    rank = pl.col("readiness").replace_strict(
        {"ready": 0, "out_of_scope": 1}, default=2, return_dtype=pl.Int8
    )
    claims = result.claims.filter(pl.col("readiness") != "needs_attention")
    rows = claims.sort([rank, "state", "claim_id", "file", "first_row"], nulls_last=True).head(limit)
    titles = {k: v.get("title") or humanise(k) for k, v in result.services.items()}
    out = [
        {
            **r,
            "service_titles": ", ".join(titles.get(s, s) for s in _service_ids(r["wiser_categories"])),
            "f_readiness": _tokens(r["readiness"]),
            "f_state": _tokens(r["state"]),
            "f_wiser": _tokens(r["wiser_status"]),
        }
        for r in rows.iter_rows(named=True)
    ]
    return out, claims.height


def view(result: ClaimsResult, summary: dict, max_blocks: int, max_rows: int) -> dict:
    """Template context: header facts, summary tables with charts, claim blocks, table rows, skipped lines."""
    meta = result.meta
    blocks, attention_total = attention_blocks(result, max_blocks)
    rows, rows_total = other_rows(result, max_rows)
    todo, done = accounted_for(result.skipped)
    names = [Path(str(f.get("path", ""))).name for f in result.files]
    titles = (
        ("by_state", "Claims by state"),
        ("by_participant", "Claims by WISeR participant"),
        ("by_service", "Claims by WISeR service"),
    )
    tables = [(key, title, summary[key], readiness_chart(title, summary[key])) for key, title in titles]

    def options(key: str) -> list[tuple[str, str]]:
        """(filter value, label) per row of a summary table."""
        return [(filter_value(r["key"]), r["label"]) for r in summary[key]]

    return {
        "title": "Claims readiness: " + (", ".join(names) if names else "no input files"),
        "meta": meta,
        "generated_at": meta.get("generated_at") or "not recorded",
        "generator": f"cdm-audit {meta.get('tool_version') or ''}".strip(),
        "facts": [
            ("Generated at", meta_text(meta.get("generated_at"))),
            ("Tool", f"cdm-audit {meta_text(meta.get('tool_version'))}"),
            ("Edit set", meta_text(meta.get("edit_set_version"))),
            ("ICD-10-CM code set", meta_text(meta.get("icd_code_set"))),
            ("WISeR scope", meta_text(meta.get("wiser"))),
        ],
        "files": [file_facts(f) for f in result.files],
        "notes": result.notes,
        "edits": result.edits,
        "services": result.services,
        "totals": summary["totals"],
        "summary": summary,
        "tables": tables,
        "labels": READINESS_LABELS,
        "readiness": READINESS,
        "blocks": blocks,
        "attention_total": attention_total,
        "rows": rows,
        "rows_total": rows_total,
        "page_size": PAGE_SIZE,
        "skipped": todo[:MAX_SKIPPED_LINES],
        "skipped_total": len(todo),
        "accounted": done[:MAX_SKIPPED_LINES],
        "accounted_total": len(done),
        "state_options": options("by_state"),
        "participant_options": options("by_participant"),
        "category_options": [
            (filter_value(r["category"]), humanise(r["category"] or "")) for r in summary["by_category"]
        ],
    }


def _csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline block."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_claims_html(
    ctx: ClaimsContext, max_blocks: int = MAX_CLAIM_BLOCKS, max_rows: int = MAX_TABLE_ROWS
) -> str:
    """The whole readiness page as a string; its CSP allows only its own inline style and script (by hash)."""
    env = environment(())
    css = env.get_template("_report.css").render() + env.get_template("claims/_claims.css").render()
    js = env.get_template("claims/_claims.js").render()
    page = view(ctx.result, ctx.summary, max_blocks, max_rows)
    return env.get_template("claims/report.html").render(
        page, css=Markup(css), js=Markup(js), csp=page_csp(_csp_hash(css), _csp_hash(js))
    )


def write_claims_html(ctx: ClaimsContext, out_dir: Path) -> Path:
    """claims-report.html in `out_dir`."""
    path = out_dir / "claims-report.html"
    path.write_text(render_claims_html(ctx), encoding="utf-8")
    return path
