"""Real hospital chargemasters audited as of 2026-04-01: hand-checked findings, no crash, no lost rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.audit import AuditRequest, run_audit

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-cdm"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"real chargemasters not found at {SHARED}")
AS_OF = dt.date(2026, 4, 1)

FILES = {
    "torrance": "oshpd-torrance-2018/106190422_CDM_2018.xlsx",
    "harborview": "uw-harborview-2021/HMC_Fees_20211001.xlsx",
    "kennestone": "kennestone-2019/WSProcedures.txt",
    "sutter": "sutter-lakeside-2022/940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv",
    "ucdavis": "ucdavis-2019/CDM.csv",
    "stanislaus": "oshpd-stanislaus-surgical-2018/106504038_CDM_All_2018.xls",
}

# (file, edit, row as the user sees it, code, something the message or expected text must say)
HAND_CHECKED = [
    # Low-cost skin substitute application codes, deleted from OPPS in January 2026.
    ("torrance", "CV001", 21066, "C5271", "2025Q4"),
    ("torrance", "CV001", 21073, "C5278", "2025Q4"),
    ("kennestone", "CV001", 9288, "C5271", "2025Q4"),
    ("ucdavis", "CV001", 2437, "C5271", "2025Q4"),
    # Dermagraft and the skin substitute NOS code, gone in 2026.
    ("torrance", "CV001", 24310, "Q4106", "2025Q4"),
    ("kennestone", "CV001", 7947, "Q4106", "2025Q4"),
    ("stanislaus", "CV001", 7972, "Q4100", "2025Q4"),
    # A patient charger billed with a rechargeable generator code.
    ("stanislaus", "NS004", 11742, "C1822", "charger"),
    # Trial leads and extensions billed as permanent leads.
    ("stanislaus", "NS004", 11273, "C1778", "trial lead"),
    ("ucdavis", "NS004", 7546, "C1778", "C1897"),
    ("ucdavis", "NS004", 7545, "C1778", "C1883"),
    # L-codes that are E1 under OPPS, with the C-code for what the description names (labels/findings-labelled.csv):
    # an extension kit on the generator code L8687 is reported as C1883, not as the generator C1820.
    ("stanislaus", "NS003", 8450, "L8687", "C1883"),
    ("stanislaus", "NS003", 8481, "L8687", "C1883"),
    ("stanislaus", "NS003", 8482, "L8687", "C1883"),
    # A non-rechargeable PrimeAdvanced generator on L8687 is C1767; a rechargeable RestoreSensor is C1820.
    ("stanislaus", "NS003", 11977, "L8687", "C1767"),
    ("stanislaus", "NS003", 11980, "L8687", "C1820"),
    ("ucdavis", "NS003", 2661, "L8680", "C1778"),
    # Skin substitute products under an implant revenue code instead of 0636.
    ("sutter", "RC003", 2010, "Q4125", "0278"),
    ("kennestone", "RC003", 2936, "Q4114", "0278"),
    ("stanislaus", "RC003", 7972, "Q4100", "0278"),
    # A meniscectomy charge with no G0289 line in the chargemaster.
    ("harborview", "KN002", 8011, "29881", "G0289"),
]


# (file, edit, row, why not) for lines the hand labels call wrong findings: the edit must not raise them at all,
# neither on the row nor as a related row of another finding.
NOT_RAISED = [
    # Neurostimulator patient programmers and remotes (C1787) are external devices: 0270/0272 vs 0278 is
    # house convention, not a revenue-code error.
    (
        "torrance",
        "RC002",
        2358,
        "patient programmer (Medtronic 37743) under 0272: external, house convention",
    ),
    ("torrance", "RC002", 2479, "Eon patient programmer: external device, revenue code is house convention"),
    (
        "torrance",
        "RC002",
        3081,
        "neurostimulator remote control is external; 0272 is a reasonable revenue code",
    ),
    (
        "kennestone",
        "RC002",
        13660,
        "patient programmer is external, not implanted; 0272 vs 0278 is house convention",
    ),
    ("stanislaus", "RC002", 11254, "external patient programmer under 0270: a house choice"),
    ("sutter", "RC002", 5151, "external patient remote under 0272: house convention"),
]

# (file, edit, row, code the message must not suggest, why) for fixes the hand labels call wrong.
WRONG_FIX = [
    ("stanislaus", "NS003", 8450, "C1820", "an extension kit is C1883; C1820 is a rechargeable generator"),
    ("stanislaus", "NS003", 8481, "C1820", "an extension kit is C1883; C1820 is a rechargeable generator"),
    ("stanislaus", "NS003", 11977, "C1820", "PrimeAdvanced is non-rechargeable (C1767), not C1820"),
]


@pytest.fixture(scope="module")
def audits():
    """Each real file audited once."""
    return {name: run_audit([SHARED / rel], AuditRequest(as_of=AS_OF)) for name, rel in FILES.items()}


@pytest.mark.parametrize("name,edit,row,code,says", HAND_CHECKED, ids=lambda v: str(v))
def test_hand_checked_finding(audits, name, edit, row, code, says):
    """The finding is on the right row, for the right code, and says what the analyst needs."""
    hits = [f for f in audits[name].findings if f.edit == edit and f.row == row]
    assert hits, f"{edit} did not flag {name} row {row}"
    f = hits[0]
    assert f.code == code
    assert says in f.message or says in (f.expected or "")


@pytest.mark.parametrize("name,edit,row,why", NOT_RAISED, ids=lambda v: str(v)[:20])
def test_hand_rejected_finding_not_raised(audits, name, edit, row, why):
    """A line the hand labels call no error is not flagged by the edit, alone or grouped with another line."""
    hits = [
        f
        for f in audits[name].findings
        if f.edit == edit and (f.row == row or any(r.get("row") == row for r in f.related_rows))
    ]
    assert not hits, f"{edit} flags {name} row {row}, but {why}"


@pytest.mark.parametrize("name,edit,row,wrong,why", WRONG_FIX, ids=lambda v: str(v)[:20])
def test_hand_rejected_fix_not_suggested(audits, name, edit, row, wrong, why):
    """The finding is raised, but never with the fix the hand labels call wrong."""
    hits = [f for f in audits[name].findings if f.edit == edit and f.row == row]
    assert hits, f"{edit} did not flag {name} row {row}"
    for f in hits:
        assert wrong not in f.message and wrong != f.expected, (
            f"{edit} suggests {wrong} on {name} row {row}: {why}"
        )


@pytest.mark.parametrize("name", FILES)
def test_every_row_audited_or_skipped(audits, name):
    """Nothing in the real files crashes the audit or drops a row; findings point at audited rows."""
    result = audits[name]
    for f in result.chargemaster.files:
        for s in f.sheets:
            assert s.rows_audited + s.rows_skipped == s.rows_read
    audited = {(r["sheet"], r["row"]) for r in result.chargemaster.frame.select("sheet", "row").to_dicts()}
    assert sum(s.rows_audited for f in result.chargemaster.files for s in f.sheets) == len(audited)
    assert all((f.sheet, f.row) in audited for f in result.findings)


def test_quarter_used_is_april_2026(audits):
    """As of 2026-04-01 the audit uses the April 2026 Addendum B, without a stale warning."""
    q = audits["torrance"].quarter
    assert (q.requested, q.used, q.stale) == ("2026Q2", "2026Q2", False)


def test_same_file_as_of_2025_keeps_c5271(audits):
    """C5271 was valid through 2025: audited as of 2025-11-01 the Torrance line is not deleted."""
    result = run_audit([SHARED / FILES["torrance"]], AuditRequest(as_of=dt.date(2025, 11, 1)))
    assert not [f for f in result.findings if f.edit == "CV001" and f.code == "C5271"]


def test_cms_examples_audit_without_crash():
    """The CMS standard-charges examples (tall, wide, JSON) audit cleanly: every row accounted for."""
    folder = SHARED / "cms-hpt-examples"
    files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".json"))
    result = run_audit(files, AuditRequest(as_of=AS_OF))
    assert len(result.chargemaster.files) == len(files)
    for f in result.chargemaster.files:
        assert f.format.startswith("cms-")
        assert sum(s.rows_audited for s in f.sheets) > 0
