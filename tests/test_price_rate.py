"""PR004 (price-below-rate) and the OPPS payment rate the runner adds to every line (cs_rate)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl
import pytest
from conftest import SHARED

from auditor.audit import AuditRequest, run_audit
from auditor.codeset import CodeTable
from auditor.engine import load_edits
from auditor.engine.checks import CheckContext, price_rate
from auditor.engine.config import load_config
from auditor.engine.runner import prepare_frame

REPO = Path(__file__).resolve().parents[1]
EDIT = next(e for e in load_edits().edits if e.code == "PR004")


def _frame(rows: list[dict]) -> pl.DataFrame:
    """A chargemaster-shaped frame (file, code, description, price, modifiers, charge code)."""
    schema = {"file": pl.String, "charge_code": pl.String, "code": pl.String, "description": pl.String}
    return pl.DataFrame(rows, schema={**schema, "modifiers": pl.String, "price": pl.Float64})


def _flagged(rows: list[dict], quarter: str = "2026Q2") -> list[str]:
    """File!charge code of the rows PR004 flags, with the packaged code table's rates and default settings."""
    prepared = prepare_frame(_frame(rows), CodeTable.load(), quarter)
    ctx = CheckContext(prepared, load_edits().lists, load_config(), quarter, "chargemaster")
    hits = price_rate.evaluate(ctx, EDIT, pl.lit(True))
    flagged = prepared.filter(pl.col("_rid").is_in(hits["_rid"].to_list()))
    return [f"{file}!{charge}" for file, charge in flagged.select("file", "charge_code").iter_rows()]


def test_prepare_frame_adds_the_quarter_rate_null_when_unknown():
    """cs_rate is the Addendum B rate of the quarter used; local codes and codes without a rate get null."""
    frame = _frame(
        [
            {"file": "f", "charge_code": "1", "code": "78013", "price": 121.0},
            {"file": "f", "charge_code": "2", "code": "ABC12", "price": 5.0},
            {"file": "f", "charge_code": "3", "code": None, "price": 5.0},
        ]
    )
    rates = prepare_frame(frame, CodeTable.load(), "2026Q2")["cs_rate"].to_list()
    assert rates[0] == pytest.approx(408.43)
    assert rates[1:] == [None, None]


def test_below_rate_line_flags_and_above_rate_line_passes():
    rows = [
        {
            "file": "f",
            "charge_code": "low",
            "code": "78013",
            "description": "HCHG NM THYROID IMAGING",
            "price": 121.0,
        },
        {
            "file": "f",
            "charge_code": "high",
            "code": "78013",
            "description": "HCHG NM THYROID IMAGING",
            "price": 900.0,
        },
    ]
    assert _flagged(rows) == ["f!low"]


@pytest.mark.parametrize(
    ("description", "modifiers"),
    [
        ("HP DUPLEX SCAN EXTRACRANIAL ART COMPL BI STUDY", None),  # professional fee
        ("HCHG NM THYROID IMAGING IP", None),  # inpatient line
        ("HCHG NM THYROID IMAGING", "52"),  # reduced service
        ("STUDY RG1007901 NM THYROID IMAGING", None),  # research line
    ],
)
def test_lines_that_price_another_thing_are_not_judged(description, modifiers):
    row = {"file": "f", "charge_code": "x", "code": "78013", "description": description, "price": 121.0}
    assert _flagged([{**row, "modifiers": modifiers}]) == []


def test_surgical_codes_are_judged_only_in_files_without_room_time():
    """A file with OR-minute lines prices surgery by time: its surgical code lines are fees, not the whole charge."""
    repair = {"charge_code": "rep", "code": "12035", "description": "ED 4770 12.6 to 20.0 cm", "price": 330.0}
    room = {"charge_code": "or", "code": None, "description": "HCHG SURG LVL 1 FIRST 30 MIN", "price": 3310.0}
    rows = [{"file": "flat", **repair}, {"file": "timed", **repair}, {"file": "timed", **room}]
    assert _flagged(rows) == ["flat!rep"]


def test_below_rate_ratio_default_is_one():
    defaults = tomllib.loads((REPO / "edits" / "defaults.toml").read_text(encoding="utf-8"))
    assert defaults["pricing"]["below_rate_ratio"] == 1.0


def test_no_rates_in_the_quarter_makes_the_edit_not_evaluable():
    """A quarter imported without rates has no cs_rate: the edit says so instead of passing everything."""
    frame = prepare_frame(
        _frame([{"file": "f", "charge_code": "1", "code": "78013", "price": 1.0}]), CodeTable.load(), "2026Q2"
    )
    ctx = CheckContext(frame.drop("cs_rate"), {}, load_config(), "2026Q2", "x")
    assert "holds no OPPS payment rates for 2026Q2" in (price_rate.unevaluable(ctx, EDIT, pl.lit(True)) or "")


def test_codes_without_a_rate_say_so_not_that_the_quarter_has_none():
    """A quarter with rates, but none of the file's codes has one: the reason names the codes, not the table."""
    frame = prepare_frame(
        _frame([{"file": "f", "charge_code": "1", "code": "ZZ999", "price": 1.0}]), CodeTable.load(), "2026Q2"
    )
    assert "cs_rate" in frame.columns  # the shipped 2026Q2 table carries rates
    ctx = CheckContext(frame, {}, load_config(), "2026Q2", "x")
    reason = price_rate.unevaluable(ctx, EDIT, pl.lit(True)) or ""
    assert "none of the file's codes has an OPPS payment rate in 2026Q2" in reason


@pytest.mark.skipif(not (SHARED / "data" / "real-cdm").is_dir(), reason="real chargemasters not present")
def test_real_file_findings_stay_few():
    """On Sutter Lakeside 2022 the edit flags a handful of outpatient lines, not the file's surgery lines."""
    path = next((SHARED / "data" / "real-cdm" / "sutter-lakeside-2022").glob("*.csv"))
    result = run_audit([path], AuditRequest(as_of=dt.date(2026, 4, 1), select={"PR004"}))
    found = [f for f in result.findings if f.edit == "PR004"]
    assert 5 <= len(found) <= 40
    assert not any(f.charge_code.startswith("IP-") for f in found)
    assert {"78013", "P9037"} <= {f.code for f in found}
