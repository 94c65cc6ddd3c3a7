"""Sheet layouts: title rows, split headers, notes sheets, blank/repeated/footer rows, leading empty columns.

Every test checks row numbers as the user sees them in Excel or the text file, and that every non-blank row
below the header is either audited or listed as skipped with a reason.
"""

from __future__ import annotations

import openpyxl
import pytest
from conftest import write_text, write_xls, write_xlsx
from openpyxl.styles import PatternFill

from auditor.errors import InputError
from auditor.ingest import IngestOptions, read_inputs

HEADER = ["Charge Code", "Description", "Rev Code", "CPT/HCPCS", "Price"]
SKIN = ["1001", "SKIN SUB GRAFT PER SQ CM", 278, "Q4101", 137]
APPL = ["1002", "APPLICATION SKIN SUB", "0361", 15271, 850]
LEAD = ["1003", "NEUROSTIM LEAD", "0278", "C1778", 5000]

# A report-style sheet: two title lines, a blank line, the header on row 4, a blank row between data rows,
# the header repeated after a page break, a footer note, and a grand total under the price column.
REPORT = [
    ["Example Regional Medical Center - Chargemaster"],  # row 1
    ["Effective 2026-01-01"],  # row 2
    [],  # row 3
    HEADER,  # row 4
    SKIN,  # row 5
    [],  # row 6 (blank: not counted)
    APPL,  # row 7
    HEADER,  # row 8 (page break: header repeated)
    LEAD,  # row 9
    [None, None, None, None, 5987],  # row 10 (grand total, no key)
    ["Total lines: 3"],  # row 11 (footer under the charge code column)
]
AUDITED = {5: "Q4101", 7: "15271", 9: "C1778"}
SKIPPED = {8: "repeated header row", 10: "no charge code", 11: "note or footer"}


def check_report(path, sheet: str, first_col_offset: int = 0) -> None:
    """The REPORT layout is read with Excel's row numbers whatever the format."""
    ing = read_inputs([path])
    rep = {s.name: s for s in ing.files[0].sheets}[sheet]
    assert rep.header_row == 4
    assert rep.columns == {
        "charge_code": "Charge Code",
        "description": "Description",
        "revenue_code": "Rev Code",
        "cpt": "CPT/HCPCS",
        "price": "Price",
    }
    assert rep.rows_read == len(AUDITED) + len(SKIPPED) == rep.rows_audited + rep.rows_skipped
    frame = ing.frame.filter(ing.frame["sheet"] == sheet)
    assert dict(frame.select("row", "code").rows()) == AUDITED
    assert frame.filter(frame["row"] == 5)["revenue_code"].to_list() == ["0278"]
    skipped = {s["row"]: s["reason"] for s in rep.skipped}
    assert sorted(skipped) == sorted(SKIPPED)
    for row, fragment in SKIPPED.items():
        assert fragment in skipped[row], (row, skipped[row])


def test_report_layout_xlsx_with_leading_empty_columns(tmp_path):
    """The table starts in column C: calamine drops empty leading columns and rows; rows stay right."""
    path = write_xlsx(tmp_path / "report.xlsx", {"CDM": REPORT}, origin=(0, 2))
    check_report(path, "CDM")


def test_report_layout_xlsx_starting_below_empty_rows(tmp_path):
    """Nothing at all in rows 1-3 (title rows deleted): the header is still reported on row 7, data from row 8."""
    path = write_xlsx(tmp_path / "low.xlsx", {"CDM": [HEADER, SKIN, APPL]}, origin=(6, 1))
    ing = read_inputs([path])
    assert ing.files[0].sheets[0].header_row == 7
    assert ing.frame["row"].to_list() == [8, 9]


def test_header_below_a_disclaimer_longer_than_the_header_search(tmp_path):
    """A price list opening with 40 lines of disclaimer, one cell each (or two, where a comma split the line in a
    CSV): the header below them is found, not the whole sheet read as headerless data with garbled columns."""
    notes = [
        [f"Disclaimer {i}: the standard charges below are estimates and subject to change."]
        for i in range(40)
    ]
    ing = read_inputs([write_xlsx(tmp_path / "long.xlsx", {"CDM": [*notes, HEADER, SKIN, APPL, LEAD]})])
    sheet = ing.files[0].sheets[0]
    assert sheet.header_row == 41 and sheet.column_index["cpt"] == 4
    assert ing.frame.select("row", "code").rows() == [(42, "Q4101"), (43, "15271"), (44, "C1778")]
    split = [[f"Note {i}: charges are estimates", " subject to change"] for i in range(45)]
    ing = read_inputs([write_text(tmp_path / "long.csv", [*split, HEADER, SKIN, APPL, LEAD])])
    assert ing.files[0].sheets[0].header_row == 46
    assert ing.frame.get_column("charge_code").to_list() == ["1001", "1002", "1003"]


def test_lines_of_two_cells_under_a_header_are_not_taken_for_a_preamble(tmp_path):
    """A header over 35 lines with only a charge code and a description (no code or price yet), then full lines:
    the search below a long preamble must not start, and every line below the header is read."""
    bare = [[f"20{i:02d}", f"HC SUPPLY ITEM {i}"] for i in range(35)]
    ing = read_inputs([write_xlsx(tmp_path / "sparse.xlsx", {"CDM": [HEADER, *bare, SKIN, APPL, LEAD]})])
    sheet = ing.files[0].sheets[0]
    assert sheet.header_row == 1 and sheet.rows_read == 38
    assert sheet.rows_audited + sheet.rows_skipped == 38


def test_styled_empty_cells_above_the_table(tmp_path):
    """Formatted but empty cells above the header do not shift row numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CDM"
    for ref in ("A1", "B2", "F2"):
        ws[ref].fill = PatternFill("solid", fgColor="FFFF00")
    for r, row in enumerate([HEADER, SKIN, APPL], start=3):
        for c, value in enumerate(row, start=2):
            ws.cell(row=r, column=c, value=value)
    wb.save(tmp_path / "styled.xlsx")
    ing = read_inputs([tmp_path / "styled.xlsx"])
    assert ing.files[0].sheets[0].header_row == 3
    assert ing.frame.select("row", "code").rows() == [(4, "Q4101"), (5, "15271")]


def test_report_layout_xls(tmp_path):
    check_report(write_xls(tmp_path / "report.xls", {"CDM": REPORT}, origin=(0, 1)), "CDM")


def test_report_layout_csv(tmp_path):
    """A CSV whose title lines are narrower than the table (no trailing commas) and blank lines in the middle."""
    lines = []
    for row in REPORT:
        lines.append(",".join("" if v is None else str(v) for v in row))
    path = tmp_path / "report.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check_report(path, "report.csv")


def test_header_split_over_two_rows(tmp_path):
    """'Charge' / 'Code' on two rows reads as 'Charge Code'; the header ends on row 2 and data starts on row 3."""
    rows = [
        ["Charge", "Charge", "Rev", "CPT/HCPCS", "Unit"],
        ["Code", "Description", "Code", "Code", "Price"],
        ["2001", "ANESTHESIA LENS", 370, 100, 5],
        ["2002", "SKIN SUB", "0278", "Q4102", 6],
    ]
    for path in (
        write_xlsx(tmp_path / "split.xlsx", {"CDM": rows}),
        write_text(tmp_path / "split.csv", rows),
    ):
        ing = read_inputs([path])
        rep = ing.files[0].sheets[0]
        assert rep.header_row == 2
        assert rep.columns == {
            "charge_code": "Charge Code",
            "description": "Charge Description",
            "revenue_code": "Rev Code",
            "cpt": "CPT/HCPCS Code",
            "price": "Unit Price",
        }
        assert ing.frame.select("row", "code", "revenue_code").rows() == [
            (3, "00100", "0370"),
            (4, "Q4102", "0278"),
        ]


def test_notes_sheet_is_listed_not_audited(tmp_path):
    """A 'notes' sheet with no table: header_row None with the reason, and its non-blank rows listed as skipped."""
    path = write_xlsx(
        tmp_path / "multi.xlsx",
        {
            "Read me": [
                ["These prices are effective January 1."],
                [],
                ["Questions: billing office, ext 4411."],
            ],
            "CDM": [HEADER, SKIN, APPL],
            "Lab": [HEADER, LEAD],
        },
    )
    ing = read_inputs([path])
    sheets = {s.name: s for s in ing.files[0].sheets}
    assert list(sheets) == ["Read me", "CDM", "Lab"]
    notes = sheets["Read me"]
    assert notes.header_row is None
    assert "no table found" in notes.note and notes.kind == "summary"
    assert notes.rows_read == notes.rows_skipped == 2 and notes.rows_audited == 0
    assert [s["row"] for s in notes.skipped] == [1, 3]
    assert all("no recognisable table" in s["reason"] for s in notes.skipped)
    assert ing.frame.select("sheet", "row", "code").rows() == [
        ("CDM", 2, "Q4101"),
        ("CDM", 3, "15271"),
        ("Lab", 2, "C1778"),
    ]
    assert ing.skipped_rows() == [{"file": str(path), "sheet": "Read me", **s} for s in notes.skipped]


def test_sheet_option_reads_only_named_sheets(tmp_path):
    path = write_xlsx(
        tmp_path / "multi.xlsx", {"Read me": [["notes"]], "CDM": [HEADER, SKIN], "Lab": [HEADER, LEAD]}
    )
    ing = read_inputs([path], IngestOptions(sheets=["Lab"]))
    assert [s.name for s in ing.files[0].sheets] == ["Lab"]
    assert ing.frame["code"].to_list() == ["C1778"]
    with pytest.raises(InputError, match="no sheet named 'Pharmacy'; sheets are: CDM, Lab, Read me"):
        read_inputs([path], IngestOptions(sheets=["Pharmacy"]))


def test_forced_header_row(tmp_path):
    """--header-row picks a header detection would not choose; rows below it keep their Excel numbers."""
    rows = [["Run date", "2026-01-01"], ["Item", "Text", "Code"], ["1001", "SKIN SUB", "Q4101"]]
    path = write_xlsx(tmp_path / "forced.xlsx", {"CDM": rows}, origin=(2, 0))
    opts = IngestOptions(
        header_row=4, overrides={"charge_code": "Item", "description": "Text", "cpt": "Code"}
    )
    ing = read_inputs([path], opts)
    assert ing.files[0].sheets[0].header_row == 4
    assert ing.frame.select("row", "charge_code", "code").rows() == [(5, "1001", "Q4101")]


def test_header_only_file_is_refused(tmp_path):
    """A header with no rows under it is refused: an empty export must not pass for a clean audit."""
    path = tmp_path / "empty-table.csv"
    path.write_text("Generated 2026-01-01\nCharge Code,Description,CPT\n", encoding="utf-8")
    with pytest.raises(InputError, match="header but no rows under it.*header on row 2"):
        read_inputs([path])


def test_trailing_empty_fields_are_harmless(tmp_path):
    """Exports that pad some records with extra empty fields are read normally."""
    path = tmp_path / "padded.csv"
    path.write_text(
        "Charge Code,Description,CPT\n1001,SKIN SUB,Q4101,,,\n1002,APPL,15271\n", encoding="utf-8"
    )
    assert read_inputs([path]).frame.select("row", "code").rows() == [(2, "Q4101"), (3, "15271")]


def test_unquoted_comma_in_a_description_is_mended(tmp_path):
    """An unquoted comma in a description shifts the columns: the extra field goes back into the description."""
    path = tmp_path / "ragged.csv"
    path.write_text(
        "Charge Code,Description,Revenue Code,CPT,Price\n1001,SKIN SUB,0278,Q4101,137\n"
        "1003,LEAD, NEUROSTIM,0278,C1778,5000\n1004,APPL,0361,15271,850\n",
        encoding="utf-8",
    )
    ing = read_inputs([path])
    assert ing.frame.select("row", "description", "revenue_code", "code", "price").rows() == [
        (2, "SKIN SUB", "0278", "Q4101", 137.0),
        (3, "LEAD, NEUROSTIM", "0278", "C1778", 5000.0),
        (4, "APPL", "0361", "15271", 850.0),
    ]


def test_unquoted_thousands_separator_in_a_price_is_mended(tmp_path):
    """'$2,596.00' unquoted splits into '$2' and '596.00': joined back into one amount."""
    path = tmp_path / "prices.csv"
    path.write_text(
        "Charge Description,Price\n3-d radiotherapy plan,$2,596.00\nAbd paracentesis, w/imaging,$3,380.00\n"
        "Bone age,$842.00\n",
        encoding="utf-8",
    )
    ing = read_inputs([path])
    assert ing.frame.select("row", "description", "price").rows() == [
        (2, "3-d radiotherapy plan", 2596.0),
        (3, "Abd paracentesis, w/imaging", 3380.0),
        (4, "Bone age", 842.0),
    ]


def test_record_that_cannot_be_mended_is_skipped_with_its_row(tmp_path):
    """When no reading puts the code and the price back in their columns, the row is listed as skipped."""
    rows = ["Charge Code,Description,Revenue Code,CPT,Price"]
    rows += [f"{5000 + i},SUPPLY ITEM {i:06d} {'X' * 40},0272,A4649,1.00" for i in range(5000)]
    rows.insert(4500, "9999,LEAD,0278,C1778,5000,EXTRA")
    path = tmp_path / "ragged-late.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > 256 * 1024
    ing = read_inputs([path])
    (sheet,) = ing.files[0].sheets
    assert [s["row"] for s in sheet.skipped] == [4501]
    assert "record has 6 fields but the header has 5" in sheet.skipped[0]["reason"]
    assert sheet.rows_audited + sheet.rows_skipped == sheet.rows_read == 5001
    assert 4501 not in ing.frame.get_column("row").to_list()


def test_quoted_line_break_keeps_excel_row_numbers(tmp_path):
    """A quoted value with a line break stays in one row: rows are records, as Excel numbers them."""
    path = tmp_path / "multiline.csv"
    path.write_text(
        'Charge Code,"Charge\nDescription",CPT\n1001,"SKIN SUB\nPER SQ CM",Q4101\n1002,APPL,15271\n',
        encoding="utf-8",
    )
    ing = read_inputs([path])
    assert ing.files[0].sheets[0].columns["description"] == "Charge\nDescription"
    assert ing.frame.select("row", "description", "code").rows() == [
        (2, "SKIN SUB\nPER SQ CM", "Q4101"),
        (3, "APPL", "15271"),
    ]


def test_description_only_rows_are_not_given_guessed_codes(tmp_path):
    """No CPT/HCPCS column: no code is guessed from descriptions, and the sheet says it has no code column."""
    rows = [
        ["Charge Code", "Description", "Revenue Code"],
        ["3001", "HC OPTIME SHELL 278 C1820", "0278"],
        ["3002", "HC ROOM CHARGE", "0120"],
    ]
    ing = read_inputs([write_xlsx(tmp_path / "desc.xlsx", {"CDM": rows})])
    assert "cpt" not in ing.files[0].sheets[0].columns
    assert ing.frame.select("row", "code", "code_source").rows() == [(2, None, None), (3, None, None)]


def test_rows_of_spaces_and_no_break_spaces_are_blank_rows(tmp_path):
    """Cells of spaces, tabs or no-break spaces are blank: a row of nothing else is no data row (neither audited nor
    listed as skipped), while the rows around it are read as ever."""
    path = tmp_path / "spaced.csv"
    path.write_text(
        "Charge Code,Description,CPT,Price\n1001,SKIN SUB,Q4101,137\n   ,\u00a0,\t,  \n"
        "\u00a0\u00a0,,,\n1002,APPL,15271,850\n",
        encoding="utf-8",
    )
    got = read_inputs([path])
    sheet = got.files[0].sheets[0]
    assert got.frame.select("row", "code").rows() == [(2, "Q4101"), (5, "15271")]
    assert (sheet.rows_read, sheet.rows_audited, sheet.rows_skipped) == (2, 2, 0)
