"""Leading zeros and code text survive every input format; text encodings are decoded right.

The workbooks store codes the way hospital exports do: revenue code 278 and CPT 15271 as NUMBER cells,
15271.0 as a float, '00123456' and '0278' as TEXT cells, and the text HCPCS 'C1713' only after 1,500 numeric
rows, where any reader that guesses column types from the first rows would turn it into a null.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, write_json, write_text, write_xls, write_xlsm, write_xlsx

from auditor.ingest import IngestOptions, read_inputs

HEADER = ["Charge Code", "Description", "Revenue Code", "CPT", "HCPCS", "Modifier", "Price"]
FILLER = 1500  # numeric lab rows first, as in a CDM sorted by charge code
FIRST_TRICKY_ROW = 1 + FILLER + 1

# (cells as stored, expected canonical values). Numbers are numbers in a workbook and their str() in text.
TRICKY = [
    (
        ["00123456", "SKIN SUB GRAFT PER SQ CM", "0278", None, "C1713", None, "$1,234.56"],
        dict(
            charge_code="00123456",
            revenue_code="0278",
            code="C1713",
            modifiers=None,
            price=1234.56,
            price_raw="$1,234.56",
        ),
    ),
    (
        [123, "APPLICATION SKIN SUB", 278, 15271, None, None, 1234.5],
        dict(charge_code="123", revenue_code="0278", code="15271", modifiers=None, price=1234.5),
    ),
    (
        ["X3", "APPLICATION SKIN SUB FLOAT", 278.0, 15271.0, None, None, 99.99],
        dict(charge_code="X3", revenue_code="0278", code="15271", modifiers=None, price=99.99),
    ),
    (
        ["X4", "APPLICATION RIGHT", "278", "15271-RT", None, None, None],
        dict(
            charge_code="X4",
            revenue_code="0278",
            code="15271",
            code_raw="15271-RT",
            modifiers="RT",
            price=None,
        ),
    ),
    (
        ["X5", "NEUROSTIM ARRAY REDUCED", "0361", "63650 52", None, None, None],
        dict(charge_code="X5", revenue_code="0361", code="63650", code_raw="63650 52", modifiers="52"),
    ),
    (
        ["X6", "ANESTHESIA LENS", "0370", 100, None, None, None],
        dict(charge_code="X6", revenue_code="0370", code="00100"),
    ),
    (
        ["X7", "LEAD NEUROSTIM", "0278", None, "C1778", 50, "5000"],
        dict(charge_code="X7", revenue_code="0278", code="C1778", modifiers="50", price=5000.0),
    ),
    (
        ["X8", "LEAD NEUROSTIM BILAT", 278, "15271", "C1778", "rt", None],
        dict(charge_code="X8", revenue_code="0278", code="C1778", alt_code="15271", modifiers="RT"),
    ),
]


def sheet_rows(as_text: bool = False) -> list[list[object]]:
    """Header, 1,500 numeric rows, then the tricky rows; `as_text` renders every cell as text (CSV-like)."""
    rows: list[list[object]] = [HEADER]
    for i in range(1, FILLER + 1):
        rows.append([10_000_000 + i, f"LAB TEST {i}", 300, 80053, None, None, 12.5])
    rows += [cells for cells, _ in TRICKY]
    if as_text:
        rows = [[None if v is None else str(v) for v in r] for r in rows]
    return rows


def check(path, fmt: str) -> None:
    """The tricky rows come out exactly, at their user rows, and every filler row is audited."""
    ing = read_inputs([path])
    (report,) = ing.files
    assert report.format == fmt
    (sheet,) = report.sheets
    assert sheet.header_row == 1
    assert sheet.rows_read == FILLER + len(TRICKY) == sheet.rows_audited
    frame = ing.frame
    first = frame.filter(frame["row"] == 2).row(0, named=True)
    assert (first["charge_code"], first["revenue_code"], first["code"], first["price"]) == (
        "10000001",
        "0300",
        "80053",
        12.5,
    )
    for offset, (_, want) in enumerate(TRICKY):
        got = frame.filter(frame["row"] == FIRST_TRICKY_ROW + offset).row(0, named=True)
        for key, value in want.items():
            assert got[key] == value, (fmt, FIRST_TRICKY_ROW + offset, key, got[key], value)


def test_xlsx(tmp_path):
    check(write_xlsx(tmp_path / "cdm.xlsx", {"CDM": sheet_rows()}), "xlsx")


def test_xlsm(tmp_path):
    check(write_xlsm(tmp_path / "cdm.xlsm", {"CDM": sheet_rows()}), "xlsm")


def test_xlsx_named_xlsm_without_macro_content_type(tmp_path):
    """xlsxwriter's plain .xlsm-named output is still read (the name alone says xlsm)."""
    check(write_xlsx(tmp_path / "cdm.xlsm", {"CDM": sheet_rows()}), "xlsm")


def test_xls(tmp_path):
    check(write_xls(tmp_path / "cdm.xls", {"CDM": sheet_rows()}), "xls")


def test_csv(tmp_path):
    check(write_text(tmp_path / "cdm.csv", sheet_rows(as_text=True)), "csv")


def test_csv_all_quoted(tmp_path):
    check(write_text(tmp_path / "cdm.csv", sheet_rows(as_text=True), quote_all=True), "csv")


def test_pipe_txt(tmp_path):
    check(write_text(tmp_path / "cdm.txt", sheet_rows(as_text=True), delimiter="|"), "pipe")


def test_tsv(tmp_path):
    check(write_text(tmp_path / "cdm.tsv", sheet_rows(as_text=True), delimiter="\t", newline="\n"), "tsv")


CMS_PREAMBLE = [
    [
        "hospital_name",
        "last_updated_on",
        "version",
        "hospital_location",
        "hospital_address",
        "license_number|CA",
    ],
    ["Test Hospital", "2026-01-01", "2.0.0", "Test Hospital", "1 Main St", "12345"],
]
CMS_HEADER = [
    "description",
    "code|1",
    "code|1|type",
    "code|2",
    "code|2|type",
    "code|3",
    "code|3|type",
    "modifiers",
    "setting",
    "standard_charge|gross",
]


def test_cms_csv(tmp_path):
    """CMS wide CSV: codes are text in `code|N`, typed by `code|N|type`; zeros and float text survive."""
    rows = CMS_PREAMBLE + [CMS_HEADER]
    for i in range(FILLER):
        rows.append(
            [
                f"LAB TEST {i}",
                "300",
                "RC",
                "80053",
                "CPT",
                f"{10_000_000 + i}",
                "CDM",
                "",
                "outpatient",
                "12.5",
            ]
        )
    rows += [
        ["SKIN SUB GRAFT", "0278", "RC", "C1713", "HCPCS", "00123456", "CDM", "", "outpatient", "1234.56"],
        ["APPLICATION", "278", "RC", "15271.0", "CPT", "123", "CDM", "RT", "outpatient", "$1,234.56"],
        ["ANESTHESIA", "00100", "CPT", "370.0", "RC", "", "", "", "outpatient", ""],
    ]
    path = write_text(tmp_path / "standardcharges.csv", rows)
    ing = read_inputs([path])
    (report,) = ing.files
    assert report.format == "cms-csv-wide"
    assert report.sheets[0].header_row == 3
    assert report.sheets[0].rows_read == report.sheets[0].rows_audited == FILLER + 3
    f = ing.frame
    first_tricky = 3 + FILLER + 1
    got = [f.filter(f["row"] == first_tricky + k).row(0, named=True) for k in range(3)]
    assert [(g["charge_code"], g["revenue_code"], g["code"], g["price"]) for g in got] == [
        ("00123456", "0278", "C1713", 1234.56),
        ("123", "0278", "15271", 1234.56),
        (None, "0370", "00100", None),
    ]
    assert got[1]["modifiers"] == "RT"


# The wide template's two preamble lines: the hospital's facts named, then given.
WIDE_PREAMBLE = [
    ["hospital_name", "last_updated_on", "version", "hospital_location", "hospital_address"],
    ["Example Hospital", "2026-07-01", "2.2.0", "Austin", "1 Main St, Austin, TX"],
]


def test_cms_wide_csv_header_is_not_joined_to_the_values_line_above(tmp_path):
    """A CMS wide file whose preamble values (name, date, version, place) sit right above the header: the
    header is the template's one line, so its code pairs are read (it was joined to the values line as a
    two-line header, which lost the descriptions and took the gross charge for a charge code). The gross
    charge is the price even in whole dollars beside payer rates with cents (a payer's rate was taken)."""
    plans = [f"{p}|Plan {i}" for i in range(20) for p in ("Aetna", "Cigna")]
    header = ["description", "code|1", "code|1|type", "code|2", "code|2|type", "modifiers", "setting"]
    header += ["standard_charge|gross", "standard_charge|discounted_cash"]
    header += [f"standard_charge|{p}|negotiated_dollar" for p in plans]
    header += [f"standard_charge|{p}|methodology" for p in plans]
    rows = [
        *WIDE_PREAMBLE,
        header,
    ]
    codes = ["27447", "C1767", "Q4101", "64561", "L8680"]
    for i in range(60):
        gross = 1000 + 37 * i
        row = [
            f"Item {i}",
            codes[i % 5],
            "CPT" if i % 5 in (0, 3) else "HCPCS",
            "0278",
            "RC",
            "",
            "outpatient",
        ]
        row += [f"{gross}.00", f"{gross * 0.6:.2f}"]
        row += [f"{gross * 0.5:.2f}" if k % 3 == 0 else "" for k in range(len(plans))]
        row += ["fee schedule" if k % 3 == 0 else "" for k in range(len(plans))]
        rows.append(row)
    ing = read_inputs([write_text(tmp_path / "standardcharges.csv", rows)])
    sheet = ing.files[0].sheets[0]
    assert sheet.header_row == 3
    assert sheet.columns["description"] == "description"
    assert sheet.columns["price"] == "standard_charge|gross"
    assert "charge_code" not in sheet.columns
    first = ing.frame.filter(ing.frame["row"] == 4).row(0, named=True)
    assert (first["description"], first["code"], first["revenue_code"], first["price"]) == (
        "Item 0",
        "27447",
        "0278",
        1000.0,
    )


def test_cms_wide_csv_with_a_header_longer_than_the_sniffed_sample(tmp_path):
    """A health system's wide file names ~1,400 payer plans: its header line alone (280 KB) filled the sample the
    delimiter was sniffed from, where the pipes inside its names outnumbered the lines cut by commas, so the
    file was read as pipe-delimited and refused as 'a summary, no code'. The sample now holds whole lines."""
    plans = [f"{p}|Plan {i}" for i in range(700) for p in ("Aetna", "Cigna")]
    per_plan = ("negotiated_dollar", "negotiated_percentage", "negotiated_algorithm", "methodology")
    header = ["description", "code|1", "code|1|type", "modifiers", "setting", "standard_charge|gross"]
    header += [f"standard_charge|{p}|{what}" for p in plans for what in per_plan]
    rows = [
        *WIDE_PREAMBLE,
        header,
    ]
    assert len(",".join(header)) > 256 * 1024
    codes = ["27447", "C1767", "Q4101", "64561"]
    rates = len(plans) * len(per_plan)  # a ninth of them priced
    items = [
        (f"Item {i}", codes[i % 4], "CPT" if i % 4 in (0, 3) else "HCPCS", "", "outpatient") for i in range(8)
    ]
    rows += [
        [*item, f"{900 + i}.00", *(f"{400 + i}.00" if k % 9 == 0 else "" for k in range(rates))]
        for i, item in enumerate(items)
    ]
    ing = read_inputs([write_text(tmp_path / "standardcharges.csv", rows)])
    (report,) = ing.files
    assert report.format == "cms-csv-wide"
    sheet = report.sheets[0]
    assert (sheet.header_row, sheet.rows_read, sheet.rows_audited) == (3, 8, 8)
    assert sheet.columns["price"] == "standard_charge|gross"
    assert ing.frame.get_column("code").to_list() == codes * 2
    assert ing.frame.get_column("price").to_list() == [900.0 + i for i in range(8)]


def wide_cms(path, plans: int, rows: int = 6):
    """A CMS wide csv (v2 template): the item's columns, four per payer plan, then min, max and notes."""
    names = [f"{p}|Plan {i}" for i in range(plans) for p in ("Aetna", "Cigna")][:plans]
    header = ["description", "code|1", "code|1|type", "modifiers", "setting", "standard_charge|gross"]
    header += [f"standard_charge|{p}|negotiated_dollar" for p in names]
    header += [f"standard_charge|{p}|methodology" for p in names]
    header += [f"estimated_amount|{p}" for p in names]
    header += [f"additional_payer_notes|{p}" for p in names]
    header += ["standard_charge|min", "standard_charge|max", "additional_generic_notes"]
    out = [
        *WIDE_PREAMBLE,
        header,
    ]
    for i in range(rows):
        row = [f"Item {i}", "27447", "CPT", "", "outpatient", f"{900 + i}.00"]
        row += [f"{400 + i}.00" if k % 3 == 0 else "" for k in range(plans)]
        row += ["fee schedule" if k % 3 == 0 else "" for k in range(plans)]
        row += ["" for _ in range(2 * plans)]
        row += [f"{400 + i}.00", f"{900 + i}.00", "see notes" if i == 0 else ""]
        out.append(row)
    return write_text(path, out), header


def test_cms_wide_payer_plan_columns_are_set_aside_and_said(tmp_path):
    """A wide file's payer-plan columns (negotiated rates, estimates, notes: thousands in a health system's file,
    most of its read time) are not read, and the sheet says so; the columns after them are still the same table's
    (not a second table beside it past the emptied ones) and keep their places in the file."""
    path, header = wide_cms(tmp_path / "standardcharges.csv", plans=300)
    ing = read_inputs([path])
    sheet = ing.files[0].sheets[0]
    assert sheet.note == (
        "1,200 payer-plan columns (300 payer plans' negotiated rates, estimates and notes) not read: payer rates "
        "are not audited"
    )
    assert not sheet.tables and sheet.rows_skipped == 0 and sheet.rows_audited == 6
    assert sheet.column_index["narrative"] == len(header) == 1209
    assert "standard_charge|min" in sheet.unmapped
    assert not any("negotiated" in h for h in sheet.unmapped)
    assert ing.frame.get_column("price").to_list() == [900.0 + i for i in range(6)]


def test_cms_wide_row_of_payer_rates_alone_is_listed_as_skipped(tmp_path):
    """A row with nothing but payer-plan rates (no item: a stray line of the export) is blank once those columns
    are set aside; it is listed as skipped with why, not lost from the count of rows read."""
    header = ["description", "code|1", "code|1|type", "standard_charge|gross"]
    header += ["standard_charge|Aetna|PPO|negotiated_dollar", "standard_charge|Aetna|PPO|methodology"]
    rows = [*WIDE_PREAMBLE, header, ["ITEM A", "27447", "CPT", "900.00", "400.00", "fee schedule"]]
    rows += [
        ["", "", "", "", "410.00", "fee schedule"],
        ["", "", "", "", "", ""],
        ["ITEM B", "29881", "CPT", "800"],
    ]
    sheet = read_inputs([write_text(tmp_path / "standardcharges.csv", rows)]).files[0].sheets[0]
    assert (sheet.rows_read, sheet.rows_audited, sheet.rows_skipped) == (3, 2, 1)
    assert sheet.skipped == [
        {
            "row": 5,
            "reason": "no charge code, description, CPT/HCPCS or revenue code on this row: only payer-plan rates, "
            "which are not read",
        }
    ]


def test_cms_wide_payer_column_named_by_the_user_is_read(tmp_path):
    """A payer-plan column the user names with --column stays: their choice, not the set-aside, decides."""
    path, _ = wide_cms(tmp_path / "standardcharges.csv", plans=30)
    wanted = "standard_charge|Aetna|Plan 0|negotiated_dollar"
    ing = read_inputs([path], IngestOptions(overrides={"price": wanted}))
    sheet = ing.files[0].sheets[0]
    assert sheet.columns["price"] == wanted
    assert "119 payer-plan columns (30 payer plans'" in sheet.note
    assert ing.frame.get_column("price").to_list() == [400.0 + i for i in range(6)]


def tall_cms(path, items, payers: int = 5):
    """A CMS tall csv: each item (description, gross charge, its (code, type) pairs) once per payer plan."""
    pairs = max(len(item[2]) for item in items)
    head = ["description"] + [f"code|{i}{t}" for i in range(1, pairs + 1) for t in ("", "|type")]
    head += ["modifiers", "setting", "standard_charge|gross", "payer_name", "plan_name"]
    head += ["standard_charge|negotiated_dollar"]
    out = [["hospital_name", "last_updated_on", "version"], ["Example Hospital", "2026-07-01", "2.2.0"], head]
    for desc, gross, codes in items:
        cells = [c for pair in codes for c in pair] + ["", ""] * (pairs - len(codes))
        for p in range(payers):
            out.append([desc, *cells, "", "outpatient", gross, f"Payer {p}", "PPO", f"{p + 100}.00"])
    return write_text(path, out)


def audit_json(path, select: str, out):
    """`cdm-audit audit PATH --select SELECT` for 2026Q2, as a user runs it: the result and its findings.json."""
    got = run_cli(
        "audit",
        path,
        "--select",
        select,
        "--as-of",
        "2026-04-01",
        "--no-history",
        "--format",
        "json",
        "--out",
        out,
    )
    return got, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def test_cms_tall_item_rows_for_each_payer_plan_are_audited_once(tmp_path):
    """A tall file lists each item once per payer plan: the item is audited once, on its first row (its money at
    stake is the item's, not five times it), the other rows are listed as skipped with one reason (one group in a
    report, not one per item), and the sheet says so."""
    items = [
        ("INJ GANCICLOVIR IMPLANT", "7837.00", [("J7310", "HCPCS")]),
        ("KNEE ARTHROSCOPY", "2301.00", [("29881", "CPT"), ("0360", "RC")]),
        ("KNEE ARTHROSCOPY", "2450.00", [("29881", "CPT"), ("0360", "RC")]),  # another price: another item
    ]
    path = tall_cms(tmp_path / "tall.csv", items)
    got, doc = audit_json(path, "CV001", tmp_path / "o")
    assert got.exit_code == 1, got.stderr
    (sheet,) = doc["run"]["inputs"][0]["sheets"]
    assert (sheet["rows_read"], sheet["rows_audited"], sheet["rows_skipped"]) == (15, 3, 12)
    assert "12 rows repeat an item for another payer plan: each item audited once" in sheet["note"]
    skipped = {s["row"]: s["reason"] for s in doc["skipped_rows"]}
    assert sorted(skipped) == [r for r in range(4, 19) if r not in (4, 9, 14)]
    assert set(skipped.values()) == {
        "an item's row for another payer plan, the same item as an earlier row (payer rates are not audited): "
        "each item is audited once, on its first row"
    }
    (problem,) = doc["problems"]
    assert (problem["edit"], problem["lines"], problem["amount"]) == ("CV001", 1, 7837.0)
    assert [doc["findings"][i]["row"] for i in problem["findings"]] == [4]


def test_cms_file_without_an_ndc_pair_has_no_ndc_column(tmp_path):
    """RC005 speaks of drug lines left blank in an NDC column; a CMS file's NDC rides in a code pair, so a file
    whose pairs hold no NDC has no such column (RC005 not evaluable), and one whose pairs hold some is judged."""
    plain = ("INJ TRIAMCINOLONE", "50.00", [("J3301", "HCPCS"), ("0636", "RC")])
    bare = ("INJ EPOETIN", "70.00", [("J0885", "HCPCS"), ("0636", "RC")])
    with_ndc = ("INJ EPOETIN", "70.00", [("J0885", "HCPCS"), ("0636", "RC"), ("59676-0302-01", "NDC")])
    none = tall_cms(tmp_path / "none.csv", [plain, bare], payers=1)
    some = tall_cms(tmp_path / "some.csv", [plain, with_ndc], payers=1)
    for path, fired in ((none, []), (some, ["J3301"])):
        got, doc = audit_json(path, "RC005", tmp_path / path.stem)
        assert [f["code"] for f in doc["findings"]] == fired, got.stdout
        (summary,) = [e for e in doc["run"]["edits"] if e["code"] == "RC005"]
        assert summary["status"] == ("not-evaluable" if path is none else "ran")


def test_cms_csv_tall_with_spaced_pipes(tmp_path):
    """v3 tall CSVs write 'code | 1' with spaces and carry payer_name; still one code pair per column pair (and
    the item's row for a second payer is the same item: audited once)."""
    header = [
        "description",
        "code | 1",
        "code | 1 | type",
        "code | 2",
        "code | 2 | type",
        "setting",
        "standard_charge | gross",
        "payer_name",
        "plan_name",
    ]
    rows = CMS_PREAMBLE + [
        header,
        ["Pacemaker", "278", "RC", "C1785", "HCPCS", "outpatient", "40000", "Aetna", "PPO"],
        ["Pacemaker", "278", "RC", "C1785", "HCPCS", "outpatient", "40000", "Cigna", "HMO"],
    ]
    ing = read_inputs([write_text(tmp_path / "tall.csv", rows)])
    assert ing.files[0].format == "cms-csv-tall"
    assert ing.frame.select("row", "code", "revenue_code", "price").rows() == [(4, "C1785", "0278", 40000.0)]
    assert [s["row"] for s in ing.files[0].sheets[0].skipped] == [5]


def test_cms_json(tmp_path):
    """CMS JSON with codes as JSON numbers (278, 15271, 15271.0) and as text ('0278', '00123456')."""
    items = [
        {
            "description": f"LAB TEST {i}",
            "code_information": [{"code": 300, "type": "RC"}, {"code": 80053, "type": "CPT"}],
            "standard_charges": [{"setting": "outpatient", "gross_charge": 12.5}],
        }
        for i in range(FILLER)
    ]
    items += [
        {
            "description": "SKIN SUB GRAFT",
            "code_information": [
                {"code": "0278", "type": "RC"},
                {"code": "C1713", "type": "HCPCS"},
                {"code": "00123456", "type": "CDM"},
            ],
            "standard_charges": [{"setting": "outpatient", "gross_charge": 1234.56}],
        },
        {
            "description": "APPLICATION",
            "code_information": [{"code": 278, "type": "RC"}, {"code": 15271.0, "type": "CPT"}],
            "standard_charges": [
                {"setting": "inpatient", "gross_charge": 900},
                {"setting": "outpatient", "gross_charge": 1200, "modifier_code": ["RT"]},
            ],
        },
        {"description": "ANESTHESIA", "code_information": [{"code": "00100", "type": "CPT"}]},
    ]
    path = write_json(
        tmp_path / "standardcharges.json",
        {"hospital_name": "Test", "version": "3.0.0", "standard_charge_information": items},
    )
    ing = read_inputs([path])
    assert ing.files[0].format == "cms-json"
    assert ing.files[0].sheets[0].rows_read == FILLER + 3
    f = ing.frame
    got = [f.filter(f["row"] == FILLER + k).row(0, named=True) for k in (1, 2, 3)]
    assert [(g["charge_code"], g["revenue_code"], g["code"], g["price"]) for g in got] == [
        ("00123456", "0278", "C1713", 1234.56),
        (None, "0278", "15271", 1200.0),  # the outpatient charge is the one audited
        (None, None, "00100", None),
    ]
    assert got[1]["modifiers"] == "RT"
    assert got[1]["setting"] == "inpatient,outpatient"


# -- encodings ---------------------------------------------------------------------------------------------

ENC_ROWS = [
    ["Charge Code", "Description", "CPT/HCPCS", "Revenue Code", "Price"],
    ["2001", "CAFÉ AU LAIT SPOT REMOVAL", "17000", "0361", "120.00"],
    ["2002", "APLIGRAF® PER SQ CM", "Q4101", "0278", "137.00"],
    ["2003", 'NAÏVE 3" DRESSING – LARGE', "A6212", "0270", "9.50"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_text_encodings(tmp_path, encoding):
    """UTF-8, UTF-8 with BOM and Windows-1252 text all decode to the same descriptions and headers."""
    path = write_text(tmp_path / f"cdm-{encoding}.csv", ENC_ROWS, encoding=encoding)
    ing = read_inputs([path])
    sheet = ing.files[0].sheets[0]
    assert sheet.columns["charge_code"] == "Charge Code"  # a BOM must not stick to the first header
    assert ing.frame["description"].to_list() == [r[1] for r in ENC_ROWS[1:]]
    assert ing.frame["code"].to_list() == ["17000", "Q4101", "A6212"]


def test_cp1252_after_a_long_ascii_start(tmp_path):
    """A Windows-1252 byte far past the sampled start still decodes as cp1252, not as garbage."""
    rows = (
        [ENC_ROWS[0]]
        + [[str(3000 + i), f"SUPPLY ITEM {i:06d} " + "X" * 40, "A4649", "0272", "1.00"] for i in range(6000)]
        + [["9999", "BRACE ® CAFÉ", "L1812", "0274", "80.00"]]
    )
    path = write_text(tmp_path / "late.csv", rows, encoding="cp1252")
    assert path.stat().st_size > 256 * 1024
    frame = read_inputs([path]).frame
    assert frame.filter(frame["charge_code"] == "9999")["description"].to_list() == ["BRACE ® CAFÉ"]


def test_pipe_file_with_inch_marks_is_not_quoted(tmp_path):
    """A lone '"' inside a pipe file is an inch mark, not a quote: the record must not swallow the next lines."""
    lines = [
        "Charge Code|Description|CPT|Price",
        '5001|CATH 3"X35 CM|C1887|50.00',
        "5002|GUIDEWIRE|C1769|20.00",
    ]
    path = tmp_path / "inch.txt"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    frame = read_inputs([path]).frame
    assert frame.select("row", "description", "code").rows() == [
        (2, 'CATH 3"X35 CM', "C1887"),
        (3, "GUIDEWIRE", "C1769"),
    ]
