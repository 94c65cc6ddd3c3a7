"""Read delimited text (csv, tab, pipe, semicolon; UTF-8, cp1252 or UTF-16), every cell as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest.raw import RawSheet
from auditor.ingest.sniff import SNIFF_BYTES, utf16_codec

_DELIMS = [",", "|", "\t", ";"]
_SAMPLE_BYTES = 256 * 1024


# The format name a sniffed delimiter stands for (reported in every run record).
DELIMITER_FORMATS = {",": "csv", "|": "pipe", "\t": "tsv", ";": "semicolon"}


def decode_sample(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else cp1252; return (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # A sample cut mid-character is still UTF-8.
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8"), "utf-8"
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently into several fields."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1.0
    for d in _DELIMS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=d))
        except csv.Error:
            continue
        widths = [len(r) for r in rows if len(r) > 1]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) * min(common, 20)
        if score > best_score:
            best, best_score = d, score
    return best


def read_text(path: Path, name: str | None = None) -> tuple[list[RawSheet], str]:
    """The file as one RawSheet named after it (`name`, default its path), plus the detected format (csv, tsv, ...)."""
    name = name or str(path)
    raw = path.read_bytes()
    codec = utf16_codec(raw[:SNIFF_BYTES])
    if codec is not None:
        raw = from_utf16(name, raw, codec)
    sample, encoding = decode_sample(raw[:_SAMPLE_BYTES])
    delim = sniff_delimiter(sample)
    fmt = DELIMITER_FORMATS[delim]
    if encoding == "cp1252":
        data = raw.decode("cp1252", errors="replace").encode("utf-8")
    elif encoding == "utf-8-sig":
        data = raw[3:]
    else:
        try:
            raw.decode("utf-8")
            data = raw
        except UnicodeDecodeError:
            data = raw.decode("cp1252", errors="replace").encode("utf-8")
    quote = '"' if uses_quoting(sample, delim) else None
    width = max_width(sample, delim, quote)
    schema = {f"c{i}": pl.String for i in range(width)}
    try:
        # missing_columns="insert": a title line narrower than the table ("Chargemaster 2026") is not an error.
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            schema=schema,
            separator=delim,
            quote_char=quote,
            infer_schema=False,
            missing_columns="insert",
        )
    except pl.exceptions.ComputeError as exc:
        if "more fields" not in str(exc):
            raise InputError(name, f"cannot parse as {fmt}: {str(exc).splitlines()[0][:200]}") from None
        frame = _ragged(name, fmt, data, delim, quote)
    if frame.height == 0:
        return [RawSheet(Path(name).name, None, note="file has no rows")], fmt
    return [RawSheet(Path(name).name, frame, first_row=1, first_col=0, delimited=True, delimiter=delim)], fmt


def from_utf16(name: str, raw: bytes, codec: str) -> bytes:
    """UTF-16 text (Excel's "Unicode Text") as UTF-8 bytes, line for line, so row numbers stay the same."""
    body = raw[2:] if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw
    try:
        return body.decode(codec).encode("utf-8")
    except UnicodeDecodeError as exc:
        # Offset in the user's file, counting the byte-order mark.
        at = exc.start + len(raw) - len(body)
        raise InputError(name, f"damaged UTF-16 text: bytes at offset {at} are not {codec.upper()}") from None


def uses_quoting(sample: str, delim: str) -> bool:
    """True when some field in the sample is wrapped in double quotes (else quotes are inch marks: 3"X35")."""
    lines = sample.splitlines()[:2000]
    return any(ln.startswith('"') or f'{delim}"' in ln for ln in lines)


def max_width(sample: str, delim: str, quote: str | None) -> int:
    """Widest record among the sampled lines (the last, possibly cut, line excluded)."""
    lines = sample.splitlines()
    if len(lines) > 1:
        lines = lines[:-1]
    try:
        rows = list(
            csv.reader(
                io.StringIO("\n".join(lines)),
                delimiter=delim,
                quotechar=quote or '"',
                quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
            )
        )
    except csv.Error:
        rows = [ln.split(delim) for ln in lines]
    return max((len(r) for r in rows), default=1) or 1


def _ragged(name: str, fmt: str, data: bytes, delim: str, quote: str | None) -> pl.DataFrame:
    """Read at the widest record's width; read_sheet then refuses values right of the header (shifted columns)."""
    reader = csv.reader(
        io.StringIO(data.decode("utf-8", errors="replace")),
        delimiter=delim,
        quotechar=quote or '"',
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    width = max((len(rec) for rec in reader), default=1) or 1
    schema = {f"c{i}": pl.String for i in range(width)}
    try:
        return pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            schema=schema,
            separator=delim,
            quote_char=quote,
            infer_schema=False,
            missing_columns="insert",
        )
    except pl.exceptions.ComputeError as exc:
        raise InputError(name, f"cannot parse as {fmt}: {str(exc).splitlines()[0][:200]}") from None
