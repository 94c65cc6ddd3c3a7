"""report.xlsx reopened with openpyxl: sheets, headers, counts, links, highlights, charts and formula safety."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest
from test_report_fixtures import AS_OF, hostile_cdm, load_doc

SHEETS_START = ["Fix first", "Problems", "Summary", "Findings"]
SHEETS_END = ["Edits", "Skipped rows"]


@pytest.fixture(scope="module")
def book(sample_reports):
    """The sample workbook, opened once."""
    return openpyxl.load_workbook(sample_reports / "report.xlsx")


def header(ws) -> list:
    """The first row's values."""
    return [c.value for c in ws[1]]


def fill(cell) -> str | None:
    """The solid fill colour of a cell, or None."""
    return cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None


def test_sheets_in_order(book, sample_reports):
    names = book.sheetnames
    assert names[:4] == SHEETS_START and names[-2:] == SHEETS_END
    assert names[4] == "Chargemaster"
    if any(i["role"] == "pairing-table" for i in load_doc(sample_reports)["run"]["inputs"]):
        assert names[5] == "Pairing table"
    assert book.active.title == "Fix first"


def test_findings_sheet_one_row_per_finding(book, sample_reports):
    doc = load_doc(sample_reports)
    ws = book["Findings"]
    head = header(ws)
    assert (
        head[:4] == ["Problem", "Severity", "Edit", "Name"] and "Go to row" in head and "Related rows" in head
    )
    assert ws.max_row - 1 == len(doc["findings"])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}{ws.max_row}"
    col = {h: i for i, h in enumerate(head)}
    for row, f in zip(ws.iter_rows(min_row=2, values_only=True), doc["findings"], strict=False):
        assert (row[col["Edit"]], row[col["Row"]], row[col["Charge code"]]) == (
            f["edit"],
            f["row"],
            f["charge_code"],
        )
        assert row[col["Severity"]] == f["severity"]
        assert row[col["Waived"]] == ("yes" if f["waived"] else "no")
    # fix-first order: problem ranks never go down, and each finding's rank is its problem's
    ranks = [row[col["Problem"]] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    for p in doc["problems"]:
        assert {ranks[i] for i in p["findings"]} == {p["rank"]}
    # severity colours
    sev = {ws.cell(r, 2).value: fill(ws.cell(r, 2)) for r in range(2, ws.max_row + 1)}
    assert len({v for v in sev.values()}) == len(sev) and all(sev.values())


def test_links_point_at_the_annotated_row(book):
    ws, cdm = book["Findings"], book["Chargemaster"]
    head = header(ws)
    go, sheet_col, row_col = head.index("Go to row") + 1, head.index("Sheet") + 1, head.index("Row") + 1
    ann = header(cdm)
    a_sheet, a_row = ann.index("Sheet") + 1, ann.index("Row") + 1
    checked = 0
    for r in range(2, ws.max_row + 1):
        link = ws.cell(r, go).hyperlink
        if ws.cell(r, head.index("Scope") + 1).value != "chargemaster":
            continue
        assert link is not None and link.location.startswith("'Chargemaster'!A")
        target = int(link.location.split("!A")[1])
        assert (cdm.cell(target, a_sheet).value, cdm.cell(target, a_row).value) == (
            ws.cell(r, sheet_col).value,
            ws.cell(r, row_col).value,
        )
        assert ws.cell(r, go).value == f"{ws.cell(r, sheet_col).value}!{ws.cell(r, row_col).value}"
        checked += 1
    assert checked > 0


def test_annotated_sheet_holds_the_flagged_rows_and_highlights(book, sample_reports):
    """By default (--annotated flagged) the sheet holds the rows with findings and their charge codes' other
    rows; tests/test_excel_annotated.py checks every row (--annotated full) and clean rows unhighlighted."""
    doc = load_doc(sample_reports)
    cdm = book["Chargemaster"]
    head = header(cdm)
    assert head[:2] == ["Findings", "Severity"]
    assert {"Charge code", "Description", "Rev code", "CPT/HCPCS", "Price"} <= set(head)
    flagged = {f["row"]: f for f in doc["findings"] if f["scope"] == "chargemaster" and not f["waived"]}
    lines = {f["row"] for f in doc["findings"] if f["scope"] == "chargemaster"}
    code_col, row_col = head.index("CPT/HCPCS") + 1, head.index("Row") + 1
    cc_col = head.index("Charge code") + 1
    shown = [cdm.cell(r, row_col).value for r in range(2, cdm.max_row + 1)]
    assert set(shown) >= lines and len(shown) == len(set(shown))
    codes = {
        cdm.cell(r, cc_col).value for r in range(2, cdm.max_row + 1) if cdm.cell(r, row_col).value in lines
    }
    for r in range(2, cdm.max_row + 1):
        line, text = cdm.cell(r, row_col).value, cdm.cell(r, 1).value
        assert line in lines or cdm.cell(r, cc_col).value in codes, f"row {line} is neither flagged nor kin"
        if line in flagged:
            f = flagged[line]
            assert f["edit"] in text and fill(cdm.cell(r, 1)), f"row {line} not annotated"
            if f["category"] in ("invalid_code", "deleted_code", "not_payable_in_setting"):
                assert fill(cdm.cell(r, code_col)), f"code cell of row {line} not highlighted"
    cm_sheets = [s for i in doc["run"]["inputs"] if i["role"] == "chargemaster" for s in i["sheets"]]
    assert cdm.max_row - 1 < sum(s["rows_audited"] for s in cm_sheets)
    notes = [r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Annotated rows"]
    assert len(notes) == 1 and "--annotated full" in notes[0]


def test_summary_has_run_record_counts_and_native_charts(book, sample_reports):
    doc = load_doc(sample_reports)
    ws = book["Summary"]
    kv = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] is not None}
    run, summ = doc["run"], doc["summary"]
    assert kv["As of"] == AS_OF and kv["Edit set version"] == run["edit_set_version"]
    assert kv["Generated at"] == run["generated_at"] and kv["Code set quarter"] == run["quarter"]
    assert kv["Rows audited"] == summ["rows_audited"] and kv["Findings"] == summ["findings"]
    assert kv["Errors (not waived)"] == summ["by_severity"]["error"]
    assert kv["Waivers applied"] == len(run["config"]["waivers"]) == 1
    values = [v for r in ws.iter_rows(values_only=True) for v in r if v is not None]
    for i in run["inputs"]:
        assert i["sha256"] in values and i["path"] in values
    with zipfile.ZipFile(sample_reports / "report.xlsx") as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        xml = zf.read(charts[0]).decode()
        assert "<c:barChart>" in xml and "Summary!$A$" in xml
        assert (
            "drawing" in zf.read("xl/worksheets/_rels/sheet3.xml.rels").decode()
        )  # Summary, after the problems


def test_edits_and_skipped_sheets(book, sample_reports):
    doc = load_doc(sample_reports)
    edits = book["Edits"]
    assert header(edits)[:5] == ["Code", "Name", "Family", "Category", "Severity"]
    assert {"What", "Why", "Fix", "References"} <= set(header(edits))
    assert edits.max_row - 1 == len(doc["run"]["edits"])
    what = header(edits).index("What")
    assert all(r[what] for r in edits.iter_rows(min_row=2, values_only=True))
    skipped = book["Skipped rows"]
    assert header(skipped) == ["File", "Sheet", "Row", "To row", "Rows", "Reason"]
    wanted = sorted(((s["file"], s["sheet"], s["row"], s["reason"]) for s in doc["skipped_rows"]), key=str)
    assert listed_rows(skipped) == wanted and wanted


def listed_rows(ws) -> list[tuple]:
    """Every row a skipped-rows sheet accounts for, its runs ('rows 5 to 23') spelt out, with file, sheet, reason."""
    out = []
    for file, sheet, first, last, count, reason in ws.iter_rows(min_row=2, values_only=True):
        rows = [first] if first is None else list(range(first, last + 1))
        assert len(rows) == count
        out += [(file, sheet, row, reason) for row in rows]
    return sorted(out, key=str)


def test_skipped_rows_of_a_tall_file_are_listed_as_runs(tmp_path):
    """A standard-charges tall file repeats each item once per payer plan: its repeats are skipped, and the sheet
    lists each run of them as one line (first row, last row, count), every skipped row still accounted for."""
    from auditor.session import SessionRequest, run_session

    head = "description,code|1,code|1|type,setting,standard_charge|gross,payer_name,plan_name"
    lines = ["hospital_name,last_updated_on,version", "Test Hospital,2026-01-01,2.0.0", head]
    for item, code in enumerate(("29881", "27447", "64590")):
        lines += [f"ITEM {item},{code},CPT,outpatient,{100 + item},PAYER {p},PPO" for p in range(6)]
    path = tmp_path / "tall.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_session(
        SessionRequest(
            [path], as_of=dt.date.fromisoformat(AS_OF), formats=("xlsx", "json"), out_dir=tmp_path / "out"
        )
    )
    doc = load_doc(tmp_path / "out")
    ws = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")["Skipped rows"]
    runs = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[3], r[4]) for r in runs] == [(5, 9, 5), (11, 15, 5), (17, 21, 5)]
    assert all("payer plan" in r[5] for r in runs)
    assert listed_rows(ws) == sorted(
        ((s["file"], s["sheet"], s["row"], s["reason"]) for s in doc["skipped_rows"]), key=str
    )


def test_hostile_text_is_stored_as_text(hostile_reports):
    book = openpyxl.load_workbook(hostile_reports / "report.xlsx")
    for name in ("Findings", "Chargemaster"):
        ws = book[name]
        desc = header(ws).index("Description") + 1
        seen = {}
        for r in range(2, ws.max_row + 1):
            cell = ws.cell(r, desc)
            seen[cell.value] = cell
        for payload in ('=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1", "=cmd|' /C calc'!A0"):
            cell = seen[payload]
            assert cell.data_type == "s", (name, payload, cell.data_type)
            assert cell.value == payload
            assert cell.quotePrefix, (
                f"{payload!r} on {name} lacks the quote prefix that keeps it text on edit"
            )
    with zipfile.ZipFile(hostile_reports / "report.xlsx") as zf:
        for n in zf.namelist():
            if n.startswith("xl/worksheets/sheet"):
                assert "<f>" not in zf.read(n).decode(), f"{n} holds a formula"


def test_constant_memory_workbook_matches(tmp_path):
    """The streaming path (used for large audits) writes the same cells."""
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document
    from auditor.report.excel import write_xlsx

    result = run_audit([hostile_cdm(tmp_path / "h.xlsx")], AuditRequest(as_of=dt.date(2026, 4, 1)))
    ctx = ReportContext(build_document(result), result)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = openpyxl.load_workbook(write_xlsx(ctx, tmp_path / "a", constant_memory=False))
    b = openpyxl.load_workbook(write_xlsx(ctx, tmp_path / "b", constant_memory=True))
    for name in a.sheetnames:
        rows_a = list(a[name].iter_rows(values_only=True))
        assert rows_a == list(b[name].iter_rows(values_only=True)), name
    cell = next(c for row in b["Findings"].iter_rows() for c in row if c.value == "@SUM(A1)")
    assert cell.data_type == "s"
    with zipfile.ZipFile(tmp_path / "b" / "report.xlsx") as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())
