"""The quarterly workflow on the bundled sample: four recorded runs, acknowledgements, and hand-computed counts.

Runs (facility "Sample Hospital", the sample pairing table in every run, history in a fresh SQLite file):

1. chargemaster.xlsx as of 2025-10-01 (code set 2025Q4, before the January 2026 update)
2. chargemaster.xlsx as of 2026-04-01 (code set 2026Q2): the same bytes against a new quarter
   -> after run 2 the analyst acknowledges three findings (two fixes pending, one waiver)
3. chargemaster_clean.xlsx as of 2026-04-01: the corrected extract (samples/EXPECTED.md); the pairing table
   is not corrected, so the pending fix on it never arrives
4. chargemaster.xlsx as of 2026-04-01 again: last quarter's extract reloaded over the fixes

Every expected number below is written out by hand from samples/EXPECTED.md, the pairing table and the
edits' effective dates; the code under test computes none of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.history import HistoryOptions, apply_history, store
from auditor.history import acks as ack_store
from auditor.history.compare import compare_runs
from auditor.report.context import ReportContext
from auditor.report.document import AuditDocument
from auditor.report.renderers import CHARGEMASTER, write_reports
from auditor.report.summary import render_summary

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
PAIRING = SAMPLES / "pairing_table.csv"
FACILITY = "Sample Hospital"
Q4_2025, Q2_2026 = dt.date(2025, 10, 1), dt.date(2026, 4, 1)


def audit(db: Path, name: str, as_of: dt.date, **options):
    """One audit of a sample chargemaster (with the sample pairing table), through the history hook."""
    result = run_audit([SAMPLES / name], AuditRequest(as_of=as_of, pairing_tables=[PAIRING]))
    history = HistoryOptions(db=db, facility=FACILITY, **options)
    result, document = apply_history(result, AuditDocument.of(result), history)
    return result, document.to_dict()


def fid_of(doc: dict, edit: str, code: str, charge_code: str | None = None) -> str:
    """The history id of the one finding of `edit` on `code` (and charge code) in a document."""
    (f,) = [
        f
        for f in doc["findings"]
        if f["edit"] == edit
        and f["code"] == code
        and (charge_code is None or f["charge_code"] == charge_code)
    ]
    return f["history_id"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The four runs recorded in one history file, with the acknowledgements made after run 2."""
    db = tmp_path_factory.mktemp("history") / "history.sqlite"
    out = {"db": db}
    out[1] = audit(db, "chargemaster.xlsx", Q4_2025)
    out[2] = audit(db, "chargemaster.xlsx", Q2_2026)
    doc2 = out[2][1]
    conn = store.connect(db)
    try:
        # Fix accepted: recode the L8680 electrode (E1 under OPPS) to C1778. The clean extract has it.
        ack_store.acknowledge(
            conn,
            [fid_of(doc2, "NS003", "L8680")],
            "pending-fix",
            "J. Analyst",
            "recode to C1778, ticket CDM-118",
        )
        # Fix accepted: link the generator procedure 64590 to its devices in the pairing table (NS001). Every
        # run passes the same pairing table: this fix never reached the extracts.
        ack_store.acknowledge(
            conn,
            [fid_of(doc2, "NS001", "64590")],
            "pending-fix",
            "J. Analyst",
            "link 64590 to C1767/C1820, ticket CDM-119",
        )
        # Waived: the add-on row 15272 -> Q4101 lists the product only; its application is on the 15271 rows
        # (SS002 on Q4101, a pairing-table warning that stays in every run).
        ack_store.acknowledge(
            conn,
            [fid_of(doc2, "SS002", "Q4101")],
            "waived",
            "Dr. Compliance",
            "add-on row lists the product only; application is on the 15271 rows",
        )
    finally:
        conn.close()
    out[3] = audit(db, "chargemaster_clean.xlsx", Q2_2026)
    out[4] = audit(db, "chargemaster.xlsx", Q2_2026)
    return out


def counts(doc: dict) -> dict:
    """The comparison counts of a document, without the quarter-change tally."""
    return {k: v for k, v in doc["history"]["counts"].items() if k != "quarter_broke"}


def test_run_1_first_run_everything_is_new(runs):
    _, doc = runs[1]
    # Chargemaster as of 2025-10-01: 30 planted defects, minus C5271, C5275, Q4100 and Q4106 (still listed in
    # the October 2025 Addendum B) = 26 defect lines, of which Q4431 is flagged as not yet valid (CV002, it
    # starts in 2026Q1) instead of as an NOS product without narrative (SS007, in force from 2026-01-01).
    # The 73562 duplicate (defect 13) is one PR001 note on the code (reported on the first line, row 175) and
    # 61867 (defect 18) is a CV011 info note, the CDM does not mark its lines outpatient.
    # Plus side findings that are not defects of their own: KN002 also sits on the 29880 and 29881 lines (+2,
    # the CDM has no G0289 for any of the three scopes). PR001/PR002 skip catch-all device C-codes, so the C1713, C1820 and
    # C1778 groups built at several prices are no longer noted; PR002 on the C1713 anchor at 121x the median
    # is defect 2 itself; RC004 notes the anchor line with its code only in the description. 26 + 2 + 1 = 29.
    # Pairing table as of 2025-10-01: 63685 linked only to a lead (NS002 + NS006 = 2), 64590 with no device
    # (NS001 + NS002 + PT001 = 3), and row 6, the add-on 15272 with Q4101 but no 15271 in its scope
    # (SS004 + SS002 = 2); the C5271 and Q4100 links are still valid in 2025Q4. 2 + 3 + 2 = 7.
    assert doc["summary"]["findings"] == 29 + 7
    assert doc["history"]["run_id"] == 1 and doc["history"]["baseline"] is None
    assert counts(doc) == {
        "new": 36,
        "resolved": 0,
        "still_open": 0,
        "reappeared": 0,
        "implementation_errors": 0,
        "fixes_confirmed": 0,
        "waived_by_ack": 0,
    }
    assert set(doc["history"]["status_by_id"].values()) == {"new"}
    assert [f["history_id"] for f in doc["findings"]] == list(doc["history"]["status_by_id"])


def test_run_2_same_file_new_quarter(runs):
    _, doc = runs[2]
    hist = doc["history"]
    # As of 2026-04-01 the chargemaster gains CV001 on C5271, C5275, Q4100, Q4106 (deleted in January
    # 2026, +4) and SS007 on Q4431 (+1), and loses CV002 on Q4431 (-1): 29 + 4 + 1 - 1 = 33.
    # The pairing table gains CV001 on its C5271 and Q4100 links (+2) and SS005 on the three products
    # Q4101, Q4186, Q4133 that share a scope with the low-cost C5271 link (+3, in force from 2026-01-01):
    # 7 + 5 = 12.
    assert doc["summary"]["findings"] == 33 + 12
    assert hist["baseline"]["id"] == 1 and hist["same_inputs"] is True
    # new 4 + 1 + 2 + 3 = 10; resolved: CV002 on Q4431 = 1; still open 35 - 1 = 34; nobody acknowledged yet.
    assert counts(doc) == {
        "new": 10,
        "resolved": 1,
        "still_open": 35,
        "reappeared": 0,
        "implementation_errors": 0,
        "fixes_confirmed": 0,
        "waived_by_ack": 0,
    }
    new = sorted((f["edit"], f["code"]) for f in hist["new"])
    assert new == sorted(
        [
            ("CV001", "C5271"),
            ("CV001", "C5275"),
            ("CV001", "Q4100"),
            ("CV001", "Q4106"),
            ("SS007", "Q4431"),
            ("CV001", "C5271"),
            ("CV001", "Q4100"),
            ("SS005", "Q4101"),
            ("SS005", "Q4186"),
            ("SS005", "Q4133"),
        ]
    )
    assert [(f["edit"], f["code"]) for f in hist["resolved"]] == [("CV002", "Q4431")]


def test_run_2_lists_what_the_january_update_broke(runs):
    hist = runs[2][1]["history"]
    broke = {(q["role"], q["code"], q["kind"]) for q in hist["quarter_changes"] if q["broken"]}
    # Codes on the files that are listed in 2025Q4 and absent from 2026Q2: four chargemaster lines and two
    # pairing-table links. Nothing on these files turned E1 or inpatient-only between the two quarters
    # (L8680/L8686 were E1 and 61867 was C in both).
    assert broke == {
        ("chargemaster", "C5271", "deleted"),
        ("chargemaster", "C5275", "deleted"),
        ("chargemaster", "Q4100", "deleted"),
        ("chargemaster", "Q4106", "deleted"),
        ("pairing-table", "C5271", "deleted"),
        ("pairing-table", "Q4100", "deleted"),
    }
    by_code = {(q["role"], q["code"]): q for q in hist["quarter_changes"]}
    c5271 = by_code[("chargemaster", "C5271")]
    assert c5271["before"] == {"quarter": "2025Q4", "status": "active", "si": "T"}
    assert c5271["after"]["status"] == "deleted" and c5271["lines"] == 1
    assert c5271["sample"][0]["charge_code"] == "76100300" and c5271["sample"][0]["row"] == 284
    # The successor application code is already built on the sample (the 15271 line in the 7610070x family).
    assert c5271["replaced_by"] == ["15271"] and c5271["replacement_on_file"] == ["15271"]
    # Q4431 (unlisted PMA product) is a new code in January 2026: newly valid, not broken.
    assert by_code[("chargemaster", "Q4431")]["kind"] == "newly_valid"


def test_run_3_clean_extract_confirms_one_fix_and_shows_one_implementation_error(runs):
    _, doc = runs[3]
    hist = doc["history"]
    # The clean chargemaster has no finding left (every planted defect corrected, and the retuned PR001 no
    # longer notes the catch-all C-codes built at several prices). The pairing table is unchanged: 12.
    assert doc["summary"]["findings"] == 12
    assert {f["scope"] for f in doc["findings"]} == {"pairing"}
    # still open: the 12 pairing findings; new: none; resolved: the 33 chargemaster findings of run 2.
    # implementation errors: the 64590 links acknowledged after run 2 are not in the pairing table = 1;
    # fixes confirmed: the L8680 recode arrived (NS003 gone) = 1; waived by acknowledgement: SS002 Q4101 = 1.
    assert counts(doc) == {
        "new": 0,
        "resolved": 33,
        "still_open": 12,
        "reappeared": 0,
        "implementation_errors": 1,
        "fixes_confirmed": 1,
        "waived_by_ack": 1,
    }
    assert {f["scope"] for f in hist["resolved"]} == {"chargemaster"}
    (err,) = hist["implementation_errors"]
    assert (err["edit"], err["code"], err["ack"]["who"]) == ("NS001", "64590", "J. Analyst")
    (fixed,) = hist["fixes_confirmed"]
    assert (fixed["edit"], fixed["code"], fixed["charge_code"]) == ("NS003", "L8680", "27801300")
    # The waiver applies like a configuration waiver: kept in the report, marked, out of the counts.
    (waived,) = [f for f in doc["findings"] if f["waived"]]
    assert (waived["edit"], waived["code"]) == ("SS002", "Q4101")
    assert "Dr. Compliance" in waived["waiver_reason"] and "add-on row lists" in waived["waiver_reason"]
    # 12 pairing findings: 7 errors (NS001, SS004, 3 SS005, 2 CV001) and 3 warnings, one of them waived; NS002
    # and PT001 on the 64590 row follow from its NS001 and are info.
    assert doc["summary"]["waived"] == 1
    assert (doc["summary"]["by_severity"]["error"], doc["summary"]["by_severity"]["warning"]) == (7, 2)
    # Same quarter as run 2: no code-set change to report.
    assert hist["quarter_changes"] == []


def test_run_4_reloaded_extract_reappears_and_both_pending_fixes_are_implementation_errors(runs):
    _, doc = runs[4]
    # The dirty extract again: the same 45 findings as run 2. Against run 3, the 33 findings resolved in
    # run 3 are back; all were seen in run 2, so they are reappeared, not new. Nothing of run 3 is gone
    # (resolved 0); the 12 pairing findings stay open. Both pending fixes are in this run: the 64590 links
    # (never fixed) and the L8680 line (fixed in run 3, overwritten now) = 2 implementation errors.
    assert doc["summary"]["findings"] == 45
    assert counts(doc) == {
        "new": 0,
        "resolved": 0,
        "still_open": 12,
        "reappeared": 33,
        "implementation_errors": 2,
        "fixes_confirmed": 0,
        "waived_by_ack": 1,
    }
    assert {f["last_seen_run"] for f in doc["history"]["reappeared"]} == {2}
    assert {(f["edit"], f["code"]) for f in doc["history"]["implementation_errors"]} == {
        ("NS001", "64590"),
        ("NS003", "L8680"),
    }
    assert sum(s == "reappeared" for s in doc["history"]["status_by_id"].values()) == 33


def test_compare_any_two_runs_and_the_default_baseline(runs):
    conn = store.connect(runs["db"])
    try:
        # Run 1 against run 4: run 4 holds run 2's 45 findings, so this is the 1 -> 2 picture (10 new,
        # 1 resolved, 35 open, nothing seen before run 1 to reappear) plus the two pending fixes, which
        # were acknowledged on run 2, before run 4: 2 implementation errors.
        c = compare_runs(conn, 1, 4).counts()
        assert (c["new"], c["resolved"], c["still_open"], c["reappeared"], c["implementation_errors"]) == (
            10,
            1,
            35,
            0,
            2,
        )
        # No baseline: the facility's run before run 3 is run 2, the same comparison the audit reported.
        assert compare_runs(conn, None, 3).to_dict()["counts"] == runs[3][1]["history"]["counts"]
    finally:
        conn.close()


def test_trend_has_one_point_per_quarter(runs):
    trend = runs[4][1]["history"]["trend"]
    # Runs 2, 3 and 4 are all as of 2026Q2: the quarter's point is its latest run, run 4.
    assert [(p["quarter"], p["id"]) for p in trend] == [("2025Q4", 1), ("2026Q2", 4)]
    # Run 1: 9 errors, 16 warnings, 11 info (NS002 and PT001 on the pairing row of 64590 follow from its NS001,
    # so they are info). Run 4 (= run 2): 17 errors (run 1's 9 minus CV002 Q4431, plus 6 CV001 and 3 SS005),
    # 17 warnings (plus SS007 Q4431, minus the SS002 Q4101 warning waived by acknowledgement: 16) and the same
    # info notes.
    assert [(p["errors"], p["warnings"], p["infos"]) for p in trend] == [(9, 16, 11), (17, 16, 11)]


def test_history_holds_the_run_record(runs):
    conn = store.connect(runs["db"])
    try:
        run = store.get_run(conn, 2)
        assert (run["facility"], run["as_of"], run["quarter"], run["code_quarter"]) == (
            FACILITY,
            "2026-04-01",
            "2026Q2",
            "2026Q2",
        )
        assert run["edit_set_version"] == runs[2][1]["run"]["edit_set_version"]
        assert [(i["role"], i["name"]) for i in run["inputs"]] == [
            ("chargemaster", "chargemaster.xlsx"),
            ("pairing-table", "pairing_table.csv"),
        ]
        assert all(re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in run["inputs"])
        assert run["config"] == runs[2][1]["run"]["config"]
        stored = store.run_findings(conn, 2)
        assert len(stored) == 45 and {f["row"] for f in stored.values()} >= {284, 285, 294, 295}
    finally:
        conn.close()


def test_reordered_rows_keep_every_identity(runs, tmp_path):
    """The same extract with its lines in reverse order: nothing new, nothing resolved."""
    wb = openpyxl.load_workbook(SAMPLES / "chargemaster.xlsx")
    ws = wb["CDM"]
    cells = [[(c.value, c.number_format) for c in row] for row in ws.iter_rows(min_row=5, max_row=ws.max_row)]
    for i, row in enumerate(reversed(cells)):
        for j, (value, fmt) in enumerate(row):
            ws.cell(5 + i, 1 + j).value, ws.cell(5 + i, 1 + j).number_format = value, fmt
    wb.save(tmp_path / "chargemaster_2026Q2.xlsx")
    result = run_audit(
        [tmp_path / "chargemaster_2026Q2.xlsx"], AuditRequest(as_of=Q2_2026, pairing_tables=[PAIRING])
    )
    moved = {f.row for f in result.findings if f.scope == "chargemaster"} - {
        f["row"] for f in runs[4][1]["findings"] if f["scope"] == "chargemaster"
    }
    assert moved, "the reversal must move the flagged rows for this test to mean anything"
    options = HistoryOptions(db=runs["db"], facility=FACILITY, record=False, compare_with="4")
    doc = apply_history(result, AuditDocument.of(result), options)[1].to_dict()
    assert counts(doc)["new"] == 0 and counts(doc)["resolved"] == 0 and counts(doc)["still_open"] == 45


def test_reports_gain_a_since_last_run_section(runs, tmp_path):
    result, doc = runs[3]
    write_reports(CHARGEMASTER, ReportContext(doc, result), ["html", "xlsx", "json"], tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="since-last-run"' in html and 'id="trend-chart"' in html and "<svg" in html
    for key, n in (("new", 0), ("resolved", 33), ("still_open", 12), ("implementation_errors", 1)):
        assert f'data-history-metric="{key}" data-value="{n}"' in html
    assert 'id="implementation-errors"' in html and "link 64590 to C1767/C1820" in html
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames[:5] == ["Fix first", "Problems", "Summary", "Since last run", "Findings"]
    values = {r[0]: r[1] for r in book["Since last run"].iter_rows(values_only=True) if r[0] is not None}
    assert (values["New"], values["Resolved"], values["Implementation errors"]) == (0, 33, 1)
    head = [c.value for c in book["Findings"][1]]
    assert head[-2:] == ["History id", "Since last run"]
    saved = json.loads((tmp_path / "history.json").read_text(encoding="utf-8"))
    assert saved["counts"]["fixes_confirmed"] == 1
    findings = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert "history" not in findings and all(
        re.fullmatch(r"[0-9a-f]{12}", f["history_id"]) for f in findings["findings"]
    )
    text = render_summary(doc)
    assert "Since last run" in text and "1 implementation errors" in text and "CDM-119" in text


def test_run_2_report_lists_quarter_breaks(runs, tmp_path):
    result, doc = runs[2]
    write_reports(CHARGEMASTER, ReportContext(doc, result), ["html", "xlsx"], tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="quarter-broke"' in html
    for code in ("C5271", "C5275", "Q4100", "Q4106"):
        assert f'data-code="{code}" data-kind="deleted"' in html
    rows = list(
        openpyxl.load_workbook(tmp_path / "report.xlsx")["Since last run"].iter_rows(values_only=True)
    )
    deleted = {r[0] for r in rows if len(r) > 2 and r[2] == "deleted"}
    assert deleted == {"C5271", "C5275", "Q4100", "Q4106"}
