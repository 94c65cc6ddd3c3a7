"""Seeded generator of hostile and broken inputs: mutated workbooks, text, JSON and OLE files.

`build(out_dir, seed, count)` writes `count` cases (at least one of every pattern) and returns their paths.
The patterns are the ones a fuzzer and unlucky users found (issue 17): far and impossible cell references,
huge dimensions, many sheets on one part, truncation, zip and OLE damage, line endings, stray quotes,
huge fields, deep JSON, long numbers, lone surrogates. `python tests/fuzz/mutants.py OUT [SEED] [COUNT]`
writes them for trying by hand.
"""

from __future__ import annotations

import io
import json
import random
import re
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

HEADER = ["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Modifier", "Price"]
DESCRIPTIONS = [
    "SKIN SUB GRAFT PER SQ CM",
    "APPLICATION SKIN SUB 25 SQ CM",
    "NEUROSTIM GENERATOR IMPLANT",
    "LEAD NEUROSTIM PERC",
    "KNEE ARTHROSCOPY MENISCECTOMY",
]
CODES = [("0278", "Q4101"), ("0361", "15271"), ("0278", "C1767"), ("0278", "C1778"), ("0360", "29881")]
FAR_REFS = ["XFD1048576", "A1048576", "XFD1", "ZZ999999", "AAA500000", "XFA1000000"]
BAD_REFS = ["ZZZZ300", "A2000000", "AAAA1", "A99999999999", "XFE1", "XFD1048577", "QQQQQQQQQQ1"]


def rows(rng: random.Random, n: int) -> list[list[str]]:
    """n chargemaster rows in text form."""
    out = []
    for i in range(n):
        rev, code = rng.choice(CODES)
        out.append(
            [f"{1000 + i}", rng.choice(DESCRIPTIONS), rev, code, rng.choice(["", "RT", "LT"]), "125.00"]
        )
    return out


def base_xlsx(rng: random.Random, n: int = 30, sheets: int = 1) -> bytes:
    """A valid chargemaster workbook written by XlsxWriter (shared strings)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    for s in range(sheets):
        ws = wb.add_worksheet(f"CDM{s + 1}" if sheets > 1 else "CDM")
        ws.write_row(0, 0, HEADER)
        for r, row in enumerate(rows(rng, n), start=1):
            ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def base_csv(rng: random.Random, n: int = 30, delim: str = ",", eol: str = "\n") -> bytes:
    """A valid delimited chargemaster."""
    lines = [delim.join(HEADER)] + [delim.join(r) for r in rows(rng, n)]
    return (eol.join(lines) + eol).encode()


def base_json(rng: random.Random, n: int = 10) -> dict:
    """A small CMS standard-charges JSON document."""
    items = []
    for row in rows(rng, n):
        items.append(
            {
                "description": row[1],
                "code_information": [{"code": row[3], "type": "HCPCS"}, {"code": row[0], "type": "CDM"}],
                "standard_charges": [{"setting": "outpatient", "gross_charge": 125.0}],
            }
        )
    return {"hospital_name": "Fuzz General", "standard_charge_information": items}


def rezip(
    data: bytes, change: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None
) -> bytes:
    """The zip with each member passed through change(name, bytes) (None drops it), plus extra members."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = change(info.filename, zin.read(info.filename))
            if body is not None:
                zout.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            zout.writestr(name, body)
    return out.getvalue()


def sheet_xml(change: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes]:
    """A rezip change applied to worksheet parts only."""
    return lambda name, body: change(body) if name.startswith("xl/worksheets/sheet") else body


def _cell_refs(body: bytes) -> list[bytes]:
    return re.findall(rb'<c r="([A-Z]+[0-9]+)"', body)


# ------------------------------------------------------------------------------------------------ patterns
def far_cell(rng: random.Random) -> tuple[str, bytes]:
    """One cell moved to a far (but legal) reference."""
    ref = rng.choice(FAR_REFS).encode()

    def change(body: bytes) -> bytes:
        victim = rng.choice(_cell_refs(body)[1:])
        return body.replace(b'<c r="' + victim + b'"', b'<c r="' + ref + b'"', 1)

    return "xlsx", rezip(base_xlsx(rng), sheet_xml(change))


def bad_ref(rng: random.Random) -> tuple[str, bytes]:
    """One cell moved to a reference beyond Excel's grid, or a row tag beyond it."""
    ref = rng.choice(BAD_REFS).encode()

    def change(body: bytes) -> bytes:
        if rng.random() < 0.3:
            return re.sub(
                rb'<row r="[0-9]+"',
                b'<row r="' + rng.choice([b"1048577", b"2000000", b"99999999999"]) + b'"',
                body,
                count=1,
            )
        victim = rng.choice(_cell_refs(body)[1:])
        return body.replace(b'<c r="' + victim + b'"', b'<c r="' + ref + b'"', 1)

    return "xlsx", rezip(base_xlsx(rng), sheet_xml(change))


def far_row_tag(rng: random.Random) -> tuple[str, bytes]:
    """A row tag (its cells without references) moved to the last rows of the grid."""

    def change(body: bytes) -> bytes:
        body = re.sub(rb'(<row r=")[0-9]+(")', rb"\g<1>1048570\2", body, count=0)
        return re.sub(rb' r="[A-Z]+[0-9]+"', b"", body)

    return "xlsx", rezip(base_xlsx(rng), sheet_xml(change))


def huge_dimension(rng: random.Random) -> tuple[str, bytes]:
    """A <dimension> claiming the whole grid, or beyond it."""
    dim = rng.choice([b"A1:XFD1048576", b"A1:F1048576", b"A1:ZZZZ9", b"A1:A99999999999"])
    return "xlsx", rezip(
        base_xlsx(rng),
        sheet_xml(lambda b: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + dim + b'"', b)),
    )


def many_sheets_one_part(rng: random.Random) -> tuple[str, bytes]:
    """Hundreds of sheets in workbook.xml all pointing to the one worksheet part."""
    n = rng.choice([300, 1000])

    def change(name: str, body: bytes) -> bytes:
        if name == "xl/workbook.xml":
            sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId1"/>' % (i, i + 1) for i in range(n))
            return re.sub(rb"<sheets>.*</sheets>", b"<sheets>" + sheets + b"</sheets>", body, flags=re.S)
        return body

    return "xlsx", rezip(base_xlsx(rng), change)


def many_sheets(rng: random.Random) -> tuple[str, bytes]:
    """A workbook with more sheets than the limit, each its own part (small)."""
    return "xlsx", base_xlsx(rng, n=1, sheets=rng.choice([60, 520]))


def truncated(rng: random.Random) -> tuple[str, bytes]:
    """A workbook cut off at a random point."""
    data = base_xlsx(rng)
    return "xlsx", data[: rng.randrange(10, len(data) - 1)]


def zip_damage(rng: random.Random) -> tuple[str, bytes]:
    """Random bytes flipped inside a workbook's zip (local headers, deflate streams, central directory)."""
    data = bytearray(base_xlsx(rng))
    for _ in range(rng.choice([1, 3, 20])):
        at = rng.randrange(len(data))
        data[at] = rng.randrange(256)
    return "xlsx", bytes(data)


def missing_part(rng: random.Random) -> tuple[str, bytes]:
    """A workbook without one of its parts."""
    gone = rng.choice(
        [
            "xl/sharedStrings.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml",
            "xl/styles.xml",
            "[Content_Types].xml",
        ]
    )
    return "xlsx", rezip(base_xlsx(rng), lambda name, body: None if name == gone else body)


def sheet_xml_damage(rng: random.Random) -> tuple[str, bytes]:
    """The sheet's XML cut short, given junk, an unclosed tag or a shared-string index out of range."""

    def change(body: bytes) -> bytes:
        how = rng.randrange(4)
        if how == 0:
            return body[: rng.randrange(50, len(body))]
        if how == 1:
            at = rng.randrange(len(body))
            return body[:at] + bytes(rng.randrange(256) for _ in range(20)) + body[at:]
        if how == 2:
            return body.replace(b"</row>", b"", 1)
        return re.sub(rb'(t="s"[^>]*><v>)[0-9]+', rb"\g<1>999999", body, count=3)

    return "xlsx", rezip(base_xlsx(rng), sheet_xml(change))


def line_endings(rng: random.Random) -> tuple[str, bytes]:
    """CR-only or mixed CR / LF / CRLF line endings."""
    text = base_csv(rng).decode()
    if rng.random() < 0.5:
        return "csv", text.replace("\n", "\r").encode()
    lines = text.split("\n")
    return "csv", "".join(line + rng.choice(["\n", "\r", "\r\n"]) for line in lines if line).encode()


def stray_quote(rng: random.Random) -> tuple[str, bytes]:
    """A quote opened inside a field and never closed, or a quoted field with a newline."""
    lines = base_csv(rng).decode().splitlines()
    at = rng.randrange(1, len(lines))
    fields = lines[at].split(",")
    fields[1] = rng.choice(
        ['"' + fields[1], fields[1] + ' 3"X4"', '"' + fields[1] + "\nSECOND LINE", '"a""b']
    )
    lines[at] = ",".join(fields)
    return "csv", ("\n".join(lines) + "\n").encode()


def huge_field(rng: random.Random) -> tuple[str, bytes]:
    """One field of several MB, quoted or not."""
    lines = base_csv(rng).decode().splitlines()
    size = rng.choice([2, 10]) * 1024 * 1024
    big = "X" * size
    lines[rng.randrange(1, len(lines))] = (
        f'9999,"{big}",0278,Q4101,,1.00' if rng.random() < 0.5 else f"9999,{big},0278,Q4101,,1.00"
    )
    return "csv", ("\n".join(lines) + "\n").encode()


def text_bytes(rng: random.Random) -> tuple[str, bytes]:
    """Delimited text with NULs, invalid UTF-8, a lone surrogate's bytes, or cut mid-line."""
    data = bytearray(base_csv(rng, delim=rng.choice([",", "|", "\t"])))
    how = rng.randrange(4)
    if how == 0:
        data[rng.randrange(40, len(data))] = 0
    elif how == 1:
        at = rng.randrange(40, len(data))
        data[at:at] = rng.choice([b"\xff\xfe\xfd", b"\xed\xa0\x80", b"\xc3", b"\x80\x80"])
    elif how == 2:
        data = data[: rng.randrange(40, len(data))]
    else:
        data = bytearray(b'"' * rng.randrange(1, 5)) + data
    return "csv", bytes(data)


def deep_json(rng: random.Random) -> tuple[str, bytes]:
    """JSON nested tens of thousands deep, inside the document or as it."""
    depth = rng.choice([10_000, 100_000])
    nest = "[" * depth + "]" * depth
    if rng.random() < 0.5:
        return "json", nest.encode()
    doc = json.dumps(base_json(rng))
    return "json", doc.replace('"hospital_name"', f'"deep": {nest}, "hospital_name"', 1).encode()


def long_number_json(rng: random.Random) -> tuple[str, bytes]:
    """A price or a code that is a number of thousands of digits."""
    digits = "9" * rng.choice([5000, 50_000])
    doc = json.dumps(base_json(rng))
    if rng.random() < 0.5:
        return "json", doc.replace("125.0", digits, 1).encode()
    return "json", doc.replace('"Q4101"', digits, 1).replace('"15271"', digits + ".5e99999", 1).encode()


def surrogate_json(rng: random.Random) -> tuple[str, bytes]:
    """A lone surrogate escape, an invalid escape or raw invalid bytes inside a JSON string."""
    doc = json.dumps(base_json(rng))
    bad = rng.choice(["\\ud800", "\\udfff x", "\\ud83d\\u0041", "\\x41"])
    return "json", doc.replace("SKIN", "SKIN" + bad, 1).replace("NEURO", "NEURO" + bad, 1).encode()


def json_damage(rng: random.Random) -> tuple[str, bytes]:
    """A JSON document cut short or with a random byte changed."""
    data = bytearray(json.dumps(base_json(rng)).encode())
    if rng.random() < 0.5:
        return "json", bytes(data[: rng.randrange(1, len(data))])
    data[rng.randrange(len(data))] = rng.randrange(256)
    return "json", bytes(data)


def ole_damage(rng: random.Random) -> tuple[str, bytes]:
    """An OLE container (legacy .xls shape) with a damaged header, FAT or directory, or cut short."""
    sector = 512
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(sector - 8))
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into(
        "<IIII", header, 44, rng.choice([1, 0, 0xFFFFFFFF, 5000]), rng.choice([1, 7, 0xFFFFFFFE]), 0, 0x1000
    )
    struct.pack_into("<I", header, 76, rng.choice([0, 9999, 0xFFFFFFFD]))
    body = bytearray(rng.randbytes(sector * rng.choice([2, 8])))
    name = "Workbook".encode("utf-16-le")
    at = rng.randrange(0, len(body) - 128)
    body[at : at + len(name)] = name
    data = bytes(header + body)
    return "xls", data[: rng.randrange(520, len(data) + 1)]


def second_table(rng: random.Random) -> tuple[str, bytes]:
    """A second table beside the main one (past blank columns) or below it (blank rows, its own header)."""
    main = [HEADER] + rows(rng, rng.randrange(5, 30))
    other = [["Payer", "Plan", "Rate"]] + [[f"P{i}", "PPO", f"{i}.00"] for i in range(rng.randrange(2, 20))]
    if rng.random() < 0.5:
        gap = [""] * rng.choice([2, 3, 10])
        table = [a + gap + (other[i] if i < len(other) else []) for i, a in enumerate(main)]
    else:
        other = (
            [[*r, *[""] * (len(HEADER) - len(r))] for r in other]
            if rng.random() < 0.5
            else [HEADER] + rows(rng, 4)
        )
        table = main + [[""] * len(HEADER)] * rng.choice([1, 2]) + other
    if rng.random() < 0.5:
        return "csv", ("\n".join(",".join(r) for r in table) + "\n").encode()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("CDM")
    for r, row in enumerate(table):
        ws.write_row(r, 0, row)
    wb.close()
    return "xlsx", buf.getvalue()


PATTERNS: dict[str, Callable[[random.Random], tuple[str, bytes]]] = {
    "second_table": second_table,
    "far_cell": far_cell,
    "bad_ref": bad_ref,
    "far_row_tag": far_row_tag,
    "huge_dimension": huge_dimension,
    "many_sheets_one_part": many_sheets_one_part,
    "many_sheets": many_sheets,
    "truncated": truncated,
    "zip_damage": zip_damage,
    "missing_part": missing_part,
    "sheet_xml_damage": sheet_xml_damage,
    "line_endings": line_endings,
    "stray_quote": stray_quote,
    "huge_field": huge_field,
    "text_bytes": text_bytes,
    "deep_json": deep_json,
    "long_number_json": long_number_json,
    "surrogate_json": surrogate_json,
    "json_damage": json_damage,
    "ole_damage": ole_damage,
}
# Patterns whose files are large (MBs): fewer of them keep the suite fast.
HEAVY = {"huge_field": 4, "deep_json": 6, "many_sheets_one_part": 4, "many_sheets": 4}


def build(out_dir: Path, seed: int = 17, count: int = 320) -> list[Path]:
    """Write `count` cases into out_dir (every pattern at least once, heavy ones capped); return their paths."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    light = [p for p in PATTERNS if p not in HEAVY]
    plan = [p for p, n in HEAVY.items() for _ in range(n)]
    plan += [light[i % len(light)] for i in range(max(count - len(plan), len(light)))]
    paths = []
    for i, pattern in enumerate(plan):
        suffix, data = PATTERNS[pattern](random.Random(rng.getrandbits(64)))
        path = out_dir / f"{i:03d}-{pattern}.{suffix}"
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1])
    made = build(
        target, int(sys.argv[2]) if len(sys.argv) > 2 else 17, int(sys.argv[3]) if len(sys.argv) > 3 else 320
    )
    print(f"wrote {len(made)} cases to {target}; try: cdm-audit inspect {made[0]}")
