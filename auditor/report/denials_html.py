"""The denials page: totals, patterns, denial-rate charts by state, participant, service and month, drafts."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from pathlib import Path

from markupsafe import Markup

from auditor.report.charts import bar_chart
from auditor.report.html import environment, page_csp

COLOURS = {"denied": "#c0362c", "pended": "#d08a12", "passed": "#3c8d5a"}
CHART_DIMENSIONS = (
    ("state", "Claims by state"),
    ("participant", "Claims by WISeR participant"),
    ("service", "Claims by service category"),
    ("month", "Claims by month of determination"),
)
TABLES = (
    ("state", "State", ("claims", "denied", "denial_rate", "pended", "pend_rate", "predicted")),
    (
        "participant",
        "WISeR participant",
        ("claims", "denied", "denial_rate", "pended", "pend_rate", "predicted"),
    ),
    ("service", "Service category", ("claims", "denied", "denial_rate", "pended", "pend_rate", "predicted")),
    ("month", "Month", ("claims", "denied", "denial_rate", "pended", "pend_rate", "predicted")),
    ("carc", "CARC", ("claims", "lines")),
    ("rarc", "RARC", ("claims", "lines")),
    ("code", "Code", ("lines", "denied", "denial_rate")),
)


def _chart(rows: list[dict], title: str) -> Markup:
    """Denied / pended / passed claims per value, one bar each."""
    bars = [
        (
            str(r["key"]),
            {"denied": r["denied"], "pended": r["pended"], "passed": r["claims"] - r["denied"] - r["pended"]},
        )
        for r in rows
    ]
    return bar_chart(title, bars, colours=COLOURS, names={k: f"{k} claims" for k in COLOURS})


def _csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline block."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _shared_ids(denied: list[dict]) -> set[str]:
    """Claim ids two denied claims share (different claims files): their rows name the file too."""
    counts = Counter(d["claim_id"] for d in denied)
    return {claim_id for claim_id, n in counts.items() if n > 1}


def render_denials_html(doc: dict) -> str:
    """The page as a string, from the denials JSON document (text from input files is escaped by jinja2)."""
    env = environment(())
    css = env.get_template("_report.css").render() + env.get_template("denials/_denials.css").render()
    rates = doc["rates"]
    charts = [
        {"key": key, "title": title, "svg": _chart(rates[key], title)} for key, title in CHART_DIMENSIONS
    ]
    dimensions = [
        {
            "key": key,
            "title": title,
            "columns": cols,
            "headers": [c.replace("_", " ") for c in cols],
            "rows": rates[key],
        }
        for key, title, cols in TABLES
    ]
    return env.get_template("denials/report.html").render(
        totals=doc["totals"],
        patterns=doc["patterns"],
        charts=charts,
        dimensions=dimensions,
        denied=doc["denied_claims"],
        unjoined=doc["unjoined"],
        superseded=doc["superseded"],
        shared_ids=_shared_ids(doc["denied_claims"]),
        notes=doc["notes"],
        inputs=doc["inputs"],
        meta=doc["meta"],
        css=Markup(css),
        csp=page_csp(_csp_hash(css), "'none'"),
    )


def write_denials_html(doc: dict, out_dir: Path) -> Path:
    """denials.html in `out_dir`."""
    path = out_dir / "denials.html"
    path.write_text(render_denials_html(doc), encoding="utf-8")
    return path
