"""Hostile and odd inputs (issue 17): each is read correctly or refused with one clean `error:` line, exit 2.

Every file is written in tmp_path and run through the real CLI (click's CliRunner; a few also as a real
process). Never a traceback, never "error: unexpected ..." (the CLI's word for a crash), never a result that
quietly lost rows.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from conftest import CliResult, run_cli, run_cli_process, write_xls

from auditor.ingest.text import normalize_newlines

HEADER = ["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"]
ROWS = [
    ["1001", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "137.00"],
    ["1002", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "850.00"],
    ["1003", "CT HEAD W/O CONTRAST", "0350", "70450", "900.00"],
]
FOOTER = "Total lines: 3"  # a lone cell under the table: listed as skipped, at its own row number


def lines(rows: list[list[str]], delim: str = ",") -> list[str]:
    return [delim.join(r) for r in rows]


def inspect(path: Path, *args: str, process: bool = False) -> dict:
    """`inspect --json` of a file that must be read: exit 0, nothing on stderr; the first file's only sheet."""
    run = run_cli_process if process else run_cli
    res = run("inspect", "--json", "--samples", "50", str(path), *args)
    assert res.exit_code == 0, (res.exit_code, res.stderr[-2000:])
    assert "Traceback" not in res.stderr and "unexpected" not in res.stderr, res.stderr
    (sheet,) = json.loads(res.stdout)["files"][0]["sheets"]
    return sheet


def refused(path: Path, *reasons: str, command: str = "inspect", process: bool = False) -> str:
    """Exit 2 and exactly one stderr line `error: <file>...` holding every reason; nothing else."""
    run = run_cli_process if process else run_cli
    args = [command, str(path)] + (["--no-history"] if command == "audit" else [])
    res: CliResult = run(*args)
    assert res.exit_code == 2, (res.exit_code, res.stdout[-2000:], res.stderr[-2000:])
    assert "Traceback" not in res.stdout + res.stderr
    assert res.stderr.endswith("\n") and res.stderr.count("\n") == 1, repr(res.stderr[:2000])
    line = res.stderr.rstrip("\n")
    assert line.startswith(f"error: {path}"), line
    assert "unexpected" not in line, line
    for reason in reasons:
        assert reason in line, (reason, line)
    return line


def audited_rows(sheet: dict) -> list[int]:
    return [r["row"] for r in sheet["sample_rows"]]


# --- line endings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ends",
    [
        ["\r"] * 5,  # old Mac export: CR only
        ["\r\n", "\r", "\n", "\r\n", "\r"],  # every kind in one file
        ["\n", "\n", "\r", "\n", "\n"],
    ],
    ids=["cr-only", "mixed", "one-cr"],
)
def test_cr_and_mixed_line_endings_read_line_for_line(tmp_path, ends):
    text = "".join(line + end for line, end in zip(lines([HEADER] + ROWS) + [FOOTER], ends, strict=True))
    path = tmp_path / "old_mac.csv"
    path.write_bytes(text.encode())
    sheet = inspect(path)
    assert sheet["header_row"] == 1
    assert (sheet["rows_audited"], sheet["rows_skipped"]) == (3, 1)
    assert audited_rows(sheet) == [2, 3, 4]
    assert [r["charge_code"] for r in sheet["sample_rows"]] == ["1001", "1002", "1003"]
    assert [r["price"] for r in sheet["sample_rows"]] == [137.0, 850.0, 900.0]  # no CR left on the last cell
    assert [s["row"] for s in sheet["skipped"]] == [5]


def test_cr_only_file_audits(tmp_path):
    path = tmp_path / "old_mac.csv"
    path.write_bytes("\r".join(lines([HEADER] + ROWS) + [FOOTER]).encode("cp1252"))
    res = run_cli("audit", str(path), "--no-history")
    assert res.exit_code in (0, 1), (res.exit_code, res.stderr)
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr
    assert "3 rows audited, 1 skipped" in res.stdout


def test_cr_only_in_a_real_process(tmp_path):
    path = tmp_path / "old_mac.tsv"
    path.write_bytes("\r".join(lines([HEADER] + ROWS, "\t")).encode())
    sheet = inspect(path, process=True)
    assert sheet["rows_audited"] == 3 and audited_rows(sheet) == [2, 3, 4]


def test_line_ends_polars_reads_are_not_copied():
    lf = b"a,b\n1,2\n" * 1000
    crlf = lf.replace(b"\n", b"\r\n")
    assert normalize_newlines(lf) is lf
    assert normalize_newlines(crlf) is crlf
    assert normalize_newlines(b"a\rb\r\nc\n") == b"a\nb\nc\n"


def test_crlf_inside_a_quoted_cell_stays_in_the_cell(tmp_path):
    rows = lines([HEADER, ROWS[0]]) + ['1002,"SKIN SUB\r\nLINE TWO",0361,15271,850.00', lines([ROWS[2]])[0]]
    path = tmp_path / "mixed_quoted.csv"
    path.write_bytes(("\r".join(rows[:2]) + "\n" + rows[2] + "\r" + rows[3] + "\r").encode())
    sheet = inspect(path)
    assert sheet["rows_audited"] == 3
    assert [r["code"] for r in sheet["sample_rows"]] == ["Q4101", "15271", "70450"]


# --- stray quotes -----------------------------------------------------------------------------------------


def test_quote_never_closed_names_its_row(tmp_path):
    """The quote on row 3 would swallow rows 3 to 5 into one cell: refused, naming row 3."""
    body = (
        lines([HEADER, ROWS[0]])
        + ['1002,"APPLICATION SKIN SUB,0361,15271,850.00']
        + lines(ROWS[2:])
        + [FOOTER]
    )
    path = tmp_path / "stray_quote.csv"
    path.write_text("\n".join(body) + "\n")
    refused(path, "row 3", "never closed", "the 3 lines from here to the end of the file")
    refused(path, "row 3", "never closed", command="audit")


def test_quote_never_closed_on_the_last_line(tmp_path):
    body = lines([HEADER] + ROWS[:2]) + ['1003,"CT HEAD W/O CONTRAST,0350,70450,900.00']
    path = tmp_path / "stray_quote_last.csv"
    path.write_text("\r\n".join(body) + "\r\n")
    refused(path, "row 4", "never closed", "the rest of the line")


def test_quote_never_closed_in_a_tab_file(tmp_path):
    body = lines([HEADER, ROWS[0]], "\t") + ['"1002\tSKIN\t0361\t15271\t850.00'] + lines(ROWS[2:], "\t")
    path = tmp_path / "stray_quote.txt"
    path.write_text("\n".join(body) + "\n")
    refused(path, "row 3", "never closed")


def test_inch_marks_and_stray_quotes_inside_fields_are_read_as_excel_reads_them(tmp_path):
    """Quotes polars refuses (3"X35 in a quoted file, "A"B) are characters, as in Python's csv module and Excel."""
    body = lines([HEADER]) + [
        '1001,"SKIN SUB GRAFT",0278,Q4101,137.00',
        '1002,BRACE 3"X35,0361,L3908,850.00',
        '1003,"CT HEAD" W/O,0350,70450,900.00',
    ]
    path = tmp_path / "inch_marks.csv"
    path.write_text("\n".join(body) + "\n")
    sheet = inspect(path)
    assert (sheet["rows_audited"], sheet["rows_skipped"]) == (3, 0)
    assert audited_rows(sheet) == [2, 3, 4]
    assert [r["code"] for r in sheet["sample_rows"]] == ["Q4101", "L3908", "70450"]
    assert sheet["sample_rows"][1]["description"] == 'BRACE 3"X35'


# --- huge fields ------------------------------------------------------------------------------------------

BIG = "A" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("suffix", "delim", "quoted", "extra"),
    [
        (".csv", ",", False, ""),
        (".csv", ",", True, ""),
        (".tsv", "\t", False, ""),
        (".csv", ",", False, ",X"),
    ],
    ids=["plain", "quoted", "tab", "ragged"],
)
def test_ten_megabyte_field(tmp_path, suffix, delim, quoted, extra):
    """One 10 MB description (also inside the delimiter sample, and on a record wider than the header)."""
    big = f'"{BIG}"' if quoted else BIG
    body = lines([HEADER], delim) + [delim.join(["1002", big, "0361", "15271", "850.00"]) + extra]
    body += lines([ROWS[2]], delim)
    path = tmp_path / f"big_field{suffix}"
    path.write_text("\n".join(body) + "\n")
    sheet = inspect(path)
    assert sheet["header_row"] == 1 and sheet["rows_read"] == 2
    if extra:  # the record wider than the header is listed as skipped, with why
        assert sheet["rows_audited"] == 1 and [s["row"] for s in sheet["skipped"]] == [2]
        assert "fields but the header has 5" in sheet["skipped"][0]["reason"]
    else:
        assert sheet["rows_audited"] == 2 and audited_rows(sheet) == [2, 3]
        assert sheet["sample_rows"][0]["code"] == "15271"
        assert len(sheet["sample_rows"][0]["description"]) == len(BIG)


# --- encodings, NUL bytes, empty tables -----------------------------------------------------------------


def test_utf8_with_a_damaged_byte_keeps_its_good_characters(tmp_path):
    """Mostly UTF-8 with one invalid byte and one encoded lone surrogate: UTF-8 with U+FFFD, not cp1252 mojibake."""
    path = tmp_path / "damaged_utf8.csv"
    data = "\n".join(lines([HEADER, ["1001", "CAFÉ µG GRAFT", "0278", "Q4101", "137.00"]])).encode() + b"\n"
    data += b"1002,SKIN \xed\xa0\x80 SUB \xff,0361,15271,850.00\n" + "\n".join(lines(ROWS[2:])).encode()
    path.write_bytes(data)
    sheet = inspect(path)
    assert sheet["rows_audited"] == 3 and audited_rows(sheet) == [2, 3, 4]
    first, second = sheet["sample_rows"][:2]
    assert first["description"] == "CAFÉ µG GRAFT"
    assert second["description"].startswith("SKIN \ufffd") and second["code"] == "15271"


def test_cp1252_text_is_still_cp1252(tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes(
        "\r\n".join(lines([HEADER, ["1001", "CAFÉ – GRAFT", "0278", "Q4101", "137.00"]])).encode("cp1252")
    )
    sheet = inspect(path)
    assert sheet["sample_rows"][0]["description"] == "CAFÉ – GRAFT"


def test_utf16_with_a_lone_surrogate_is_refused_cleanly(tmp_path):
    """Past the sniffed head, a lone surrogate in UTF-16 text: refused, naming the offset."""
    path = tmp_path / "unicode.txt"
    good = "\r\n".join(lines([HEADER] + ROWS * 100, "\t")).encode("utf-16-le")
    bad = "\r\n1004\tBAD ".encode("utf-16-le") + b"\x00\xd8" + "X".encode("utf-16-le")
    path.write_bytes(b"\xff\xfe" + good + bad)
    refused(path, "damaged UTF-16", f"offset {2 + len(good) + len(bad) - 4}")


def test_nul_byte_mid_file_names_its_row(tmp_path):
    """Past the sniffed head, a NUL byte still means a damaged file: refused, naming the row."""
    rows = lines([HEADER] + ROWS * 100)  # ~14 KB, well past the 4 KB sniff
    path = tmp_path / "nul.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode() + b"1004,CT\x00HEAD,0350,70450,1.00\n")
    refused(path, "row 302", "NUL byte")


def test_nul_padding_in_a_cr_only_file_names_its_row(tmp_path):
    rows = lines([HEADER] + ROWS * 100)
    path = tmp_path / "nul_tail.csv"
    path.write_bytes(("\r".join(rows) + "\r").encode() + bytes(8192))
    refused(path, "row 302", "NUL byte")


def test_header_only_file_is_refused(tmp_path):
    """A header and nothing under it (an export cut off): refused, not passed as a clean audit of 0 rows."""
    path = tmp_path / "header_only.csv"
    path.write_text(",".join(HEADER) + "\r\n")
    refused(path, "header but no rows under it")


@pytest.mark.parametrize(
    "content", [",,,,\n,,,,\n,,,\n", ",,,,,,,,,,", "\t\t\t\r\t\t\r", "\n\n\n", '"",""\n']
)
def test_all_delimiters_is_refused(tmp_path, content):
    path = tmp_path / "delims.csv"
    path.write_text(content)
    refused(path, "no table found")


# --- JSON -------------------------------------------------------------------------------------------------


def cms_doc(gross: str = "1200", description: str = '"CT HEAD"', extra: str = "") -> str:
    """A one-item CMS standard-charges file as JSON text (numbers and strings given as raw JSON)."""
    return (
        '{"hospital_name": "X"'
        + extra
        + ', "standard_charge_information": [{"description": '
        + description
        + ","
        ' "code_information": [{"code": "70450", "type": "CPT"}],'
        ' "standard_charges": [{"setting": "outpatient", "gross_charge": ' + gross + "}]}]}"
    )


def test_json_nested_100k_deep_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"standard_charge_information": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(path, "nested too deeply")
    refused(path, "nested too deeply", process=True)


def test_json_value_nested_deep_inside_an_item_is_refused(tmp_path):
    path = tmp_path / "deep_value.json"
    path.write_text(cms_doc(description="[" * 900 + "]" * 900))
    res = run_cli("inspect", str(path))
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr
    assert res.exit_code in (0, 2)


@pytest.mark.parametrize("number", ["9" * 5000, "1" + "0" * 5000 + ".5", "1e99999", "-" + "9" * 4301])
def test_json_huge_number_where_a_charge_belongs_is_refused_naming_the_item(tmp_path, number):
    path = tmp_path / "big_number.json"
    path.write_text(cms_doc(gross=number))
    refused(path, "row 1", "too large for a charge or a code")


def test_json_huge_number_in_an_unused_field_does_no_harm(tmp_path):
    path = tmp_path / "big_unused.json"
    path.write_text(cms_doc(extra=', "version": ' + "7" * 5000))
    sheet = inspect(path)
    assert sheet["rows_audited"] == 1 and sheet["sample_rows"][0]["price"] == 1200.0


def test_json_lone_surrogate_becomes_a_replacement_character(tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_text(cms_doc(description='"CT \\ud800HEAD \\ud83d\\ude00"'))
    sheet = inspect(path)
    assert sheet["rows_audited"] == 1
    assert sheet["sample_rows"][0]["description"] == "CT \ufffdHEAD \U0001f600"


def test_json_nan_and_long_decimals(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(cms_doc(gross="NaN"))
    sheet = inspect(path)
    assert sheet["rows_audited"] == 1
    price = sheet["sample_rows"][0].get("price")  # a NaN price is no price: left out of the sample
    assert price is None or (isinstance(price, float) and math.isnan(price))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (cms_doc().encode()[:-5], "not valid JSON"),
        (cms_doc(description='"CAF\xc9"').encode("latin-1"), "not UTF-8"),
        (
            cms_doc().replace('[{"code": "70450", "type": "CPT"}]', "5").encode(),
            "code_information is not a list",
        ),
    ],
    ids=["truncated", "latin1", "bad-type"],
)
def test_bad_json_is_refused(tmp_path, raw, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    refused(path, reason)


def test_json_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + cms_doc().encode())
    assert inspect(path)["rows_audited"] == 1


# --- OLE compound files -----------------------------------------------------------------------------------

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A valid OLE compound file (v3, 512-byte sectors): FAT first, then the streams, the directory LAST.

    Streams must be 4096 bytes or more (no mini stream). The directory's place at the end is what common
    writers do, and what a scan of the first megabytes misses.
    """
    assert all(len(p) >= 4096 for p in streams.values())
    data_sectors = [-(-len(p) // 512) for p in streams.values()]
    used = sum(data_sectors) + 1  # streams and one directory sector
    n_fat = 1
    while n_fat * 128 < used + n_fat:
        n_fat += 1
    assert n_fat <= 109
    fat = [FATSECT] * n_fat
    starts = []
    for count in data_sectors:
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
    dir_sector = len(fat)
    fat.append(ENDOFCHAIN)
    fat += [FREESECT] * (n_fat * 128 - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6s9I109I",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        bytes(16),
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        n_fat,
        dir_sector,
        0,
        4096,
        ENDOFCHAIN,
        0,
        ENDOFCHAIN,
        0,
        *(list(range(n_fat)) + [FREESECT] * (109 - n_fat)),
    )

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded) + 2,
            kind,
            1,
            NOSTREAM,
            right,
            child,
            bytes(16),
            0,
            0,
            0,
            start,
            size,
        )

    names = list(streams)
    directory = entry("Root Entry", 5, NOSTREAM, 1, ENDOFCHAIN, 0)
    for i, (name, payload) in enumerate(streams.items(), start=1):
        directory += entry(
            name, 2, i + 1 if i < len(names) else NOSTREAM, NOSTREAM, starts[i - 1], len(payload)
        )
    directory = directory.ljust(512, b"\x00")
    assert len(names) <= 3
    body = struct.pack(f"<{len(fat)}I", *fat)
    for payload in streams.values():
        body += payload.ljust(-(-len(payload) // 512) * 512, b"\x00")
    return header + body + directory


def test_generated_compound_file_is_valid(tmp_path):
    olefile = pytest.importorskip("olefile")
    path = tmp_path / "two.bin"
    path.write_bytes(compound_file({"First": b"a" * 5000, "Second": b"b" * 3_000_000}))
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted(ole.listdir()) == [["First"], ["Second"]]
        assert ole.openstream("Second").read() == b"b" * 3_000_000


def test_xls_over_two_mib_is_read(tmp_path):
    """A real BIFF8 workbook (xlwt) of ~3 MB, its directory past the first 2 MiB: read, every row audited."""
    xlwt = pytest.importorskip("xlwt")
    olefile = pytest.importorskip("olefile")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("CDM")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    n = 20_000
    for r in range(1, n + 1):
        for c, v in enumerate(
            [str(100000 + r), f"CT HEAD W/O CONTRAST ITEM {r:05d} ADDITIONAL TEXT", "0350", "70450"]
        ):
            ws.write(r, c, v)
        ws.write(r, 4, 900.0 + r)
    path = tmp_path / "big.xls"
    wb.save(str(path))
    data = path.read_bytes()
    assert len(data) > 2 * 1024 * 1024
    assert data.find("Workbook".encode("utf-16-le")) > 2 * 1024 * 1024  # the trap: the directory is late
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("Workbook")
    sheet = inspect(path)
    assert sheet["header_row"] == 1 and sheet["rows_audited"] == n and sheet["rows_skipped"] == 0
    assert audited_rows(sheet)[:3] == [2, 3, 4]


def test_encrypted_workbook_with_a_late_directory_is_still_recognised(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(compound_file({"EncryptionInfo": bytes(4096), "EncryptedPackage": bytes(3_000_000)}))
    assert path.read_bytes().find("EncryptedPackage".encode("utf-16-le")) > 2 * 1024 * 1024
    refused(path, "encrypted or password-protected")


def test_word_document_with_a_late_directory_is_not_a_workbook(tmp_path):
    path = tmp_path / "letter.xls"
    path.write_bytes(compound_file({"WordDocument": bytes(3_000_000), "1Table": bytes(4096)}))
    refused(path, "holds no Excel workbook")


def test_an_xls_cut_short_is_called_damaged_not_a_word_file(tmp_path):
    """A real .xls (xlwt) cut in half loses its directory, which writers put after the streams: said to be
    damaged or cut short, not guessed to be a .doc or .msg."""
    whole = write_xls(
        tmp_path / "whole.xls", {"CDM": [["Charge Code", "Description", "CPT"], ["1", "HC X", "70450"]]}
    )
    data = whole.read_bytes()
    path = tmp_path / "cut.xls"
    path.write_bytes(data[: len(data) // 2])
    line = refused(path, "damaged OLE container", "directory cannot be read", "cut short")
    assert ".doc or .msg file?" not in line


def _patch(data: bytes, offset: int, fmt: str, *values: int) -> bytes:
    return data[:offset] + struct.pack(fmt, *values) + data[offset + struct.calcsize(fmt) :]


def _hostile() -> dict[str, bytes]:
    """Compound files whose header or chains lie: loops, sectors past the end, absurd counts."""
    good = compound_file({"Workbook": b"\x09\x08" + bytes(3_000_000)})
    size = len(good)
    n_fat = struct.unpack_from("<I", good, 0x2C)[0]
    dir_sector = struct.unpack_from("<I", good, 0x30)[0]
    fat_entry = 512 + dir_sector * 4  # the directory sector's FAT entry (in the first FAT sectors)
    return {
        "dir_loops": _patch(good, fat_entry, "<I", dir_sector),
        "dir_past_end": _patch(good, 0x30, "<I", size),
        "dir_sector_huge": _patch(good, 0x30, "<I", 0xFFFFFFF0),
        "fat_count_absurd": _patch(good, 0x2C, "<I", 0xFFFFFFF0),
        "difat_loops": _patch(_patch(good, 0x44, "<II", 0, 0xFFFFFFFF), 0x2C, "<I", n_fat + 500),
        "bad_sector_shift": _patch(good, 0x1E, "<H", 40),
        "truncated": good[: size // 2],
        "header_only": good[:512],
    }


@pytest.mark.parametrize("case", list(_hostile()))
def test_hostile_compound_file_gives_one_clean_line(tmp_path, case):
    path = tmp_path / f"{case}.xls"
    path.write_bytes(_hostile()[case])
    res = run_cli("inspect", str(path))
    assert "Traceback" not in res.stdout + res.stderr
    assert res.exit_code == 2, (res.exit_code, res.stdout[-500:], res.stderr[-500:])
    refused(path)
