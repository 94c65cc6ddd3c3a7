"""Pricing, revenue-code, crosswalk and pairing edits on built files (labels: tests/test_precision.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import SHARED, write_text

from auditor.audit import AuditRequest, run_audit
from auditor.ingest.reader import IngestOptions, SheetChoice

AS_OF = dt.date(2026, 4, 1)
DATA = SHARED / "data"
LABEL_FILES = (
    DATA / "real-cdm" / "labels" / "findings-labelled.csv",
    Path(__file__).resolve().parent / "data" / "labels" / "extra-pricing.csv",
)
# The edits this suite answers for: pricing, revenue codes, neurostimulators, knee arthroscopy, skin substitutes.
FAMILIES = ("PR", "RC", "NS", "KN", "SS")
HEADER = ["Charge Code", "Description", "CPT/HCPCS", "Modifier", "Rev Code", "Price"]


def test_crosswalk_follows_the_description(tmp_path):
    """NS003 suggests the C-code the description names, or says the L-code does not fit the item at all."""
    rows = [
        ["1", "HC KIT EXTENSION NEUROSTIM 60CM", "L8687", "", "0278", "3000"],
        ["2", "HC LEAD KIT TRIAL PERCUTANEOUS", "L8680", "", "0278", "900"],
        ["3", "HC NEUROSTIM GENERATOR NON-RECHARGEABLE", "L8687", "", "0278", "20000"],
        ["4", "HC SENSOR EEG SEDLINE", "L8680", "", "0278", "80"],
        ["5", "HC NEUROSTIM GENERATOR RECHARGEABLE", "L8687", "", "0278", "25000"],
    ]
    said = {f.row: f.message for f in _edits(_audit(tmp_path, rows), "NS003")}
    assert "C1883" in said[2] and "C1820" not in said[2]
    assert "C1897" in said[3]
    assert "C1767" in said[4]
    assert "does not fit the item" in said[5]
    assert "C1820" in said[6]


# -- built files ------------------------------------------------------------------------------------------


def _audit(tmp_path: Path, rows: list[list], name: str = "cdm", kind: str | None = None):
    """Audit a small CSV chargemaster (optionally declaring its sheet kind)."""
    path = write_text(tmp_path / f"{name}.csv", [HEADER, *rows])
    ingest = IngestOptions(per_sheet={path.name: SheetChoice(kind=kind)}) if kind else IngestOptions()
    return run_audit([path], AuditRequest(as_of=AS_OF, ingest=ingest))


def _edits(result, *codes: str) -> list:
    return [f for f in result.findings if f.edit in codes]


def test_catch_all_codes_at_different_prices_are_not_compared(tmp_path):
    rows = [
        ["1", "HC ANCHOR SUTURE 2.9MM", "C1713", "", "0278", "60"],
        ["2", "HC ANCHOR SUTURE 2.9MM", "C1713", "", "0278", "600"],
        ["3", "HC PLATE DISTAL RADIUS", "C1713", "", "0278", "8000"],
        ["4", "HC SUPPLY MISC", "A4649", "", "0272", "4"],
        ["5", "HC SUPPLY MISC", "A4649", "", "0272", "40"],
        ["6", "HC SUPPLY MISC", "A4649", "", "0272", "900"],
        ["7", "HC MOLECULAR PATH LEVEL 4", "81403", "", "0300", "119"],
        ["8", "HC MOLECULAR PATH LEVEL 4", "81403", "", "0300", "500"],
        ["9", "HC UNLISTED PROC NERVOUS SYSTEM", "64999", "", "0360", "300"],
        ["10", "HC UNLISTED PROC NERVOUS SYSTEM", "64999", "", "0360", "9000"],
        # Unlisted codes whose number does not end in 99 (read on Harborview: a screening MRI and MR treatment
        # planning both under 76498, 2,323 and 9,425).
        ["11", "HC WHOLE BODY MRI SCREEN", "76498", "", "0610", "2322.67"],
        ["12", "HC TREATMENT PLANNING MR HEAD", "76498", "", "0610", "9425.19"],
    ]
    assert _edits(_audit(tmp_path, rows), "PR001", "PR002") == []


def test_professional_component_and_global_lines_are_not_compared(tmp_path):
    rows = [
        ["1", "HC CT HEAD", "70450", "", "0350", "900"],
        ["2", "HC CT HEAD", "70450", "26", "0350", "90"],
        ["3", "HC CT HEAD", "70450", "TC", "0350", "810"],
        ["4", "HC CT HEAD", "70450", "", "0350", "905"],
        ["5", "HC CT HEAD", "70450", "", "0350", "910"],
    ]
    assert _edits(_audit(tmp_path, rows), "PR001", "PR002") == []


def test_inpatient_outpatient_twins_and_tiny_spreads_are_one_price(tmp_path):
    rows = [
        ["IP_SUP-1", "REMOTE MANAGER THERAPY", "C1765", "", "0278", "520"],
        ["OP_SUP-1", "REMOTE MANAGER THERAPY", "C1765", "", "0278", "410"],
        ["3", "HC CALCIUM, FLD", "82310", "", "0300", "30.80"],
        ["4", "HC CALCIUM", "82310", "", "0300", "31.05"],
    ]
    assert _edits(_audit(tmp_path, rows), "PR001", "PR003") == []


def test_catalogue_and_hospital_charge_lines_are_one_info_problem_not_a_warning_each(tmp_path):
    """A supply number listed as 'X' and 'HC X' at two prices (an export merging two charge masters) is PR005,
    info, one problem for the file; two 'HC' lines of one number at two prices stay a PR003 warning."""
    rows = [
        ["S100", "STENT CORONARY 3X18MM", "", "", "0278", "2200"],
        ["S100", "HC STENT CORONARY 3X18MM", "", "", "0278", "2300"],
        ["S200", "GUIDEWIRE .035 150CM", "", "", "0272", "90"],
        ["S200", "HC GUIDEWIRE .035 150CM", "", "", "0272", "95"],
        ["S300", "HC CATHETER PICC 4FR", "", "", "0272", "700"],
        ["S300", "HC CATHETER PICC 4FR", "", "", "0272", "950"],
    ]
    result = _audit(tmp_path, rows)
    assert [(f.charge_code, f.severity) for f in _edits(result, "PR003")] == [("S300", "warning")]
    mixed = _edits(result, "PR005")
    assert sorted(f.charge_code for f in mixed) == ["S100", "S200"] and {f.severity for f in mixed} == {
        "info"
    }
    assert "'HC' hospital charge and an unprefixed line" in mixed[0].message
    [problem] = [p for p in result.problems if p.edit == "PR005"]
    # Both lines of each pair are lines of the problem: 2 pairs, 4 lines.
    assert problem.group == "file" and problem.lines == 4


def test_same_item_at_two_prices_is_still_noted(tmp_path):
    rows = [
        ["1", "HC CBC W/AUTO DIFF", "85025", "", "0300", "47.80"],
        ["2", "MEM CBC", "85025", "", "0300", "124"],
    ]
    found = _edits(_audit(tmp_path, rows), "PR001")
    assert [f.row for f in found] == [2]


def test_device_lines_are_not_pushed_to_an_implant_revenue_code_and_are_said_once(tmp_path):
    rows = [
        ["1", "PATIENT CHARGER", "C1822", "", "0270", "900"],
        ["2", "PROGRAMMER PATIENT KIT", "C1787", "", "0270", "3000"],
        ["3", "KIT MILD PROCEDURE", "C1889", "", "0272", "1200"],
        ["4", "HC NEUROSTIM LEAD", "C1778", "", "0272", "4000"],
        ["5", "HC NEUROSTIM GEN RECHARGEABLE", "C1820", "", "0272", "20000"],
    ]
    result = _audit(tmp_path, rows)
    assert sorted(f.row for f in _edits(result, "RC002")) == [5, 6]
    problems = [p for p in result.problems if p.edit == "RC002"]
    assert len(problems) == 1 and problems[0].severity == "info"


def test_chargemaster_without_device_lines_says_once_that_the_pairing_cannot_be_seen(tmp_path):
    rows = [
        ["1", "HC SCS GENERATOR INSERTION", "63685", "", "0360", "9000"],
        ["2", "HC SCS LEAD PERC", "63650", "", "0360", "7000"],
        ["3", "HC SKIN SUB APPL TRUNK 1ST 25", "15271", "", "0361", "800"],
        ["4", "HC CT HEAD", "70450", "", "0350", "900"],
    ]
    result = _audit(tmp_path, rows)
    assert _edits(result, "NS001", "NS002", "SS001") == []
    status = {s.code: s for s in result.summaries()}
    for code in ("NS001", "NS002", "SS001"):
        assert status[code].status == "not-evaluable", code
        assert "no " in status[code].note and "line at all" in status[code].note


def test_file_without_device_lines_among_several_is_named_not_judged(tmp_path):
    with_devices = write_text(
        tmp_path / "main.csv",
        [
            HEADER,
            ["1", "HC SCS GENERATOR INSERTION", "63685", "", "0360", "9000"],
            ["2", "HC ANCHOR", "C1713", "", "0278", "600"],
        ],
    )
    without = write_text(
        tmp_path / "asc.csv", [HEADER, ["1", "HC SCS GENERATOR INSERTION", "63685", "", "0360", "9000"]]
    )
    result = run_audit([with_devices, without], AuditRequest(as_of=AS_OF))
    assert {Path(f.file).name for f in _edits(result, "NS001")} == {"main.csv"}
    note = {s.code: s for s in result.summaries()}["NS001"].note
    assert "asc.csv" in note and "line at all" in note


def test_case_rate_lines_are_not_pairing_triggers(tmp_path):
    rows = [
        ["1", "SCS GENERATOR INSERTION CASE RATE", "63685", "", "0360", "30000"],
        ["2", "HC ANCHOR SUTURE", "C1713", "", "0278", "600"],
    ]
    assert _edits(_audit(tmp_path, rows), "NS001", "NS002") == []


def test_devices_present_keep_the_missing_device_finding(tmp_path):
    rows = [
        ["1", "HC SCS GENERATOR INSERTION", "63685", "", "0360", "9000"],
        ["2", "HC ANCHOR SUTURE", "C1713", "", "0278", "600"],
    ]
    assert [f.row for f in _edits(_audit(tmp_path, rows), "NS001")] == [2]


def test_knee_g0289_tip_is_not_for_professional_fee_lines(tmp_path):
    rows = [["1", "HP ARTHRS KNE SURG W/MENISCECTOMY", "29881", "", "0360", "900"]]
    assert _edits(_audit(tmp_path, rows, kind="professional_fee"), "KN002") == []
    facility = _audit(tmp_path, [["1", "HC KNEE SCOPE MENISCECTOMY", "29881", "", "0360", "900"]], name="fac")
    found = _edits(facility, "KN002")
    assert len(found) == 1 and found[0].severity == "info"


def _pairs(n: int, first_higher: int) -> list[list]:
    """n charge codes, each on two adjacent lines worded alike at two prices, the first line higher in the first
    `first_higher` of them."""
    rows = []
    for i in range(n):
        high, low = str(1000 + 10 * i), str(600 + 10 * i)
        a, b = (high, low) if i < first_higher else (low, high)
        rows += [[f"48{i:06d}", f"HC DIAGNOSTIC TEST {i}", "", "", "0480", p] for p in (a, b)]
    return rows


def test_a_sheet_of_two_price_schedules_is_one_info_problem_not_a_warning_per_charge_code(tmp_path):
    """24 charge codes each listed twice, adjacent, the first line higher in 23 of them: the sheet holds two price
    schedules without the column naming them. PR007 says so once for the file (every pair a line of it); PR003
    warns only for the charge code used twice some other way."""
    rows = _pairs(24, first_higher=23) + [
        ["S300", "HC CATHETER PICC 4FR", "", "", "0272", "700"],
        ["S301", "HC CATHETER MIDLINE 4FR", "", "", "0272", "400"],
        ["S300", "HC CATHETER PICC 4FR", "", "", "0272", "950"],
    ]
    result = _audit(tmp_path, rows)
    assert [f.charge_code for f in _edits(result, "PR003")] == ["S300"]
    folded = _edits(result, "PR007")
    assert len(folded) == 24 and {f.severity for f in folded} == {"info"}
    assert (
        "one of 24 such pairs on this sheet, the first line priced higher in 96% of them" in folded[0].message
    )
    [problem] = [p for p in result.problems if p.edit == "PR007"]
    assert problem.group == "file" and problem.lines == 48


def test_duplicate_pairs_without_one_order_stay_charge_codes_used_twice(tmp_path):
    """The same 24 pairs with the higher line first in only half, or 19 pairs all alike (under the 20 a sheet of
    schedules needs): each is its own PR003 warning."""
    mixed = _audit(tmp_path, _pairs(24, first_higher=12), name="mixed")
    few = _audit(tmp_path, _pairs(19, first_higher=19), name="few")
    assert len(_edits(mixed, "PR003")) == 24 and not _edits(mixed, "PR007")
    assert len(_edits(few, "PR003")) == 19 and not _edits(few, "PR007")
