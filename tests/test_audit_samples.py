"""The bundled sample's planted defects are each found; the clean variant raises no errors or warnings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from auditor.audit import AuditRequest, run_audit

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
EXPECTED = json.loads((SAMPLES / "expected_defects.json").read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 4, 1)
FILES = {"chargemaster.xlsx", "pairing_table.csv"}


@pytest.fixture(scope="module")
def sample_result():
    """The sample chargemaster and pairing table, audited once."""
    request = AuditRequest(as_of=AS_OF, pairing_tables=[SAMPLES / "pairing_table.csv"])
    return run_audit([SAMPLES / "chargemaster.xlsx"], request)


def _where(defect: dict) -> set[int]:
    """The defect's row and the rows it points at (a group finding may sit on a sibling line)."""
    return {defect["row"], *defect.get("related_rows", {}).values()}


DEFECTS = [d for d in EXPECTED["defects"] if d["file"] in FILES]


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: f"{d['file']}-row{d['row']}-{d['code']}")
def test_planted_defect_is_found(sample_result, defect):
    """A finding of the expected category sits on the defect's row (or names it as a related row)."""
    cats = {defect["category"], *defect.get("also_acceptable", [])}
    rows = _where(defect)
    hits = [
        f
        for f in sample_result.findings
        if Path(f.file).name == defect["file"]
        and f.category in cats
        and (
            f.row == defect["row"]
            or (f.row in rows and defect["row"] in {r["row"] for r in f.related_rows})
            or f.row in rows - {defect["row"]}
            and f.category == defect["category"]
        )
    ]
    assert hits, f"no {sorted(cats)} finding for {defect['file']} row {defect['row']}: {defect['what']}"


def test_every_planted_defect_is_listed():
    """The expected list covers both sample inputs, so the test above cannot pass vacuously."""
    assert {d["file"] for d in DEFECTS} == FILES
    assert len(DEFECTS) >= 30


def test_clean_sample_has_no_errors_or_warnings():
    """The corrected chargemaster passes: only informational notes remain."""
    result = run_audit([SAMPLES / "chargemaster_clean.xlsx"], AuditRequest(as_of=AS_OF))
    loud = [(f.edit, f.row, f.message) for f in result.findings if f.severity in ("error", "warning")]
    assert loud == []
    assert result.exit_code("error") == 0


def test_sample_exit_code_fails_on_errors(sample_result):
    """Errors in the sample make `audit` exit 1 under the default --fail-on error."""
    assert sample_result.exit_code("error") == 1
    assert sample_result.exit_code("never") == 0
