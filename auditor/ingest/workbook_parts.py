"""Where a zipped workbook keeps its sheets (xlsx/xlsm: workbook.xml, xlsb: workbook.bin) and an xlsb sheet's
declared used range, read for the guards before calamine opens the file."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator

# Record types of MS-XLSB used here.
_BUNDLE_SHEET = 0x9C  # BrtBundleSh: one sheet of the workbook (state, tab id, relationship id, name)
_END_BUNDLE = 0x90  # BrtEndBundleShs: the sheet list is over
_WS_DIM = 0x94  # BrtWsDim: the sheet's used range (first/last row, first/last column, 0-based)
_SHEET_DATA = 0x91  # BrtBeginSheetData: the cells start; a dimension comes before it or not at all
_HEAD_LIMIT = 1 << 20  # a sheet's records before its cells are a few hundred bytes; this bounds a damaged one
_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_REV = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)


def _records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(record type, payload) of each whole record in `data`; stops at a record cut short."""
    pos, end = 0, len(data)
    while pos < end:
        kind = data[pos]
        pos += 1
        if kind & 0x80:
            if pos >= end:
                return
            kind = (kind & 0x7F) | ((data[pos] & 0x7F) << 7)
            pos += 1
        size, shift = 0, 0
        for _ in range(4):
            if pos >= end:
                return
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if pos + size > end:
            return
        yield kind, data[pos : pos + size]
        pos += size


def _wide(payload: bytes, at: int) -> tuple[str | None, int]:
    """An XLWideString at `at`: (text, offset after it); None for a null one or one cut short."""
    if at + 4 > len(payload):
        return None, len(payload)
    (count,) = struct.unpack_from("<I", payload, at)
    if count == 0xFFFFFFFF or at + 4 + 2 * count > len(payload):
        return None, at + 4
    stop = at + 4 + 2 * count
    return payload[at + 4 : stop].decode("utf-16-le", "replace"), stop


def sheet_members(zf: zipfile.ZipFile, kind: str) -> list[tuple[str, str]]:
    """(sheet name, zip member) for every sheet the workbook lists, in workbook order (kind: xlsx, xlsm, xlsb)."""
    if kind == "xlsb":
        rels = _relationships(zf.read("xl/_rels/workbook.bin.rels"))
        listed = _xlsb_sheets(zf.read("xl/workbook.bin"))
    else:
        rels = _relationships(zf.read("xl/_rels/workbook.xml.rels"))
        listed = [
            (_xml_unescape(name.decode("utf-8")), rid.decode())
            for name, rid in _SHEET.findall(zf.read("xl/workbook.xml"))
        ]
    return [
        (name, target.lstrip("/") if target.startswith("/") else "xl/" + target)
        for name, rid in listed
        if (target := rels.get(rid)) is not None
    ]


def _relationships(rels_xml: bytes) -> dict[str, str]:
    """Relationship id -> target of a workbook's .rels part (attributes in either order)."""
    rels = {k.decode(): v.decode() for k, v in _REL.findall(rels_xml)}
    rels.update({k.decode(): v.decode() for v, k in _REL_REV.findall(rels_xml) if k.decode() not in rels})
    return rels


def _xlsb_sheets(workbook_bin: bytes) -> list[tuple[str, str]]:
    """(sheet name, relationship id) of each BrtBundleSh record of an xlsb's workbook.bin."""
    out = []
    for kind, payload in _records(workbook_bin):
        if kind == _END_BUNDLE:
            break
        if kind != _BUNDLE_SHEET:
            continue
        rid, after = _wide(payload, 8)
        name, _ = _wide(payload, after)
        if name is not None and rid is not None:
            out.append((name, rid))
    return out


def _xml_unescape(text: str) -> str:
    """Undo the five XML entities in a sheet name."""
    for a, b in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(a, b)
    return text


def declared_range(zf: zipfile.ZipFile, member: str) -> tuple[int, int, int, int] | None:
    """The sheet's used range as its dimension record states it (first row, last row, first column, last
    column; 0-based), or None when the sheet has none before its cells."""
    with zf.open(member) as fh:
        head = fh.read(_HEAD_LIMIT)
    for kind, payload in _records(head):
        if kind == _WS_DIM and len(payload) >= 16:
            first_row, last_row, first_col, last_col = struct.unpack_from("<IIII", payload)
            return first_row, last_row, first_col, last_col
        if kind == _SHEET_DATA:
            return None
    return None
