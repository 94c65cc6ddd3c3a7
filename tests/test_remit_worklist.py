"""Denial worklist exports (csv, xlsx) read into remittance lines by header words and content."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from auditor.denials.model import REMIT_SCHEMA
from auditor.denials.worklist import read_worklist
from auditor.errors import InputError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CSV = """Denials worklist, exported 05/01/2026
Patient Account #,Ln,CPT/HCPCS,Mod 1,Mod 2,Rev,Qty,Service Date,Billed $,Paid $,Grp,Reason,Remark Codes,Remit Date,Payer,Claim Status,Worked By
NJ26000103,1,15271.0,,,761,1,03/02/2026,"$1,200.00",0,CO,50,N115,2026-04-15,MEDICARE,Denied,ana
NJ26000103,2,15272,RT,59,0761,2.0,2026-03-02,300,0.00,,CO-50; PR-1,N115 MA01,2026-04-15,MEDICARE,4,
00777,,0278T,,,0278,1,46082,100,,,CO50,,46143,MEDICARE,22,
"""


def test_csv_worklist_reads_into_remit_schema(tmp_path):
    """Odd headers, a title line, a group column found by content, combined reason cells, text kept."""
    path = tmp_path / "denials.csv"
    path.write_text(CSV, encoding="utf-8")
    ignored: list[str] = []
    frame = read_worklist(path, ignored=ignored)
    assert frame.schema == pl.Schema(REMIT_SCHEMA)
    assert ignored == ["Worked By"]
    rows = frame.rows(named=True)
    assert [r["row"] for r in rows] == [3, 4, 5]
    assert {r["source"] for r in rows} == {"worklist"} and {r["sheet"] for r in rows} == {None}
    first, second, third = rows
    assert (
        first
        | {
            "claim_id": "NJ26000103",
            "line": "1",
            "code": "15271",
            "revenue_code": "0761",
            "charge": 1200.0,
            "paid": 0.0,
            "group_codes": "CO",
            "carcs": "50",
            "rarcs": "N115",
            "claim_status": "4",
            "paid_date": dt.date(2026, 4, 15),
            "dos": dt.date(2026, 3, 2),
            "payer": "MEDICARE",
        }
        == first
    )
    assert (second["modifiers"], second["units"], second["line_ordinal"]) == ("RT,59", "2", 2)
    assert (second["group_codes"], second["carcs"], second["rarcs"]) == ("CO,PR", "50,1", "N115,MA01")
    # Excel serial day numbers pasted into a csv; a claim id with leading zeros stays as written.
    assert (third["claim_id"], third["code"], third["revenue_code"]) == ("00777", "0278T", "0278")
    assert (third["dos"], third["paid_date"], third["reversal"]) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 5, 1),
        True,
    )


@pytest.mark.parametrize(
    ("cell", "groups", "carcs"),
    [
        ("CO-50; PR-1", "CO,PR", "50,1"),
        ("50", "OA", "50"),
        ("CO50", "CO", "50"),
        ("PR 2, CO 45", "PR,CO", "2,45"),
    ],
)
def test_reason_cells_split(tmp_path, cell, groups, carcs):
    """'CO-50; PR-1', a bare '50' beside its group column, 'CO50' all split into groups and reasons."""
    path = tmp_path / "w.csv"
    path.write_text(f'Claim ID,Group Code,CARC\nC1,OA,"{cell}"\n', encoding="utf-8")
    row = read_worklist(path).row(0, named=True)
    assert (row["group_codes"], row["carcs"]) == (groups, carcs)


def test_xlsx_worklist_with_odd_headers(tmp_path):
    """Numbers and dates as Excel stores them; a CARC column found by content next to its group column."""
    path = tmp_path / "worklist.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active.append(["nothing to see"])
    ws = wb.create_sheet("Open Denials")
    ws.append(["Open denials by account"])
    ws.append([])
    ws.append(
        [
            "Acct",
            "Line #",
            "Proc",
            "Modifiers",
            "Revenue Code",
            "Units",
            "DOS",
            "Charge",
            "Allowed",
            "Adj Grp",
            "Code",
            "RARC",
            "Denial Date",
            "Payer Name",
        ]
    )
    ws.append(
        [
            "A100",
            1,
            15271,
            "RT",
            "0278",
            1.0,
            dt.date(2026, 3, 2),
            1200,
            0,
            "CO",
            50,
            "N115",
            dt.datetime(2026, 4, 15),
            "MEDICARE",
        ]
    )
    ws.append(
        [
            "A100",
            2,
            "15272",
            None,
            278,
            2,
            dt.date(2026, 3, 2),
            300.5,
            0,
            "PR",
            "1",
            None,
            dt.date(2026, 4, 15),
            "MEDICARE",
        ]
    )
    wb.save(path)
    frame = read_worklist(path)
    assert frame.schema == pl.Schema(REMIT_SCHEMA)
    rows = frame.rows(named=True)
    assert [r["row"] for r in rows] == [4, 5]
    assert {r["sheet"] for r in rows} == {"Open Denials"}
    assert [r["code"] for r in rows] == ["15271", "15272"]
    assert [r["revenue_code"] for r in rows] == ["0278", "0278"]
    assert [r["units"] for r in rows] == ["1", "2"]
    assert [r["line"] for r in rows] == ["1", "2"]
    assert [(r["group_codes"], r["carcs"]) for r in rows] == [("CO", "50"), ("PR", "1")]
    assert [r["dos"] for r in rows] == [dt.date(2026, 3, 2)] * 2
    assert [r["paid_date"] for r in rows] == [dt.date(2026, 4, 15)] * 2
    assert [r["charge"] for r in rows] == [1200.0, 300.5]
    # Asking for the sheet by name reads the same rows; an unknown sheet is named in the error.
    assert read_worklist(path, sheet="Open Denials").equals(frame)
    with pytest.raises(InputError, match="no sheet named 'Denials'"):
        read_worklist(path, sheet="Denials")


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Line,HCPCS,CARC,Paid\n1,15271,CO-50,0\n", "no claim id column"),
        ("Claim ID,Line,HCPCS,Paid\nC1,1,15271,0\n", "no CARC/reason code column"),
    ],
)
def test_missing_columns_name_the_file(tmp_path, text, missing):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_worklist(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and missing in message and "\n" not in message


def test_missing_claim_id_names_the_sheet(tmp_path):
    path = tmp_path / "bad.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Denials"
    wb.active.append(["Line", "HCPCS", "Reason Code"])
    wb.active.append([1, "15271", "CO-50"])
    wb.save(path)
    with pytest.raises(InputError, match=r"bad\.xlsx, sheet 'Denials': no claim id column"):
        read_worklist(path)


def test_sample_worklist_matches_expected():
    """samples/remit_worklist.csv holds the denied lines of the planted denied claims."""
    expected = json.loads((SAMPLES / "remit_expected.json").read_text())
    frame = read_worklist(SAMPLES / "remit_worklist.csv")
    assert frame.height == expected["worklist_rows"]
    assert sorted(frame["claim_id"].unique()) == expected["denied_claims"]
    assert frame["carcs"].null_count() == 0
