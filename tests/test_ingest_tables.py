"""Two tables on one sheet: a table beside the main one (past blank columns) or below it (its own header row).

Every test reads real files (xlsx written by xlsxwriter or openpyxl, csv) through the reader or the CLI and
checks that every non-blank row is audited or listed as skipped, that the second table is never read with
the main table's columns, and that its header row never passes for a line item.
"""

from __future__ import annotations

import json

import openpyxl
from conftest import run_cli, write_text, write_xlsx

from auditor.ingest import IngestOptions, read_inputs

HEADER = ["Charge Code", "Description", "CPT", "Price"]
MAIN = [[f"10{i:03d}", f"XRAY CHEST VIEW {i}", str(71045 + i % 4), f"{200 + i}.00"] for i in range(12)]
# A chargemaster-shaped table: it has codes, descriptions and prices of its own.
SIDE_HEADER = ["Code", "Service", "Charge"]
SIDE = [[f"J{1000 + i}", f"INJECTION DRUG {i}", f"{30 + i}.50"] for i in range(5)]


def _sheet(ingested, name=None):
    files = ingested.files
    assert len(files) == 1
    sheets = [s for s in files[0].sheets if name is None or s.name == name]
    return sheets[0]


def _nonblank_rows(rows: list[list], first: int = 1) -> set[int]:
    return {first + i for i, r in enumerate(rows) if any(v not in (None, "") for v in r)}


def _accounted(rep, frame) -> dict[int, str]:
    """Each accounted row: 'audited' or its skip reason (a row of two tables side by side may be both)."""
    out: dict[int, str] = {r: "audited" for r in frame.get_column("row").to_list()}
    for item in rep.skipped:
        out.setdefault(item["row"], item["reason"])
    return out


def _beside_rows(side_top: int = 0) -> list[list]:
    """Main table in A:D, two blank columns (E, F), the second table in G:I from row side_top + 1."""
    rows = [HEADER + [None, None] for _ in range(1 + len(MAIN))]
    for i, r in enumerate(MAIN):
        rows[i + 1] = r + [None, None]
    side = [SIDE_HEADER, *SIDE]
    while len(rows) < side_top + len(side):
        rows.append([None] * 6)
    for i, r in enumerate(side):
        rows[side_top + i] = rows[side_top + i][:6] + r
    return rows


def test_table_beside_is_set_apart_not_merged(tmp_path):
    rows = _beside_rows()
    path = write_xlsx(tmp_path / "beside.xlsx", {"CDM": rows})
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    # The main table's roles come from its own columns A:D only.
    assert rep.columns == {
        "charge_code": "Charge Code",
        "description": "Description",
        "cpt": "CPT",
        "price": "Price",
    }
    assert max(rep.column_index.values()) <= 4
    assert rep.rows_audited == len(MAIN)
    assert sorted(got.frame.get_column("row").to_list()) == list(range(2, 2 + len(MAIN)))
    assert not got.frame.filter(got.frame.get_column("description").str.contains("INJECTION")).height
    assert set(got.frame.get_column("code").to_list()) <= {"71045", "71046", "71047", "71048"}
    # Every row of the second table (its header too) is listed as skipped, with where it is.
    side = [s for s in rep.skipped if s["reason"].startswith("second table at G1:I6 beside the main table")]
    assert [s["row"] for s in side] == list(range(1, 1 + 1 + len(SIDE)))
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read == len(MAIN) + 1 + len(SIDE)
    assert [t.to_dict()["cells"] for t in rep.tables] == ["G1:I6"]


def test_table_beside_longer_and_lower_than_the_main_one(tmp_path):
    # The second table starts on row 4 and runs past the main table's last row: no row of it is dropped.
    rows = _beside_rows(side_top=3)
    rows += [[None] * 6 + [f"J{2000 + i}", f"EXTRA DRUG {i}", "9.00"] for i in range(10)]
    path = write_xlsx(tmp_path / "beside-long.xlsx", {"CDM": rows})
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    assert rep.header_row == 1
    assert rep.columns["cpt"] == "CPT"
    assert rep.rows_audited == len(MAIN)
    side_rows = {s["row"] for s in rep.skipped if s["reason"].startswith("second table at G4:")}
    right = {r for r in _nonblank_rows(rows) if any(v is not None for v in rows[r - 1][6:])}
    assert side_rows == right and len(right) == 1 + len(SIDE) + 10
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read == len(MAIN) + len(right)
    assert "INJECTION" not in " ".join(got.frame.get_column("description").to_list())


def test_table_beside_in_a_csv(tmp_path):
    path = write_text(tmp_path / "beside.csv", _beside_rows())
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    assert rep.columns["cpt"] == "CPT" and rep.columns["charge_code"] == "Charge Code"
    assert rep.rows_audited == len(MAIN)
    assert rep.rows_skipped == 1 + len(SIDE)
    assert all(s["reason"].startswith("second table at G1:I6 beside") for s in rep.skipped)


def test_table_below_with_other_columns_is_read_with_its_own(tmp_path):
    below = [["Revenue Code", "Description", "Charge"]] + [
        [f"0{300 + i}", f"LAB PANEL {i}", f"{50 + i}.00"] for i in range(4)
    ]
    rows = [HEADER, *MAIN, [], [], *below]
    path = write_xlsx(tmp_path / "below.xlsx", {"CDM": rows})
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    assert rep.columns == {
        "charge_code": "Charge Code",
        "description": "Description",
        "cpt": "CPT",
        "price": "Price",
    }
    head = 1 + len(MAIN) + 2 + 1  # the second table's header row: after the main table and 2 blank rows
    frame = got.frame
    # Its header row is listed as skipped, never audited as a line.
    assert head not in frame.get_column("row").to_list()
    assert [s["reason"] for s in rep.skipped if s["row"] == head] == [
        f"header row of a second table at A{head}:C{head + 4} below the main table, read with its own columns"
    ]
    second = frame.filter(frame.get_column("row") > head).sort("row")
    assert second.get_column("revenue_code").to_list() == ["0300", "0301", "0302", "0303"]
    assert second.get_column("description").to_list() == [f"LAB PANEL {i}" for i in range(4)]
    assert second.get_column("price").to_list() == [50.0, 51.0, 52.0, 53.0]
    assert second.get_column("charge_code").null_count() == 4  # not read from the main table's column A
    first = frame.filter(frame.get_column("row") < head)
    assert first.get_column("code").null_count() == 0  # the main table's CPT column is kept
    accounted = _accounted(rep, frame)
    assert set(accounted) == _nonblank_rows(rows) - {1}
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read == len(MAIN) + len(below)
    table = rep.to_dict()["tables"][0]
    assert table["where"] == "below" and table["read"] and table["rows_audited"] == 4
    assert table["columns"]["revenue_code"] == "Revenue Code"


def test_table_below_that_is_no_chargemaster_is_skipped(tmp_path):
    below = [["Revenue Code", "Units", "Price"]] + [
        [f"0{300 + i}", str(i + 1), f"{10 + i}"] for i in range(3)
    ]
    rows = [HEADER, *MAIN, [], *below]
    path = write_xlsx(tmp_path / "below-other.xlsx", {"CDM": rows})
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    head = 1 + 1 + len(MAIN) + 1
    assert rep.rows_audited == len(MAIN)
    reasons = {s["row"]: s["reason"] for s in rep.skipped}
    assert set(reasons) == set(range(head, head + 4))
    assert all(
        r.startswith(f"second table at A{head}:C{head + 3} below the main table") for r in reasons.values()
    )
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read == len(MAIN) + len(below)


def test_table_below_with_the_same_header_continues_the_main_table(tmp_path):
    more = [[f"20{i:03d}", f"CT HEAD {i}", "70450", f"{900 + i}.00"] for i in range(3)]
    rows = [HEADER, *MAIN, [], [], ["Outpatient imaging"], HEADER, *more]
    path = write_xlsx(tmp_path / "below-same.xlsx", {"CDM": rows})
    got = read_inputs([path], IngestOptions())
    rep = _sheet(got)
    head = 1 + 1 + len(MAIN) + 3
    assert {s["row"]: s["reason"] for s in rep.skipped}[head] == "repeated header row"
    assert head not in got.frame.get_column("row").to_list()
    assert rep.rows_audited == len(MAIN) + len(more)
    assert set(_accounted(rep, got.frame)) == _nonblank_rows(rows) - {1}
    assert rep.rows_audited + rep.rows_skipped == rep.rows_read
    assert not rep.tables  # one table, its header repeated


def test_header_repeated_after_a_page_break_stays_one_table(tmp_path):
    rows = [HEADER, *MAIN[:6], HEADER, *MAIN[6:]]
    path = write_xlsx(tmp_path / "page-break.xlsx", {"CDM": rows})
    rep = _sheet(read_inputs([path], IngestOptions()))
    assert rep.skipped == [{"row": 8, "reason": "repeated header row"}]
    assert rep.rows_audited == len(MAIN) and not rep.tables


def test_blank_column_under_a_header_label_does_not_split(tmp_path):
    # openpyxl this time: a "Notes" column left empty inside the table, and a second empty one, unlabelled.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CDM"
    ws.append(["Charge Code", "Description", "Notes", None, "CPT", "Price"])
    for code, desc, cpt, price in MAIN:
        ws.append([code, desc, None, None, cpt, price])
    path = tmp_path / "spacer-labelled.xlsx"
    wb.save(path)
    rep = _sheet(read_inputs([path], IngestOptions()))
    assert rep.columns["cpt"] == "CPT" and rep.columns["price"] == "Price"
    assert rep.rows_audited == len(MAIN) and rep.rows_skipped == 0 and not rep.tables


def test_blank_spacer_columns_with_a_shared_header_row_do_not_split(tmp_path):
    rows = [["Charge Code", "Description", None, None, "CPT", "Price"]]
    rows += [[code, desc, None, None, cpt, price] for code, desc, cpt, price in MAIN]
    for path in (
        write_xlsx(tmp_path / "spacer.xlsx", {"CDM": rows}),
        write_text(tmp_path / "spacer.csv", rows),
    ):
        got = read_inputs([path], IngestOptions())
        rep = _sheet(got)
        assert rep.columns == {
            "charge_code": "Charge Code",
            "description": "Description",
            "cpt": "CPT",
            "price": "Price",
        }, path.name
        assert rep.column_index["cpt"] == 5
        assert rep.rows_audited == len(MAIN) and rep.rows_skipped == 0 and not rep.tables
        assert got.frame.get_column("code").null_count() == 0


def test_inspect_lists_the_second_table(tmp_path):
    path = write_xlsx(tmp_path / "beside.xlsx", {"CDM": _beside_rows()})
    result = run_cli("inspect", "--json", path)
    assert result.exit_code == 0, result.stderr
    sheet = json.loads(result.stdout)["files"][0]["sheets"][0]
    assert sheet["rows_audited"] + sheet["rows_skipped"] == sheet["rows_read"] == len(MAIN) + 1 + len(SIDE)
    assert sheet["tables"] == [
        {
            "where": "beside",
            "cells": "G1:I6",
            "header_row": 1,
            "read": False,
            "rows_skipped": 1 + len(SIDE),
            "reason": sheet["skipped"][0]["reason"],
        }
    ]
    assert "it reads as a chargemaster of its own" in sheet["tables"][0]["reason"]
    text = run_cli("inspect", path).stdout
    assert "skipped row 1: second table at G1:I6 beside the main table" in text
