"""Test scaffolding: run an edit's documented example through the real audit (rows -> workbook -> findings)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import xlsxwriter

from auditor.audit import AuditRequest, run_audit
from auditor.claims.pipeline import ClaimsRequest, run_claims
from auditor.engine.findings import Finding

CHARGEMASTER_HEADERS = {
    "charge_code": "Charge Code",
    "description": "Charge Description",
    "revenue_code": "Revenue Code",
    "code": "CPT/HCPCS",
    "modifiers": "Modifier",
    "units": "Units",
    "price": "Price",
    "narrative": "Notes",
    "ndc": "NDC",
    "setting": "Setting",
    "department": "Department",
}
PAIRING_HEADERS = {
    "procedure_code": "Procedure Code",
    "procedure_description": "Procedure Description",
    "linked_code": "Linked Code",
    "linked_description": "Linked Description",
    "link_type": "Link Type",
}
CLAIM_HEADERS = {
    "claim_id": "Claim ID",
    "line": "Line",
    "dos": "Date of Service",
    "state": "State",
    "payer": "Payer",
    "bill_type": "Type of Bill",
    "pos": "Place of Service",
    "revenue_code": "Revenue Code",
    "code": "HCPCS",
    "modifiers": "Modifiers",
    "units": "Units",
    "charges": "Charges",
    "diagnoses": "Diagnosis Codes",
    "utn": "UTN",
}
DEFAULT_AS_OF = dt.date(2026, 4, 1)


def write_rows(path: Path, rows: list[dict], headers: dict[str, str], sheet: str = "CDM") -> Path:
    """An xlsx with one header row and the rows as text cells, numbers where a cell looks numeric."""
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = wb.add_worksheet(sheet)
    cols = [k for k in headers if any(k in r for r in rows)] or list(headers)[:2]
    for j, key in enumerate(cols):
        ws.write_string(0, j, headers[key])
    for i, r in enumerate(rows, start=1):
        for j, key in enumerate(cols):
            value = r.get(key)
            if value is None or value == "":
                continue
            ws.write_string(i, j, str(value))
    wb.close()
    return path


def run_example(example: dict, folder: Path, config_path: Path | None = None) -> list[Finding]:
    """Findings the audit produces for one example (chargemaster, pairing table or claim lines)."""
    as_of = example.get("as_of", DEFAULT_AS_OF)
    as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    folder.mkdir(parents=True, exist_ok=True)
    table = example.get("table", "chargemaster")
    if example.get("lists"):
        config_path = _lists_config(folder, example["lists"])
    if table == "claims":
        return _claims_example(example["rows"], as_of, folder, config_path)
    if table == "pairing":
        cdm = write_rows(
            folder / "cdm.xlsx",
            [{"charge_code": "X1", "description": "PLACEHOLDER LINE", "code": "99213"}],
            CHARGEMASTER_HEADERS,
        )
        pairing = write_rows(folder / "pairing.xlsx", example["rows"], PAIRING_HEADERS, sheet="Pairs")
        request = AuditRequest(as_of=as_of, pairing_tables=[pairing], config_path=config_path)
        return [f for f in run_audit([cdm], request).findings if f.scope == "pairing"]
    cdm = write_rows(folder / "cdm.xlsx", example["rows"], CHARGEMASTER_HEADERS)
    return run_audit([cdm], AuditRequest(as_of=as_of, config_path=config_path)).findings


def _lists_config(folder: Path, lists: dict[str, list[dict]]) -> Path:
    """An auditor.toml pointing at facility lists written from the example."""
    lines = ["[lists]"]
    for name, rows in lists.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        lines.append(f'{name} = "{path.name}"')
    cfg = folder / "auditor.toml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def claim_rows(rows: list[dict], as_of: dt.date) -> list[dict]:
    """Claim rows with defaults filled in: claim CLM1, line numbers, DOS = as_of, TX, Medicare, TOB 131."""
    out, lines = [], {}
    for r in rows:
        r = dict(r)
        r.setdefault("claim_id", "CLM1")
        lines[r["claim_id"]] = lines.get(r["claim_id"], 0) + 1
        r.setdefault("line", lines[r["claim_id"]])
        r.setdefault("dos", as_of.isoformat())
        for key, value in (("state", "TX"), ("payer", "MEDICARE"), ("bill_type", "131")):
            r.setdefault(key, value)
        out.append(r)
    return out


def _claims_example(
    rows: list[dict], as_of: dt.date, folder: Path, config_path: Path | None
) -> list[Finding]:
    """Run claim rows through a real workbook and the claims pipeline; findings as engine Findings."""
    path = write_rows(folder / "claims.xlsx", claim_rows(rows, as_of), CLAIM_HEADERS, sheet="Claims")
    result = run_claims([path], ClaimsRequest(config_path=config_path))
    out = []
    for f in result.findings.iter_rows(named=True):
        out.append(
            Finding(
                f["edit"],
                f["name"],
                f["family"],
                f["category"],
                f["severity"],
                f["message"],
                f["file"],
                f["sheet"],
                f["row"],
                None,
                f["code"],
                f["revenue_code"],
                None,
                f["expected"],
                {"text": f["reference"], "basis": f["basis"]},
                (),
                f["waived"],
                None,
                "claim",
                {"claim_id": f["claim_id"], "line": f["line"], "blocks": f["blocks"]},
            )
        )
    return out
