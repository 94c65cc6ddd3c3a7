"""Read claim files as a stream of canonical line chunks: CSV/text streamed, workbooks and 837 files whole."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import field, replace
from pathlib import Path

import polars as pl

from auditor.claims.fields import CLAIM
from auditor.claims.project import LINE_SCHEMA, project
from auditor.errors import InputError
from auditor.ingest.quotes import line_count, swallowed_cell, swallowed_error
from auditor.ingest.raw import RawSheet
from auditor.ingest.reader import FileReport, IngestOptions, SheetReport, file_sha256, read_file, read_sheet
from auditor.ingest.sniff import sniff
from auditor.ingest.text import (
    DELIMITER_FORMATS,
    EXCEL_TEXT_MARK,
    decode_sample,
    max_width,
    refuse_wide,
    sniff_delimiter,
    unwrap_excel_text,
    uses_quoting,
)
from auditor.lean_dataclass import dataclass
from auditor.scratch import scratch_dir

HEAD_BYTES = 1 << 20
DEFAULT_CHUNK_ROWS = 200_000
# Claim extracts run to gigabytes; text is streamed, so the cap only guards against the wrong file.
DEFAULT_MAX_BYTES = 20 * 1024**3


@dataclass
class ClaimFile:
    """One input's account: format, hash, and what happened to its rows (summed over chunks)."""

    report: FileReport
    sheets: dict[str, SheetReport] = field(default_factory=dict)
    x12_errors: list[str] = field(default_factory=list)

    def add(self, rep: SheetReport) -> None:
        """Fold one chunk's sheet report into the file's account."""
        have = self.sheets.get(rep.name)
        if have is None:
            self.sheets[rep.name] = rep
            self.report.sheets.append(rep)
            return
        have.rows_read += rep.rows_read
        have.rows_audited += rep.rows_audited
        have.rows_skipped += rep.rows_skipped
        have.skipped.extend(rep.skipped)


def claim_chunks(
    path: Path, options: IngestOptions, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> tuple[ClaimFile, Iterator[pl.DataFrame]]:
    """The file's account and an iterator of canonical claim-line frames (LINE_SCHEMA)."""
    options = replace(options, kind=CLAIM)
    sniffed = sniff(path, options.max_bytes)
    if sniffed.kind == "text" and _starts_with_isa(path):
        return _x12(path, sniffed.size)
    if sniffed.kind != "text":
        frame, report = read_file(path, options)
        if not any(s.header_row is not None for s in report.sheets):
            notes = "; ".join(f"sheet {s.name!r}: {s.note}" for s in report.sheets if s.note)
            raise InputError(str(path), f"no claim-line table found ({notes or 'no sheets'})")
        acc = ClaimFile(report, {s.name: s for s in report.sheets})
        return acc, iter([frame.select(list(LINE_SCHEMA))])
    report = FileReport(str(path), "csv", file_sha256(path), sniffed.size)
    acc = ClaimFile(report)
    return acc, _unix_lines(path, options, acc, chunk_rows)


def _starts_with_isa(path: Path) -> bool:
    """An X12 interchange opens with an ISA segment."""
    with path.open("rb") as fh:
        return fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")


def _x12(path: Path, size: int) -> tuple[ClaimFile, Iterator[pl.DataFrame]]:
    """An 837I/837P file read through the X12 library, projected like any other claim table."""
    from auditor.claims.x12 import read_837  # on use: pyx12 loads only for X12 files

    got = read_837(path)
    report = FileReport(str(path), got.format, file_sha256(path), size)
    lines = project(got.frame, str(path), got.format)
    sheet = SheetReport(
        got.format,
        header_row=None,
        rows_read=lines.height + len(got.skipped),
        rows_audited=lines.height,
        rows_skipped=len(got.skipped),
        skipped=list(got.skipped),
    )
    sheet.note = "X12 837 interchange: row = position of the service-line segment (SV1/SV2) in the file"
    acc = ClaimFile(report, {sheet.name: sheet}, list(got.errors))
    report.sheets.append(sheet)
    return acc, iter([lines])


_LONE_CR = re.compile(rb"\r(?!\n)")
# The folder of an LF copy of a CR-only claims file (swept by a later run if this one is killed).
COPY_PREFIX = "cdm-audit-claims-"


def _unix_lines(
    path: Path, options: IngestOptions, acc: ClaimFile, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """The text chunks, read from a copy with LF line ends when the file has CR-only (old Mac) or mixed ones."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not _LONE_CR.search(head):
        yield from _text_chunks(path, options, acc, chunk_rows)
        return
    # polars splits records on LF only; the copy streams a block at a time, so memory stays flat.
    with scratch_dir(COPY_PREFIX) as tmp:
        copy = tmp / path.name
        with path.open("rb") as src, copy.open("wb") as dst:
            carry = b""
            for block in iter(lambda: src.read(1 << 22), b""):
                block = carry + block
                carry = b"\r" if block.endswith(b"\r") else b""  # a CR whose LF may open the next block
                block = block[:-1] if carry else block
                dst.write(block.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            dst.write(b"\n" if carry else b"")
        yield from _text_chunks(copy, options, acc, chunk_rows, name=path)


def _text_chunks(
    path: Path, options: IngestOptions, acc: ClaimFile, chunk_rows: int, name: Path | None = None
) -> Iterator[pl.DataFrame]:
    """Find the header in the first megabyte, then stream the rest through polars in chunks."""
    read_from, path = path, name or path  # messages name the user's file, not a line-end copy
    with read_from.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    sample, encoding = decode_sample(head)
    delim = sniff_delimiter(sample)
    acc.report.format = DELIMITER_FORMATS[delim]
    quote = '"' if uses_quoting(sample, delim) else None
    width = max_width(sample, delim, quote)
    refuse_wide(str(path), sample, delim, quote, width)
    schema = {f"c{i}": pl.String for i in range(width)}
    cut = head.rfind(b"\n") + 1 if len(head) == HEAD_BYTES else len(head)
    body = (
        head[:cut]
        .removeprefix(b"\xef\xbb\xbf")
        .decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace")
        .encode("utf-8")
    )
    try:
        head_frame = pl.read_csv(
            io.BytesIO(body),
            has_header=False,
            schema=schema,
            separator=delim,
            quote_char=quote,
            infer_schema=False,
            missing_columns="insert",
            n_rows=200,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.ComputeError as exc:
        raise InputError(
            str(path), f"cannot parse as {acc.report.format}: {str(exc).splitlines()[0][:200]}"
        ) from None
    probe, rep = read_sheet(
        str(path), RawSheet(path.name, head_frame, first_row=1, delimited=True), replace(options, kind=CLAIM)
    )
    if probe is None or rep.header_row is None:
        raise InputError(
            str(path),
            "no claim-line header found in the first 30 rows (looked for a claim id "
            "column); name it with --column claim_id=HEADER or --header-row N",
        )
    header_row = rep.header_row
    header_cells = [rep.headers[i] if i < len(rep.headers) else None for i in range(width)]
    header = pl.DataFrame(
        {f"c{i}": [header_cells[i]] for i in range(width)} | {"_row": [header_row]},
        schema=schema | {"_row": pl.Int64},
    )
    chunk_opts = replace(options, kind=CLAIM, header_row=header_row)
    # Bytes a line takes in the head, so that a block of the file holds about chunk_rows lines.
    block = max(1, chunk_rows * max(cut, 1) // max(body.count(b"\n"), 1))
    opts = {"schema": schema, "separator": delim, "quote_char": quote}
    try:
        for batch in _record_blocks(read_from, block, header_row, opts, str(path)):
            raw = RawSheet(
                path.name, pl.concat([header, batch], how="vertical"), first_row=header_row, delimited=True
            )
            frame, chunk_rep = read_sheet(str(path), raw, chunk_opts)
            acc.add(chunk_rep)
            if frame is not None and frame.height:
                yield frame.select(list(LINE_SCHEMA))
    except pl.exceptions.ComputeError as exc:
        raise InputError(
            str(path), f"cannot parse as {acc.report.format}: {str(exc).splitlines()[0][:200]}"
        ) from None


def _record_blocks(
    path: Path, block: int, skip: int, opts: dict, name: str | None = None
) -> Iterator[pl.DataFrame]:
    """The file's records after the first `skip`, parsed a block of bytes at a time, `_row` numbered.

    Why not polars' streaming scan: it reads ahead ~300 MiB whatever the batch size, so peak memory
    would not stay flat; a block cut at a record boundary holds only the lines being audited.
    """
    quote = opts["quote_char"].encode() if opts["quote_char"] else None
    row, rest, lines = 1, b"", 0
    left = skip  # records still to skip: with small blocks the header may lie past the first one
    with path.open("rb") as fh:
        while True:
            data = fh.read(block)
            buf = rest + data
            end = len(buf) if not data else _record_end(buf, quote)
            if end == 0 and data:
                rest = buf  # no whole record yet: read on
                continue
            piece, rest = buf[:end], buf[end:]
            lines_before, lines = lines, lines + line_count(piece)  # file lines, for the messages
            # isspace stops at the first byte that is not a space; strip() would copy the whole block.
            if piece and not piece.isspace():
                frame = pl.read_csv(
                    io.BytesIO(piece),
                    has_header=False,
                    infer_schema=False,
                    encoding="utf8-lossy",
                    missing_columns="insert",
                    row_index_name="_row",
                    row_index_offset=row,
                    **opts,
                )
                if quote is not None:  # a stray quote pair would merge the lines between into one cell
                    _refuse_swallowed(name or str(path), frame, piece, opts["separator"], lines_before)
                if EXCEL_TEXT_MARK in piece:
                    frame = unwrap_excel_text(frame)
                row += frame.height
                drop = min(left, frame.height)
                frame, left = frame.slice(drop), left - drop
                if frame.height:
                    yield frame.select(*opts["schema"], pl.col("_row").cast(pl.Int64))
            if not data:
                return


def _refuse_swallowed(name: str, frame: pl.DataFrame, piece: bytes, delim: str, lines_before: int) -> None:
    """Refuse a block of records where a stray quote pair merged lines: file row, column and file lines."""
    hit = swallowed_cell(frame.drop("_row"), piece, delim)
    if hit is not None:
        index, col, opens, closes = hit
        row = frame.get_column("_row")[index]
        raise swallowed_error(name, row, col, opens + lines_before, closes + lines_before)


def _record_end(buf: bytes, quote: bytes | None) -> int:
    """Length of the buffer's whole records: up to the last newline outside a quoted field (0: none)."""
    pos = buf.rfind(b"\n")
    # An even count of quote characters before a newline puts it outside quotes ("" escapes count twice).
    while quote is not None and pos >= 0 and buf.count(quote, 0, pos) % 2:
        pos = buf.rfind(b"\n", 0, pos)
    return pos + 1
