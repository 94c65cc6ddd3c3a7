"""Write the malformed-input corpus into a folder, from code, so no binary blobs are committed.

Each case is a file (or a path) that `cdm-audit inspect` must refuse with exit code 2 and a single
`error:` line that names the file. `python tests/malformed/make_corpus.py [OUT_DIR]` writes them (to a
temporary folder by default) and prints the command to try on each.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

HEADER = ["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"]
ROWS = [
    ["1001", "SKIN SUB GRAFT PER SQ CM", "0278", "Q4101", "137.00"],
    ["1002", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", "850.00"],
]


@dataclass
class Case:
    """One malformed input: its file name, a fragment the error line must contain, and extra CLI args."""

    name: str
    reason: str
    make: Callable[[Path], bytes | None]  # the file's bytes, given the work folder; None: make no file
    args: list[str] = field(default_factory=list)

    def path(self, out: Path) -> Path:
        """Where this case lives inside the corpus folder."""
        return out / self.name


def good_xlsx(path: Path) -> bytes:
    """A small valid chargemaster workbook, the base that other cases damage."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("CDM")
    ws.write_row(0, 0, HEADER)
    for i, row in enumerate(ROWS, start=1):
        ws.write_row(i, 0, row)
    wb.close()
    return path.read_bytes()


def cfb(stream_names: list[str], payload: bytes = b"") -> bytes:
    """A minimal, valid OLE compound file (v3, 512-byte sectors) holding empty streams with these names."""
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 0x1000, end, 0, end, 0
    )
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    fat = struct.pack("<II", fatsect, end) + struct.pack("<I", free) * 126

    def entry(name: str, kind: int, right: int, child: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", nostream, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", end if kind else 0, 0)
        )

    # Siblings form a chain to the right; CFB orders names by length first, so sort that way.
    names = sorted(stream_names, key=lambda n: (len(n), n.upper()))
    entries = [entry("Root Entry", 5, nostream, 1 if names else nostream)]
    for i, n in enumerate(names, start=1):
        entries.append(entry(n, 2, i + 1 if i < len(names) else nostream, nostream))
    while len(entries) % 4:
        entries.append(entry("", 0, nostream, nostream))
    return header + fat + b"".join(entries) + payload


def _folder(out: Path) -> None:
    """A folder with a workbook's name."""
    (out / "a_folder.xlsx").mkdir(exist_ok=True)


def _csv(rows: list[list[str]]) -> bytes:
    """Rows as plain comma-separated UTF-8 text."""
    return ("\n".join(",".join(r) for r in rows) + "\n").encode()


CASES = [
    Case("zero_bytes.xlsx", "file is empty (0 bytes)", lambda out: b""),
    Case("zero_bytes.csv", "file is empty (0 bytes)", lambda out: b""),
    Case("plain_text.xlsx", "plain text, not a workbook", lambda out: _csv([HEADER[:2], ROWS[0][:2]])),
    Case(
        "truncated.xlsx",
        "zip container is corrupt",
        lambda out: (g := good_xlsx(out / "_good.xlsx"))[: len(g) // 2],
    ),
    Case(
        "corrupt_member.xlsx", "damaged workbook", lambda out: _corrupt_member(good_xlsx(out / "_good.xlsx"))
    ),
    Case(
        "encrypted.xlsx",
        "encrypted or password-protected",
        lambda out: cfb(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]),
    ),
    Case("word_in_ole.xls", "holds no Excel workbook", lambda out: cfb(["WordDocument", "1Table"])),
    Case("broken_biff.xls", "no table found", lambda out: cfb(["Workbook"], b"\x00" * 512)),
    Case(
        "web_page.xls",
        "web page (HTML)",
        lambda out: (
            b"<html><head><title>CDM</title></head><body><table><tr><td>Charge Code</td></tr>"
            b"</table></body></html>\n"
        ),
    ),
    Case(
        "excel2003.xls",
        "XML file",
        lambda out: (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="CDM"/>'
            b"</Workbook>\n"
        ),
    ),
    Case("report.pdf.xlsx", "a PDF", lambda out: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
    Case("logo.png.csv", "a PNG image", lambda out: b"\x89PNG\r\n\x1a\n" + bytes(13) + b"IHDR" + bytes(64)),
    Case("archive.gz.csv", "a gzip archive", lambda out: gzip.compress(_csv([HEADER] + ROWS))),
    Case(
        "word.docx.xlsx",
        "Word document",
        lambda out: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
    ),
    Case(
        "calc.ods.xlsx",
        "OpenDocument",
        lambda out: _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            }
        ),
    ),
    Case("xml_bomb.xlsx", "DTD", lambda out: _xml_bomb(good_xlsx(out / "_good.xlsx"))),
    Case("zip_bomb.xlsx", "zip bomb", lambda out: _zip_bomb(good_xlsx(out / "_good.xlsx"))),
    Case("oversized.csv", "over the 1 MB limit", lambda out: _big_csv(1_200_000), args=["--max-size", "1"]),
    # UTF-16 text is read now (tests/test_ingest_formats.py); a UTF-16 byte-order mark on junk is still refused.
    Case(
        "utf16_mark_on_junk.csv",
        "binary content",
        lambda out: b"\xff\xfe" + random.Random(11).randbytes(4096),
    ),
    # A record split by an unquoted comma is mended or skipped with its row (tests/test_ingest_layout.py), not refused.
    Case(
        "no_header.csv",
        "no table found",
        lambda out: b"Please call,the billing office\nfor the current,price list\nthank you,goodbye\n",
    ),
    Case("chart_only.xlsx", "chart sheet", lambda out: _chart_only(out / "_chart.xlsx")),
    Case("empty_sheet.xlsx", "no table found", lambda out: _empty_sheet(out / "_empty.xlsx")),
    Case("notes_only.xlsx", "no table found", lambda out: _notes_only(out / "_notes.xlsx")),
    Case("garbage.csv", "binary content", lambda out: random.Random(7).randbytes(4096)),
    Case(
        "not_cms.json",
        "not a CMS standard-charges file",
        lambda out: b'{"hospital_name": "West Mercy", "items": []}',
    ),
    Case(
        "truncated.json",
        "not valid JSON",
        lambda out: b'{"standard_charge_information": [{"description": "MRI", ',
    ),
    Case("a_folder.xlsx", "is a folder", _folder),
    Case("does_not_exist.xlsx", "file not found", lambda out: None),
]


def build_corpus(out: Path) -> list[Case]:
    """Write every malformed input under `out` (a scratch folder) and return the cases."""
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        data = case.make(out)
        if data is not None:
            case.path(out).write_bytes(data)
    return CASES


def _zip(members: dict[str, bytes]) -> bytes:
    """A zip archive of these members, in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _members(good: bytes) -> dict[str, bytes]:
    """Every member of a workbook, in order."""
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _corrupt_member(good: bytes) -> bytes:
    """The workbook with the deflate stream of its first worksheet overwritten by junk (the zip directory is intact)."""
    data = bytearray(good)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start, start + min(info.compress_size, 64)):
        data[i] = 0xFF
    return bytes(data)


def _xml_bomb(good: bytes) -> bytes:
    """A 'billion laughs' DTD in sharedStrings.xml (10^7 x 30 bytes if a parser expanded it)."""
    members = _members(good)
    lol = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 8)
    ]
    text = members["xl/sharedStrings.xml"].decode()
    head, rest = text.split("?>", 1)
    text = (
        head
        + "?>"
        + "<!DOCTYPE sst ["
        + "".join(lol)
        + "]>"
        + rest.replace("<t>Charge Code</t>", "<t>&lol7;</t>", 1)
    )
    members["xl/sharedStrings.xml"] = text.encode()
    return _zip(members)


def _zip_bomb(good: bytes, inflated: int = 200 * 1024 * 1024) -> bytes:
    """The workbook with sheet1.xml replaced by 200 MB of zeros (compresses ~1000:1)."""
    members = _members(good)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in members.items():
            if name != "xl/worksheets/sheet1.xml":
                zf.writestr(name, data)
                continue
            chunk = bytes(1 << 20)
            with zf.open(name, "w", force_zip64=True) as fh:
                for _ in range(inflated >> 20):
                    fh.write(chunk)
    return buf.getvalue()


def _big_csv(size: int) -> bytes:
    """A valid chargemaster CSV of at least `size` bytes."""
    lines = [",".join(HEADER)]
    n = 0
    total = len(lines[0])
    while total < size:
        n += 1
        line = f"{100000 + n},HC SUPPLY ITEM NUMBER {n},0272,A4649,{n % 500}.00"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def _chart_only(tmp: Path) -> bytes:
    """A workbook whose only sheet is a chart sheet."""
    import warnings

    wb = xlsxwriter.Workbook(str(tmp))
    sheet = wb.add_chartsheet("Chart1")
    chart = wb.add_chart({"type": "column"})
    with warnings.catch_warnings():  # the series points at a sheet that does not exist, on purpose
        warnings.simplefilter("ignore")
        chart.add_series({"name": "Charges", "values": "=Data!$A$1:$A$3"})
        sheet.set_chart(chart)
        wb.close()
    return tmp.read_bytes()


def _empty_sheet(tmp: Path) -> bytes:
    """A workbook with one sheet and no cells."""
    wb = xlsxwriter.Workbook(str(tmp))
    wb.add_worksheet("CDM")
    wb.close()
    return tmp.read_bytes()


def _notes_only(tmp: Path) -> bytes:
    """A workbook with text but no table: a cover note."""
    wb = xlsxwriter.Workbook(str(tmp))
    ws = wb.add_worksheet("Read me")
    ws.write(0, 0, "Chargemaster files are published on the first of each month.")
    ws.write(2, 0, "Questions: billing office, extension 4411.")
    wb.close()
    return tmp.read_bytes()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cdm-malformed-"))
    for case in build_corpus(target):
        print(f"cdm-audit inspect {case.path(target)} {' '.join(case.args)}".rstrip() + f"   # {case.reason}")
