"""Files are opened by what their bytes are, not by their name; old Excel 5/95 workbooks and UTF-16 text are read.

Every workbook and text file here is generated into tmp_path (no binary blobs in the repository) and read back
through `read_inputs` or `cdm-audit inspect`, with row numbers as the user sees them.
"""

from __future__ import annotations

import datetime
import json
import random
import struct

import polars as pl
import pytest
from conftest import SHARED, run_cli, write_text, write_xls, write_xlsx

from auditor.errors import InputError
from auditor.ingest import IngestOptions, read_inputs
from auditor.ingest import excel as excel_module
from auditor.ingest.biff import read_xls
from auditor.ingest.excel import read_excel

HEADER = ["Charge Code", "Description", "Rev Code", "CPT/HCPCS", "Price"]
# Title, blank line, header on row 3, a blank row, a footer note: rows 4, 6 audited, 7 skipped.
TABLE = [
    ["Example Regional Medical Center - Chargemaster"],
    [],
    HEADER,
    ["1001", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "137.50"],
    [],
    ["1002", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "850"],
    ["Total lines: 2"],
]
AUDITED = {4: "Q4101", 6: "15271"}
REAL_UK = (
    SHARED
    / "data"
    / "real-cdm-more"
    / "uk-healthcare-2019"
    / "university-of-kentucky-healthcare-rates-posted-1-1-19.xls"
)


def read_one(path):
    """read_inputs on one file: (its FileReport, its frame without the file column)."""
    ing = read_inputs([path], IngestOptions())
    return ing.files[0], ing.frame.drop("file")


def audit_findings(path, tmp_path, select: str) -> list[dict]:
    """`cdm-audit audit FILE --select ...` as a user runs it: the findings of its findings.json."""
    res = run_cli(
        "audit",
        str(path),
        "--select",
        select,
        "--no-history",
        "--format",
        "json",
        "--out",
        str(tmp_path / "o"),
    )
    assert res.exit_code in (0, 1), res.stderr
    return json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))["findings"]


def assert_table(report, frame, first_row: int = 1) -> None:
    """TABLE's rows, wherever it starts: every data row audited or skipped, at its real row number."""
    (sheet,) = report.sheets
    assert sheet.header_row == first_row + 2
    assert dict(frame.select("row", "code").rows()) == {r + first_row - 1: c for r, c in AUDITED.items()}
    assert [s["row"] for s in sheet.skipped] == [first_row + 6]
    assert sheet.rows_read == sheet.rows_audited + sheet.rows_skipped == 3
    assert frame["price"].to_list() == [137.5, 850.0]


# ---------------------------------------------------------------- workbooks named as something else


@pytest.mark.parametrize("name", ["cdm.xls", "cdm.xlsb", "cdm.csv", "cdm"])
def test_xlsx_under_another_name_is_read_as_xlsx(tmp_path, name):
    """A real xlsx saved as .xls (or .csv, or with no extension): read, and the label says what it really is."""
    path = write_xlsx(tmp_path / name, {"CDM": TABLE})
    report, frame = read_one(path)
    suffix = name.partition(".")[2]
    assert report.format == (f"xlsx (named .{suffix})" if suffix else "xlsx (named without extension)")
    assert_table(report, frame)
    _, same = read_one(write_xlsx(tmp_path / "same.xlsx", {"CDM": TABLE}))
    assert frame.drop("sheet").equals(same.drop("sheet"))


def test_biff8_xls_named_xlsx_is_read_as_xls(tmp_path):
    """A legacy BIFF8 .xls saved under an .xlsx name; its sheet origin (leading empty rows/columns) is kept."""
    path = write_xls(tmp_path / "cdm.xlsx", {"CDM": TABLE}, origin=(2, 1))
    report, frame = read_one(path)
    assert report.format == "xls (named .xlsx)"
    assert_table(report, frame, first_row=3)


def test_correctly_named_workbook_takes_no_detour(tmp_path, monkeypatch):
    """The normal path opens the file itself: no temporary folder, no alias, the plain label."""

    def no_tmp(*args, **kwargs):
        raise AssertionError("a correctly named workbook must not be aliased")

    monkeypatch.setattr(excel_module, "scratch_dir", no_tmp)
    report, frame = read_one(write_xlsx(tmp_path / "cdm.xlsx", {"CDM": TABLE}))
    assert report.format == "xlsx"
    assert_table(report, frame)
    report, frame = read_one(write_xls(tmp_path / "cdm.xls", {"CDM": TABLE}))
    assert report.format == "xls"


def test_misnamed_workbook_errors_name_the_users_file(tmp_path):
    """calamine reads the alias, but a broken sheet is reported against the user's file, never the alias."""
    import zipfile

    good = write_xlsx(tmp_path / "good.xlsx", {"CDM": TABLE})
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:300]  # cut mid-XML
    path = tmp_path / "broken.xls"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(InputError) as err:
        read_inputs([path], IngestOptions())
    assert err.value.path == str(path)
    assert "cdm-audit-" not in str(err.value) and "workbook.xlsx" not in str(err.value)
    res = run_cli("inspect", str(path))
    assert res.exit_code == 2 and res.stderr.startswith(f"error: {path}") and "Traceback" not in res.stderr


def test_inspect_real_xlsx_named_xls():
    """The University of Kentucky file is an xlsx named .xls: inspect reads it and says so."""
    if not REAL_UK.is_file():
        pytest.skip(f"shared data not found at {REAL_UK}")
    res = run_cli("inspect", str(REAL_UK))
    assert res.exit_code == 0, res.stderr
    assert "calamine" not in res.stdout + res.stderr
    assert res.stdout.startswith(f"{REAL_UK}  (xlsx (named .xls), ")


# ---------------------------------------------------------------- Excel 5.0/95 (BIFF5) workbooks

CODEPAGE_MAC, CODEPAGE_1252 = 0x8000, 1252
XF_DATE, XF_DATETIME = 1, 2  # cell XF indexes below: built-in formats 14 (m/d/yy) and 22 (m/d/yy h:mm)


def biff_record(rtype: int, data: bytes = b"") -> bytes:
    """One BIFF record: type, length, data."""
    return struct.pack("<HH", rtype, len(data)) + data


def biff5_bof(stream_type: int) -> bytes:
    """BIFF5 BOF; build 2412 / year 1993 is Excel 5.0, which xlrd reports as biff_version 50."""
    return biff_record(0x0809, struct.pack("<HHHH", 0x0500, stream_type, 2412, 1993))


def biff5_sheet(cells: dict[tuple[int, int], object], codec: str) -> bytes:
    """A worksheet substream: str -> LABEL (8-bit text), number -> NUMBER, (serial, xf) -> a date NUMBER."""
    rows, cols = [r for r, _ in cells], [c for _, c in cells]
    out = biff5_bof(0x0010) + biff_record(
        0x0200, struct.pack("<HHHHH", min(rows), max(rows) + 1, min(cols), max(cols) + 1, 0)
    )
    for (r, c), value in sorted(cells.items()):
        if isinstance(value, str):
            text = value.encode(codec)
            out += biff_record(0x0204, struct.pack("<HHHH", r, c, 0, len(text)) + text)
        else:
            serial, xf = value if isinstance(value, tuple) else (value, 0)
            out += biff_record(0x0203, struct.pack("<HHHd", r, c, xf, float(serial)))
    return out + biff_record(0x000A)


def biff5_workbook(sheets: dict[str, dict[tuple[int, int], object]], codepage: int) -> bytes:
    """A BIFF5 workbook stream: globals (code page, fonts, XFs, one BOUNDSHEET per sheet), then the sheets."""
    codec = "mac_roman" if codepage == CODEPAGE_MAC else f"cp{codepage}"
    font = biff_record(0x0031, struct.pack("<HHHHHBBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0, 5) + b"Arial")
    xfs = b"".join(
        biff_record(0x00E0, struct.pack("<HHHBBII", 0, fmt, kind, 0x20, 0, 0, 0))
        for fmt, kind in ((0, 0xFFF5), (14, 0x0001), (22, 0x0001))
    )
    globals_ = biff5_bof(0x0005) + biff_record(0x0042, struct.pack("<H", codepage)) + font * 5 + xfs
    bodies = [biff5_sheet(cells, codec) for cells in sheets.values()]
    names = [n.encode(codec) for n in sheets]
    pos = len(globals_) + sum(4 + 7 + len(n) for n in names) + 4
    bounds = b""
    for name, body in zip(names, bodies, strict=False):
        bounds += biff_record(0x0085, struct.pack("<IBBB", pos, 0, 0, len(name)) + name)
        pos += len(body)
    return globals_ + bounds + biff_record(0x000A) + b"".join(bodies)


def compound_file(stream_name: str, data: bytes) -> bytes:
    """An OLE2 compound file (v3, 512-byte sectors) holding one stream, as Excel 5/95 stores its "Book"."""
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00")  # >= 4096 bytes: no mini stream needed
    sectors = len(data) // 512
    assert sectors <= 126, "one FAT sector maps 128 sectors; enough for these small test workbooks"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 0x1000, end, 0, end, 0
    )
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    # Sector 0 is the FAT, sector 1 the directory, sectors 2.. the stream, chained one after the other.
    chain = [fat_sector, end] + list(range(3, 2 + sectors)) + [end]
    fat = struct.pack(f"<{len(chain)}I", *chain) + struct.pack("<I", free) * (128 - len(chain))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", no_stream, no_stream, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry(stream_name, 2, no_stream, 2, len(data))
        + entry("", 0, no_stream, 0, 0) * 2
    )
    return header + fat + directory + data


def biff5_table(
    origin: tuple[int, int] = (0, 0), text: str = "CAFÉ AU LAIT SUPPLY"
) -> dict[tuple[int, int], object]:
    """TABLE as Excel 5 stores it: numeric charge codes and prices, text codes, one date column, a non-ASCII text."""
    rows = [
        ["Example Regional Medical Center - Chargemaster"],
        [],
        HEADER + ["Effective"],
        [1001, "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", 137.5, (46113, XF_DATE)],
        [],
        [1002, text, "0361", 15271, 850, (46113.5, XF_DATETIME)],
        ["Total lines: 2"],
    ]
    return {(origin[0] + r, origin[1] + c): v for r, row in enumerate(rows) for c, v in enumerate(row)}


def write_biff5(path, codepage: int = CODEPAGE_MAC, origin: tuple[int, int] = (0, 0), **kw):
    """An Excel 5.0 workbook file with one sheet "CDM" holding biff5_table()."""
    path.write_bytes(compound_file("Book", biff5_workbook({"CDM": biff5_table(origin, **kw)}, codepage)))
    return path


def test_generated_biff5_is_really_biff5(tmp_path):
    """xlrd, which knows every BIFF version, sees BIFF5 (biff_version 50) in a "Book" stream of a valid OLE file."""
    import io

    import olefile
    import xlrd

    path = write_biff5(tmp_path / "excel5.xls")
    book = xlrd.open_workbook(str(path), logfile=io.StringIO())
    assert book.biff_version == 50
    assert book.sheet_names() == ["CDM"]
    assert book.sheet_by_index(0).cell_value(5, 1) == "CAFÉ AU LAIT SUPPLY"  # Mac Roman decoded
    assert olefile.OleFileIO(str(path)).listdir() == [["Book"]]


@pytest.mark.parametrize("codepage", [CODEPAGE_MAC, 437, 850])
def test_calamine_refuses_biff5_with_dos_or_mac_code_page(tmp_path, codepage):
    """What calamine (python-calamine 0.9.1 via fastexcel 0.21.0) does with BIFF5, found by these generated files.

    It reads a plain BIFF5 workbook whose CODEPAGE record is 1252 (so such files never reach xlrd), but it
    refuses every .xls whose CODEPAGE names a DOS (437, 850) or Mac (0x8000) code page, "Codepage 8000 not
    found": Excel 5/95 for the Mac and DOS-era conversions write those. Those are the files the xlrd fallback
    exists for. Also seen, and not detectable as a refusal: calamine drops BIFF5 rich-text cells (RSTRING
    records) without a word, where xlrd reads them.
    """
    import fastexcel

    plain = write_biff5(tmp_path / "plain.xls", codepage=CODEPAGE_1252)
    frame = fastexcel.read_excel(str(plain)).load_sheet(0, header_row=None, dtypes="string").to_polars()
    assert frame.row(3)[:5] == ("1001", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "137.5")
    assert read_one(plain)[0].format == "xls"  # calamine read it: no fallback, plain label
    refused = write_biff5(tmp_path / "oem.xls", codepage=codepage)
    with pytest.raises(Exception, match="Codepage .* not found"):
        fastexcel.read_excel(str(refused))


def test_biff5_calamine_refuses_is_read_with_xlrd(tmp_path):
    """An Excel 5.0 for Mac workbook starting at C3: numbers, dates and Mac Roman text as the calamine path gives them."""
    path = write_biff5(tmp_path / "excel5.xls", origin=(2, 2))
    report, frame = read_one(path)
    assert report.format == "xls (BIFF5, read with xlrd)"
    assert_table(report, frame, first_row=3)
    assert frame["charge_code"].to_list() == ["1001", "1002"]  # number cells: "1001", not "1001.0"
    assert frame["description"].to_list()[1] == "CAFÉ AU LAIT SUPPLY"
    (raw,) = read_excel(path, "xls")
    assert (raw.first_row, raw.first_col) == (3, 2)
    assert raw.frame.row(3) == (
        "1001",
        "SKIN SUB GRAFT PER SQ CM",
        "0278",
        "Q4101",
        "137.5",
        "2026-04-01 00:00:00",
    )
    assert raw.frame.row(5)[3:] == ("15271", "850", "2026-04-01 12:00:00")


def test_biff5_named_xlsx_and_inspect(tmp_path):
    """The fallback also serves a misnamed file; `cdm-audit inspect` shows which reader was used."""
    path = write_biff5(tmp_path / "excel5.xlsx")
    res = run_cli("inspect", str(path))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith(f"{path}  (xls (BIFF5, read with xlrd; named .xlsx), ")
    assert "rows: 3 read, 2 audited, 1 skipped" in res.stdout


def test_xls_neither_reader_can_open_keeps_calamines_message(tmp_path):
    """A "Book" stream of junk: calamine and xlrd both refuse; the user gets calamine's one-line reason."""
    path = tmp_path / "junk.xls"
    path.write_bytes(compound_file("Book", random.Random(3).randbytes(5000)))
    with pytest.raises(InputError) as err:
        read_inputs([path], IngestOptions())
    assert err.value.path == str(path) and "cannot" in err.value.reason
    res = run_cli("inspect", str(path))
    assert res.exit_code == 2 and res.stderr.startswith(f"error: {path}") and res.stderr.count("\n") == 1


def test_xlrd_renders_cells_like_calamine(tmp_path):
    """Both readers on one BIFF8 file give identical frames and origins: numbers, dates, times, booleans, text."""
    rng = random.Random(11)
    numbers = [278, 278.0, 137.5, 0.1 + 0.2, 1 / 3, -2.25, 1e20, 12345678901234, 1e-12, -1e-12, 5e-7]
    numbers += [rng.uniform(-1, 1) * 10 ** rng.randrange(-10, 22) for _ in range(300)]
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Mixed")
    for i, v in enumerate(numbers):
        sheet.write(3 + i, 2, v)
    date, stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd"), xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    sheet.write(3, 3, datetime.datetime(2026, 4, 1), date)
    sheet.write(4, 3, datetime.datetime(2026, 4, 1, 13, 5, 7), stamp)
    sheet.write(5, 3, datetime.time(13, 5, 7), xlwt.easyxf(num_format_str="hh:mm:ss"))
    sheet.write(6, 3, datetime.datetime(1900, 1, 15), date)
    sheet.write(7, 3, 46113.99999999, stamp)
    sheet.write(8, 3, True)
    sheet.write(9, 3, False)
    sheet.write(10, 3, "  padded text  ")
    sheet.write(11, 3, "0278")
    book.add_sheet("Empty")
    path = tmp_path / "mixed.xls"
    book.save(str(path))
    by_calamine = read_excel(path, "xls")
    by_xlrd, biff = read_xls(path)
    assert biff == "BIFF8"
    assert (
        [(s.name, s.first_row, s.first_col, s.note) for s in by_xlrd]
        == [(s.name, s.first_row, s.first_col, s.note) for s in by_calamine]
        == [("Mixed", 4, 2, None), ("Empty", 1, 0, "sheet is empty")]
    )
    assert by_xlrd[0].frame.equals(by_calamine[0].frame), pl.concat(
        [by_xlrd[0].frame, by_calamine[0].frame], how="horizontal"
    ).filter(pl.col("c0") != pl.col("c0_right"))


# ---------------------------------------------------------------- UTF-16 text ("Unicode Text")


def utf16(rows, codec: str, bom: bool) -> bytes:
    """Rows as Excel's "Unicode Text" writes them: tab-delimited, CRLF, UTF-16 (with or without a byte-order mark)."""
    text = "".join("\t".join(str(v) for v in row) + "\r\n" for row in rows)
    return (("\ufeff" if bom else "") + text).encode(codec)


@pytest.mark.parametrize(
    ("codec", "bom"), [("utf-16-le", True), ("utf-16-be", True), ("utf-16-le", False), ("utf-16-be", False)]
)
def test_utf16_text_reads_like_utf8(tmp_path, codec, bom):
    """Same rows, same row numbers and same values as the UTF-8 tab-delimited file; non-ASCII text survives."""
    rows = [row[:] for row in TABLE]
    rows[5] = ["1002", "APPLICATION SKIN SUB 25 SQ CM – CAFÉ ½", "0361", "15271", "850"]
    path = tmp_path / "unicode.txt"
    path.write_bytes(utf16(rows, codec, bom))
    report, frame = read_one(path)
    assert report.format == "tsv"
    assert_table(report, frame)
    assert frame["description"].to_list()[1] == "APPLICATION SKIN SUB 25 SQ CM – CAFÉ ½"
    plain = write_text(tmp_path / "plain.txt", rows, delimiter="\t")
    plain_report, plain_frame = read_one(plain)
    assert frame.drop("sheet").equals(plain_frame.drop("sheet"))
    assert [s.skipped for s in report.sheets] == [s.skipped for s in plain_report.sheets]


def test_large_utf16_file_is_read_whole(tmp_path):
    """Well past the sniffed head and the delimiter sample: every row is read, rows audited + skipped = data rows."""
    rows = [HEADER] + [
        [str(10000 + i), f"SUPPLY ITEM {i} – ½", "0272", "A4649", f"{i % 500}.25"] for i in range(20000)
    ]
    rows.append(["End of report"])
    path = tmp_path / "big.txt"
    path.write_bytes(utf16(rows, "utf-16-le", True))
    report, frame = read_one(path)
    (sheet,) = report.sheets
    assert sheet.rows_audited + sheet.rows_skipped == len(rows) - 1
    assert sheet.rows_audited == 20000 and frame["row"].max() == 20001
    assert frame.filter(pl.col("row") == 20001)["description"].to_list() == ["SUPPLY ITEM 19999 – ½"]


def test_utf16_through_inspect(tmp_path):
    """`cdm-audit inspect` on Excel's Unicode Text export."""
    path = tmp_path / "export.txt"
    path.write_bytes(utf16(TABLE, "utf-16-le", True))
    res = run_cli("inspect", str(path))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith(f"{path}  (tsv, ")
    assert "rows: 3 read, 2 audited, 1 skipped" in res.stdout


def test_utf16_claim_lines_are_transcoded_not_streamed_raw(tmp_path):
    """The claims reader streams UTF-8 text itself; UTF-16 (sniffed as text-utf16) goes through read_text instead."""
    from auditor.claims.read import claim_chunks

    rows = [
        ["Claim ID", "Line", "HCPCS", "Units", "Charge", "Date of Service"],
        ["C1", "1", "15271", "1", "850.00", "2026-04-01"],
        ["C1", "2", "Q4101", "25", "137.00", "2026-04-01"],
    ]
    path = tmp_path / "claims.txt"
    path.write_bytes(utf16(rows, "utf-16-le", True))
    account, chunks = claim_chunks(path, IngestOptions())
    (frame,) = list(chunks)
    assert frame.select("row", "claim_id", "charges").rows() == [(2, "C1", 850.0), (3, "C1", 137.0)]
    assert [(s.rows_read, s.rows_audited) for s in account.report.sheets] == [(2, 2)]


JUNK = {
    "bom_then_random_bytes": b"\xff\xfe" + random.Random(5).randbytes(4096),
    "bom_then_zeros": b"\xfe\xff" + bytes(2048),
    "nul_pattern_control_codes": bytes(b for i in range(1, 1500) for b in (i % 31 + 1, 0)),
    "utf32_text": "\ufeffCharge Code\tPrice\r\n1001\t137.50\r\n".encode("utf-32-le"),
    "random_bytes": random.Random(9).randbytes(4096),
}


@pytest.mark.parametrize("name", list(JUNK))
def test_binary_with_nuls_is_still_refused(tmp_path, name):
    """NUL-laden bytes that are not UTF-16 text: one clear line naming the file, exit 2."""
    path = tmp_path / f"{name}.csv"
    path.write_bytes(JUNK[name])
    with pytest.raises(InputError, match="binary content") as err:
        read_inputs([path], IngestOptions())
    assert err.value.path == str(path)
    res = run_cli("inspect", str(path))
    assert res.exit_code == 2 and res.stderr.startswith(f"error: {path}: binary content")


def test_utf16_damaged_past_the_head_is_refused(tmp_path):
    """A lone surrogate far into the file (past what sniff looks at): refused with its byte offset, not garbled."""
    good = utf16([HEADER] + [["1001", "SUPPLY", "0272", "A4649", "1.00"]] * 400, "utf-16-le", True)
    path = tmp_path / "damaged.txt"
    path.write_bytes(good + "\ud800".encode("utf-16-le", "surrogatepass") + "x\r\n".encode("utf-16-le"))
    with pytest.raises(InputError, match=f"damaged UTF-16 text: bytes at offset {len(good)} "):
        read_inputs([path], IngestOptions())


def test_utf16_text_under_a_workbook_name_gets_the_plain_text_refusal(tmp_path):
    """As with UTF-8 text: an .xlsx name on text is refused with the rename advice."""
    path = tmp_path / "export.xlsx"
    path.write_bytes(utf16(TABLE, "utf-16-le", True))
    with pytest.raises(InputError, match="plain text, not a workbook"):
        read_inputs([path], IngestOptions())


def test_utf16_json_is_refused_clearly(tmp_path):
    """The JSON reader takes UTF-8 only; say so instead of failing on garbled JSON."""
    path = tmp_path / "charges.json"
    path.write_bytes('\ufeff{"standard_charge_information": []}'.encode("utf-16-le"))
    with pytest.raises(InputError, match="JSON text in UTF-16"):
        read_inputs([path], IngestOptions())


def test_sheets_read_at_once_come_back_in_workbook_order(tmp_path):
    """A long first sheet and short later ones (read at once, finishing out of order) are reported and stacked
    in the workbook's order, row numbers intact."""
    header = ["Charge Code", "Description", "Revenue Code", "CPT", "Price"]

    def sheet(prefix: str, n: int) -> list[list]:
        return [header] + [
            [f"{prefix}{i:05d}", f"ITEM {prefix} {i}", "0300", "80053", f"{10 + i}.00"] for i in range(n)
        ]

    sizes = {"Big": 20000, "Small A": 30, "Small B": 40, "Small C": 50}
    path = write_xlsx(
        tmp_path / "book.xlsx", {name: sheet(name[:1] + name[-1], n) for name, n in sizes.items()}
    )
    ing = read_inputs([path], IngestOptions())
    assert [s.name for s in ing.files[0].sheets] == list(sizes)
    assert [s.rows_audited for s in ing.files[0].sheets] == list(sizes.values())
    order = ing.frame.get_column("sheet").unique(maintain_order=True).to_list()
    assert order == list(sizes)
    first = ing.frame.filter(pl.col("sheet") == "Small B").get_column("row").to_list()
    assert first == list(range(2, 42))


# ---------------------------------------------------------------- decimal commas


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_prices_with_a_decimal_comma_are_read_as_cents_not_hundreds(tmp_path, kind):
    """A sheet saved under a European locale writes 137,50 and 1.250,00: read as 137.50 and 1250.00, never as
    13,750 and 125,000 (a price 100x too high would hide every below-rate and outlier finding on the line)."""
    rows = [
        HEADER,
        ["1001", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "137,50"],
        ["1002", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "1.250,00"],
        ["1003", "DRESSING FOAM", "0270", "A6212", "1,250"],  # a thousands comma stays one
    ]
    if kind == "csv":
        path = write_text(tmp_path / "export.csv", rows, delimiter=";")
    else:
        path = write_xlsx(tmp_path / "export.xlsx", {"CDM": rows})
    report, frame = read_one(path)
    assert frame.sort("row")["price"].to_list() == [137.5, 1250.0, 1250.0]
    assert frame.sort("row")["price_raw"].to_list() == ["137,50", "1.250,00", "1,250"]


def test_a_price_range_is_no_price_and_the_sheet_says_so(tmp_path):
    """'$200 - $500' was read as 200,500 (the dash dropped); it is no one amount: no price, and the sheet's note
    counts such cells with examples. Text without digits ('Varies') plainly is no price and is not counted."""
    rows = [
        HEADER,
        ["1001", "UNLISTED PROCEDURE", "0360", "21089", "$200 - $500"],
        ["1002", "IMPLANT PER INVOICE", "0278", "C1713", "Varies"],
        ["1003", "CREDIT ADJUSTMENT", "0360", "15271", "125.00-"],
        ["1004", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "$137.50"],
    ]
    report, frame = read_one(write_text(tmp_path / "cdm.csv", rows))
    assert frame.sort("row")["price"].to_list() == [None, None, -125.0, 137.5]
    (sheet,) = report.sheets
    assert (
        sheet.note
        == "1 price cell not read as one amount (e.g. '$200 - $500'): that row is audited without a price"
    )
    assert sheet.rows_audited == 4
    # The terminal says it beside the sheet's counts, not only the HTML run record.
    res = run_cli(
        "audit", str(tmp_path / "cdm.csv"), "--no-history", "--format", "text", "--out", str(tmp_path / "o")
    )
    assert "4 audited, 0 skipped; 1 price cell not read as one amount (e.g. '$200 - $500')" in res.stdout


def test_codes_written_with_a_label_or_their_words_are_read_as_codes(tmp_path):
    """A report that writes 'CPT 80048' or '15271 - Skin sub graft' in the code column: each line's code is read
    (the cell kept as written), not flagged as a malformed code on every line of the file."""
    rows = [
        HEADER,
        ["1001", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271 - Skin sub graft trunk", "850"],
        ["1002", "BASIC METABOLIC PANEL", "0301", "CPT 80048", "45"],
        ["1003", "SKIN SUB GRAFT PER SQ CM", "0636", "HCPCS: Q4101*", "137.50"],
    ]
    path = write_text(tmp_path / "report.csv", rows)
    _, frame = read_one(path)
    assert frame.sort("row").select("code", "code_raw").rows() == [
        ("15271", "15271 - Skin sub graft trunk"),
        ("80048", "CPT 80048"),
        ("Q4101", "HCPCS: Q4101*"),
    ]
    assert audit_findings(path, tmp_path, "CV003") == []


def test_a_reports_total_rows_are_skipped_not_audited_as_items(tmp_path):
    """'Total' and 'Grand Total' rows with a sum under the price were counted as audited lines; an item named
    'TOTAL KNEE' with its code stays an item."""
    rows = [
        HEADER,
        ["1001", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "850"],
        ["1002", "TOTAL KNEE ARTHROPLASTY", "0360", "27447", "42000"],
        ["Total", "", "", "", "42850"],
        ["", "Grand Total:", "", "", "42850"],
    ]
    report, frame = read_one(write_text(tmp_path / "cdm.csv", rows))
    (sheet,) = report.sheets
    assert frame.sort("row")["code"].to_list() == ["15271", "27447"]
    assert sheet.rows_audited == 2 and sheet.rows_skipped == 2
    assert {r["reason"] for r in sheet.skipped} == {"a total line (no code or revenue code), not an item"}


def test_charge_codes_excel_saved_in_scientific_notation_are_said_not_called_duplicates(tmp_path):
    """A CSV saved from Excel turns long charge codes into '1.23457E+13': three different items then share one
    'code'. That is no duplicate-charge-code finding; the sheet's note says what happened and what to do."""
    rows = [
        HEADER,
        ["1.23457E+13", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "850"],
        ["1.23457E+13", "SKIN SUB GRAFT PER SQ CM", "0636", "Q4101", "137.50"],
        ["1.23457E+13", "KNEE SCOPE MENISCECTOMY", "0360", "29881", "4200"],
        ["2.34568E+13", "CT HEAD W/O CONTRAST", "0350", "70450", "900"],
    ]
    path = write_text(tmp_path / "saved.csv", rows)
    report, _ = read_one(path)
    assert report.sheets[0].note.startswith(
        "4 charge codes in Excel's scientific notation ('1.23457E+13', '2.34568E+13'): Excel rounded them"
    )
    assert audit_findings(path, tmp_path, "PR003,PR005") == []


@pytest.mark.parametrize("quoted", [False, True])
def test_excel_keep_as_text_cells_read_as_their_text(tmp_path, quoted):
    """An export that writes ="0278" so Excel keeps the zeros (bare, or quoted again for CSV): the codes are 0278,
    15271, 000123, not ="0278" (which no code check could read)."""

    def cell(text: str) -> str:
        return f'"=""{text}"""' if quoted else f'="{text}"'

    lines = [
        "Charge Code,Description,Rev Code,CPT,Price",
        f"{cell('000123')},APPLY SKIN SUB,{cell('0361')},{cell('15271')},1500.00",
        f"{cell('000124')},APLIGRAF PER SQ CM,{cell('0636')},{cell('Q4101')},137.50",
    ]
    path = tmp_path / "excel_text.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_inputs([path]).frame
    assert frame.select("charge_code", "revenue_code", "code").rows() == [
        ("000123", "0361", "15271"),
        ("000124", "0636", "Q4101"),
    ]
