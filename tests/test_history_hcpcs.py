"""`codes import-hcpcs`: the HCPCS Level II quarterly file (fixed-width and xlsx) and what it adds to quarter changes."""

from __future__ import annotations

import pytest
import xlsxwriter
from click.testing import CliRunner

from auditor.cli import main
from auditor.codeset.hcpcs import HcpcsImportError, import_hcpcs, load_hcpcs, read_hcpcs
from auditor.history.quarters import quarter_changes

FILLER = [f"A{n:04d}" for n in range(1, 521)]  # a release lists thousands of codes; the importer wants 500+


def record(
    code: str, ric: str, long: str, short: str = "", xref=(), add="", act="", term="", action=""
) -> str:
    """One 320-byte record laid out as HCPC<year>_recordlayout.txt describes (1-based positions)."""
    line = [" "] * 320

    def put(pos: int, text: str) -> None:
        line[pos - 1 : pos - 1 + len(text)] = list(text)

    put(1, code.ljust(5))
    put(6, "00100")
    put(11, ric)
    put(12, long[:80])
    put(92, short[:28])
    for i, x in enumerate(xref):
        put(205 + 5 * i, x)
    put(269, add)
    put(277, act)
    put(285, term)
    put(293, action)
    return "".join(line).rstrip()  # CMS files often trim the trailing filler


def fixed_width(path):
    """A small release: filler codes, a two-line long descriptor, a terminated code with a cross-reference,
    a CPT record (never kept) and a modifier record (not a code)."""
    lines = [record(c, "3", f"Filler supply {c}", f"FILLER {c}", add="20000101", action="N") for c in FILLER]
    lines += [
        record(
            "Q4106",
            "3",
            "Dermagraft, per square centimeter, first line of a long descriptor that goes on",
            "Dermagraft",
            xref=("Q4999", "Q4431"),
            add="20050101",
            act="20260101",
            term="20251231",
            action="D",
        ),
        record("Q4106", "4", "and ends on the continuation line"),
        record(
            "99213", "3", "Office or other outpatient visit (AMA text must never be stored)", "Office visit"
        ),
        record(
            "   RT", "7", "Right side (used to identify procedures performed on the right side of the body)"
        ),
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    return path


def test_fixed_width_release(tmp_path):
    frame = read_hcpcs(fixed_width(tmp_path / "HCPC2026_APR_ANWEB.txt"))
    assert frame.height == len(FILLER) + 1 and "99213" not in frame["code"].to_list()
    q = frame.filter(frame["code"] == "Q4106").row(0, named=True)
    assert q["long_descriptor"] == (
        "Dermagraft, per square centimeter, first line of a long descriptor that goes on "
        "and ends on the continuation line"
    )
    assert (q["termination_date"], q["action"], q["xref"], q["add_date"]) == (
        "2025-12-31",
        "D",
        "Q4999|Q4431",
        "2005-01-01",
    )


def test_xlsx_release(tmp_path):
    path = tmp_path / "HCPC2026_APR_ANWEB.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("HCPC")
    head = [
        "HCPC",
        "SEQNUM",
        "RECID",
        "LONG DESCRIPTION",
        "SHORT DESCRIPTION",
        "XREF1",
        "XREF2",
        "ADD DT",
        "ACT EFF DT",
        "TERM DT",
        "ACTION CD",
    ]
    rows = [head] + [[c, "00100", "3", f"Filler {c}", c, "", "", "20000101", "", "", "N"] for c in FILLER]
    rows += [
        [
            "Q4106",
            "00100",
            "3",
            "Dermagraft, first part",
            "Dermagraft",
            "Q4999",
            "",
            "20050101",
            "20260101",
            "20251231",
            "D",
        ],
        ["Q4106", "00200", "4", "second part", "", "", "", "", "", "", ""],
        ["15271", "00100", "3", "CPT text", "CPT", "", "", "", "", "", "N"],
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    frame = read_hcpcs(path)
    q = frame.filter(frame["code"] == "Q4106").row(0, named=True)
    assert q["long_descriptor"] == "Dermagraft, first part second part" and q["xref"] == "Q4999"
    assert "15271" not in frame["code"].to_list() and frame.height == len(FILLER) + 1


def test_not_a_release_is_refused(tmp_path):
    (tmp_path / "short.txt").write_text(record("Q4106", "3", "only one code") + "\n", encoding="latin-1")
    with pytest.raises(HcpcsImportError, match="only 1 HCPCS Level II codes"):
        read_hcpcs(tmp_path / "short.txt")
    (tmp_path / "odd.txt").write_text(record("Q4106", "9", "x") + "\n", encoding="latin-1")
    with pytest.raises(HcpcsImportError, match="record type '9'"):
        read_hcpcs(tmp_path / "odd.txt")


def test_import_feeds_quarter_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    done = import_hcpcs(fixed_width(tmp_path / "hcpc.txt"), "2026Q1")
    assert done.stored == tmp_path / "home" / "hcpcs" / "2026Q1.csv" and done.terminated == 1
    assert load_hcpcs(quarter="2025Q4") == {}  # an import only speaks for its quarter and later ones
    codes = [
        {
            "role": "chargemaster",
            "code": "Q4106",
            "lines": 1,
            "sample": [
                {"charge_code": "76100590", "row": 295, "file": "cdm.xlsx", "description": "HC DERMAGRAFT"}
            ],
        }
    ]
    (change,) = quarter_changes(codes, "2025Q4", "2026Q1")[0]
    # No packaged successor for Q4106: the HCPCS cross-reference fills in, with the long descriptor.
    assert change["kind"] == "deleted" and change["replaced_by"] == ["Q4999", "Q4431"]
    assert change["descriptor"].startswith("Dermagraft, per square centimeter") and change["termination_date"]


def test_import_hcpcs_command_sits_under_codes(tmp_path, monkeypatch):
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    ok = CliRunner().invoke(
        main, ["codes", "import-hcpcs", str(fixed_width(tmp_path / "h.txt")), "--quarter", "2026Q2"]
    )
    assert ok.exit_code == 0 and f"{len(FILLER) + 1} codes (1 with a termination date)" in ok.stdout
    bad = CliRunner().invoke(main, ["codes", "import-hcpcs", str(tmp_path / "h.txt"), "--quarter", "2026-2"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: ")
