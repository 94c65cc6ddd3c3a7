"""Shared report-test inputs: the bundled sample (or a built stand-in), a hostile chargemaster, and reports of both."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, run_cli, write_xlsx

AS_OF = "2026-04-01"
SAMPLE_CDM = REPO / "samples" / "chargemaster.xlsx"
SAMPLE_PAIRING = REPO / "samples" / "pairing_table.csv"
HEADER = ["Charge Code", "Charge Description", "Rev Code", "CPT/HCPCS", "Modifier", "Price"]
# Text a spreadsheet or a browser could execute if a writer let it through.
HOSTILE = {
    "30000001": '=HYPERLINK("http://x","y")',
    "30000002": "@SUM(A1)",
    "30000003": "+1",
    "30000004": "-1",
    "30000005": "=cmd|' /C calc'!A0",
    "30000006": "<script>alert(1)</script>",
    "30000007": "</script><img src=x onerror=alert(2)>",
    "30000008": "\tTAB =1+1",
}


def small_cdm(path: Path) -> Path:
    """A small chargemaster with findings in every queue (stand-in when samples/ is not there)."""
    rows = [
        HEADER,
        ["02721500", "HC SURGICAL TRAY CUSTOM ORTHO", "0272", "XYZ12", None, 120.0],
        ["27801020", "HC NEUROSTIM GEN RECHARGEABLE SCS 32CH", "0275", "C1820", None, 25000.0],
        ["27801300", "HC NEUROSTIM ELECTRODE EACH", "0278", "L8680", None, 900.0],
        ["27801320", "HC NEUROSTIM ELECTRODE GROUP OF 4", "0278", "E0752", None, 800.0],
        ["76100300", "HC LOW COST SKIN SUB APPL TRUNK 1ST 25SQCM", "0761", "C5271", None, 400.0],
        ["76100230", "HC SKIN SUB APPL TRUNK EA ADDL 100SQCM", "0761", "15274", None, 300.0],
        ["76100500", "HC APLIGRAF PER SQCM", "0278", "Q4101", None, 50.0],
        ["36000780", "HC DBS ELECTRODE IMPL W/MICROELECTRODE REC", "0360", "61867", None, 9000.0],
        ["36000770", "HC VNS CRANIAL NERVE STIM IMPL W/GEN", "0360", "64568", None, 8000.0],
    ]
    rows += [
        [f"2780040{i}", f"HC ANCHOR SUTURE {i}MM", "0278", "C1713", None, p]
        for i, p in enumerate((409.68, 450.0, 480.0, 500.0, 96850.0))
    ]
    return write_xlsx(path, {"CDM": rows, "Notes": [["Free text notes"], ["not a table"]]})


def sample_inputs(tmp: Path) -> tuple[Path, list[Path]]:
    """The bundled sample chargemaster and pairing table, or a built stand-in when samples/ is absent."""
    if SAMPLE_CDM.is_file() and SAMPLE_PAIRING.is_file():
        return SAMPLE_CDM, [SAMPLE_PAIRING]
    return small_cdm(tmp / "chargemaster.xlsx"), []


def hostile_cdm(path: Path) -> Path:
    """Lines whose descriptions are formula, DDE and script payloads; each is flagged (malformed code XYZ12)."""
    rows = [HEADER] + [[cc, desc, "0272", "XYZ12", None, 10.0] for cc, desc in HOSTILE.items()]
    rows.append(["30000099", "HC CLEAN LINE", "0272", "99213", None, 10.0])
    return write_xlsx(path, {"CDM": rows})


def waiver_config(path: Path, charge_code: str) -> Path:
    """An auditor.toml waiving every edit on one charge code."""
    path.write_text(
        f'[[waivers]]\ncharge_code = "{charge_code}"\nreason = "Payer contract <b>ACME</b> allows it"\n'
        "until = 2026-12-31\n",
        encoding="utf-8",
    )
    return path


def audit_reports(out: Path, cdm: Path, pairing: list[Path], *extra: str) -> Path:
    """Run `cdm-audit audit` writing html, xlsx, json and csv into `out`; returns `out`."""
    args = [
        "audit",
        cdm,
        *[a for p in pairing for a in ("--pairing-table", p)],
        "--as-of",
        AS_OF,
        "--format",
        "html,xlsx,json,csv",
        "--out",
        out,
        "--no-history",
        # A history of its own: another test's run of the same sample must not add a "Since last run".
        "--history",
        out.parent / "history.sqlite",
        *extra,
    ]
    res = run_cli(*args)
    assert res.exit_code in (0, 1), res.stderr
    for name in ("report.html", "report.xlsx", "findings.json", "findings.csv", "findings-run.csv"):
        assert (out / name).is_file(), f"{name} not written: {res.stdout} {res.stderr}"
    return out


def build_sample_reports(tmp: Path) -> Path:
    """All four reports of the sample audit with one waiver (for a module-scoped fixture)."""
    cdm, pairing = sample_inputs(tmp)
    cfg = waiver_config(tmp / "auditor.toml", "27801020")
    return audit_reports(tmp / "out", cdm, pairing, "--config", cfg)


def build_hostile_reports(tmp: Path) -> Path:
    """All four reports of the hostile chargemaster (for a module-scoped fixture)."""
    return audit_reports(tmp / "out", hostile_cdm(tmp / "hostile.xlsx"), [])


def load_doc(out: Path) -> dict:
    """findings.json of a report folder."""
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def test_stand_in_chargemaster_has_findings_in_every_queue(tmp_path):
    """The stand-in used when samples/ is absent exercises every work queue, so report tests mean the same."""
    from auditor.report.context import queue_of

    out = audit_reports(tmp_path / "out", small_cdm(tmp_path / "cdm.xlsx"), [])
    queues = {queue_of(f["category"]) for f in load_doc(out)["findings"]}
    assert {"invalid", "revenue", "pairing", "hygiene"} <= queues
