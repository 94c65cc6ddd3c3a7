"""An xlsb's sheet list and each sheet's declared used range, read from its binary records for the guards."""

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


def sheet_members(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) for every sheet listed in xl/workbook.bin, in workbook order."""
    rels_xml = zf.read("xl/_rels/workbook.bin.rels")
    rels = {k.decode(): v.decode() for k, v in _REL.findall(rels_xml)}
    rels.update({k.decode(): v.decode() for v, k in _REL_REV.findall(rels_xml) if k.decode() not in rels})
    out = []
    for kind, payload in _records(zf.read("xl/workbook.bin")):
        if kind == _END_BUNDLE:
            break
        if kind != _BUNDLE_SHEET:
            continue
        rid, after = _wide(payload, 8)
        name, _ = _wide(payload, after)
        target = rels.get(rid or "")
        if name is None or target is None:
            continue
        out.append((name, target.lstrip("/") if target.startswith("/") else "xl/" + target))
    return out


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
