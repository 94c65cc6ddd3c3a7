"""Claim files end to end: streaming at chunk edges, unsorted files, skipped lines, formats, scope reasons."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from click.testing import CliRunner
from edit_examples import CLAIM_HEADERS, claim_rows, write_rows

from auditor.claims.pipeline import ClaimsRequest, run_claims
from auditor.claims.wiser import load_scope, payer_class
from auditor.cli import main

HEADER = [
    "Claim ID",
    "Line",
    "DOS",
    "State",
    "Payer",
    "TOB",
    "Rev Code",
    "HCPCS",
    "Mod 1",
    "Mod 2",
    "Units",
    "Dx 1",
    "Dx 2",
    "Prior Auth",
]


def _csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _skin_claim(cid: str, utn: str = "") -> list[list]:
    """15271 + 15272 + product: clean when the UTN is present (NJ, Medicare, TOB 131)."""
    return [
        [
            cid,
            1,
            "03/02/2026",
            "NJ",
            "Medicare Part B",
            "0131",
            "761",
            "15271",
            "",
            "",
            "1",
            "E11.622",
            "L97.212",  # a calf ulcer: 15271-15274 are the trunk, arms and legs
            utn,
        ],
        [cid, 2, "03/02/2026", "NJ", "Medicare Part B", "0131", "761", "15272", "", "", "1", "", "", utn],
        [cid, 3, "03/02/2026", "NJ", "Medicare Part B", "0131", "636", "Q4186", "", "", "30", "", "", utn],
    ]


def test_claim_split_across_chunks_is_audited_whole(tmp_path):
    """With 1,000-line chunks, claims straddling a chunk edge still see their own lines (no false orphans)."""
    rows = []
    for i in range(700):
        rows += _skin_claim(f"C{i:05d}", "N3B9C2D7E4F6G1")
    path = _csv(tmp_path / "claims.csv", rows)
    result = run_claims([path], ClaimsRequest(chunk_rows=1000))
    assert result.lines_audited == 2100
    assert result.claims.height == 700
    assert result.findings.height == 0, result.findings.select("claim_id", "edit", "message").rows()[:5]
    assert set(result.claims.get_column("readiness")) == {"ready"}


@pytest.mark.parametrize("ends", ["cr", "mixed"])
def test_old_mac_and_mixed_line_endings_read_line_for_line(tmp_path, ends):
    """CR-only or mixed CR/LF/CRLF claim files read as the LF file does, in small chunks, named as given."""
    rows = []
    for i in range(300):
        rows += _skin_claim(f"C{i:05d}", "N3B9C2D7E4F6G1")
    plain = _csv(tmp_path / "plain.csv", rows)
    lines = plain.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    cycle = [b"\r"] if ends == "cr" else [b"\n", b"\r", b"\r\n"]
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"".join(line + cycle[i % len(cycle)] for i, line in enumerate(lines) if line))
    result = run_claims([odd], ClaimsRequest(chunk_rows=250))
    assert (result.lines_audited, result.claims.height) == (900, 300)
    assert set(result.claims.get_column("file")) == {str(odd)}
    assert result.claims.sort("first_row").get_column("first_row").to_list()[:2] == [2, 5]


def test_unsorted_file_is_sorted_and_said_so(tmp_path):
    """A claim whose lines are far apart is put together again; the report says memory was not flat."""
    a, b = _skin_claim("A1", "N3B9C2D7E4F6G1"), _skin_claim("B2", "N3B9C2D7E4F6G2")
    filler = []
    for i in range(600):
        filler += _skin_claim(f"F{i:04d}", "N3B9C2D7E4F6G3")
    path = _csv(tmp_path / "claims.csv", [a[0], *filler, *b, a[1], a[2]])
    result = run_claims([path], ClaimsRequest(chunk_rows=1000))
    assert result.findings.height == 0
    assert result.claims.filter(pl.col("claim_id") == "A1").get_column("lines").to_list() == [3]
    assert any("not together" in n for n in result.notes)


def test_claims_interleaved_inside_a_chunk_are_audited_as_when_grouped(tmp_path):
    """Lines of two claims taking turns (and an id-less line between a claim's lines) keep each claim whole:
    the same claims, lines and findings as the file with each claim's lines together."""
    a = _skin_claim("A1")  # no UTN: in-scope skin substitute lines without prior authorization
    b = _skin_claim("B2", "N3B9C2D7E4F6G2")[:2]  # no product line
    c = _skin_claim("C3", "N3B9C2D7E4F6G3")  # last in the file, so A1 and B2 are audited together before it
    blank = ["", 9, "03/02/2026", "NJ", "", "", "0360", "15271", "", "", "", "", "", ""]
    grouped = run_claims([_csv(tmp_path / "grouped.csv", [*a, *b, blank, *c])])
    mixed = run_claims([_csv(tmp_path / "mixed.csv", [a[0], b[0], a[1], blank, b[1], a[2], *c])])

    def seen(result):
        claims = result.claims.select("claim_id", "lines", "readiness").sort("claim_id").rows()
        return claims, sorted(result.findings.select("claim_id", "edit", "code").rows())

    assert seen(mixed) == seen(grouped)
    claims, findings = seen(mixed)
    assert [c[:2] for c in claims] == [("A1", 3), ("B2", 2), ("C3", 3)]
    assert {f[0] for f in findings} == {"A1", "B2"}
    assert not any("not together" in n for n in mixed.notes)


def test_lines_without_codes_or_dates_are_skipped_with_reasons(tmp_path):
    rows = _skin_claim("A1", "N3B9C2D7E4F6G1") + [
        ["A2", 1, "", "TX", "MEDICARE", "131", "360", "29881", "RT", "", "1", "M23.221", "", ""],
        ["A1", 4, "03/02/2026", "NJ", "Medicare Part B", "0131", "", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        ["", 9, "03/02/2026", "NJ", "", "", "0360", "15271", "", "", "", "", "", ""],
        ["A1", 5, "02/30/2026", "NJ", "Medicare Part B", "0131", "636", "Q4186", "", "", "4", "", "", ""],
    ]
    result = run_claims([_csv(tmp_path / "c.csv", rows)])
    reasons = {s["row"]: s["reason"] for s in result.skipped}
    assert reasons[5] == "no date of service on the line or its claim"
    assert reasons[6] == "no CPT/HCPCS code and no revenue code on this claim line"
    assert "claim id" in reasons[8]
    # A date that does not parse is not replaced by the claim's date: the line is skipped, naming the text.
    assert reasons[9] == "date of service '02/30/2026' is not a date"
    info = result.files[0]
    assert info["rows_audited"] == 3 and info["rows_audited"] + info["rows_skipped"] == info["rows_read"]


def test_codes_stay_text_in_a_workbook(tmp_path):
    """Numbers in cells: revenue 450 -> 0450, 15271.0 -> 15271, TOB 131.0 -> 131, Dx without dot."""
    path = tmp_path / "claims.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Lines")
    for j, h in enumerate(
        [
            "Claim Number",
            "Line",
            "Service Date",
            "State",
            "Financial Class",
            "Bill Type",
            "Revenue Code",
            "CPT/HCPCS",
            "Modifier",
            "Units",
            "Diagnosis 1",
            "UTN",
        ]
    ):
        ws.write_string(0, j, h)
    ws.write_row(
        1,
        0,
        [
            "X1",
            1,
            dt.datetime(2026, 2, 3),
            "TX",
            "MEDICARE",
            131.0,
            360,
            15271.0,
            "",
            1,
            "E11621",
            "A2K7F39QX1R2M8",
        ],
    )
    ws.write_row(2, 0, ["X1", 2, dt.datetime(2026, 2, 3), "TX", "MEDICARE", 131.0, 450, 99284, "", 1, "", ""])
    wb.close()
    result = run_claims([path])
    claim = result.claims.row(0, named=True)
    assert claim["diagnoses"] == "E11.621"
    assert claim["wiser_reason"].startswith("emergency visit")  # 450 read as 0450, an ER revenue code
    assert claim["wiser_categories"] == "skin-substitutes"  # 15271.0 read as 15271, a WISeR code
    assert claim["setting"] == "TOB 131"


@pytest.mark.parametrize(
    "payer,expected",
    [
        ("MEDICARE", "original_medicare"),
        ("Medicare Part B", "original_medicare"),
        ("MCR", "original_medicare"),
        ("MB", "original_medicare"),
        ("Novitas", "original_medicare"),
        ("MEDICARE ADVANTAGE", "medicare_advantage"),
        ("Humana Medicare", "medicare_advantage"),
        ("16", "medicare_advantage"),
        ("AETNA MEDICARE PPO", "medicare_advantage"),
        ("TX MEDICAID", "medicaid"),
        ("VA COMMUNITY CARE", "va_ihs"),
        ("Indian Health Service", "va_ihs"),
        ("BLUE CROSS PPO", "other"),
        ("BL", "other"),
        ("Anthem Medicare Advantage", "medicare_advantage"),
        ("SELF PAY", "other"),
        # Medigap exists only beside Original Medicare (a Blue Cross name beside Medicare was taken for MA).
        ("BCBS MEDICARE SUPPLEMENT", "original_medicare"),
        ("AARP Medicare Supplement", "original_medicare"),
        # Dual eligibles: Medicare pays first (was Medicaid, out of scope); a D-SNP stays Medicare Advantage.
        ("Medicare/Medicaid", "original_medicare"),
        ("MEDI-MEDI", "original_medicare"),
        ("Humana Medicare Medicaid D-SNP", "medicare_advantage"),
        # Managed Medicare in other words (was Original Medicare, in scope).
        ("Medicare Managed Care", "medicare_advantage"),
        ("MEDICARE MCO", "medicare_advantage"),
        ("AARP MEDICARE COMPLETE", "medicare_advantage"),
        ("Medicaid Managed Care", "medicaid"),
        (None, None),
    ],
)
def test_payer_classes(payer, expected):
    got = pl.DataFrame({"p": [payer]}, schema={"p": pl.String}).select(payer_class(pl.col("p"), load_scope()))
    assert got.item() == expected


@pytest.mark.parametrize(
    "row,in_scope,reason",
    [
        ({"dos": "2026-01-15"}, True, None),
        ({"dos": "2026-01-14"}, False, "date of service before 2026-01-15"),
        ({"state": "CA"}, False, "CA is not a WISeR state"),
        ({"payer": "MEDICARE ADVANTAGE"}, False, "payer is Medicare Advantage"),
        ({"bill_type": "111"}, False, "TOB 111 is not a WISeR setting"),
        ({"bill_type": "", "pos": "22"}, False, "POS 22 is not a WISeR setting"),
        ({"bill_type": "", "pos": "11"}, True, None),
        ({"modifiers": "ET"}, False, "emergency visit"),
        ({"code": "G0276", "dos": "2026-04-05"}, True, None),
        ({"code": "G0276", "dos": "2026-04-06"}, False, "service delayed by CMS (lumbar-decompression)"),
        ({"code": "61863"}, False, "service delayed by CMS (deep-brain-stimulation)"),
    ],
)
def test_scope_decisions(tmp_path, row, in_scope, reason):
    """Each WISeR scope rule on its own, from a real workbook."""
    base = {"code": "62323", "diagnoses": "M54.16", "dos": "2026-03-02"}
    path = write_rows(tmp_path / "c.xlsx", claim_rows([base | row], dt.date(2026, 3, 2)), CLAIM_HEADERS)
    claim = run_claims([path]).claims.row(0, named=True)
    assert (claim["wiser_status"] == "in_scope") is in_scope
    if reason:
        assert claim["wiser_reason"].startswith(reason)


def test_cli_bad_inputs_exit_2_with_one_line(tmp_path):
    runner = CliRunner()
    notes = tmp_path / "notes.csv"
    notes.write_text("hello,world\nthis,is not a claim file\n", encoding="utf-8")
    broken = tmp_path / "claims.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    for args, words in [
        ([str(notes)], "no claim-line header"),
        ([str(broken)], "claims.xlsx"),
        ([str(tmp_path / "missing.csv")], "file not found"),
        (["--state", "Texas", str(notes)], "two-letter"),
        (["--format", "docx", str(notes)], "unknown format"),
    ]:
        res = runner.invoke(main, ["claims", *args])
        assert res.exit_code == 2, (args, res.output)
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], (args, res.output)
        assert "Traceback" not in res.output


def test_state_option_fills_claims_without_one(tmp_path):
    rows = [["A1", 1, "2026-03-02", "", "MEDICARE", "131", "0360", "62323", "", "", "1", "M54.16", "", ""]]
    path = _csv(tmp_path / "c.csv", rows)
    assert run_claims([path]).claims.item(0, "wiser_reason").startswith("no state")
    assert run_claims([path], ClaimsRequest(state="TX")).claims.item(0, "readiness") == "needs_attention"


def test_an_unreadable_claims_file_fails_alone(tmp_path):
    """Two claims files, one without a claim-line table: the other is audited as it would be alone, the
    reports say which file was not read, and the run exits 2 after writing them."""
    rows = []
    for i in range(5):
        rows += _skin_claim(f"C{i:05d}")
    good = _csv(tmp_path / "good.csv", rows)
    junk = tmp_path / "junk.csv"
    junk.write_text("just a note\nnothing here\n", encoding="utf-8")
    out = tmp_path / "out"
    got = CliRunner().invoke(
        main, ["claims", str(good), str(junk), "--format", "json,html,text", "--out", str(out)]
    )
    assert got.exit_code == 2, got.output
    assert got.stderr.count("error:") == 1 and "junk.csv" in got.stderr
    doc = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    files = {Path(f["path"]).name: f for f in doc["files"]}
    alone = run_claims([good])
    assert doc["summary"]["totals"]["lines"] == alone.lines_audited == 15
    html = (out / "claims-report.html").read_text(encoding="utf-8")
    assert "INCOMPLETE" in html and "not read" in html
    assert "NOT READ" in got.stdout
    assert files["junk.csv"]["error"] and not files["good.csv"].get("error")
    assert doc["notes"][0].startswith("INCOMPLETE: ")


def _dated_line(cid: str, dos: str, code: str) -> list:
    """One outpatient Medicare line with a specific diagnosis (nothing else to flag)."""
    return [cid, 1, dos, "TX", "Medicare Part B", "0131", "0360", code, "", "", "1", "M17.11", "", ""]


def test_each_line_is_checked_against_its_own_quarter_in_one_chunk(tmp_path):
    """0042T was last listed in 2025Q4: valid on a November 2025 line, deleted on a February 2026 line of the same
    chunk; a line past the newest quarter held is checked against that one, and the notes say so."""
    lines = [
        _dated_line("A1", "11/15/2025", "0042T"),
        _dated_line("B1", "02/10/2026", "0042T"),
        _dated_line("C1", "08/03/2026", "27447"),
    ]
    together = run_claims([_csv(tmp_path / "all.csv", lines)])
    deleted = together.findings.filter(pl.col("edit") == "CV001")
    assert deleted.get_column("claim_id").to_list() == ["B1"]
    assert deleted.get_column("message").item() == (
        "0042T is not valid for 2026Q1 dates of service: CMS last listed it in 2025Q4"
    )
    assert any("Lines dated in 2026Q3 were checked against the 2026Q2" in n for n in together.notes)
    # The same lines audited one claim (one quarter) a file: the same findings, word for word.
    alone = [run_claims([_csv(tmp_path / f"{line[0]}.csv", [line])]) for line in lines]
    found = sorted(together.findings.select("claim_id", "edit", "message").rows())
    assert found == sorted(
        r for one in alone for r in one.findings.select("claim_id", "edit", "message").rows()
    )


def test_alike_lines_on_both_sides_of_an_edits_start_are_judged_by_their_own_dates(tmp_path):
    """Claim lines that read alike are judged once, yet each keeps its own date: SS007 (a narrative for an
    unlisted skin substitute, from 2026-01-01) flags the January 2026 lines, not the December 2025 ones that
    are otherwise the same, and every flagged line is named, not one for all."""
    lines = []
    for cid, dos in (("DEC1", "12/20/2025"), ("JAN1", "01/10/2026"), ("JAN2", "01/12/2026")):
        for n in (1, 2):
            line = _dated_line(cid, dos, "Q4432")
            line[1], line[6] = n, "0636"
            lines.append(line)
    result = run_claims([_csv(tmp_path / "nos.csv", lines)])
    flagged = result.findings.filter(pl.col("edit") == "SS007").select("claim_id", "line").rows()
    assert sorted(flagged) == [("JAN1", "1"), ("JAN1", "2"), ("JAN2", "1"), ("JAN2", "2")]


@pytest.mark.parametrize("dos", ["3/2/26", "02-MAR-26", "3/2/2026 12:00:00 AM", "03/02/2026 - 03/04/2026"])
def test_export_date_layouts_date_the_claim_right(tmp_path, dos):
    """A short-year date (Excel's m/d/yy saved as CSV, Oracle's DD-MON-YY) is the claim's 2026 date: read as the
    year 26 before, every claim fell out of WISeR scope ('before 2026-01-15') and no edit was in force. A
    from-thru cell is its from date (the lines were skipped as 'not a date')."""
    rows = _skin_claim("C1")
    for row in rows:
        row[2] = dos
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest())
    claim = result.claims.row(0, named=True)
    assert claim["dos_from"] == dt.date(2026, 3, 2)
    assert claim["wiser_status"] == "in_scope"
    assert "WS001" in result.findings.get_column("edit").to_list()  # no UTN on an in-scope claim


def test_day_first_dates_are_read_day_first_when_the_column_shows_it(tmp_path):
    """An export from a day-first locale writes 16/03/2026 for 16 March: such a column (days above 12 first, never
    second) is read day first, its 02/03/2026 is 2 March and its claims are in WISeR scope; before, every line of
    the file was skipped as 'not a date'."""
    rows = []
    for n, dos in enumerate(("16/03/2026", "02/03/2026", "25/02/2026")):
        claim = _skin_claim(f"C{n}")
        for row in claim:
            row[2] = dos
        rows += claim
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest())
    assert result.lines_audited == 9 and not result.skipped
    dates = dict(result.claims.select("claim_id", "dos_from").rows())
    assert dates == {"C0": dt.date(2026, 3, 16), "C1": dt.date(2026, 3, 2), "C2": dt.date(2026, 2, 25)}
    assert set(result.claims.get_column("wiser_status")) == {"in_scope"}


def test_a_stray_day_first_date_does_not_turn_a_month_first_file(tmp_path):
    """One 13/01/2026 among month-first dates is not a date (its lines are skipped and say so); the file's other
    dates stay month first."""
    rows = []
    for n, dos in enumerate(("03/02/2026", "03/04/2026", "01/05/2026", "02/06/2026", "13/01/2026")):
        claim = _skin_claim(f"C{n}")
        for row in claim:
            row[2] = dos
        rows += claim
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest())
    dates = dict(result.claims.select("claim_id", "dos_from").rows())
    assert dates == {
        "C0": dt.date(2026, 3, 2),
        "C1": dt.date(2026, 3, 4),
        "C2": dt.date(2026, 1, 5),
        "C3": dt.date(2026, 2, 6),
    }
    assert {s["reason"] for s in result.skipped} == {"date of service '13/01/2026' is not a date"}


def test_diagnosis_cells_with_their_descriptions_read_as_the_codes(tmp_path):
    """'E11.622 - Type 2 diabetes ...' in a Dx cell: the words were read as diagnoses ('TYP.E', 'DIA.BETES'),
    each a DX001 error; an ICD-9 code beside them is still reported."""
    rows = _skin_claim("C1", "N3B9C2D7E4F6G1")
    rows[0][11] = "E11.622 - Type 2 diabetes mellitus with other skin ulcer (POA: Y)"
    rows[0][12] = "ABK: L97.212"
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest())
    assert result.claims.item(0, "diagnoses") == "E11.622; L97.212"
    assert result.findings.height == 0, result.findings.select("edit", "message").rows()
    rows[0][12] = "707.12 ulcer of calf"  # ICD-9: invalid on a 2026 claim
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest())
    assert (
        result.findings.filter(pl.col("edit") == "DX001").get_column("message").str.contains("707.12").all()
    )
    assert result.findings.filter(pl.col("edit") == "DX001").height == 1


@pytest.mark.parametrize(
    "written,utn,edit",
    [
        ("PENDING", None, "WS001"),  # a placeholder: the claim has no UTN (was WS002, a warning, 'malformed')
        ("N/A", None, "WS001"),
        ("0", None, "WS001"),
        ("UTN: N3B9C2D7E4F6G1", "N3B9C2D7E4F6G1", None),  # the label is no part of the number (was WS002)
        ("n3b9 c2d7 e4f6 g1", "N3B9C2D7E4F6G1", None),
        ("N3B9-C2D7-E4F6-G1", "N3B9-C2D7-E4F6-G1", "WS002"),  # separators would go out on the 837 as written
    ],
)
def test_utn_cells_as_billing_systems_write_them(tmp_path, written, utn, edit):
    result = run_claims([_csv(tmp_path / "claims.csv", _skin_claim("C1", written))], ClaimsRequest())
    assert result.claims.item(0, "utn") == utn
    assert set(result.findings.get_column("edit")) == ({edit} if edit else set())


@pytest.mark.parametrize(
    "cell,codes",
    [
        ("E11.622 - Type 2 diabetes mellitus with other skin ulcer", ["E11.622"]),
        ("E11.622, Type 2 diabetes with other skin ulcer; L97.212", ["E11.622", "L97.212"]),
        ("M17.11 M54.5", ["M17.11", "M54.5"]),  # a blank-separated list is still a list
        ("M54.99X;M54.16;ABC", ["M54.99X", "M54.16", "ABC"]),  # a bad entry stays for DX001
        ("E11.621;NONE;L97.412", ["E11.621", "L97.412"]),  # a placeholder is none
    ],
)
def test_diagnosis_list_entries(cell, codes):
    from auditor.claims.project import diagnosis_list

    got = pl.DataFrame({"c": [cell]}).select(diagnosis_list("c")).item().to_list()
    assert got == codes


def test_dates_no_claim_can_have_are_said(tmp_path):
    """A date of service before ICD-10-CM or years ahead (a column read wrong, or typed wrong) put the claim out
    of WISeR scope and every edit out of force with no word; the run now says so first."""
    rows = _skin_claim("C1")
    for row in rows:
        row[2] = "03/02/1926"
    result = run_claims([_csv(tmp_path / "claims.csv", rows)], ClaimsRequest(today=dt.date(2026, 12, 7)))
    assert result.notes[0].startswith("CHECK DATES: 3 line(s) are dated 1926-03-02, before ICD-10-CM")
    plausible = run_claims(
        [_csv(tmp_path / "ok.csv", _skin_claim("C2"))], ClaimsRequest(today=dt.date(2026, 12, 7))
    )
    assert not any(n.startswith("CHECK DATES") for n in plausible.notes)


@pytest.mark.parametrize(
    "cell,state",
    [
        ("Texas", "TX"),
        ("Tex.", "TX"),  # was 'TEX.': 'not a WISeR state', the claim out of scope
        ("TEXAS (TX)", "TX"),
        ("TX - Texas", "TX"),
        ("Houston, TX 77030", "TX"),
        ("Okla.", "OK"),
        ("N.J.", "NJ"),
        ("Paris, France", "PARIS, FRANCE"),  # no state in it: kept, and named in the scope reason
    ],
)
def test_state_cells_as_systems_print_them(cell, state):
    from auditor.claims.project import state_code

    assert pl.DataFrame({"c": [cell]}).select(state_code("c")).item() == state


def test_shorthand_claim_headers_are_read(tmp_path):
    """A claim extract headed 'Clm #', 'Ln #', 'Svc Dt', 'Proc Cd', 'Diag Cd 1', 'Tot Chg': every field is found and
    every line audited."""
    path = tmp_path / "short.csv"
    path.write_text(
        "Clm #,Ln #,Svc Dt,Proc Cd,Rev Cd,Diag Cd 1,Tot Chg,St\n"
        "A1,1,2026-03-02,29881,0360,M23.211,3100.00,TX\n"
        "A1,2,2026-03-02,G0289,0360,M23.211,800.00,TX\n",
        encoding="utf-8",
    )
    result = run_claims([path])
    sheet = result.files[0]["sheets"][0]
    assert set(sheet["columns"]) >= {"claim_id", "line", "dos", "cpt", "revenue_code", "diagnoses", "charges"}
    assert result.lines_audited == 2 and result.claims.height == 1


@pytest.mark.parametrize(
    "key", ["Hospital Account", "HSP_ACCOUNT_ID", "Acct #", "FIN NBR", "Encounter CSN", "TCN", "Patient Acct"]
)
def test_claims_keyed_by_account_or_encounter_are_read(tmp_path, key):
    """Billing systems key outpatient claims by hospital account or encounter (Epic HAR/CSN, Cerner FIN): such
    a column is the claim id, and two accounts are two claims."""
    path = tmp_path / "epic.csv"
    path.write_text(
        f"{key},Svc Date,Proc Code,Mod 1,Rev Code,Qty,Charge Amt,Prim Dx,Dx 2,Fin Class,Loc State,TOB\n"
        "1000234,02/03/2026,29881,RT,360,1,4500,M17.11,M23.221,Medicare,TX,0131\n"
        "1000234,02/03/2026,29877,RT,360,1,1200,M17.11,M23.221,Medicare,TX,0131\n"
        "1000235,02/04/2026,64568,,360,1,12000,G40.119,,Medicare,OH,0131\n",
        encoding="utf-8",
    )
    result = run_claims([path])
    assert result.files[0]["sheets"][0]["columns"]["claim_id"] == key
    assert result.lines_audited == 3
    assert sorted(result.claims.get_column("claim_id")) == ["1000234", "1000235"]


def test_a_claim_column_is_the_claim_id_beside_an_account_column(tmp_path):
    """An extract with both a claim number and the hospital account groups lines by claim (an account can hold
    interim claims)."""
    path = tmp_path / "both.csv"
    path.write_text(
        "Hospital Account,Claim Number,DOS,HCPCS,Rev Code,Units\n"
        "H1,C1,2026-02-03,29881,0360,1\n"
        "H1,C2,2026-02-04,29877,0360,1\n",
        encoding="utf-8",
    )
    result = run_claims([path])
    assert result.files[0]["sheets"][0]["columns"]["claim_id"] == "Claim Number"
    assert result.claims.height == 2


def test_a_column_named_on_the_command_line_finds_the_header(tmp_path):
    """The error for a header with no known claim column says to name it with --column; doing just that reads
    the file (the row holding the named header is the header), without --header-row."""
    path = tmp_path / "odd.csv"
    path.write_text(
        "Report: outpatient lines\n"
        "Ref Key,Svc Date,HCPCS,Rev Code,Units\n"
        "K1,2026-02-03,29881,0360,1\n"
        "K2,2026-02-04,29877,0360,1\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    refused = runner.invoke(main, ["claims", str(path), "--out", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "--column claim_id=HEADER" in refused.output
    res = runner.invoke(
        main,
        [
            "claims",
            str(path),
            "--column",
            "claim_id=Ref Key",
            "--format",
            "json",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert res.exit_code in (0, 1), res.output
    data = json.loads((tmp_path / "b" / "claims.json").read_text(encoding="utf-8"))
    sheet = data["files"][0]["sheets"][0]
    assert sheet["header_row"] == 2 and sheet["columns"]["claim_id"] == "Ref Key"
    assert sorted(c["claim_id"] for c in data["claims"]) == ["K1", "K2"]


def _credit_claims(tmp_path: Path, lines: list[str]):
    """run_claims over a claim file of the given lines (claim, date, code, revenue code, units, charges, Dx,
    state, payer)."""
    path = tmp_path / "credits.csv"
    header = "Claim ID,DOS,HCPCS,Rev Code,Units,Charges,Dx 1,State,Payer"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return run_claims([path])


def test_a_reversed_device_charge_leaves_the_procedure_without_its_device(tmp_path):
    """A transaction extract charges the generator and credits it (-1 unit): the claim has no generator, so
    the procedure's missing device is found, and both lines are listed as skipped with why."""
    vns = "G40.119,OH,Medicare"
    result = _credit_claims(
        tmp_path,
        [
            f"A1,2026-03-02,64568,0360,1,12000.00,{vns}",
            f"A1,2026-03-02,C1767,0278,1,8000.00,{vns}",
            f"A1,2026-03-02,C1767,0278,-1,-8000.00,{vns}",
            f"A2,2026-03-02,64568,0360,1,12000.00,{vns}",
            f"A2,2026-03-02,C1767,0278,1,8000.00,{vns}",
            f"A2,2026-03-02,C1778,0278,1,3000.00,{vns}",
        ],
    )
    found = result.findings.filter(pl.col("edit") == "NS001")
    assert found.get_column("claim_id").to_list() == ["A1"]
    sheet = result.files[0]["sheets"][0]
    assert (sheet["rows_audited"], sheet["rows_skipped"]) == (4, 2)
    reasons = {s["row"]: s["reason"] for s in result.skipped}
    assert set(reasons) == {3, 4} and all(r.startswith("credited on this claim") for r in reasons.values())


def test_a_partial_credit_is_netted_into_the_charge(tmp_path):
    """30 sq cm of product charged, 10 credited: the product line is audited with 20 units (within what one
    15275 reports), the credit is listed as netted into it; a credit given by a negative amount alone counts."""
    ulcer = "L97.521;E11.621,NJ,Medicare"
    result = _credit_claims(
        tmp_path,
        [
            f"{claim},2026-03-02,{code},{rev},{units},{money},{ulcer}"
            for claim, charged in (("B1", 30), ("B2", 40))
            for code, rev, units, money in (
                ("15275", "0361", 1, "900.00"),
                ("Q4186", "0636", charged, f"{charged * 100}.00"),
                ("Q4186", "0636", 10, "-1000.00"),
            )
        ],
    )
    units = result.findings.filter(pl.col("edit") == "SS014")
    # B1 nets to 20 sq cm (within 1-25): quiet; B2 nets to 30: flagged on the net, not on the 40 charged.
    assert units.get_column("claim_id").to_list() == ["B2"]
    assert "30 sq cm" in units.item(0, "message") and "40" not in units.item(0, "message")
    assert [s["row"] for s in result.skipped] == [4, 7]
    assert all("netted into the code's first charge line" in s["reason"] for s in result.skipped)
    sheet = result.files[0]["sheets"][0]
    assert (sheet["rows_audited"], sheet["rows_skipped"]) == (4, 2)


def test_a_claims_sheet_beside_a_lines_sheet_gives_the_lines_their_claim_values(tmp_path):
    """A warehouse export: one sheet of claims (payer, state, diagnoses) and one of service lines. The claims'
    values reach their lines (WISeR scope, diagnosis checks), and the claim rows are listed as claim-level rows,
    not as lines missing their codes."""
    path = tmp_path / "header-detail.xlsx"
    book = xlsxwriter.Workbook(path)
    claims, lines = book.add_worksheet("Claims"), book.add_worksheet("Lines")
    for i, row in enumerate(
        [
            ["Claim ID", "Payer", "State", "TOB", "Principal Dx", "Dx 2"],
            ["A1", "Medicare", "OH", "131", "G40.119", ""],
            ["A2", "Medicare", "TX", "131", "M17.11", ""],
        ]
    ):
        claims.write_row(i, 0, row)
    for i, row in enumerate(
        [
            ["Claim ID", "Line", "DOS", "HCPCS", "Rev Code", "Units", "Modifiers"],
            ["A1", "1", "2026-03-02", "64568", "0360", "1", ""],
            ["A2", "1", "2026-03-03", "29881", "0360", "1", "RT"],
        ]
    ):
        lines.write_row(i, 0, row)
    book.close()
    result = run_claims([path])
    by_claim = {r["claim_id"]: r for r in result.claims.to_dicts()}
    assert by_claim["A1"]["state"] == "OH" and by_claim["A1"]["wiser_status"] == "in_scope"
    assert by_claim["A2"]["diagnoses"] == "M17.11"
    assert {"WS001", "DX007"} <= set(result.findings.get_column("edit"))
    assert [(s["sheet"], s["row"]) for s in result.skipped] == [("Claims", 2), ("Claims", 3)]
    assert all(s["reason"].startswith("a claim-level row") for s in result.skipped)


def test_excel_keep_as_text_cells_in_a_claim_extract(tmp_path):
    """Claim ids and codes written ="A1", ="0360" (kept as text for Excel) are read as A1 and 0360."""
    path = tmp_path / "eq.csv"
    path.write_text(
        "Claim ID,Line,DOS,CPT,Rev Code,Diagnosis,Charges,State\n"
        '="A1",1,2026-03-02,="29881",="0360",M23.211,3100.00,TX\n'
        '="A1",2,2026-03-02,="G0289",="0360",M23.211,800.00,TX\n',
        encoding="utf-8",
    )
    result = run_claims([path])
    assert result.claims.get_column("claim_id").to_list() == ["A1"]
    assert sorted(result.findings.get_column("code").unique().to_list()) == ["29881", "G0289"]
    assert result.findings.get_column("revenue_code").unique().to_list() == ["0360"]
