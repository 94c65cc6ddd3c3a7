"""Reading by content: roles, header rows, sheet kinds and code types from what the cells hold.

Every file here is written the way an export would be (real xlsx / csv), then read through the public API.
The data are invented but shaped like the hospital exports in ../shared/data: the patterns, not the files.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, write_text, write_xlsx

from auditor.audit import AuditRequest, run_audit
from auditor.ingest import IngestOptions, read_inputs
from auditor.ingest.reader import SheetChoice

# Real CPT/HCPCS codes and item numbers of the usual shapes.
LINES = [
    ("27011001", "HC APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "1250.00"),
    ("27011002", "HC APLIGRAF PER SQ CM", "0636", "Q4101", "137.50"),
    ("27011003", "HC SCS GENERATOR INSERTION", "0360", "63685", "15800.00"),
    ("27011004", "HC NEUROSTIM GEN RECHARGEABLE", "0278", "C1820", "61000.00"),
    ("27011005", "HC NEUROSTIM LEAD", "0278", "C1778", "5088.90"),
    ("27011006", "HC KNEE ARTHROSCOPY MENISCECTOMY", "0360", "29881", "9800.00"),
    ("27011007", "HC OFFICE VISIT LEVEL 3", "0510", "99213", "210.00"),
    ("27011008", "HC CT HEAD W/O CONTRAST", "0350", "70450", "1830.00"),
    ("27011009", "HC MRI BRAIN W/O CONTRAST", "0610", "70551", "3120.00"),
    ("27011010", "HC VENIPUNCTURE", "0300", "36415", "25.00"),
    ("27011011", "HC BASIC METABOLIC PANEL", "0301", "80048", "145.00"),
    ("27011012", "HC CBC W/AUTO DIFF", "0305", "85025", "98.00"),
    ("27011013", "HC XR CHEST 2 VIEWS", "0320", "71046", "410.00"),
    ("27011014", "HC ECG 12 LEAD", "0730", "93005", "260.00"),
    ("27011015", "HC IV INFUSION 1ST HR", "0260", "96365", "690.00"),
    ("27011016", "HC ONDANSETRON 1 MG INJ", "0636", "J2405", "12.40"),
    ("27011017", "HC ULTRASOUND ABDOMEN COMPLETE", "0402", "76700", "980.00"),
    ("27011018", "HC COLONOSCOPY DIAGNOSTIC", "0750", "45378", "4100.00"),
    ("27011019", "HC CATARACT REMOVAL W/IOL", "0360", "66984", "8200.00"),
    ("27011020", "HC PHYSICAL THERAPY EVAL LOW", "0424", "97161", "320.00"),
]


def _rows(header, order=(0, 1, 2, 3, 4)):
    body = [[line[i] for i in order] for line in LINES]
    return ([[header[i] for i in order]] if header else []) + body


def _sheet(ing, name=None):
    sheets = ing.files[0].sheets
    return next(s for s in sheets if name is None or s.name == name)


def test_unfamiliar_headers_are_read_from_content(tmp_path):
    """Headers no synonym list holds: each role still lands on its column, with its evidence."""
    path = write_xlsx(
        tmp_path / "odd.xlsx", {"CDM": _rows(["Line Key", "Text", "Ctr", "Proc (AMA)", "Jan 2019"])}
    )
    sheet = _sheet(read_inputs([path]))
    assert sheet.column_index == {"charge_code": 1, "description": 2, "revenue_code": 3, "cpt": 4, "price": 5}
    assert sheet.evidence["cpt"]["header"] == "none"
    assert "CPT/HCPCS-shaped" in sheet.evidence["cpt"]["content"]


def test_item_numbers_under_a_procedure_code_header_are_not_cpt(tmp_path):
    """'Procedure Code' holding 12100000-style item numbers: the real CPT column is the one with codes."""
    header = ["Procedure Code", "Description", "Rev", "HCPCS/CPT 2019", "Charges"]
    rows = [header] + [[f"121{i:05d}", d, r, c, p] for i, (_, d, r, c, p) in enumerate(LINES)]
    ing = read_inputs([write_text(tmp_path / "proc.csv", rows)])
    sheet = _sheet(ing)
    assert sheet.column_index["cpt"] == 4 and sheet.column_index["charge_code"] == 1
    assert ing.frame.get_column("code").to_list()[:3] == ["15271", "Q4101", "63685"]


def test_headerless_csv_reads_every_row(tmp_path):
    """Description, code and price from line 1: no header row, every line audited, none lost."""
    rows = [[d, c, p] for _, d, _, c, p in LINES]
    path = write_text(tmp_path / "bare.csv", rows)
    ing = read_inputs([path])
    sheet = _sheet(ing)
    assert sheet.header_row == 0
    assert sheet.column_index == {"description": 1, "cpt": 2, "price": 3}
    assert sheet.rows_read == sheet.rows_audited == len(LINES) and sheet.skipped == []
    assert ing.frame.get_column("row").to_list() == list(range(1, len(LINES) + 1))


def test_no_header_flag_and_columns_by_letter(tmp_path):
    """--no-header with --column description=B: line 1 is data even when it could pass for a header."""
    rows = [["Item", "Service", "Amount"]] + [[c, d, p] for c, d, _, _, p in LINES]
    path = write_text(tmp_path / "flag.csv", rows)
    doc = json.loads(
        run_cli("inspect", "--json", "--no-header", "--column", "description=B", str(path)).stdout
    )
    sheet = doc["files"][0]["sheets"][0]
    assert sheet["header_row"] == 0 and sheet["column_index"]["description"] == 2
    assert sheet["rows_read"] == len(LINES) + 1


def test_code_type_column_routes_ndc_drg_and_local_codes(tmp_path):
    """A `Code Type` column: CPT/HCPCS are audited, NDC goes to the NDC field, DRG and local codes are kept aside."""
    rows = [
        ["Charge Code", "Description", "Code", "Code Type", "Price"],
        ["1001", "HC APLIGRAF PER SQ CM", "Q4101", "HCPCS", "137.50"],
        ["1002", "HC OFFICE VISIT LEVEL 3", "99213", "CPT", "210.00"],
        ["1003", "BUPIVACAINE 0.5% 30 ML VIAL", "0409-1162-02", "NDC", "37.50"],
        ["1004", "MAJOR JOINT REPLACEMENT", "470", "MS-DRG", "48000.00"],
        ["1005", "HC WORKERS COMP REPORT", "0130C", "LOCAL", "45.00"],
    ]
    ing = read_inputs([write_xlsx(tmp_path / "typed.xlsx", {"CDM": rows})])
    got = ing.frame.select("charge_code", "code", "code_type", "other_code", "ndc").rows()
    assert got == [
        ("1001", "Q4101", "HCPCS", None, None),
        ("1002", "99213", "CPT", None, None),
        ("1003", None, "NDC", "0409-1162-02", "0409-1162-02"),
        ("1004", None, "MS-DRG", "470", None),
        ("1005", None, "LOCAL", "0130C", None),
    ]
    assert _sheet(ing).code_types == {"HCPCS": 1, "CPT": 1, "NDC": 1, "MS-DRG": 1, "LOCAL": 1}


def test_shapes_without_a_code_type_column(tmp_path):
    """NDCs in the HCPCS column stay whole (no 'modifiers'); Medi-Cal Z codes are local; 0001A is CPT."""
    rows = [
        ["Charge Code", "Description", "CPT/HCPCS", "Price"],
        ["2001", "SOD CHLORIDE 0.9% 10 ML", "00409488810", "4.00"],
        ["2002", "SMZ/TMP 200-40 MG SUSP", "Z7610", "15.00"],
        ["2003", "COVID VACCINE ADMIN 1ST DOSE", "0001A", "40.00"],
        ["2004", "HC LEAD", "C1778-RT", "5000.00"],
    ]
    ing = read_inputs([write_xlsx(tmp_path / "shapes.xlsx", {"CDM": rows})])
    got = ing.frame.select("code", "code_type", "ndc", "modifiers").rows()
    assert got == [
        (None, "NDC", "00409488810", None),
        (None, "LOCAL", None, None),
        ("0001A", "CPT", None, None),
        ("C1778", "HCPCS", None, "RT"),
    ]


def test_price_type_sheets_are_audited_once(tmp_path):
    """Gross charges and discounted cash prices on two sheets: one chargemaster, one price view linked to it."""
    gross = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Gross Charge"])
    cash = [["Charge Code", "Description", "Revenue Code", "CPT", "Discounted Cash Price"]] + [
        [c, d, r, k, f"{float(p) * 0.6:.2f}"] for c, d, r, k, p in LINES
    ]
    path = write_xlsx(tmp_path / "two.xlsx", {"Gross Charges": gross, "Cash Prices": cash})
    ing = read_inputs([path])
    main, view = _sheet(ing, "Gross Charges"), _sheet(ing, "Cash Prices")
    assert (main.kind, view.kind, view.linked_to) == ("cdm", "price_view", "Gross Charges")
    assert view.rows_audited == 0 and view.rows_skipped == len(LINES)
    assert "price view of sheet 'Gross Charges'" in view.skipped[0]["reason"]
    assert ing.frame.height == len(LINES)
    # The view's prices stay on the lines they price.
    assert ing.frame.get_column("other_prices").to_list()[:2] == ["Cash Prices: 750.0", "Cash Prices: 82.5"]
    result = run_audit([path], AuditRequest())
    assert not [f for f in result.findings if f.edit == "PR003"]  # no charge code is "used twice"


def test_separate_facilities_are_not_price_views(tmp_path):
    """One sheet per hospital of a system, same items: each is its own chargemaster."""

    def facility(name):
        return [["Hospital", "Service Description", "Price"]] + [[name, d, p] for _, d, _, _, p in LINES]

    path = write_xlsx(
        tmp_path / "system.xlsx", {"North": facility("North Hospital"), "South": facility("South Hospital")}
    )
    ing = read_inputs([path])
    assert [(s.kind, s.column_index) for s in ing.files[0].sheets] == [
        ("cdm", {"description": 2, "price": 3}),
        ("cdm", {"description": 2, "price": 3}),
    ]
    assert ing.frame.height == 2 * len(LINES)


def test_sheet_kinds_from_names_and_content(tmp_path):
    """Professional fees, removed items, a form and a pharmacy tab are told apart; only live lines are audited."""
    cdm = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Price"])
    pro = [["CPT Code", "Procedure Description", "Unit Charge"]] + [
        [k, f"PR {d[3:]}", p] for _, d, _, k, p in LINES
    ]
    removed = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Price"])[:4]
    form = [
        ["Hospital Name: Community Hospital", ""],
        ["Evaluation & Management Services", "2018 CPT Code"],
        ["Emergency Room Visit, Level 2", "99282"],
        ["Outpatient Visit, established", "99213"],
    ]
    drugs = [["Charge Code", "Drug", "Price"]] + [
        [f"47{i:06d}", f"{n} {s} MG TAB", "4.00"]
        for i, (n, s) in enumerate(
            [
                ("ACETAMINOPHEN", 325),
                ("IBUPROFEN", 400),
                ("ZOLPIDEM", 5),
                ("ONDANSETRON", 4),
                ("APIXABAN", 5),
                ("LISINOPRIL", 10),
            ]
        )
    ]
    path = write_xlsx(
        tmp_path / "kinds.xlsx",
        {"CDM": cdm, "Pro Fees": pro, "Deleted Items": removed, "AB 1045 Form": form, "Pharmacy": drugs},
    )
    ing = read_inputs([path])
    kinds = {s.name: s.kind for s in ing.files[0].sheets}
    assert kinds == {
        "CDM": "cdm",
        "Pro Fees": "professional_fee",
        "Deleted Items": "removed",
        "AB 1045 Form": "summary",
        "Pharmacy": "pharmacy",
    }
    removed_sheet = _sheet(ing, "Deleted Items")
    assert removed_sheet.rows_audited == 0 and "removed or inactive" in removed_sheet.skipped[0]["reason"]
    assert set(ing.frame.get_column("sheet").unique()) == {"CDM", "Pro Fees", "Pharmacy"}


def test_hospital_outpatient_edits_skip_professional_fee_lines(tmp_path):
    """A neurostimulator procedure on a pro-fee sheet is no device-pairing error; on the CDM sheet it is."""
    # The CDM carries a device C-code (a suture anchor, not a neurostimulator device), so NS001 can be
    # evaluated: a chargemaster with no device C-code at all makes it not-evaluable instead.
    cdm = [
        ["Charge Code", "Description", "Revenue Code", "CPT", "Price"],
        ["1", "HC SCS GENERATOR INSERTION", "0360", "63685", "15800.00"],
        ["2", "HC OFFICE VISIT", "0510", "99213", "210.00"],
        ["3", "HC ANCHOR SUTURE", "0278", "C1713", "310.00"],
    ]
    pro = [
        ["CPT Code", "Procedure Description", "Unit Charge"],
        ["63685", "PR SCS GENERATOR INSERTION", "1400.00"],
        ["99213", "PR OFFICE VISIT", "120.00"],
        ["36415", "PR VENIPUNCTURE", "10.00"],
    ]
    path = write_xlsx(tmp_path / "mixed.xlsx", {"CDM": cdm, "Physician Fees": pro})
    result = run_audit([path], AuditRequest())
    ns001 = [(f.sheet, f.code) for f in result.findings if f.edit == "NS001"]
    assert ns001 == [("CDM", "63685")]
    note = next(s for s in result.summaries() if s.code == "NS001").note
    assert "not applied to 3 professional-fee lines" in note


def test_printed_report_with_page_headers_and_rules(tmp_path):
    """A report pasted into a sheet: title block, header repeated per page, dashed rules. Data rows all kept."""
    header = ["CHARGE CODE", "DESCRIPTION", "REV", "CPT", "PRICE"]
    rule = ["--------", "------------", "----", "-----", "-------"]
    rows = [["COMMUNITY HOSPITAL"], ["CHARGE MASTER LISTING  PAGE 1"], [], header, rule]
    for i, line in enumerate(LINES):
        if i == 10:
            rows += [[], ["COMMUNITY HOSPITAL"], ["CHARGE MASTER LISTING  PAGE 2"], header, rule]
        rows.append(list(line))
    ing = read_inputs([write_xlsx(tmp_path / "printed.xlsx", {"Report": rows}, origin=(0, 1))])
    sheet = _sheet(ing)
    assert sheet.header_row == 4 and sheet.column_index["charge_code"] == 2
    assert ing.frame.height == len(LINES)
    reasons = {s["reason"] for s in sheet.skipped}
    assert "repeated header row" in reasons and "a rule line (dashes), not data" in reasons


def test_description_and_price_list_runs_the_description_edits_only(tmp_path):
    """No codes at all: read, audited, and every edit that needs a code says it could not run."""
    rows = [["Charge Description", "Price"]] + [[d, p] for _, d, _, _, p in LINES]
    path = write_text(tmp_path / "prices.csv", rows)
    result = run_audit([path], AuditRequest())
    assert result.chargemaster.frame.height == len(LINES)
    statuses = {s.code: (s.status, s.note) for s in result.summaries()}
    assert statuses["CV001"] == ("not-evaluable", "not evaluable: no CPT/HCPCS column")
    assert statuses["NS004"][0] == "not-evaluable"


def test_per_sheet_choices_win_over_detection(tmp_path):
    """A sheet's own header row (0: none) and kind, given in the options, override what detection found."""
    body = [[c, d, p] for c, d, _, _, p in LINES]
    path = write_xlsx(
        tmp_path / "choices.xlsx",
        {"A": body, "B": _rows(["Charge Code", "Description", "Rev", "CPT", "Price"])},
    )
    options = IngestOptions(
        per_sheet={"A": SheetChoice(header_row=0, kind="pharmacy"), "B": SheetChoice(kind="summary")}
    )
    ing = read_inputs([path], options)
    a, b = _sheet(ing, "A"), _sheet(ing, "B")
    assert (a.header_row, a.kind, a.rows_audited) == (0, "pharmacy", len(LINES))
    assert (b.kind, b.kind_reason, b.rows_audited) == ("summary", "set by the user", 0)
    with pytest.raises(Exception, match="no sheet named 'C'"):
        read_inputs([path], IngestOptions(per_sheet={"C": SheetChoice(kind="cdm")}))


def test_inspect_shows_evidence_and_kind(tmp_path):
    """`inspect` says, per role, the column, the content evidence and whether the header matched."""
    path = write_xlsx(
        tmp_path / "odd.xlsx", {"CDM": _rows(["Line Key", "Text", "Ctr", "Proc (AMA)", "Jan 2019"])}
    )
    out = run_cli("inspect", str(path)).stdout
    assert "sheet 'CDM': cdm, header on row 1" in out
    assert "cpt           <- 'Proc (AMA)'  (column 4; content: 100% CPT/HCPCS-shaped" in out
    assert "header: none)" in out


def test_reports_say_what_each_sheet_was(tmp_path):
    """The text, HTML and JSON reports name each sheet's kind; a headerless sheet says so, not 'row 0'."""
    gross = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Gross Charge"])
    cash = [["Charge Code", "Description", "Revenue Code", "CPT", "Cash Price"]] + [list(r) for r in LINES]
    bare = [[d, c, p] for _, d, _, c, p in LINES]
    path = write_xlsx(tmp_path / "book.xlsx", {"Gross": gross, "Cash": cash, "Bare": bare})
    out = tmp_path / "report"
    res = run_cli(
        "audit",
        str(path),
        "--as-of",
        "2026-04-01",
        "--format",
        "text,html,json",
        "--out",
        str(out),
        "--no-history",
    )
    assert res.exit_code in (0, 1), res.stderr
    assert "sheet 'Gross': chargemaster, header on row 1: 20 audited, 0 skipped" in res.stdout
    assert "sheet 'Cash': price view of 'Gross', not audited: 20 rows listed as skipped" in res.stdout
    assert "sheet 'Bare': chargemaster, no header row: 20 audited, 0 skipped" in res.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "price view of &#39;Gross&#39;" in html and "header on row 0" not in html
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    sheets = {s["name"]: s for s in doc["run"]["inputs"][0]["sheets"]}
    assert (sheets["Cash"]["kind"], sheets["Cash"]["linked_to"]) == ("price_view", "Gross")
    assert sheets["Bare"]["header_row"] == 0 and sheets["Bare"]["column_index"]["cpt"] == 2


def test_drg_average_charge_sheet_is_a_summary(tmp_path):
    """A tab keyed by 'MS-DRG' numbers with average charges per case is no list of line items."""
    drgs = [["MS-DRG", "Description", "Average Charge"]] + [
        [f"{i:03d}", f"DRG TITLE {i}", f"{10000 + i * 37.3:.2f}"] for i in range(1, 60)
    ]
    cdm = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Price"])
    ing = read_inputs([write_xlsx(tmp_path / "drg.xlsx", {"Sheet2": drgs, "CDM": cdm})])
    assert _sheet(ing, "Sheet2").kind == "summary" and "DRG" in _sheet(ing, "Sheet2").kind_reason
    assert set(ing.frame.get_column("sheet").unique()) == {"CDM"}


@pytest.mark.parametrize("order", [["0450", "0360", "0360", "0450"], ["0360", "0450", "0450", "0360"]])
def test_a_profiles_most_common_value_is_the_same_whatever_the_row_order_on_a_tie(order):
    """Two values tied for most common: the profile names the same one (the least) for either order."""
    import polars as pl

    from auditor.ingest.content import cell_flags, profile

    flags = cell_flags(pl.DataFrame({"c0": order * 50}))
    assert profile(flags, ["c0"])["c0"].top == "0360"


# ------------------------------------------------------------------------ line status


def _with_status(header: str, values: list[str]) -> list[list[str]]:
    """The LINES table with a status column of these values (cycled)."""
    rows = _rows(["Charge Code", "Description", "Revenue Code", "CPT", "Price"])
    return [rows[0] + [header]] + [r + [values[i % len(values)]] for i, r in enumerate(rows[1:])]


def test_inactive_lines_are_skipped_and_satisfy_no_pairing(tmp_path):
    """A retired line is listed as skipped with its status, and its code does not stand in as the companion an
    active line needs: the SCS generator insertion (63685) is flagged when its only device line is inactive."""
    rows = [
        ["Charge Code", "Description", "Revenue Code", "CPT", "Price", "Status"],
        ["1", "HC SCS GENERATOR INSERTION", "0360", "63685", "15800.00", "Active"],
        ["2", "HC NEUROSTIM GEN RECHARGEABLE", "0278", "C1820", "61000.00", "Inactive"],
        ["3", "HC ANCHOR SUTURE", "0278", "C1713", "310.00", "Active"],
    ]
    path = write_text(tmp_path / "cdm.csv", rows)
    sheet = _sheet(read_inputs([path]))
    assert sheet.rows_audited == 2
    assert sheet.skipped == [
        {
            "row": 3,
            "reason": "the line's status says it is not live ('Inactive'): inactive lines are not audited",
        }
    ]
    result = run_audit([path], AuditRequest(select={"NS001"}))
    assert [(f.edit, f.code) for f in result.findings] == [("NS001", "63685")]
    rows[2][5] = "Active"
    live = run_audit([write_text(tmp_path / "live.csv", rows)], AuditRequest(select={"NS001"}))
    assert live.findings == []


@pytest.mark.parametrize(
    ("header", "values", "retired"),
    [
        ("Active?", ["Y", "N"], "N"),  # 'Active': a no retires the line
        ("Inactive Flag", ["N", "Y"], "Y"),  # 'Inactive': a yes does
        ("Status", ["A", "I"], "I"),
        ("Status", ["Y", "N"], None),  # a bare yes/no under 'Status' says nothing certain
        ("Active/Inactive", ["Active", "Y"], None),
    ],
)
def test_a_status_flag_is_read_with_its_headers_polarity(tmp_path, header, values, retired):
    """Y/N means opposite things under 'Active?' and 'Inactive Flag'; only what the header makes certain retires a line."""
    ing = read_inputs([write_text(tmp_path / "cdm.csv", _with_status(header, values))])
    sheet = _sheet(ing)
    assert sheet.columns["status"] == header
    skipped = {r["reason"] for r in sheet.skipped}
    if retired is None:
        assert sheet.rows_audited == len(LINES) and not skipped
    else:
        assert sheet.rows_audited == len(LINES) // 2
        assert skipped == {
            f"the line's status says it is not live ('{retired}'): inactive lines are not audited"
        }


@pytest.mark.parametrize("header", ["SI", "OPPS Status Indicator", "APC SI"])
def test_an_opps_status_indicator_column_is_no_line_status(tmp_path, header):
    """A supplies sheet whose OPPS status indicators are all N (packaged) was called 'removed' and refused; an
    indicator is how Medicare pays a code, not whether the line is live: every line is audited."""
    rows = [["Charge Code", "Description", "Rev Code", "HCPCS", "Price", header]] + [
        [f"2{i:04d}", f"SUPPLY ITEM {i}", "0272", "A4649", f"{10 + i}.00", "N"] for i in range(40)
    ]
    ing = read_inputs([write_text(tmp_path / "supplies.csv", rows)])
    sheet = _sheet(ing)
    assert sheet.kind == "cdm" and sheet.rows_audited == 40 and sheet.rows_skipped == 0
    assert "status" not in sheet.columns


def test_a_column_read_as_status_by_its_values_alone_retires_nothing(tmp_path):
    """'I' under a header that does not say status (inpatient, say) never takes a line out of the audit."""
    ing = read_inputs([write_text(tmp_path / "cdm.csv", _with_status("Flag", ["A", "I"]))])
    sheet = _sheet(ing)
    # The column is the status, read from its A/I values alone: it is there, and still retires nothing.
    assert sheet.columns["status"] == "Flag" and sheet.evidence["status"]["header"] == "none"
    assert sheet.rows_audited == len(LINES) and sheet.rows_skipped == 0


def test_a_file_of_only_inactive_lines_is_refused_not_passed_as_clean(tmp_path):
    """Every line retired: nothing is live to audit, and the refusal says why (no empty report that looks clean)."""
    path = write_text(tmp_path / "old.csv", _with_status("Status", ["Inactive"]))
    res = run_cli("audit", str(path), "--no-history", "--format", "json", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert "lists removed or inactive items: every line's status says inactive" in res.stderr
    assert not (tmp_path / "out" / "findings.json").exists()


def test_a_lines_own_revenue_code_in_the_code_column_reads_as_no_code(tmp_path):
    """Supply lines whose CPT/HCPCS cell repeats their revenue code ('278' from a number column) were each a
    code error (CV002: '00278' 'deleted'); they are lines without a code, and the sheet says how many."""
    rows = [
        ["Charge Code", "Description", "Rev Code", "CPT/HCPCS", "Price"],
        ["1001", "HC SUTURE VICRYL", "272", "272", "12.00"],
        ["1002", "HC IMPLANT MISC", "0278", "278", "50.00"],
        ["1003", "HC NEUROSTIM LEAD", "0278", "C1778", "900.00"],
    ]
    path = write_text(tmp_path / "cdm.csv", rows)
    result = run_audit([path], AuditRequest())
    assert not [f for f in result.findings if f.edit.startswith("CV")]
    (sheet,) = result.chargemaster.files[0].sheets
    assert "2 lines carry their own revenue code in the CPT/HCPCS column ('272', '278')" in sheet.note
    codes = result.chargemaster.frame.get_column("code").to_list()
    assert codes == [None, None, "C1778"]
    assert sheet.code_types == {"HCPCS": 1}  # the sheet's code types count the one code it has


def test_shorthand_headers_are_read_as_the_words_they_abbreviate(tmp_path):
    """'Chg #', 'Proc Cd', 'Std Chg': a short export whose content alone cannot name the charge numbers still gets
    its charge code column (and header evidence for the rest), as 'Charge Number', 'Procedure Code' would."""
    header = ["Chg #", "Svc Desc", "Rev Cd", "Proc Cd", "Std Chg"]
    rows = [header] + [[int(c), d, r, code, p] for c, d, r, code, p in LINES[:3]]
    ing = read_inputs([write_xlsx(tmp_path / "short.xlsx", {"CDM": rows})])
    sheet = _sheet(ing)
    assert sheet.column_index == {"charge_code": 1, "description": 2, "revenue_code": 3, "cpt": 4, "price": 5}
    assert {sheet.evidence[r]["header"] for r in ("charge_code", "cpt", "price")} == {"exact"}
    assert ing.frame.get_column("charge_code").to_list() == ["27011001", "27011002", "27011003"]


@pytest.mark.parametrize("heads", [("Description 1", "Description 2"), ("Description", "Description")])
def test_a_description_split_over_two_columns_is_read_whole(tmp_path, heads):
    """'Description 1' and 'Description 2' (or 'Description' twice): the line's description is both, in sheet order,
    so a check reading the words finds them wherever the export put them (a charger on a generator code)."""
    header = ["Charge Code", *heads, "Rev Code", "CPT/HCPCS", "Price"]
    rows = [
        header,
        ["27011004", "HC NEUROSTIM GENERATOR", "RECHARGEABLE IPG", "0278", "C1820", "61000.00"],
        ["27011005", "HC NEUROSTIM", "CHARGER EXTERNAL", "0278", "C1820", "4200.00"],
        ["27011006", "HC KNEE ARTHROSCOPY", "MENISCECTOMY MEDIAL", "0360", "29881", "9800.00"],
        ["27011007", "HC OFFICE VISIT", "LEVEL 3 EST PATIENT", "0510", "99213", "210.00"],
    ]
    path = write_xlsx(tmp_path / "split.xlsx", {"CDM": rows})
    ing = read_inputs([path])
    assert ing.frame.get_column("description").to_list()[:2] == [
        "HC NEUROSTIM GENERATOR RECHARGEABLE IPG",
        "HC NEUROSTIM CHARGER EXTERNAL",
    ]
    found = run_audit([path], AuditRequest(select={"NS004"})).findings
    assert [(f.row, f.code) for f in found] == [(3, "C1820")] and "CHARGER" in found[0].message
