"""Real hospital files (shared/data/real-cdm): every data row accounted for, right columns, hand-checked rows.

Row counts and row numbers are taken INDEPENDENTLY of the code under test: openpyxl for .xlsx,
python-calamine for the legacy .xls (openpyxl cannot read BIFF), the csv module for text, json for CMS JSON.
Pinned rows were looked up by hand (grep -n / openpyxl) in the files themselves.
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from auditor.ingest import IngestOptions, read_inputs

CMS = "cms-hpt-examples"
CMS_COLUMNS = {
    "description": "description",
    "modifiers": "modifiers",
    "price": "standard_charge|gross",
    "narrative": "additional_generic_notes",
    "setting": "setting",
    "cpt": "code|1",
    "code_type": "code|1|type",
}

# file -> format and, per sheet, the header row and the exact column mapping.
EXPECTED = {
    "oshpd-torrance-2018/106190422_CDM_2018.xlsx": (
        "xlsx",
        {
            "June 2018 CDM": (
                1,
                {
                    "charge_code": "BILL ITEM ID",
                    "description": "LONG DESCRIPTION",
                    "revenue_code": "REVENUE",
                    "cpt": "CPT-4",
                    "hcpcs": "HCPCS",
                    "price": "TMMC Standard Price Schedule",
                },
            )
        },
    ),
    "uw-harborview-2021/HMC_Fees_20211001.xlsx": (
        "xlsx",
        {
            "Harborview Medical Center": (
                1,
                {
                    "charge_code": "Procedure/Item ID",
                    "description": "Description",
                    "cpt": "CPT/HCPCS",
                    "price": "Price",
                },
            )
        },
    ),
    "oshpd-stanislaus-surgical-2018/106504038_CDM_All_2018.xls": (
        "xls",
        {
            "Chargemaster": (
                1,
                {
                    "charge_code": "IVNUM",
                    "description": "IVDESC",
                    "revenue_code": "IVREVCD",
                    "cpt": "IVCPTCD",
                    "price": "IVPRICE1",
                },
            ),
            "Top 25 Outpatient": (1, {"description": "Description", "cpt": "CPT Code", "price": "Charges"}),
            "Sheet3": (None, {}),
        },
    ),
    "kennestone-2019/WSProcedures.txt": (
        "pipe",
        {
            "WSProcedures.txt": (
                1,
                {
                    "charge_code": "Px Code",
                    "description": "Procedure Description",
                    "revenue_code": "Default Rev Code",
                    "cpt": "CPT(R)/HCPCS Code",
                    "modifiers": "Default Mod",
                    "price": "Unit Price",
                    "department": "Service Area",
                },
            )
        },
    ),
    "sutter-lakeside-2022/940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv": (
        "csv",
        {
            "940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv": (
                2,
                {
                    "charge_code": "ID",
                    "description": "DESCRIPTION",
                    "revenue_code": "REVENUE_CODE",
                    "cpt": "CPT",
                    "price": "Gross Charge",
                    "ndc": "NDC",
                    "setting": "SERVICE_SETTING",
                },
            )
        },
    ),
    # The price headers hold line breaks inside quotes: "Inpatient \nPrice", "Outpatient \nPrice".
    "ucdavis-2019/CDM.csv": (
        "csv",
        {
            "CDM.csv": (
                1,
                {
                    "charge_code": "Charge Code",
                    "description": "Charge Description",
                    "cpt": "CPT/HCPCS Code",
                    "price": "Outpatient \nPrice",
                    "department": "Category",
                },
            )
        },
    ),
    f"{CMS}/V2.0.0_Tall_CSV_Format_Example.csv": (
        "cms-csv-tall",
        {"V2.0.0_Tall_CSV_Format_Example.csv": (3, CMS_COLUMNS)},
    ),
    f"{CMS}/V2.0.0_Wide_CSV_Format_Example.csv": (
        "cms-csv-wide",
        {"V2.0.0_Wide_CSV_Format_Example.csv": (3, CMS_COLUMNS)},
    ),
    # v3 tall writes its headers with spaces around the pipes: 'code | 1', 'standard_charge | gross'.
    f"{CMS}/V3.0.0_Tall_CSV_Format_Example.csv": (
        "cms-csv-tall",
        {
            "V3.0.0_Tall_CSV_Format_Example.csv": (
                3,
                {
                    **CMS_COLUMNS,
                    "price": "standard_charge | gross",
                    "cpt": "code | 1",
                    "code_type": "code | 1 | type",
                },
            )
        },
    ),
    f"{CMS}/V3.0.0_Wide_CSV_Format_Example.csv": (
        "cms-csv-wide",
        {"V3.0.0_Wide_CSV_Format_Example.csv": (3, CMS_COLUMNS)},
    ),
    f"{CMS}/V2.0.0_JSON_Format_Example.json": ("cms-json", {"standard_charge_information": (0, CMS_COLUMNS)}),
    f"{CMS}/v3_json_format_example.json": ("cms-json", {"standard_charge_information": (0, CMS_COLUMNS)}),
}

# (file, sheet, row, expected canonical values): skin substitutes (Q41xx), neurostimulator devices (C1778/C1820),
# checked by hand in the source file. The source row itself is re-checked independently below.
PINNED = [
    (
        "oshpd-torrance-2018/106190422_CDM_2018.xlsx",
        "June 2018 CDM",
        7519,
        dict(
            charge_code="748913",
            description="LEAD QUAD PISCES 3487A-33",
            code="C1778",
            revenue_code="0278",
            revenue_code_raw="278",
            price=5088.9,
        ),
    ),
    (
        "oshpd-torrance-2018/106190422_CDM_2018.xlsx",
        "June 2018 CDM",
        9258,
        dict(charge_code="1484609", code="C1820", revenue_code="0278", price=59062.5),
    ),
    (
        "oshpd-torrance-2018/106190422_CDM_2018.xlsx",
        "June 2018 CDM",
        24216,
        dict(charge_code="962217", code="Q4104", revenue_code="0636", price=21324.0),
    ),
    (
        "uw-harborview-2021/HMC_Fees_20211001.xlsx",
        "Harborview Medical Center",
        7067,
        dict(
            charge_code="06360227",
            description="HC OASIS WOUND MATRIX PER SQ CM",
            code="Q4102",
            revenue_code=None,
            price=87.36,
        ),
    ),
    (
        "oshpd-stanislaus-surgical-2018/106504038_CDM_All_2018.xls",
        "Chargemaster",
        6941,
        dict(
            charge_code="7101452", description="LEAD ANCHOR", code="C1778", revenue_code="0278", price=928.0
        ),
    ),
    (
        "oshpd-stanislaus-surgical-2018/106504038_CDM_All_2018.xls",
        "Chargemaster",
        7972,
        dict(charge_code="7101167", code="Q4100", revenue_code="0278", price=1640.0),
    ),
    (
        "kennestone-2019/WSProcedures.txt",
        "WSProcedures.txt",
        28,
        dict(
            charge_code="278110328",
            code="Q4116",
            revenue_code="0278",
            revenue_code_raw="MEDICAL/SURGICAL SUPPLIES AND DEVICES - OTHER IMPLANT [0278]",
            price=20979.0,
            modifiers=None,
        ),
    ),
    (
        "kennestone-2019/WSProcedures.txt",
        "WSProcedures.txt",
        64,
        dict(charge_code="93091420", code="92921", revenue_code="0481", modifiers="RI", modifiers_raw="RI"),
    ),
    (
        "sutter-lakeside-2022/940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv",
        "940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv",
        2010,
        dict(
            charge_code="IP_SUP-60050711-387911",
            description="PATCH DERMIS 40X70MM",
            code="Q4125",
            revenue_code="0278",
            price=10350.01,
            price_raw="$10,350.01",
            setting="INPATIENT",
        ),
    ),
    (
        "sutter-lakeside-2022/940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv",
        "940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv",
        1524,
        dict(charge_code="IP_SUP-60050102-571306", code="C1820", revenue_code="0278", price=66100.01),
    ),
    # grep -n says line 2674: the quoted header spans lines 1-3, so it is record (Excel row) 2672.
    (
        "ucdavis-2019/CDM.csv",
        "CDM.csv",
        2672,
        dict(
            charge_code="636000540",
            description="HC APLIGRAF, PER SQ CM",
            code="Q4101",
            revenue_code=None,
            price=137.0,
            price_raw="$137.00",
            department="Other",
        ),
    ),
    (
        "ucdavis-2019/CDM.csv",
        "CDM.csv",
        7543,
        dict(charge_code="377177", description="SOLIA S 53 (377177)", code="C1778", price=4500.0),
    ),
    (
        f"{CMS}/V3.0.0_Tall_CSV_Format_Example.csv",
        "V3.0.0_Tall_CSV_Format_Example.csv",
        16,
        dict(
            description="Pacemaker",
            code="C1785",
            revenue_code="0278",
            revenue_code_raw="278",
            price=40000.0,
            setting="outpatient",
        ),
    ),
    (
        f"{CMS}/V3.0.0_Wide_CSV_Format_Example.csv",
        "V3.0.0_Wide_CSV_Format_Example.csv",
        10,
        dict(description="Pacemaker", code="C1785", revenue_code="0278", price=40000.0),
    ),
    (
        f"{CMS}/v3_json_format_example.json",
        "standard_charge_information",
        7,
        dict(description="Pacemaker", code="C1785", revenue_code="0278", price=40000.0),
    ),
    (
        f"{CMS}/V2.0.0_Tall_CSV_Format_Example.csv",
        "V2.0.0_Tall_CSV_Format_Example.csv",
        4,
        dict(charge_code="175869", code=None, setting="inpatient"),
    ),
    (
        f"{CMS}/V2.0.0_Tall_CSV_Format_Example.csv",
        "V2.0.0_Tall_CSV_Format_Example.csv",
        27,
        dict(code="J1450", ndc="25021-0184-82", price=75.0),
    ),
    (
        f"{CMS}/V2.0.0_Wide_CSV_Format_Example.csv",
        "V2.0.0_Wide_CSV_Format_Example.csv",
        12,
        dict(code=None, revenue_code="0762", price=13000.0),
    ),
    (
        f"{CMS}/V2.0.0_JSON_Format_Example.json",
        "standard_charge_information",
        8,
        dict(code="J1450", ndc="25021-0184-82", price=75.0),
    ),
]


@cache
def ingest(path: Path):
    """read_inputs for one real file, once per session."""
    return read_inputs([path], IngestOptions())


def _nonblank(cells) -> bool:
    return any(v is not None and str(v).strip() for v in cells)


@cache
def source_rows(path: Path, sheet: str) -> dict[int, list[str]]:
    """{user row number: cell texts} for every non-blank row of one sheet, read WITHOUT the code under test."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = enumerate(wb[sheet].iter_rows(min_row=1, values_only=True), start=1)
            return {i: ["" if v is None else str(v) for v in r] for i, r in rows if _nonblank(r)}
        finally:
            wb.close()
    if path.suffix == ".xls":
        import python_calamine

        sheet_obj = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        start = sheet_obj.start[0] if sheet_obj.start else 0  # to_python() begins at the first used row
        return {
            start + i: ["" if v is None else str(v) for v in r]
            for i, r in enumerate(sheet_obj.to_python(skip_empty_area=False), start=1)
            if _nonblank(r)
        }
    if path.suffix == ".json":
        items = json.loads(path.read_text(encoding="utf-8"))["standard_charge_information"]
        return {i: [json.dumps(it)] for i, it in enumerate(items, start=1)}
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    delim = "|" if path.suffix == ".txt" else ","
    # Rows are records, as Excel numbers them when it opens the file (a quoted line break stays in its row).
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    return {i: r for i, r in enumerate(records, start=1) if _nonblank(r)}


def _cases():
    for rel, (fmt, sheets) in EXPECTED.items():
        for sheet, (header_row, columns) in sheets.items():
            yield pytest.param(rel, fmt, sheet, header_row, columns, id=f"{rel.split('/')[-1]}:{sheet}")


@pytest.mark.parametrize(("rel", "fmt", "sheet", "header_row", "columns"), list(_cases()))
def test_every_row_accounted_for(real_cdm, rel, fmt, sheet, header_row, columns):
    """Header row, exact column mapping, and rows read = non-blank rows below the header, counted independently."""
    path = real_cdm / rel
    ing = ingest(path)
    (report,) = ing.files
    assert report.format == fmt
    rep = {s.name: s for s in report.sheets}[sheet]
    assert rep.header_row == header_row
    assert rep.columns == columns
    expected_rows = {r for r in source_rows(path, sheet) if header_row is not None and r > header_row}
    if header_row is None:
        assert rep.rows_read == len(source_rows(path, sheet)) == 0
        assert rep.note
        return
    assert rep.rows_read == len(expected_rows)
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read
    audited = ing.frame.filter((pl.col("file") == str(path)) & (pl.col("sheet") == sheet))
    assert audited.height == rep.rows_audited
    # The same row numbers, not just the same count: every audited or skipped row is a real non-blank row.
    seen = set(audited["row"].to_list()) | {s["row"] for s in rep.skipped}
    assert seen == expected_rows
    assert audited["row"].is_unique().all()


def test_every_real_file_is_covered(real_cdm):
    """A file added to shared/data/real-cdm must get its expectations here too."""
    on_disk = {
        str(p.relative_to(real_cdm))
        for p in real_cdm.glob("*/*")
        if p.is_file() and p.name not in ("SOURCE.txt", "README.md") and p.parent.name != "labels"
    }
    assert on_disk == set(EXPECTED)


def test_real_files_have_no_skipped_rows(real_cdm):
    """None of the real files' live sheets has a blank-key, footer or repeated-header row: nothing is skipped.

    A summary sheet (the 'Top 25 Outpatient' statistics tab) is not audited: all its rows are listed as skipped.
    A CMS tall file's rows that repeat an item for another payer plan are listed as skipped: the item is audited once.
    """
    for rel in EXPECTED:
        for s in ingest(real_cdm / rel).files[0].sheets:
            if s.kind == "summary":
                assert s.rows_audited == 0 and len(s.skipped) == s.rows_read, (rel, s.name)
                assert all(
                    "not audited" in k["reason"] or "no recognisable table" in k["reason"] for k in s.skipped
                )
            else:
                again = [k for k in s.skipped if "row for another payer plan" in k["reason"]]
                assert not again or "Tall" in rel, (rel, again[:3])
                assert [k for k in s.skipped if k not in again] == [], (rel, s.name, s.skipped[:3])


@pytest.mark.parametrize(
    ("rel", "sheet", "row", "want"), PINNED, ids=[f"{p[0].split('/')[-1]}:{p[2]}" for p in PINNED]
)
def test_hand_checked_row(real_cdm, rel, sheet, row, want):
    """A hand-picked skin-substitute / neurostimulator line comes out at its user row with exact values."""
    path = real_cdm / rel
    frame = ingest(path).frame.filter((pl.col("sheet") == sheet) & (pl.col("row") == row))
    assert frame.height == 1, f"row {row} missing from {sheet}"
    got = frame.row(0, named=True)
    for key, value in want.items():
        assert got[key] == value, (key, got[key], value)
    # Re-check the source independently: the code really sits on that row of the file.
    source = source_rows(path, sheet)[row]
    if want.get("code"):
        assert any(want["code"] in cell for cell in source), source
    if want.get("charge_code"):
        assert any(cell.strip() == want["charge_code"] for cell in source) or path.suffix == ".json", source


def test_torrance_cpt_and_hcpcs_columns_are_separate(real_cdm):
    """CPT-4 and HCPCS come from their own columns; the HCPCS device code wins where both are filled."""
    frame = ingest(real_cdm / "oshpd-torrance-2018/106190422_CDM_2018.xlsx").frame
    devices = frame.filter(pl.col("code").str.contains(r"^C1(778|820|767)$"))
    assert devices.height >= 10
    assert set(devices["revenue_code"].unique().to_list()) <= {"0278", "0272", "0624"}


def test_stanislaus_float_revenue_codes_and_trimmed_item_numbers(real_cdm):
    """IVREVCD is a float cell (278.0) -> '0278'; IVNUM has leading spaces (' 7000166') -> '7000166'."""
    frame = ingest(real_cdm / "oshpd-stanislaus-surgical-2018/106504038_CDM_All_2018.xls").frame
    cdm = frame.filter(pl.col("sheet") == "Chargemaster")
    assert cdm["revenue_code"].drop_nulls().str.contains(r"^\d{4}$").all()
    assert not cdm["charge_code"].drop_nulls().str.contains(r"^\s|\s$").any()
    assert cdm.filter(pl.col("row") == 2).row(0, named=True)["charge_code"] == "7000166"


def test_kennestone_bracketed_revenue_codes(real_cdm):
    """'OTHER IMPLANT [0278]' style text yields the 4-digit code for every row that has one."""
    frame = ingest(real_cdm / "kennestone-2019/WSProcedures.txt").frame
    with_rev = frame.filter(pl.col("revenue_code_raw").is_not_null())
    assert with_rev.height > 14000
    assert with_rev["revenue_code"].str.contains(r"^\d{4}$").all()
    assert (with_rev["revenue_code_raw"].str.extract(r"\[(\d{4})\]$", 1) == with_rev["revenue_code"]).all()


def test_kennestone_modifiers_survive(real_cdm):
    """Every 'Default Mod' value comes through as a modifier (it was lost when another modifier source was empty)."""
    frame = ingest(real_cdm / "kennestone-2019/WSProcedures.txt").frame
    with_mod = frame.filter(pl.col("modifiers_raw").is_not_null())
    assert with_mod.height > 1000
    assert with_mod["modifiers"].null_count() == 0


def test_sutter_money_with_dollar_sign_and_trailing_space(real_cdm):
    """'$1,351.73 ' parses to 1351.73 and every non-empty gross charge parses."""
    frame = ingest(
        real_cdm / "sutter-lakeside-2022/940562680-1952634008_SUTTER-LAKESIDE-HOSPITAL_standardcharges.csv"
    ).frame
    assert frame.filter(pl.col("price_raw") == "$1,351.73")["price"].to_list()[:1] == [1351.73]
    priced = frame.filter(pl.col("price_raw").is_not_null())
    assert priced["price"].null_count() == 0


def test_cms_code_pairs_pick_cpt_hcpcs_and_revenue(real_cdm):
    """CMS code|N / code|N|type pairs: CPT/HCPCS -> code, RC -> revenue code, LOCAL -> charge code, NDC -> ndc."""
    for name in (
        "V3.0.0_Tall_CSV_Format_Example.csv",
        "V3.0.0_Wide_CSV_Format_Example.csv",
        "v3_json_format_example.json",
    ):
        frame = ingest(real_cdm / CMS / name).frame
        mri = frame.filter(pl.col("description") == "MRI of brain (no contrast)").row(0, named=True)
        assert (mri["code"], mri["revenue_code"], mri["price"]) == ("70551", "0611", 1200.0), name
    # DRG lines carry no CPT/HCPCS: code stays empty rather than taking the DRG number.
    frame = ingest(real_cdm / CMS / "V2.0.0_Wide_CSV_Format_Example.csv").frame
    drg = frame.filter(pl.col("description").str.starts_with("Major hip and knee"))
    assert drg.height == 3
    assert drg["code"].null_count() == 3 and set(drg["charge_code"].to_list()) == {"175869"}
