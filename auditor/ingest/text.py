"""Read delimited text (csv, tab, pipe, semicolon; UTF-8, cp1252 or UTF-16), every cell as text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest.guards import EXCEL_COLUMNS
from auditor.ingest.quotes import refuse_swallowed
from auditor.ingest.raw import RawSheet
from auditor.ingest.sniff import DEFAULT_MAX_BYTES, SNIFF_BYTES, utf16_codec

_DELIMS = [",", "|", "\t", ";"]
# The widest record read: Excel's width. A CMS wide standard-charges file runs to thousands of payer columns; a
# line of 300,000 stray delimiters made every column step of the read run 300,000 times (minutes, GBs).
MAX_FIELDS = EXCEL_COLUMNS
_SAMPLE_BYTES = 256 * 1024
# The sample reaches this many lines, up to the cap: a wide standard-charges file's header line alone (a thousand
# payer plans, each name holding pipes) can fill 256 KiB, and a delimiter judged on that one line is a guess.
_SAMPLE_LINES, _SAMPLE_CAP = 10, 16 * 1024 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
# A byte that starts a UTF-8 multi-byte character.
_LEAD_BYTE = re.compile(rb"[\xc2-\xf4]")
_REPLACED = "\ufffd"


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


def sample_size(data: bytes) -> int:
    """Bytes of the file to sniff: 256 KiB, or as far as its first lines reach when they are longer (capped)."""
    ends = _LINE_END.finditer(data, 0, _SAMPLE_CAP)
    found = [m.end() for _, m in zip(range(_SAMPLE_LINES), ends, strict=False)]
    if len(found) < _SAMPLE_LINES:  # fewer lines than that: all of the file, up to the cap
        return min(len(data), _SAMPLE_CAP)
    return max(found[-1], _SAMPLE_BYTES)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently into several fields."""
    allow_fields(len(text))
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
    sample, encoding = decode_sample(raw[: sample_size(raw)])
    delim = sniff_delimiter(sample)
    fmt = DELIMITER_FORMATS[delim]
    data = normalize_newlines(to_utf8(raw, encoding))
    _refuse_nul(name, data)
    quote = '"' if uses_quoting(sample, delim) else None
    width = max_width(sample, delim, quote)
    refuse_wide(name, sample, delim, quote, width)
    try:
        frame = _polars(data, delim, quote, width)
    except pl.exceptions.PolarsError:
        try:  # a record wider than the sampled ones (polars says "more fields" or names extra columns)
            width = _widest(data, delim, quote)
            refuse_wide(name, data, delim, quote, width)
            frame = _polars(data, delim, quote, width)
        except (pl.exceptions.PolarsError, csv.Error):
            # A quote polars will not take (an inch mark 3"X35 in a quoted file, "A"B, a quote never closed):
            # read it as Python's csv module and Excel do, or say which row holds the stray quote.
            frame = _lenient(name, fmt, data, delim, quote)
    if quote:  # a stray quote closed by another one lines later would merge those lines into one cell
        refuse_swallowed(name, frame, data, delim)
    if EXCEL_TEXT_MARK in data:
        frame = unwrap_excel_text(frame)
    if frame.height == 0:
        return [RawSheet(Path(name).name, None, note="file has no rows")], fmt
    return [RawSheet(Path(name).name, frame, first_row=1, first_col=0, delimited=True, delimiter=delim)], fmt


# ="0278": how exports keep a code's leading zeros when the CSV is opened in Excel (a formula that yields the text).
EXCEL_TEXT_MARK = b'="'
_EXCEL_TEXT = r'^\s*="(.*)"\s*$'


def unwrap_excel_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells written ="0278" (Excel's keep-as-text formula) as the text they stand for: 0278."""
    return frame.with_columns(
        pl.col(c).str.replace(_EXCEL_TEXT, "${1}") for c, t in frame.schema.items() if t == pl.String
    )


def to_utf8(raw: bytes, encoding: str) -> bytes:
    """The file as valid UTF-8: kept as is when it is UTF-8, else decoded as the sample suggested.

    UTF-8 with a few damaged bytes (a cut character, an encoded lone surrogate) keeps its good characters and
    gets U+FFFD for the bad ones; text with no valid multi-byte characters at all is cp1252.
    """
    body = raw[3:] if encoding == "utf-8-sig" else raw
    if encoding != "cp1252" or _LEAD_BYTE.search(body):
        try:
            body.decode("utf-8")
            return body
        except UnicodeDecodeError:
            pass
        text = body.decode("utf-8", errors="replace")
        # cp1252 text almost never forms a valid multi-byte character; count each damaged spot once.
        bad = _damaged_spots(text)
        # Characters past ASCII that decoded cleanly (the replacement characters are the damage).
        clean = len(text) - len(text.encode("ascii", "ignore")) - text.count(_REPLACED)
        if encoding == "utf-8-sig" or clean >= bad:
            return text.encode("utf-8")
    return raw.decode("cp1252", errors="replace").encode("utf-8")


def _damaged_spots(text: str) -> int:
    """Runs of U+FFFD in `text`, one per damaged spot; found with str.find, as a regex scan of a 1.4 MB file takes
    ~10 ms."""
    spots, at = 0, text.find(_REPLACED)
    while at != -1:
        spots += at == 0 or text[at - 1] != _REPLACED
        at = text.find(_REPLACED, at + 1)
    return spots


def normalize_newlines(data: bytes) -> bytes:
    """CR-only (old Mac) and mixed CR / LF / CRLF line ends as LF, so each line the user counts is one row.

    Plain LF and plain CRLF files (which polars reads natively) come back as they are, without a copy.
    """
    if b"\r" not in data:
        return data
    crlf = data.count(b"\r\n")
    if crlf == data.count(b"\r"):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def allow_fields(size: int) -> None:
    """Let Python's csv module take a field as long as the whole input (its default is 128 KiB)."""
    limit = min(max(size + 1, DEFAULT_MAX_BYTES), 2**31 - 1)
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _refuse_nul(name: str, data: bytes) -> None:
    """A NUL byte past the sniffed head: the file is damaged; say on which row."""
    at = data.find(b"\x00")
    if at >= 0:
        raise InputError(
            name,
            "the row holds a NUL byte (binary zero), so the file is damaged or was cut off while being written; "
            "export it again",
            row=data.count(b"\n", 0, at) + 1,
        )


def _polars(data: bytes, delim: str, quote: str | None, width: int) -> pl.DataFrame:
    """Every record as `width` text columns c0, c1, ...; a title line narrower than the table is not an error."""
    return pl.read_csv(
        io.BytesIO(data),
        has_header=False,
        schema={f"c{i}": pl.String for i in range(width)},
        separator=delim,
        quote_char=quote,
        infer_schema=False,
        missing_columns="insert",
    )


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
    allow_fields(len(sample))
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


def refuse_wide(name: str, text: str | bytes, delim: str, quote: str | None, width: int) -> None:
    """Refuse text (or UTF-8 bytes, decoded only then) whose widest record passes MAX_FIELDS, naming the row
    of the first such record."""
    if width <= MAX_FIELDS:
        return
    reader = _reader(text.decode("utf-8") if isinstance(text, bytes) else text, delim, quote)
    row = None
    try:
        for rec in reader:
            if len(rec) > MAX_FIELDS:
                row = reader.line_num
                break
    except csv.Error:
        pass  # a quote the sample cut off: the width alone tells the story
    raise InputError(
        name,
        f"a row holds {width:,} fields, over the {MAX_FIELDS:,}-column limit (Excel's widest sheet; a "
        "chargemaster has tens): a line of stray delimiters or a damaged export; remove the line and export again",
        row=row,
    )


def _reader(text: str, delim: str, quote: str | None, strict: bool = False):
    """Python's csv reader over LF-only text, quoting as the sample showed."""
    allow_fields(len(text))
    return csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delim,
        quotechar=quote or '"',
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        strict=strict,
    )


def _widest(data: bytes, delim: str, quote: str | None) -> int:
    """Width of the widest record; read_sheet then refuses values right of the header (shifted columns)."""
    reader = _reader(data.decode("utf-8"), delim, quote)
    return max((len(rec) for rec in reader), default=1) or 1


def _lenient(name: str, fmt: str, data: bytes, delim: str, quote: str | None) -> pl.DataFrame:
    """Read with Python's csv module (a stray quote inside a field is a character); refuse a quote never closed."""
    text = data.decode("utf-8")
    reader = _reader(text, delim, quote)
    rows: list[list[str]] = []
    first = last_first = 1  # the line the next record starts on, and the one the last record read started on
    try:
        for rec in reader:
            rows.append(rec)
            last_first, first = first, reader.line_num + 1
    except csv.Error as exc:
        raise InputError(name, f"cannot parse as {fmt}: {exc}", row=reader.line_num) from None
    if quote and rows:
        _refuse_unclosed(name, text, delim, quote, last_first, reader.line_num)
    width = max((len(r) for r in rows), default=1) or 1
    refuse_wide(name, text, delim, quote, width)
    columns = {f"c{i}": [(r[i] or None) if i < len(r) else None for r in rows] for i in range(width)}
    return pl.DataFrame(columns, schema={c: pl.String for c in columns})


def _refuse_unclosed(name: str, text: str, delim: str, quote: str, first: int, last: int) -> None:
    """The last record runs from line `first` to `last`: if a quote in it never closes, name that row."""
    spanned = last - first + 1
    cut = len(text)
    for _ in range(spanned + text.endswith("\n")):  # back to the line break before line `first`
        cut = text.rfind("\n", 0, cut)
        if cut < 0:
            break
    try:
        for _rec in _reader(text[cut + 1 :], delim, quote, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError(
                name,
                f"a quote ({quote}) opens a field that is never closed, so "
                + (
                    f"the {spanned} lines from here to the end of the file"
                    if spanned > 1
                    else "the rest of the line"
                )
                + " would be read as one cell; remove or double the stray quote and export again",
                row=first,
            ) from None
