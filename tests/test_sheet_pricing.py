"""SS015 (sheet-priced-per-area): reading a sheet's area from a description, and judging its price against it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import SHARED

from auditor.audit import AuditRequest, run_audit
from auditor.codeset import CodeTable
from auditor.engine import load_edits
from auditor.engine.checks import CheckContext, sheet_price
from auditor.engine.config import load_config
from auditor.engine.runner import prepare_frame

EDIT = next(e for e in load_edits().edits if e.code == "SS015")


@pytest.mark.parametrize(
    ("description", "area"),
    [
        ("HC ALLODERM 16X20 320SQCM THICK RTU*", 320.0),  # the written area wins over the size
        ("HC DERMAGRAFT 2X3IN 37.5 SQ CM", 37.5),
        ("MTRX TISS ALDRM THK MED 132SQ CM1520P", 132.0),
        ("TISSUE  MATRIX AMNIOBAND 4CMX4CM", 16.0),
        ("SCFLD FEN DRML REPR 10 X 15 CM 606-004-102", 150.0),
        ("HC DRESSING 5INX4IN INTEGRA BILAY MTRX MSH PER SQ CM", 129.0),
        ("DRSG 2X2IN ADH BL MX FLXB WND BMW2021", 25.8),
        ("GFT SKN 5CMX5CMX1.2MM GTJKT 8600-5X05", 25.0),  # thickness after the size is not a third side
        ("MESH REPR DRMI SLVR 20X25MM 607-101-225", 5.0),
        ("GRAFT JACKET 4 X 4 GJ44", 16.0),  # no unit: read as cm
    ],
)
def test_area_read_from_description(description, area):
    frame = pl.DataFrame({"d": [description]})
    assert frame.select(sheet_price.area_sq_cm(pl.col("d")))[0, 0] == pytest.approx(area, abs=0.1)


@pytest.mark.parametrize(
    "description", ["HC APLIGRAF PER SQ CM", "HC *DRESSG BI MATRIX INTEGR", "GFT SFT TIS 1000MG MM1000"]
)
def test_no_size_no_area(description):
    frame = pl.DataFrame({"d": [description]})
    assert frame.select(sheet_price.area_sq_cm(pl.col("d")))[0, 0] is None


def _flagged(rows: list[dict]) -> list[str]:
    """Charge codes SS015 flags among the rows (one file), with default settings and 2026Q2 rates."""
    schema = {"file": pl.String, "charge_code": pl.String, "code": pl.String, "description": pl.String}
    frame = pl.DataFrame([{"file": "f", **r} for r in rows], schema={**schema, "price": pl.Float64})
    prepared = prepare_frame(frame, CodeTable.load(), "2026Q2")
    ctx = CheckContext(prepared, load_edits().lists, load_config(), "2026Q2", "chargemaster")
    hits = sheet_price.evaluate(ctx, EDIT, pl.lit(True))
    return prepared.filter(pl.col("_rid").is_in(hits["_rid"].to_list()))["charge_code"].to_list()


def test_sheet_price_beside_per_sq_cm_lines_flags():
    rows = [
        {
            "charge_code": "a",
            "code": "Q4116",
            "description": "HC ALLODERM 8X16 128SQCM THICK*",
            "price": 160.0,
        },
        {
            "charge_code": "b",
            "code": "Q4116",
            "description": "HC ALLODERM 16X20 320SQCM THICK RTU*",
            "price": 56024.0,
        },
    ]
    assert _flagged(rows) == ["b"]


def test_price_not_explained_by_the_area_is_left_to_the_outlier_edit():
    """A 2 sq cm line 40x its sibling is still 20x per sq cm: an outlier (PR002's business), not a sheet price."""
    rows = [
        {
            "charge_code": "a",
            "code": "Q4116",
            "description": "HC ALLODERM 8X16 128SQCM THICK*",
            "price": 160.0,
        },
        {"charge_code": "b", "code": "Q4116", "description": "HC ALLODERM 1X2CM 2SQCM", "price": 6400.0},
    ]
    assert _flagged(rows) == []


def test_single_line_is_read_against_the_opps_rate():
    """No other line of the code: 20x the 2026Q2 per-sq-cm rate (127.14) is the bar."""
    row = {"charge_code": "a", "code": "C9363", "description": "TISSUE DRESSING WOUND INTEGRA 5INX4IN MESH"}
    assert _flagged([{**row, "price": 18062.15}]) == ["a"]
    assert _flagged([{**row, "price": 2000.0}]) == []


def test_lines_of_other_files_are_not_siblings():
    """The reference price comes from the same file: another hospital's per-sq-cm line says nothing."""
    schema = {"file": pl.String, "charge_code": pl.String, "code": pl.String, "description": pl.String}
    rows = [
        {
            "file": "one",
            "charge_code": "a",
            "code": "Q4130",
            "description": "STRATTICE PER SQ CM",
            "price": 60.0,
        },
        {
            "file": "two",
            "charge_code": "b",
            "code": "Q4130",
            "description": "SUB SKN 6X8CM STRATTICE",
            "price": 1500.0,
        },
    ]
    frame = prepare_frame(
        pl.DataFrame(rows, schema={**schema, "price": pl.Float64}), CodeTable.load(), "2026Q2"
    )
    ctx = CheckContext(frame, load_edits().lists, load_config(), "2026Q2", "chargemaster")
    # Alone in its file, 1,500 is under 20x the OPPS rate: not flagged (it would be 25x the other file's 60).
    assert sheet_price.evaluate(ctx, EDIT, pl.lit(True)).height == 0


@pytest.mark.skipif(not (SHARED / "data" / "real-cdm").is_dir(), reason="real chargemasters not present")
def test_kennestone_alloderm_sheet_prices_are_found():
    """Kennestone 2019 prices most AlloDerm lines per sq cm and some per sheet; the sheet lines are found."""
    path = SHARED / "data" / "real-cdm" / "kennestone-2019" / "WSProcedures.txt"
    result = run_audit([path], AuditRequest(as_of=dt.date(2026, 4, 1), select={"SS015"}))
    found = [f for f in result.findings if f.edit == "SS015"]
    assert 15 <= len(found) <= 60
    assert sum(f.code == "Q4116" for f in found) >= 10
    assert all("per sq cm" in f.message for f in found)
