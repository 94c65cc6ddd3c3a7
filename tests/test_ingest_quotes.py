"""Stray quotes in delimited text: a stray quote closed by another lines later must not merge those lines.

Every file is written in tmp_path and run through the real reader and the real CLI. A cell that swallowed
whole records is refused (exit 2, one line naming the file, row, column and the lines the quote opens and
closes on, no report written); a legitimate multi-line description and an inch mark read as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from auditor.errors import InputError
from auditor.ingest.reader import read_inputs
from auditor.ingest.text import read_text

HEADER = ["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"]
DELIMS = {",": ".csv", "|": ".txt", "\t": ".tsv"}


def body(n: int = 100) -> list[list[str]]:
    """Header and n plain chargemaster rows (row r of the file is line r)."""
    return [list(HEADER)] + [
        [str(1000 + i), f"SUPPLY ITEM {i}", "0272", "A4649", f"{i + 1}.00"] for i in range(n)
    ]


def write(path: Path, rows: list[list[str]], delim: str = ",") -> Path:
    """Rows joined as they are: quotes are written exactly as given, never escaped."""
    path.write_text("\n".join(delim.join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def with_strays(delim: str, opens: int, closes: int, closer: str = 'LEAD APRON 12"') -> list[list[str]]:
    """Body with a quote opening a description on line `opens` and a stray quote ending one on line `closes`."""
    rows = body()
    rows[opens - 1][1] = '"BRACE, KNEE'
    rows[closes - 1][1] = closer
    return rows


def inspect(path: Path) -> dict:
    """`inspect --json` of a file that must be read: exit 0, nothing on stderr; its only sheet."""
    res = run_cli("inspect", "--json", "--samples", "200", str(path))
    assert res.exit_code == 0, (res.exit_code, res.stderr[-2000:])
    (sheet,) = json.loads(res.stdout)["files"][0]["sheets"]
    return sheet


def refused(path: Path, tmp_path: Path, *reasons: str) -> None:
    """`inspect` and `audit` both exit 2 with one `error: <file>...` line holding every reason; no report."""
    out = tmp_path / "report"
    for args in (
        ["inspect", str(path)],
        ["audit", str(path), "--format", "json", "--out", str(out), "--no-history"],
    ):
        res = run_cli(*args)
        assert res.exit_code == 2, (args[0], res.exit_code, res.stdout[-2000:], res.stderr[-2000:])
        assert "Traceback" not in res.stdout + res.stderr
        assert res.stderr.count("\n") == 1, repr(res.stderr[:2000])
        line = res.stderr.rstrip("\n")
        assert line.startswith(f"error: {path}"), line
        for reason in reasons:
            assert reason in line, (reason, line)
    assert not out.exists() or not any(out.iterdir())


# --- a stray quote closed by another one far down: refused, never merged ----------------------------------


@pytest.mark.parametrize("delim", list(DELIMS), ids=["comma", "pipe", "tab"])
@pytest.mark.parametrize(
    "closer",
    ['LEAD APRON 12"', 'LEAD 12" APRON'],
    ids=["quote-ends-field", "quote-mid-field"],  # polars reads the first; Python's csv module the second
)
def test_two_stray_quotes_50_lines_apart_are_refused(tmp_path, delim, closer):
    path = write(tmp_path / f"strays{DELIMS[delim]}", with_strays(delim, 11, 61, closer), delim)
    refused(
        path,
        tmp_path,
        "row 11",
        "column 'B'",
        "opens this cell on line 11",
        "on line 61 closes it",
        "51 lines",
    )


def test_stray_quotes_on_adjacent_lines_are_refused(tmp_path):
    """Even one swallowed line is a lost row: the cell holds a record's worth of delimiters."""
    path = write(tmp_path / "adjacent.csv", with_strays(",", 11, 12))
    refused(path, tmp_path, "row 11", "column 'B'", "line 11", "line 12")


def test_refusal_names_lines_after_a_legitimate_multiline_header(tmp_path):
    """A quoted header over two lines makes rows and lines differ: the row is the record, the lines are lines."""
    rows = with_strays(",", 11, 61)
    rows[0][1] = '"Charge\nDescription"'
    path = write(tmp_path / "header_break.csv", rows)
    refused(path, tmp_path, "row 11", "column 'B'", "opens this cell on line 12", "on line 62 closes it")


def test_the_reader_raises_input_error_with_row_and_column(tmp_path):
    path = write(tmp_path / "strays.txt", with_strays("|", 30, 80), "|")
    with pytest.raises(InputError) as err:
        read_text(path)
    assert (err.value.row, err.value.column) == (30, "B")
    assert "line 30" in err.value.reason and "line 80" in err.value.reason


# --- legitimate quotes: read exactly as before -----------------------------------------------------------


@pytest.mark.parametrize("breaks", [1, 2, 5])
def test_quoted_multiline_description_stays_one_row(tmp_path, breaks):
    rows = body()
    text = "\n".join(
        ["KNEE BRACE, HINGED", "SIZE L", "LEFT", "PRE-OP", "STERILE", "LATEX FREE"][: breaks + 1]
    )
    rows[10][1] = f'"{text}"'
    path = write(tmp_path / "multiline.csv", rows)
    sheet = inspect(path)
    assert (sheet["rows_read"], sheet["rows_audited"], sheet["rows_skipped"]) == (100, 100, 0)
    (row,) = [r for r in sheet["sample_rows"] if r["row"] == 11]
    assert row["description"] == text
    out = tmp_path / "report"
    res = run_cli("audit", str(path), "--format", "json", "--out", str(out), "--no-history")
    assert res.exit_code in (0, 1), res.stderr[-2000:]
    assert json.loads((out / "findings.json").read_text())["summary"]["rows_audited"] == 100


@pytest.mark.parametrize("delim", list(DELIMS), ids=["comma", "pipe", "tab"])
def test_inch_mark_inside_a_field_is_a_character(tmp_path, delim):
    """`12"` in a file that quotes other fields: one row per line, the mark kept in the description."""
    rows = body()
    rows[5][1] = '"SUPPLY, STERILE"' if delim == "," else '"SUPPLY STERILE"'
    rows[20][1] = 'LEAD APRON 12" X 24"'
    rows[40][1] = 'CATH 12"'
    path = write(tmp_path / f"inch{DELIMS[delim]}", rows, delim)
    ing = read_inputs([path])
    assert ing.frame.height == 100
    described = dict(ing.frame.select("row", "description").rows())
    assert described[21] == 'LEAD APRON 12" X 24"' and described[41] == 'CATH 12"'
    assert described[6] == ("SUPPLY, STERILE" if delim == "," else "SUPPLY STERILE")


def test_many_multiline_cells_each_stay_their_row(tmp_path):
    """Line breaks in many cells add up past any one cell's limit: each cell is judged on its own."""
    rows = body()
    for r in range(1, 101, 3):
        rows[r][1] = f'"ITEM {r}\nLINE TWO"'
    path = write(tmp_path / "many.csv", rows)
    sheet = inspect(path)
    assert (sheet["rows_read"], sheet["rows_audited"]) == (100, 100)


# --- claims extracts: the streaming claims reader refuses the same way, with file rows and lines -----------


def _claims(tmp_path: Path, strays: tuple[int, int] | None) -> Path:
    """A 100-line claims CSV (the first payer quoted, as some exports do); optionally a stray quote pair."""
    rows = ["Claim ID,Line,Date of Service,State,Payer,Bill Type,HCPCS,Units,Diagnosis Codes"]
    for i in range(100):
        payer = "MEDICARE"
        if strays and i + 2 == strays[0]:
            payer = '"MEDICARE'
        if strays and i + 2 == strays[1]:
            payer = 'MEDICARE 12"'
        if i == 0:
            payer = '"MEDICARE, PART B"'
        rows.append(f"TX{i:08d},1,2026-02-03,TX,{payer},131,29881,1,M17.11;M25.561")
    path = tmp_path / "claims.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_claims_stray_quote_pair_is_refused(tmp_path):
    path = _claims(tmp_path, (21, 71))
    res = run_cli("claims", str(path), "--format", "json", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2, (res.exit_code, res.stdout[-2000:], res.stderr[-2000:])
    line = res.stderr.rstrip("\n")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stdout + res.stderr
    for reason in ("row 21", "column 'E'", "opens this cell on line 21", "on line 71 closes it"):
        assert reason in line, (reason, line)


def test_claims_with_a_quoted_payer_read_every_line(tmp_path):
    from auditor.claims.pipeline import run_claims

    assert run_claims([_claims(tmp_path, None)]).lines_audited == 100
