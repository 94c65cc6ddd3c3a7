"""A real chargemaster audited as of 2025-10-01 and then 2026-01-01: the January 2026 update's breakage is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.history import HistoryOptions, apply_history
from auditor.report.document import AuditDocument

REAL_CDM = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-cdm"
TORRANCE = REAL_CDM / "oshpd-torrance-2018" / "106190422_CDM_2018.xlsx"
pytestmark = pytest.mark.skipif(not TORRANCE.is_file(), reason=f"real chargemaster not found at {TORRANCE}")
LOW_COST = [
    f"C527{n}" for n in range(1, 9)
]  # the low-cost skin substitute application codes deleted for 2026


def lines_by_hcpcs() -> dict[str, list[str]]:
    """HCPCS -> bill item ids, read straight from the workbook (columns BILL ITEM ID .. HCPCS), not via cdm-audit."""
    sheet = fastexcel.read_excel(str(TORRANCE)).load_sheet(0, header_row=None, dtypes="string").to_polars()
    out: dict[str, list[str]] = {}
    for bill_item, hcpcs in zip(sheet[:, 0].to_list()[1:], sheet[:, 3].to_list()[1:], strict=False):
        if hcpcs and hcpcs.strip():
            out.setdefault(hcpcs.strip().upper(), []).append(bill_item.strip())
    return out


@pytest.fixture(scope="module")
def january(tmp_path_factory):
    """Torrance audited as of 2025-10-01 and 2026-01-01 into one history; the second document."""
    db = tmp_path_factory.mktemp("real-history") / "history.sqlite"
    doc = None
    for as_of in (dt.date(2025, 10, 1), dt.date(2026, 1, 1)):
        result = run_audit([TORRANCE], AuditRequest(as_of=as_of))
        options = HistoryOptions(db=db, facility="Torrance Memorial")
        doc = apply_history(result, AuditDocument.of(result), options)[1].to_dict()
    return doc


def test_low_cost_application_and_nos_lines_are_newly_broken(january):
    hist = january["history"]
    assert hist["baseline"]["code_quarter"] == "2025Q4" and hist["current"]["code_quarter"] == "2026Q1"
    assert hist["same_inputs"] is True
    on_file = lines_by_hcpcs()
    new_cv001 = {}
    for f in hist["new"]:
        if f["edit"] == "CV001":
            new_cv001.setdefault(f["code"], set()).add(f["charge_code"])
    broke = {q["code"]: q for q in hist["quarter_changes"] if q["broken"]}
    for code in LOW_COST + ["Q4100"]:
        assert code in on_file, f"{code} is expected on the Torrance chargemaster"
        # Every line carrying the code is a new CV001 (deleted code) finding in January 2026 ...
        assert new_cv001.get(code) == set(on_file[code]), code
        # ... and the code is listed as deleted by the quarter change, with all its lines.
        q = broke[code]
        assert (q["kind"], q["before"]["status"], q["after"]["status"]) == ("deleted", "active", "deleted")
        assert q["lines"] == len(on_file[code])
    # One line for each low-cost code (bill items 7573019-7573026), many for the NOS code.
    assert [on_file[c] for c in LOW_COST] == [[str(7573019 + i)] for i in range(8)]
    assert len(on_file["Q4100"]) > 20
    assert broke["C5271"]["replaced_by"] == ["15271"]


def test_breakage_is_in_the_summary_text(january):
    from auditor.report.summary import render_summary

    text = render_summary(january)
    assert "What the 2025Q4 -> 2026Q1 code update broke" in text
    # The code breaking the most lines leads the list.
    assert text.split("code update broke")[1].splitlines()[1].split()[0] == "Q4100"
