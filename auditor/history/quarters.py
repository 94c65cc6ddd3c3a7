"""What a code-set quarter change did to the audited files: codes deleted, now E1 or inpatient only, newly valid."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import polars as pl

from auditor.codeset import CodeTable
from auditor.codeset.hcpcs import load_hcpcs
from auditor.resources import resource_dir

# Status indicators that stop an outpatient line from being paid: E1/E2 not payable by Medicare,
# B not recognised on an outpatient bill type, C inpatient only (D is classified as deleted).
NOT_PAYABLE = {"B", "E1", "E2"}
INPATIENT_ONLY = {"C"}
# kind -> (broken by the new quarter?, label); listed in this order.
KINDS = {
    "deleted": (True, "deleted"),
    "invalid": (True, "no longer valid"),
    "not_payable": (True, "status changed to not payable"),
    "inpatient_only": (True, "status changed to inpatient only"),
    "newly_valid": (False, "newly valid (new code)"),
    "si_changed": (False, "status indicator changed"),
}
SAMPLE_LINES = 10


@functools.lru_cache(maxsize=1)
def successors() -> dict[str, dict]:
    """Deleted or unpayable code -> {replaced_by: [...], note}, from the packaged lists."""
    out: dict[str, dict] = {}
    with (Path(__file__).with_name("successors.csv")).open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out[r["code"]] = {"replaced_by": r["replaced_by"].split("|"), "note": r["note"]}
    # The L-code crosswalk the NS003 edit uses: E1 L-codes and the C-code OPPS claims carry instead.
    crosswalk = resource_dir("edits") / "lists" / "l_code_crosswalk.csv"
    if crosswalk.is_file():
        with crosswalk.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                out.setdefault(r["code"], {"replaced_by": [r["use_instead"]], "note": r["label"]})
    return out


def classify_change(before: dict, after: dict) -> str | None:
    """The kind of change between two classifications of one code, or None when nothing that matters moved."""
    b_status, a_status, b_si, a_si = before["status"], after["status"], before["si"], after["si"]
    if a_status == "deleted" and b_status == "active":
        return "deleted"
    if a_status == "invalid" and b_status != "invalid":
        return "invalid"
    if a_status == "active" and b_status in ("invalid", "deleted"):
        return "newly_valid"
    if a_status == "active" and b_status == "active" and a_si != b_si:
        if a_si in NOT_PAYABLE and b_si not in NOT_PAYABLE:
            return "not_payable"
        if a_si in INPATIENT_ONLY and b_si not in INPATIENT_ONLY:
            return "inpatient_only"
        return "si_changed"
    return None


def quarter_changes(
    codes: list[dict],
    before: str,
    after: str,
    table: CodeTable | None = None,
    replacements: dict[str, dict] | None = None,
    hcpcs: dict[str, dict] | None = None,
) -> tuple[list[dict], str]:
    """Changes between quarters for each audited code (role, code, lines, sample), with a note on any gap.

    Replacements come from the packaged successor lists, else from the cross-references of an imported
    HCPCS Level II file (`cdm-audit codes import-hcpcs`), which also gives the long descriptor.
    """
    if before == after or not codes:
        return [], "" if before == after else "no codes recorded for this run"
    table = table or CodeTable.load()
    missing = [q for q in (before, after) if q not in table.quarters]
    if missing:
        return [], (
            f"quarter {', '.join(missing)} is no longer held in the code table; import its Addendum B "
            "to compare code status"
        )
    distinct = sorted({c["code"] for c in codes})
    series = pl.Series(distinct, dtype=pl.String)
    b_rows = table.classify(series, before).to_dicts()
    a_rows = table.classify(series, after).to_dicts()
    by_code = {c: (b, a) for c, b, a in zip(distinct, b_rows, a_rows, strict=False)}
    replacements = successors() if replacements is None else replacements
    hcpcs = load_hcpcs(quarter=after) if hcpcs is None else hcpcs
    on_file = {(c["role"], c["code"]) for c in codes}
    out = []
    for c in codes:
        b, a = by_code[c["code"]]
        kind = classify_change(b, a)
        if kind is None:
            continue
        level2 = hcpcs.get(c["code"], {})
        repl = replacements.get(c["code"]) or (
            {"replaced_by": level2["xref"], "note": f"HCPCS cross-reference ({level2['quarter']} file)"}
            if level2.get("xref")
            else {}
        )
        repl = repl if KINDS[kind][0] else {}
        out.append(
            {
                "role": c["role"],
                "code": c["code"],
                "kind": kind,
                "broken": KINDS[kind][0],
                "label": KINDS[kind][1],
                "before": {"quarter": before, "status": b["status"], "si": b["si"]},
                "after": {"quarter": after, "status": a["status"], "si": a["si"]},
                "last_seen": a["last_seen"],
                "descriptor": level2.get("long_descriptor") or a["descriptor"] or b["descriptor"],
                "termination_date": level2.get("termination_date"),
                "lines": c["lines"],
                "sample": c["sample"][:SAMPLE_LINES],
                "replaced_by": repl.get("replaced_by", []),
                "replacement_note": repl.get("note", ""),
                "replacement_on_file": [r for r in repl.get("replaced_by", []) if (c["role"], r) in on_file],
            }
        )
    order = {k: i for i, k in enumerate(KINDS)}
    # Most lines first within each kind: the codes that break the most charges lead the report.
    out.sort(key=lambda x: (order[x["kind"]], x["role"], -x["lines"], x["code"]))
    return out, ""


def code_inventory(frame: pl.DataFrame | None, role: str, columns: tuple[str, ...] = ("code",)) -> list[dict]:
    """Distinct codes of an audited frame: role, code, number of lines and up to 10 sample lines."""
    if frame is None or frame.height == 0:
        return []
    parts = []
    for col in columns:
        if col not in frame.columns:
            continue
        charge = next(
            (c for c in ("charge_code", f"{col.split('_')[0]}_charge_code") if c in frame.columns), None
        )
        desc = next(
            (c for c in ("description", f"{col.split('_')[0]}_description") if c in frame.columns), None
        )
        parts.append(
            frame.select(
                code=pl.col(col).cast(pl.String).str.strip_chars().str.to_uppercase(),
                charge_code=pl.col(charge).cast(pl.String) if charge else pl.lit(None, pl.String),
                row=pl.col("row"),
                file=pl.col("file"),
                description=pl.col(desc).cast(pl.String) if desc else pl.lit(None, pl.String),
            )
        )
    if not parts:
        return []
    lines = (
        pl.concat(parts)
        .filter(pl.col("code").is_not_null() & (pl.col("code") != ""))
        .unique(maintain_order=True)
    )
    grouped = lines.group_by("code", maintain_order=True).agg(
        lines=pl.len(),
        charge_code=pl.col("charge_code").head(SAMPLE_LINES),
        row=pl.col("row").head(SAMPLE_LINES),
        file=pl.col("file").head(SAMPLE_LINES),
        description=pl.col("description").head(SAMPLE_LINES),
    )
    return [
        {
            "role": role,
            "code": g["code"],
            "lines": g["lines"],
            "sample": [
                {"charge_code": cc, "row": r, "file": f, "description": d}
                for cc, r, f, d in zip(g["charge_code"], g["row"], g["file"], g["description"], strict=False)
            ],
        }
        for g in grouped.sort("code").iter_rows(named=True)
    ]
