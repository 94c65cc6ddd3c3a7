"""Recognise what a file really is from its bytes, before any parser touches it."""

from __future__ import annotations

import unicodedata
import zipfile
import zlib
from pathlib import Path

from auditor.errors import InputError
from auditor.ingest.ole import OleError, entry_names
from auditor.lean_dataclass import dataclass

DEFAULT_MAX_BYTES = 300 * 1024 * 1024
# A real workbook inflates 5-15x; anything past this ratio on a large member is a zip bomb.
MAX_INFLATE_RATIO = 200
MAX_INFLATED_BYTES = 4 * 1024 * 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An OLE file whose directory cannot be followed is searched this far for its stream names.
OLE_SCAN_BYTES = 2 * 1024 * 1024
_OLE_NAMES = ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book")
# How much of a file sniff() looks at; text.py re-checks the same bytes for UTF-16.
SNIFF_BYTES = 4096
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".psv", ".dat", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb"}


@dataclass(frozen=True)
class Sniffed:
    """What a file turned out to be: `kind` is xlsx, xlsm, xlsb, xls, json, text or text-utf16 (transcode first)."""

    kind: str
    size: int


def sniff(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, name: str | None = None) -> Sniffed:
    """Classify a file by content, refusing empty, oversized, encrypted and disguised files (named `name`)."""
    name = name or str(path)
    if not path.exists():
        raise InputError(name, "file not found")
    if path.is_dir():
        raise InputError(name, "is a folder, not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(name, "file is empty (0 bytes)")
    if size > max_bytes:
        raise InputError(
            name,
            # --max-size counts MB of 1024*1024 bytes; say the size in the same unit ("1.2 MB over 1 MB").
            f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit "
            "(raise it with --max-size if this is really a chargemaster)",
        )
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC):
        return Sniffed(_zip_kind(path, suffix, name), size)
    if head.startswith(OLE_MAGIC):
        return Sniffed(_ole_kind(path, head, size, name), size)
    codec = utf16_codec(head)
    if codec is not None:
        # Judge the text as UTF-8 so the HTML/XML/suffix checks below see the same characters.
        head = _utf16_head(head, codec).encode("utf-8")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")):
        raise InputError(
            name,
            "this is a web page (HTML) saved with a spreadsheet name, not a workbook; "
            "open it in Excel and save it as .xlsx, or export it as CSV",
        )
    if stripped.startswith(b"<?xml"):
        raise InputError(
            name,
            "this is an XML file (perhaps an Excel 2003 XML spreadsheet); save it as .xlsx or CSV",
        )
    if stripped.startswith((b"{", b"[")):
        if codec is not None:  # the JSON reader takes UTF-8 only
            raise InputError(name, "JSON text in UTF-16; save it as UTF-8")
        return Sniffed("json", size)
    for magic, what in (
        (b"%PDF", "a PDF"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xbc\xaf", "a 7z archive"),
    ):
        if head.startswith(magic):
            raise InputError(name, f"this is {what}, not a chargemaster export (xlsx, xls, csv or text)")
    if b"\x00" in head:
        raise InputError(
            name,
            "binary content after a UTF-16 byte-order mark, not UTF-16 text (damaged file?)"
            if head.startswith((b"\xff\xfe", b"\xfe\xff"))
            else "binary content, not a spreadsheet or delimited text file (damaged file?)",
        )
    if suffix in EXCEL_SUFFIXES:
        raise InputError(name, f"has a {suffix} name but is plain text, not a workbook; rename it to .csv")
    return Sniffed("text" if codec is None else "text-utf16", size)


def utf16_codec(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when these first bytes are UTF-16 text (by byte-order mark or NUL pattern)."""
    if head.startswith(b"\xff\xfe"):
        codec = "utf-16-le"
    elif head.startswith(b"\xfe\xff"):
        codec = "utf-16-be"
    else:
        codec = _nul_pattern(head)
    if codec is None:
        return None
    text = _utf16_head(head, codec)
    return codec if text is not None and _is_text(text) else None


def _nul_pattern(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: Latin text has a NUL high byte in (nearly) every code unit."""
    units = len(head) // 2
    if units < 2:
        return None
    even, odd = head[0 : units * 2 : 2].count(0) / units, head[1 : units * 2 : 2].count(0) / units
    # The other byte is almost never NUL: U+0100, U+0200, ... are rare, and NUL characters mean binary.
    if odd >= 0.5 and even <= 0.02:
        return "utf-16-le"
    if even >= 0.5 and odd <= 0.02:
        return "utf-16-be"
    return None


def _utf16_head(head: bytes, codec: str) -> str | None:
    """The sample decoded (byte-order mark dropped), tolerating a character cut at its end; None if not UTF-16."""
    body = head[2:] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
    body = body[: len(body) // 2 * 2]
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 2:  # a lone surrogate inside the sample: junk, not text
            return None
        return body[: exc.start].decode(codec)


def _is_text(text: str) -> bool:
    """True when at most 1% of the characters are controls, NULs, surrogates or unassigned code points."""
    if not text:
        return False
    bad = sum(
        1 for ch in text if ch not in "\t\r\n\x0c" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
    )
    return "\x00" not in text and bad * 100 <= len(text)


def _zip_kind(path: Path, suffix: str, name: str) -> str:
    """Tell xlsx from xlsm and other zips, and refuse zip bombs and DTD-carrying parts."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            if total > MAX_INFLATED_BYTES:
                raise InputError(
                    name, f"workbook would inflate to {total / 1e9:.1f} GB; refusing (zip bomb?)"
                )
            for info in infos:
                if info.file_size > 50_000_000 and info.file_size > MAX_INFLATE_RATIO * max(
                    info.compress_size, 1
                ):
                    raise InputError(
                        name,
                        f"part {info.filename} inflates {info.file_size // max(info.compress_size, 1)}"
                        "x; refusing (zip bomb?)",
                    )
            for part in names:
                if part.endswith(".xml") and (part.startswith("xl/") or part == "[Content_Types].xml"):
                    with zf.open(part) as fh:
                        head = fh.read(2048)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise InputError(
                            name,
                            f"part {part} declares a DTD/entities, which workbooks never need; "
                            "refusing it as a possible XML bomb",
                        )
            content_types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # zlib.error: a member's deflate stream is damaged though the zip directory reads fine.
        raise InputError(name, f"damaged workbook: the zip container is corrupt ({exc})") from None
    if "xl/workbook.xml" in names:
        if b"macroEnabled" in content_types or suffix == ".xlsm":
            return "xlsm"
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "word/document.xml" in names:
        raise InputError(name, "this is a Word document, not a workbook")
    if "ppt/presentation.xml" in names:
        raise InputError(name, "this is a PowerPoint file, not a workbook")
    if "content.xml" in names:
        raise InputError(name, "this is an OpenDocument file; save it as .xlsx or CSV")
    raise InputError(name, "a zip archive that is not an Excel workbook (no xl/workbook.xml inside)")


def _ole_kind(path: Path, head: bytes, size: int, name: str) -> str:
    """Tell a legacy .xls from a password-protected .xlsx (both are OLE containers) by their directory entries."""
    damage = None
    with path.open("rb") as fh:
        try:
            names = {n.lower() for n in entry_names(fh, size)}
        except OleError as exc:
            # A directory that cannot be followed: look for the names where most writers put them (calamine or
            # xlrd then says what is wrong with the workbook).
            damage = str(exc)
            fh.seek(0)
            blob = fh.read(min(size, OLE_SCAN_BYTES))
            names = {n.lower() for n in _OLE_NAMES if n.encode("utf-16-le") in blob}
    if names & {"encryptioninfo", "encryptedpackage"}:
        raise InputError(
            name,
            "workbook is encrypted or password-protected; remove the password "
            "(File > Info > Protect Workbook) and save a copy",
        )
    if names & {"workbook", "book"}:
        return "xls"
    if damage is not None:
        # Writers put the directory after the streams: a file cut short loses it first.
        raise InputError(
            name,
            f"a damaged OLE container (a legacy .xls, .doc or .msg): its directory cannot be read ({damage}); "
            "the file may be cut short, so copy or export it again",
        )
    raise InputError(name, "an OLE container that holds no Excel workbook (a .doc or .msg file?)")
