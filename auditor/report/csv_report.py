"""findings.csv (+ findings-run.csv) of an audit and claims.csv (+ claim-findings.csv) of a claims run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl

from auditor.report.cells import neutralise, neutralise_frame, related_text
from auditor.report.claims_context import ClaimsContext
from auditor.report.context import ReportContext, queue_of
from auditor.report.gaps import not_evaluable
from auditor.report.problems_view import finding_problem_ids, finding_ranks

# `problem` is the rank of the problem a finding belongs to (rows come in that order) and `problem_id` its id in
# findings.json's `problems`; both are empty for a document written before problems existed.
COLUMNS = (
    "problem",
    "problem_id",
    "queue",
    "severity",
    "edit",
    "name",
    "category",
    "family",
    "file",
    "sheet",
    "row",
    "charge_code",
    "code",
    "revenue_code",
    "description",
    "message",
    "expected",
    "related_rows",
    "related_count",
    "waived",
    "waiver_reason",
    "scope",
    "reference_basis",
    "reference_urls",
)


def finding_row(f: dict, problem: int | None = None, problem_id: str | None = None) -> list:
    """The CSV cells of one finding (and its problem's rank and id), text neutralised against formula injection."""
    values = {
        **f,
        "problem": problem,
        "problem_id": problem_id,
        "queue": queue_of(f["category"]),
        "related_rows": related_text(f["related_rows"], f["file"]),
        "related_count": len(f["related_rows"]),
        "waived": "yes" if f["waived"] else "no",
        "reference_basis": (f.get("reference") or {}).get("basis", ""),
        "reference_urls": " ".join((f.get("reference") or {}).get("urls", [])),
    }
    return [
        v if isinstance(v, int) and not isinstance(v, bool) else neutralise(None if v is None else str(v))
        for v in (values.get(c) for c in COLUMNS)
    ]


def run_rows(doc: dict) -> list[tuple[str, str]]:
    """The run record as (key, value) pairs: versions, as-of, inputs with hashes, configuration, waivers."""
    run = doc["run"]
    rows = [
        (k, run[k])
        for k in (
            "tool",
            "tool_version",
            "generated_at",
            "as_of",
            "quarter",
            "quarter_requested",
            "quarter_stale",
            "quarter_message",
            "edit_set_version",
        )
    ]
    for i, inp in enumerate(run["inputs"], start=1):
        rows += [(f"input.{i}.{k}", inp[k]) for k in ("path", "role", "format", "size", "sha256")]
        if inp.get("error"):  # a file that could not be read: the run is incomplete
            rows.append((f"input.{i}.error", inp["error"]))
    rows += [
        ("config", json.dumps(run["config"], sort_keys=True, ensure_ascii=False)),
        ("waivers", json.dumps(run["config"].get("waivers", []), sort_keys=True, ensure_ascii=False)),
        ("findings", doc["summary"]["findings"]),
        ("waived", doc["summary"]["waived"]),
        ("edits_not_evaluable", "; ".join(f"{e['code']} ({e['note']})" for e in not_evaluable(run["edits"]))),
    ]
    return [(k, "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in rows]


def write_csv(ctx: ReportContext | dict, out_dir: Path) -> Path:
    """findings.csv (UTF-8 with BOM so Excel reads accents, CRLF rows) and its findings-run.csv companion."""
    doc = ReportContext.of(ctx).doc
    path = out_dir / "findings.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        ranks, ids = finding_ranks(doc), finding_problem_ids(doc)
        w.writerows(finding_row(f, r, i) for f, r, i in zip(doc["findings"], ranks, ids, strict=True))
    with (out_dir / "findings-run.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("key", "value"))
        w.writerows((k, neutralise(v)) for k, v in run_rows(doc))
    return path


def write_claims_csv(ctx: ClaimsContext, out_dir: Path) -> Path:
    """claims.csv (one row per claim) and claim-findings.csv (one row per finding)."""
    _write_frame(ctx.result.findings, out_dir / "claim-findings.csv")
    return _write_frame(ctx.result.claims, out_dir / "claims.csv")


def _write_frame(frame: pl.DataFrame, path: Path) -> Path:
    """A frame as CSV the way findings.csv is written (BOM, CRLF, text neutralised), dates as YYYY-MM-DD."""
    neutralise_frame(frame).write_csv(path, include_bom=True, line_terminator="\r\n", date_format="%Y-%m-%d")
    return path
