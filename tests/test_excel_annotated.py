"""report.xlsx's annotated sheets by mode (flagged, full, none), and streamed rows byte-equal to XlsxWriter's own."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from conftest import run_cli, write_xlsx
from test_report_fixtures import HEADER, hostile_cdm, sample_inputs

from auditor.errors import InputError
from auditor.report.excel_frame import write_frame
from auditor.report.excel_rows import STREAMED_VERSIONS, RowWriter
from auditor.report.workbook import Styles

# Text that tests every escape: XML specials, control characters, a literal _xHHHH_, edge whitespace,
# formula-like text (quote prefix), non-characters, astral characters, and an over-long cell.
TRICKY = [
    "plain",
    "a & b < c > d",
    "tab\there",
    "bell\x07 and nul\x00",
    "_x0041_ literal",
    " leading",
    "trailing ",
    "\nnewline first",
    "=SUM(A1)",
    "  @cmd",
    "+1",
    "-1",
    "\uff1dwide",
    "non\ufffechar\uffff",
    "emoji \U0001f600 and é",
    "x" * 40_000,
    "",
    None,
]


def audit_context(path: Path):
    """A report context of one audited file, as the session builds it."""
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document

    result = run_audit([path], AuditRequest(as_of=dt.date(2026, 4, 1)))
    return ReportContext(build_document(result), result)


def workbook(ctx, out: Path, annotated: str):
    """report.xlsx of the context in one mode, reopened."""
    from auditor.report.excel import write_xlsx

    out.mkdir()
    return openpyxl.load_workbook(write_xlsx(ctx, out, annotated=annotated))


def fill(cell) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None


def rows_of(ws) -> list[int]:
    """The 'Row' column of an annotated sheet."""
    col = [c.value for c in ws[1]].index("Row") + 1
    return [ws.cell(r, col).value for r in range(2, ws.max_row + 1)]


@pytest.fixture(scope="module")
def sample_ctx(tmp_path_factory):
    return audit_context(sample_inputs(tmp_path_factory.mktemp("sample"))[0])


def test_full_holds_every_audited_row_and_only_flagged_rows_are_highlighted(sample_ctx, tmp_path):
    book = workbook(sample_ctx, tmp_path / "full", "full")
    doc, cdm = sample_ctx.doc, book["Chargemaster"]
    frame = sample_ctx.result.chargemaster.frame
    assert rows_of(cdm) == frame.get_column("row").to_list()
    lines = {f["row"] for f in doc["findings"] if f["scope"] == "chargemaster"}
    clean = 0
    for r in range(2, cdm.max_row + 1):
        if cdm.cell(r, 1).value is None:
            assert all(fill(c) is None for c in cdm[r])
            clean += 1
    assert clean == frame.height - len(lines) > 0
    assert not [r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Annotated rows"]


def test_flagged_and_full_agree_on_every_flagged_row(sample_ctx, tmp_path):
    """A flagged row reads the same (text, highlights) in both modes; only the clean rows are left out."""
    full = workbook(sample_ctx, tmp_path / "full", "full")["Chargemaster"]
    flagged = workbook(sample_ctx, tmp_path / "flagged", "flagged")["Chargemaster"]
    head = [c.value for c in full[1]]
    assert [c.value for c in flagged[1]] == head
    by_line = {row[head.index("Row")].value: row for row in full.iter_rows(min_row=2)}
    for row in flagged.iter_rows(min_row=2):
        twin = by_line[row[head.index("Row")].value]
        assert [(c.value, fill(c)) for c in row] == [(c.value, fill(c)) for c in twin]
    assert 0 < flagged.max_row < full.max_row


def test_flagged_keeps_the_other_rows_of_a_flagged_charge_code_and_links_find_them(tmp_path):
    rows = [HEADER]
    rows += [[f"3000{i:04d}", f"HC CLEAN LINE {i}", "0272", "99213", None, 10.0] for i in range(20)]
    rows.insert(8, ["30009999", "HC BAD CODE", "0272", "XYZ12", None, 10.0])  # flagged: malformed code
    rows.insert(15, ["30009999", "HC SAME CHARGE CODE, OTHER LINE", "0272", "99213", None, 12.0])
    ctx = audit_context(write_xlsx(tmp_path / "cdm.xlsx", {"CDM": rows}))
    book = workbook(ctx, tmp_path / "out", "flagged")
    cdm = book["Chargemaster"]
    flagged_lines = sorted({f["row"] for f in ctx.doc["findings"]})
    assert 9 in flagged_lines and 16 not in flagged_lines
    assert rows_of(cdm) == sorted(set(flagged_lines) | {16})  # file order, the kin row included
    findings = book["Findings"]
    head = [c.value for c in findings[1]]
    for r in range(2, findings.max_row + 1):
        link = findings.cell(r, head.index("Go to row") + 1).hyperlink
        target = int(link.location.split("!A")[1])
        assert rows_of(cdm)[target - 2] == findings.cell(r, head.index("Row") + 1).value


def test_none_writes_no_annotated_sheet_and_no_links(sample_ctx, tmp_path):
    book = workbook(sample_ctx, tmp_path / "none", "none")
    assert "Chargemaster" not in book.sheetnames and "Pairing table" not in book.sheetnames
    assert not [c for row in book["Findings"].iter_rows() for c in row if c.hyperlink is not None]
    notes = [r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Annotated rows"]
    assert len(notes) == 1 and "--annotated none" in notes[0]


def test_audit_command_and_session_take_the_mode(tmp_path):
    from auditor.session import SessionRequest

    cdm = hostile_cdm(tmp_path / "h.xlsx")
    for mode in ("full", "none"):
        out = tmp_path / mode
        res = run_cli("audit", cdm, "--format", "xlsx", "--out", out, "--no-history", "--annotated", mode)
        assert res.exit_code in (0, 1), res.stderr
        book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
        assert ("Chargemaster" in book.sheetnames) == (mode == "full")
        book.close()
    res = run_cli("audit", cdm, "--format", "xlsx", "--out", tmp_path / "x", "--annotated", "some")
    assert res.exit_code == 2
    with pytest.raises(InputError):
        SessionRequest(files=[cdm], annotated="some")


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode("utf-8")


def write_both(tmp_path: Path, write) -> tuple[str, str]:
    """Sheet XML of the same rows written streamed and through XlsxWriter's own cell calls."""
    out = []
    for streamed in (True, False):
        path = tmp_path / f"{streamed}.xlsx"
        wb = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = wb.add_worksheet("S")
        wb.add_worksheet("Target")
        rows = RowWriter(ws, Styles(wb))
        rows.streamed = rows.streamed and streamed
        ws.write_string(0, 0, "header")
        write(rows)
        ws.write_string(40, 1, "after")  # XlsxWriter's own writes still follow the streamed rows
        wb.close()
        out.append(sheet_xml(path))
    return out[0], out[1]


@pytest.mark.skipif(xlsxwriter.__version__ not in STREAMED_VERSIONS, reason="rows are not streamed")
def test_streamed_rows_are_the_xml_xlsxwriter_writes(tmp_path):
    values = [*TRICKY, 7, 2.5, float("nan"), True, dt.date(2026, 4, 1), 10**15]

    def write(rows):
        styles = [("hl_error",) if i % 3 else None for i in range(len(values))]
        rows.link(1, 2, "internal:'Target'!A5", "go", ("link",), tip="tip")
        rows.row(1, values, [*styles[:2], ("link",), *styles[3:]])
        rows.row(3, values[::-1], styles, first_col=2)
        rows.row(4, [None, ""], [None, None])

    streamed, reference = write_both(tmp_path, write)
    assert streamed == reference
    assert "<f>" not in streamed and "_x005F_x0041_" in streamed and "_x0007_" in streamed


@pytest.mark.skipif(xlsxwriter.__version__ not in STREAMED_VERSIONS, reason="rows are not streamed")
def test_frame_rows_are_the_xml_xlsxwriter_writes(tmp_path):
    n = len(TRICKY)
    values = pl.DataFrame(
        {"a": TRICKY, "n": list(range(n - 1)) + [None], "b": list(reversed(TRICKY))},
        schema={"a": pl.String, "n": pl.Int64, "b": pl.String},
    )
    keys = pl.DataFrame(
        {
            "a": ["waived" if i % 2 else None for i in range(n)],
            "n": ["money"] * n,
            "b": ["link" if i == 3 else "sev_error" for i in range(n)],
        }
    )

    def write(rows):
        write_frame(rows, 1, values, keys, {4: (2, "internal:'Target'!A7", "tip")})

    streamed, reference = write_both(tmp_path, write)
    # Formats are numbered in the order first used, which differs (the frame path makes them all first):
    # the XML is the same but for those numbers, and each cell's format is the same.
    assert re.sub(r' s="\d+"', "", streamed) == re.sub(r' s="\d+"', "", reference)
    assert "<hyperlink " in streamed
    cells = [
        [[_look(c) for c in row] for row in openpyxl.load_workbook(p)["S"].iter_rows()]
        for p in (tmp_path / "True.xlsx", tmp_path / "False.xlsx")
    ]
    assert cells[0] == cells[1]


@pytest.mark.skipif(xlsxwriter.__version__ not in STREAMED_VERSIONS, reason="rows are not streamed")
def test_repeated_text_goes_to_the_shared_strings_and_reads_the_same(tmp_path):
    few = ["=SUM(A1)", " edge ", "bell\x07", "_x0041_", "a & b", "plain", None]
    values = pl.DataFrame({"few": few * 30, "rich": ["<r><t>rich?</t></r>", "plain", None] * 70})
    keys = pl.DataFrame(
        {"few": ["waived"] * 210, "rich": [None] * 210}, schema=dict.fromkeys(("few", "rich"), pl.String)
    )
    write_both(tmp_path, lambda rows: write_frame(rows, 1, values, keys))
    with zipfile.ZipFile(tmp_path / "True.xlsx") as zf:
        shared = zf.read("xl/sharedStrings.xml").decode()
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert 'count="180" uniqueCount="6"' in shared  # the "rich" column, holding <r>..., stays inline
    assert "&lt;r&gt;&lt;t&gt;rich?" in sheet and "<r><t>" not in sheet + shared
    ours, theirs = (openpyxl.load_workbook(tmp_path / f"{s}.xlsx")["S"] for s in (True, False))
    # The same formats, and each text escaped as XlsxWriter escapes it inline (openpyxl reads _xHHHH_ escapes
    # back differently from the two, so the XML is compared).
    assert [_look(c)[2:] for c in ours["A"]] == [_look(c)[2:] for c in theirs["A"]]
    inline = set(re.findall(r'<c r="A\d+"[^>]*><is>(<t[^>]*>.*?</t>)', sheet_xml(tmp_path / "False.xlsx")))
    assert set(re.findall(r"<si>(<t[^>]*>.*?</t>)</si>", shared)) == inline - {"<t>header</t>"}
    # XlsxWriter's own constant_memory write takes a text cell reading <r>...</r> for rich-text XML and
    # writes it raw (the cell reads "rich?"); streamed, it is the text it was.
    assert ours["B2"].value == "<r><t>rich?</t></r>" and theirs["B2"].value == "rich?"


def _look(c) -> tuple:
    """What a reader sees of a cell: value, type, quote prefix, fill, font, number format, link."""
    link = (c.hyperlink.location, c.hyperlink.tooltip) if c.hyperlink else None
    return (c.value, c.data_type, c.quotePrefix, fill(c), c.font.i, c.font.b, c.number_format, link)
