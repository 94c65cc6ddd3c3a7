"""Tests for the quarterly CMS Addendum B code table, its importer and the `codes` commands."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from click.testing import CliRunner

from auditor.cli.codes import codes
from auditor.codeset import CodeImportError, CodeTable, QuarterChoice, import_quarter, quarter_of
from auditor.codeset.build import build_table, write_table
from auditor.codeset.table import LEVEL2_PATTERN, LEVEL2_SERIES, TABLE_PATH, CodeTableError

ADDENDUM_B = Path(__file__).resolve().parents[2] / "shared" / "data" / "cms" / "addendum-b"
needs_cms_data = pytest.mark.skipif(
    not ADDENDUM_B.is_dir(), reason=f"CMS Addendum B reference data not found at {ADDENDUM_B}"
)
NEW_CODE = "C7599"  # in no Addendum B held; the fake 2026Q3 file introduces it
DROPPED_CODE = "L8680"  # listed through 2026Q2; the fake 2026Q3 file leaves it out


@pytest.fixture(autouse=True)
def user_home(tmp_path, monkeypatch) -> Path:
    """Point CDM_AUDIT_HOME at an empty folder so no test sees a real user's imports."""
    home = tmp_path / "cdm-home"
    monkeypatch.setenv("CDM_AUDIT_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def table() -> CodeTable:
    return CodeTable.load(Path("/nonexistent-cdm-home"))


def test_quarters_held(table):
    assert table.quarters[0] == "2023Q1"
    assert table.newest_quarter == "2026Q2"
    assert table.quarters == sorted(table.quarters)


@pytest.mark.parametrize(
    "day, quarter",
    [
        (dt.date(2026, 1, 1), "2026Q1"),
        (dt.date(2026, 3, 31), "2026Q1"),
        (dt.date(2026, 4, 1), "2026Q2"),
        (dt.date(2026, 9, 30), "2026Q3"),
        (dt.date(2026, 11, 26), "2026Q4"),
    ],
)
def test_quarter_of(day, quarter):
    assert quarter_of(day) == quarter


@pytest.mark.parametrize("code", [f"C527{i}" for i in range(1, 9)] + ["Q4100", "Q4106"])
def test_skin_substitute_codes_deleted_in_2026(table, code):
    before = table.status(code, "2025Q4")
    after = table.status(code, "2026Q1")
    assert before.status == "active" and before.si is not None
    assert after.status == "deleted"
    assert after.si is None
    assert after.last_seen == "2025Q4"
    assert after.last_si == before.si


@pytest.mark.parametrize("code", ["E0752", "E0756"])
def test_old_neurostimulator_e_codes_are_in_no_file(table, code):
    # Surprise in the data: E0752/E0756 were retired long before 2019, so they appear in no
    # Addendum B held (not even the before-2023 list) and cannot be told apart from made-up codes.
    assert table.frame.filter(pl.col("code") == code).is_empty()
    for quarter in ("2023Q1", "2026Q2"):
        found = table.status(code, quarter)
        assert found.status == "invalid"
        assert found.first_seen is None and found.last_seen is None


def test_l8680_is_e1_and_61850_is_c_in_2026q2(table):
    lead = table.status("L8680", "2026Q2")
    assert (lead.status, lead.si) == ("active", "E1")
    assert lead.descriptor  # Level II: public-domain descriptor ships
    implant = table.status("61850", "2026Q2")
    assert (implant.status, implant.si) == ("active", "C")
    assert implant.descriptor is None  # CPT: never ships


def test_unlisted_series_derived_from_data(table):
    assert table.unlisted_series == "HST"
    assert "Z" not in LEVEL2_SERIES  # Z is no HCPCS series at all, so Z codes are plain invalid


@pytest.mark.parametrize("code", ["S9999", "S0257", "T1015", "H0001"])
def test_codes_from_series_opps_does_not_list(table, code):
    assert table.frame.filter(pl.col("code") == code).is_empty()
    assert table.status(code, "2026Q2").status == "unknown_to_opps"


@pytest.mark.parametrize("code", ["Z9999", "99999", "F1234", "0000T"])
def test_made_up_codes_are_invalid(table, code):
    assert table.frame.filter(pl.col("code") == code).is_empty()
    assert table.status(code, "2026Q2").status == "invalid"


def test_codes_dropped_before_2023(table):
    quarterly = table.status("0006U", "2026Q2")
    assert (quarterly.status, quarterly.last_seen, quarterly.last_si) == ("deleted", "2020Q2", "Q4")
    year_only = table.status("C9035", "2023Q1")  # source says just "2019": recorded as 2019Q4
    assert (year_only.status, year_only.last_seen) == ("deleted", "2019Q4")
    assert year_only.descriptor == "Injection, Aristada Initio"


def test_status_indicator_d_counts_as_deleted(table):
    assert table.status("0014A", "2024Q1").status == "active"
    discontinued = table.status("0014A", "2024Q2")
    assert (discontinued.status, discontinued.si) == ("deleted", "D")
    assert table.status("0014A", "2024Q3").status == "deleted"


def test_code_new_in_a_later_quarter_is_invalid_before_it_starts(table):
    assert table.status("0616U", "2026Q2").status == "active"
    early = table.status("0616U", "2025Q4")
    assert (early.status, early.first_seen) == ("invalid", "2026Q2")


def test_codes_are_matched_after_trimming_and_upper_casing(table):
    # CMS files themselves carry "A4341\xa0"; chargemasters carry worse.
    result = table.classify(pl.Series([" a4341\u00a0", "l8680 "]), "2026Q2")
    assert result["code"].to_list() == ["A4341", "L8680"]
    assert result["status"].to_list() == ["active", "active"]


def test_classify_keeps_input_order_and_length_with_nulls(table):
    codes_in = ["L8680", None, "C5271", "", "Z9999", "L8680", "S9999", "61850"]
    result = table.classify(pl.Series(codes_in, dtype=pl.String), "2026Q1")
    assert result.columns == ["code", "status", "si", "first_seen", "last_seen", "last_si", "descriptor"]
    assert result.height == len(codes_in)
    assert result["status"].to_list() == [
        "active",
        None,
        "deleted",
        None,
        "invalid",
        "active",
        "unknown_to_opps",
        "active",
    ]


def test_classify_rejects_a_quarter_not_held(table):
    with pytest.raises(ValueError, match="2030Q1"):
        table.classify(pl.Series(["L8680"]), "2030Q1")


def test_stale_quarter_message(table):
    choice = table.resolve_quarter(dt.date(2026, 11, 26))
    assert choice == QuarterChoice("2026Q4", "2026Q2", True, choice.message)
    assert choice.message.startswith(
        "audit date 2026-11-26 falls in 2026Q4 but the newest CMS Addendum B held is 2026Q2 (April 2026); "
        "codes are checked against 2026Q2."
    )
    assert "October 2026 Addendum B" in choice.message
    assert "cdm-audit codes import <Addendum B file> --quarter 2026Q4" in choice.message


def test_quarter_held_and_quarter_too_old(table):
    assert table.resolve_quarter(dt.date(2025, 12, 31)) == QuarterChoice("2025Q4", "2025Q4", False, "")
    old = table.resolve_quarter(dt.date(2021, 6, 1))
    assert (old.requested, old.used, old.stale) == ("2021Q2", "2023Q1", False)
    assert "oldest CMS Addendum B held is 2023Q1" in old.message


def test_packaged_table_ships_no_cpt_descriptor():
    text = gzip.decompress(TABLE_PATH.read_bytes()).decode("utf-8")
    shipped = pl.read_csv(io.StringIO(text), infer_schema=False)
    not_level2 = shipped.filter(~pl.col("code").str.contains(LEVEL2_PATTERN))
    assert not_level2.height > 10_000
    assert not_level2["descriptor"].null_count() == not_level2.height
    assert "Implant neuroelectrodes" not in text  # the CPT short descriptor of 61850
    level2 = shipped.filter(pl.col("code").str.contains(LEVEL2_PATTERN))
    assert level2["descriptor"].null_count() == 0


@needs_cms_data
def test_build_is_deterministic_and_packaged_table_is_current(tmp_path):
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    write_table(build_table(ADDENDUM_B), first)
    write_table(build_table(ADDENDUM_B), second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == TABLE_PATH.read_bytes(), "rerun python -m auditor.codeset.build"


def _write_cms_like_xlsx(target: Path) -> None:
    """Write an Addendum B the way CMS lays it out, from the April 2026 data plus/minus one code."""
    source = pl.read_csv(ADDENDUM_B / "2026-04.csv", encoding="latin-1", infer_schema=False)
    source = source.filter(pl.col("HCPCSCode").is_not_null() & (pl.col("HCPCSCode") != DROPPED_CODE))
    rows = source.select("HCPCSCode", "ShortDescriptor", "StatusIndicator", "PaymentRate").rows()
    rows.append((NEW_CODE, "New device category", "H", None))
    workbook = xlsxwriter.Workbook(str(target))
    sheet = workbook.add_worksheet("Addendum B")
    sheet.write(0, 0, "Addendum B.-- OPPS Payment by HCPCS Code for CY 2026")
    sheet.write(1, 0, "CPT codes and descriptions only are copyright 2025 American Medical Association.")
    sheet.write(2, 0, "July 2026")
    for column, name in enumerate(["HCPCS Code", "Short Descriptor", "SI", "APC", "Payment Rate"]):
        sheet.write_string(3, column, name)
    for offset, (code, descriptor, si, rate) in enumerate(rows):
        row = 4 + offset
        code = code.strip()
        if code.isdigit():
            sheet.write_number(row, 0, int(code))  # as CMS-converted sheets do: 15271, and 00100 -> 100
        else:
            sheet.write_string(row, 0, code)  # e.g. 0001F
        sheet.write_string(row, 1, descriptor)
        sheet.write_string(row, 2, si)
        sheet.write_string(row, 3, "5054" if si == "T" else "")
        if rate:
            sheet.write_number(row, 4, float(rate))
    sheet.write(4 + len(rows) + 1, 0, "Note: see the OPPS final rule for status indicator definitions.")
    workbook.close()


@needs_cms_data
def test_import_round_trip(tmp_path, user_home):
    workbook = tmp_path / "July 2026 Addendum B.xlsx"
    _write_cms_like_xlsx(workbook)
    status = ["status", NEW_CODE, DROPPED_CODE, "--as-of", "2026-08-01"]
    before = (
        CliRunner().invoke(codes, status).stdout.splitlines()
    )  # builds the status index of the table held
    assert before[1:] == [
        f"{NEW_CODE}   invalid | in no CMS Addendum B held",
        f"{DROPPED_CODE}   active | SI E1 | Implt neurostim elctr each",
    ]
    result = CliRunner().invoke(codes, ["import", str(workbook), "--quarter", "2026Q3"])
    assert result.exit_code == 0, result.output
    assert "imported 2026Q3" in result.stdout
    assert "1 new, 1 dropped vs 2026Q2" in result.stdout
    # The import makes a new table, and `codes status` follows it (not the index built before).
    after = CliRunner().invoke(codes, status).stdout.splitlines()
    assert after[0] == "checked against CMS Addendum B 2026Q3 (July 2026)"
    assert after[1] == f"{NEW_CODE}   active | SI H | New device category"
    assert after[2].startswith(f"{DROPPED_CODE}   deleted | last listed 2026Q2 (SI E1)")

    table = CodeTable.load()
    assert table.newest_quarter == "2026Q3"
    assert set(table.imported_quarters) == {"2026Q3"}
    found = table.classify(pl.Series([NEW_CODE, DROPPED_CODE, "15271", "00100", "0001F", "C5271"]), "2026Q3")
    assert found["status"].to_list() == ["active", "deleted", "active", "active", "active", "deleted"]
    assert found["si"].to_list()[:5] == ["H", None, "T", "N", "E1"]
    new, dropped = found.row(0, named=True), found.row(1, named=True)
    assert (new["first_seen"], new["descriptor"]) == ("2026Q3", "New device category")
    assert (dropped["last_seen"], dropped["last_si"]) == ("2026Q2", "E1")
    assert table.status(NEW_CODE, "2026Q2").status == "invalid"
    assert table.resolve_quarter(dt.date(2026, 8, 1)) == QuarterChoice("2026Q3", "2026Q3", False, "")
    assert table.resolve_quarter(dt.date(2026, 11, 26)).used == "2026Q3"
    # The payment rates come along, so a report on 2026Q3 ranks problems by that quarter's rates.
    source = pl.read_csv(ADDENDUM_B / "2026-04.csv", encoding="latin-1", infer_schema=False)
    expected = float(
        source.filter(pl.col("HCPCSCode") == "63685")["PaymentRate"].str.replace_all(r"[$,]", "")[0]
    )
    assert table.has_rates("2026Q3")
    assert table.rates(pl.Series(["63685", "C1820", NEW_CODE]), "2026Q3").to_list() == [expected, None, None]

    stored = pl.read_csv(user_home / "quarters" / "2026Q3.csv", infer_schema=False)
    cpt = stored.filter(~pl.col("code").str.contains(LEVEL2_PATTERN))
    assert cpt.height > 10_000 and cpt["descriptor"].null_count() == cpt.height

    listing = CliRunner().invoke(codes, ["quarters"])
    assert listing.exit_code == 0
    assert "2026Q3" in listing.stdout and "imported from" in listing.stdout
    assert "2026Q2  April 2026" in listing.stdout and "packaged" in listing.stdout


@needs_cms_data
def test_import_api_reports_counts_and_replacement(tmp_path, user_home):
    source = ADDENDUM_B / "2026-04.csv"  # the converted csv layout is accepted as well
    first = import_quarter(source, "2026Q3", home=user_home)
    summary = (first.codes, first.previous, first.new, first.dropped, first.replaced)
    assert summary == (19059, "2026Q2", 0, 0, False)
    again = import_quarter(source, "2026Q3", home=user_home)
    assert again.replaced


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_import_refuses_corrupt_xlsx(tmp_path):
    junk = tmp_path / "addendum.xlsx"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip file" * 10)
    line = _one_error_line(CliRunner().invoke(codes, ["import", str(junk), "--quarter", "2026Q3"]))
    assert str(junk) in line


def test_import_refuses_irrelevant_spreadsheet(tmp_path):
    other = tmp_path / "charges.xlsx"
    workbook = xlsxwriter.Workbook(str(other))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Charge Code", "Description", "Price"])
    sheet.write_row(1, 0, ["1001", "Room", 100])
    workbook.close()
    line = _one_error_line(CliRunner().invoke(codes, ["import", str(other), "--quarter", "2026Q3"]))
    assert str(other) in line and "header" in line


def test_import_refuses_short_file_and_bad_rows(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("HCPCS Code,Short Descriptor,SI\nL8680,Implt neurostim elctr each,E1\n")
    line = _one_error_line(CliRunner().invoke(codes, ["import", str(short), "--quarter", "2026Q3"]))
    assert "only 1 codes" in line
    bad = tmp_path / "bad.csv"
    lines = ["Addendum B", "", "HCPCS Code,Short Descriptor,SI"] + [f"A{n:04d},Thing,N" for n in range(1200)]
    lines.insert(7, "L86800,Too long,N")  # line 8 of the file
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(CodeImportError, match=r"bad\.csv: row 8: code 'L86800' is not a 5-character"):
        import_quarter(bad, "2026Q3")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["import", "missing.xlsx", "--quarter", "2026Q3"], "no such file"),
        (["import", "missing.xlsx"], "--quarter is required"),
        (["import", "missing.xlsx", "--quarter", "2026Q5"], "not of the form 2026Q3"),
        (["status", "L8680", "--as-of", "26/11/2026"], "is not a date"),
    ],
)
def test_cli_bad_input_is_one_error_line(args, fragment):
    assert fragment in _one_error_line(CliRunner().invoke(codes, args))


def test_cli_status_prints_classification_and_stale_warning():
    args = ["status", "C5271", "L8680", "61850", "S9999", "--as-of", "2026-11-26"]
    result = CliRunner().invoke(codes, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: audit date 2026-11-26 falls in 2026Q4")
    lines = result.stdout.splitlines()
    assert lines[0] == "checked against CMS Addendum B 2026Q2 (April 2026)"
    assert lines[1].startswith("C5271   deleted | last listed 2025Q4 (SI T)")
    assert lines[2].startswith("L8680   active | SI E1")
    assert lines[3] == "61850   active | SI C"  # no CPT descriptor
    assert lines[4].startswith("S9999   unknown_to_opps")


def test_code_index_classifies_every_code_as_the_table_does(table, tmp_path):
    """`codes status` reads a polars-free index; for every code held (and codes held nowhere, blank or in lower
    case) and every quarter it says what CodeTable.classify says."""
    from auditor.codeset.lookup import load_index

    index = load_index(Path("/nonexistent-cdm-home"))
    assert list(index.quarters) == table.quarters
    codes = table.frame.get_column("code").to_list() + ["S9999", "F1234", "c5271", " l8680 ", "", "ZZZZZ"]
    for quarter in (table.quarters[0], "2025Q1", table.newest_quarter):
        expected = table.classify(pl.Series(codes, dtype=pl.String), quarter).rows()
        got = [tuple(vars(index.status(code, quarter)).values()) for code in codes]
        assert got == expected, quarter
    with pytest.raises(CodeTableError, match="not held"):
        index.status("L8680", "2019Q1")
