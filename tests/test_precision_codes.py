"""The facts behind the code-validity messages: sourced deletions, HCPCS terminations, payer-local codes.

The labelled findings of these edits (tests/data/labels/extra-codes.csv with the shared sample) are pinned
by tests/test_precision.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from auditor.audit import AuditRequest, run_audit
from auditor.codeset.deletions import (
    CONFIDENCE,
    codes_between,
    cpt_deletions,
    family_replacements,
    successors,
)
from auditor.codeset.hcpcs import COLUMNS as HCPCS_COLUMNS

AS_OF = dt.date(2026, 4, 1)


def test_deletions_table_is_sourced():
    """Every row names a public source, a confidence and successor codes shaped like CPT codes."""
    table = cpt_deletions()
    assert table.height >= 30 and table["code"].n_unique() == table.height
    for row in table.iter_rows(named=True):
        assert re.fullmatch(r"\d{4}[0-9T]|[A-Z]\d{4}", row["code"]), row
        assert row["source"] and all(u.startswith(("http://", "https://")) for u in row["source"].split()), (
            row
        )
        assert row["confidence"] in CONFIDENCE, row
        assert row["deleted_on"] is None or dt.date.fromisoformat(row["deleted_on"]) < dt.date(2019, 1, 2), (
            row
        )
        assert all(re.fullmatch(r"\d{4}[0-9T]|[A-Z]\d{4}", s) for s in row["successors"].split("|")), row


def test_family_replacements_are_sourced_and_do_not_overlap():
    """Every replaced range names sources, a confidence and a replacement; no code falls in two ranges."""
    table = family_replacements()
    assert table.height >= 1
    seen: set[str] = set()
    for row in table.iter_rows(named=True):
        # Five characters of one shape: five digits (CPT), four and a T (CPT category III), or a letter and four
        # digits (HCPCS Level II).
        ends = [re.fullmatch(r"([A-Z]?)\d{4,5}(T?)", row[k]) for k in ("first", "last")]
        assert all(ends) and len(row["first"]) == len(row["last"]) == 5, row
        assert ends[0].groups() == ends[1].groups() and row["by"] in ("CPT", "CMS"), row
        codes = codes_between(row["first"], row["last"])
        assert codes and codes[0] == row["first"] and codes[-1] == row["last"], row
        if row["each_pattern"]:  # one successor per old code: every code of the range maps to a code
            assert all(re.fullmatch(r"\d{4}[0-9T]|[A-Z]\d{4}", new) for new in successors(row).values()), row
        assert not seen & set(codes), row
        seen |= set(codes)
        assert row["source"] and all(u.startswith(("http://", "https://")) for u in row["source"].split()), (
            row
        )
        assert row["confidence"] in CONFIDENCE and row["replacement"] and row["territory"], row
        assert dt.date.fromisoformat(row["replaced_on"]) >= dt.date(2019, 1, 1), row


def _chargemaster(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path = tmp_path / "cdm.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Charge Code", "Description", "CPT/HCPCS", "Revenue Code", "Price"])
        for charge, desc, code, rev in rows:
            w.writerow([charge, desc, code, rev, "100.00"])
    return path


def _hcpcs_import(home: Path, rows: list[dict]) -> None:
    """A HCPCS Level II import as `codes import-hcpcs` stores it (only the columns the audit reads matter)."""
    folder = home / "hcpcs"
    folder.mkdir(parents=True)
    cols = HCPCS_COLUMNS  # the columns the importer stores
    with (folder / "2026Q2.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows({c: r.get(c, "") for c in cols} for r in rows)


def test_hcpcs_import_gives_termination_date_and_cross_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    _hcpcs_import(
        tmp_path / "home",
        [
            {"code": "Q4131", "termination_date": "2018-12-31", "xref": "Q4186"},
            {"code": "S9443", "long_descriptor": "Lactation classes"},
        ],
    )
    rows = [
        ("63607886", "EPIFIX 2X3 MESH", "Q4131", "0636"),
        ("94214490", "HC LACTATION CLASS S9443", "", "0942"),
        ("27200001", "HC INSERT CLAMP BOWEL C4001", "", "0272"),
    ]
    result = run_audit([_chargemaster(tmp_path, rows)], AuditRequest(as_of=AS_OF))
    by_edit = {(f.edit, f.row): f for f in result.findings}
    cv002 = by_edit[("CV002", 2)]
    assert "termination date 2018-12-31" in cv002.message and "cross-reference: Q4186" in cv002.message
    # A code only the HCPCS file lists is still a code the description can name; a catalogue number is not.
    assert by_edit[("CV007", 3)].extra["named"] == "S9443"
    assert ("CV007", 4) not in by_edit


def test_local_codes_fold_into_one_info_problem_per_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    rows = [(str(n), "X OT TREATMENT", "X4110", "0430") for n in range(5)] + [("9", "DRSG", "Z7610", "0272")]
    result = run_audit([_chargemaster(tmp_path, rows)], AuditRequest(as_of=AS_OF))
    local = [p for p in result.problems if p.edit == "CV008"]
    assert [(p.severity, p.lines) for p in local] == [("info", 6)]
    assert not [f for f in result.findings if f.edit in ("CV002", "CV003")]
