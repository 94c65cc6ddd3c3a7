"""Read xlsx, xlsm, xlsb and legacy xls workbooks by content with calamine (xlrd for old xls), cells as text."""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import fastexcel

from auditor.errors import InputError
from auditor.ingest.ahead import Ahead
from auditor.ingest.biff_guard import check_sheet_biff, sheet_offsets, workbook_stream
from auditor.ingest.guards import (
    Limits,
    check_members,
    check_sheet_count,
    check_sheet_part,
    check_width,
    trim_far_columns,
)
from auditor.ingest.raw import RawSheet, SheetStream
from auditor.ingest.workbook_parts import sheet_members
from auditor.scratch import scratch_dir

_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_SCAN_LIMIT = 4 * 1024 * 1024

# calamine picks its parser by file suffix; a file opens only when that parser fits its content kind.
_KIND_PARSER = {"xlsx": "xlsx", "xlsm": "xlsx", "xlsb": "xlsb", "xls": "xls"}
_SUFFIX_PARSER = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlam": "xlsx",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".xla": "xls",
}

# The folder of a link to a misnamed workbook (the pid in its name lets the next run sweep it if killed).
ALIAS_PREFIX = "cdm-audit-alias-"


class Workbook(list[RawSheet]):
    """The sheets of a workbook (a list of RawSheet) and `format`, the label FileReport shows ("xlsx (named .xls)")."""

    def __init__(self, sheets: list[RawSheet], fmt: str) -> None:
        super().__init__(sheets)
        self.format = fmt


def read_excel(path: Path, kind: str, name: str | None = None, limits: Limits | None = None) -> Workbook:
    """Every sheet of a workbook as a RawSheet, opened as what `kind` (from its bytes) says, not its name.

    Errors name the file `name` (default: its path); `limits` caps cells per sheet and sheets per workbook.
    """
    name = name or str(path)
    limits = limits or Limits()
    with _opened(path, kind, name, limits) as (source, checks):
        try:
            sheets = list(_load_sheets(name, source, kind, _open_reader(name, source, limits), checks))
            return Workbook(sheets, _label(path, kind))
        except InputError as refusal:
            if kind != "xls":
                raise
            return _xlrd_fallback(path, refusal, name)


class _SheetChecks:
    """An xlsx's sheet XML (an xlsb's sheet records) checked against the limits, ahead of calamine.

    A worker thread streams one sheet's XML after another while calamine parses the sheets already checked:
    calamine works outside the GIL, so the checks cost little of the read (they were a fifth of it on a
    12-sheet workbook). `cleared(sheet)` waits for that sheet's check and raises its refusal, so calamine never
    allocates a sheet the guards would refuse. An xlsx's scan also finds each sheet's first cell. A legacy xls
    is checked whole before the reader opens it (calamine reads all its sheets on opening). Without a readable
    sheet list nothing is checked and calamine's own error says what is wrong.
    """

    def __init__(self, path: Path, name: str, limits: Limits, kind: str) -> None:
        self._zip: zipfile.ZipFile | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._checks: dict[str, Future] = {}
        self._fallback: dict[str, tuple[int, int]] | None = None  # calamine's origins, sheet by sheet
        self._calamine = None  # calamine's workbook, opened for the first origin asked of it
        if kind == "xls":
            # Checked here, before the reader opens: calamine lays out every sheet of an xls when it opens it.
            _check_xls(path, name, limits)
            return
        if kind not in _CHECKS:
            return
        try:
            self._zip = zipfile.ZipFile(path)
            members = sheet_members(self._zip, kind)
        except (KeyError, zipfile.BadZipFile, zlib.error, ValueError, OSError):
            self.close()
            return
        try:
            check_members(name, members, limits)
        except InputError:
            self.close()
            raise
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cdm-audit-xlsx")
        for sheet, member in members:  # one worker: sheets are checked in workbook order, as calamine reads
            self._checks[sheet] = self._pool.submit(_CHECKS[kind], self._zip, name, sheet, member, limits)

    def __enter__(self) -> _SheetChecks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop checks not yet started and close the workbook's zip."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def cleared(self, sheet: str) -> None:
        """Wait until `sheet` is checked (every sheet, for a name the sheet list does not hold); raise its refusal."""
        for future in [self._checks[sheet]] if sheet in self._checks else self._checks.values():
            future.result()

    def origin(self, sheet: str, source: Path) -> tuple[int, int]:
        """User (row, column index) of the sheet's first used cell: from the check's scan, else from calamine."""
        if sheet in self._checks and self._fallback is None:
            found = self._checks[sheet].result()
            if found is not _UNREAD:
                return found or (1, 0)
        if self._fallback is None:
            self._fallback = {}
        if sheet not in self._fallback:
            # One sheet at a time, each asked once its checks cleared: a sheet not yet checked may hold the far
            # cell that makes calamine abort. Asked of the path calamine opened (an alias when misnamed).
            self._fallback[sheet] = self._calamine_origin(source, sheet)
        return self._fallback[sheet]

    def _calamine_origin(self, path: Path, sheet: str) -> tuple[int, int]:
        """User row/column of the sheet's first used cell, as calamine saw it (it drops leading empty rows and
        columns); for workbooks whose XML is not scanned (xls, xlsb, or an xlsx whose sheet XML did not read)."""
        try:
            if self._calamine is None:
                import python_calamine

                self._calamine = python_calamine.CalamineWorkbook.from_path(str(path))
            start = self._calamine.get_sheet_by_name(sheet).start
        except BaseException as exc:
            if not engine_failure(exc):
                raise
            return (1, 0)
        return (start[0] + 1, start[1]) if start is not None else (1, 0)


# A sheet whose first cell could not be found from its XML (or an xlsb's, never looked for).
_UNREAD = object()


def _check_sheet_bin(zf: zipfile.ZipFile, name: str, sheet: str, member: str, limits: Limits) -> object:
    """Refuse the xlsb sheet as check_sheet_part does; its first cell is calamine's to find (_UNREAD)."""
    check_sheet_part(name, zf, sheet, member, limits, binary=True)
    return _UNREAD


def _check_sheet(
    zf: zipfile.ZipFile, name: str, sheet: str, member: str, limits: Limits
) -> tuple[int, int] | None | object:
    """Refuse the sheet as check_sheet_part does, then find its first cell (None: no cell; _UNREAD: unreadable)."""
    check_sheet_part(name, zf, sheet, member, limits)
    try:
        return _first_value_cell(zf, member)
    except (KeyError, zipfile.BadZipFile, zlib.error, ValueError):
        return _UNREAD


def _check_xls(path: Path, name: str, limits: Limits) -> None:
    """Refuse an xls sheet with a cell past the format's grid or a used range past max_cells (BIFF8 only: calamine
    refuses older files, which xlrd then reads)."""
    stream = workbook_stream(path)
    if stream is None:
        return
    for sheet, offset in sheet_offsets(stream):
        check_sheet_biff(name, stream, sheet, offset, limits.max_cells)


# The check each zipped workbook kind's sheets get in the worker, ahead of calamine.
_CHECKS = {"xlsx": _check_sheet, "xlsm": _check_sheet, "xlsb": _check_sheet_bin}


def _xlrd_fallback(path: Path, refusal: InputError, name: str) -> Workbook:
    """An .xls calamine refuses (Excel 5/95 with a DOS or Mac code page, ...) read with xlrd; else calamine's error."""
    try:
        from auditor.ingest.biff import read_xls  # xlrd is loaded only for a legacy .xls

        sheets, biff = read_xls(path, name)
    except InputError:
        raise refusal from None
    return Workbook(sheets, _label(path, "xls", f"{biff}, read with xlrd"))


def _label(path: Path, kind: str, note: str = "") -> str:
    """The format to report, saying when the file's name claims another format: "xlsx (named .xls)"."""
    suffix = path.suffix.lower()
    if not _named_as(path, kind):
        note = "; ".join(n for n in (note, f"named {suffix}" if suffix else "named without extension") if n)
    return f"{kind} ({note})" if note else kind


def _named_as(path: Path, kind: str) -> bool:
    """True when calamine would pick the right parser from the file's suffix."""
    return _SUFFIX_PARSER.get(path.suffix.lower()) == _KIND_PARSER[kind]


@contextmanager
def _openable(path: Path, kind: str) -> Iterator[Path]:
    """A path calamine will open as `kind`: the file itself, or a link to it whose suffix matches its bytes."""
    if _named_as(path, kind):
        yield path  # the normal case costs nothing
        return
    # calamine picks its parser by extension. Measured on a 58 MB xlsx named .xls (open + sheet names):
    # fastexcel.read_excel(bytes) 137 ms and the whole file held in memory; a copy 20 ms; a symlink 0.5 ms.
    with scratch_dir(ALIAS_PREFIX) as tmp:
        alias = tmp / f"workbook.{kind}"
        try:
            alias.symlink_to(path.resolve())
        except OSError:  # no symlinks here (Windows without the privilege): copy instead
            shutil.copyfile(path, alias)
        yield alias


def _open_reader(name: str, source: Path, limits: Limits):
    """calamine's reader of `source`, refused when it cannot open or holds too many sheets."""
    try:
        reader = fastexcel.read_excel(str(source))
    except BaseException as exc:  # fastexcel raises its own error family (and panics); all mean "cannot open"
        if not engine_failure(exc):
            raise
        raise InputError(name, f"cannot open the workbook: {_short(exc, source, name)}") from None
    check_sheet_count(name, len(reader.sheet_names), limits)
    return reader


@contextmanager
def _opened(path: Path, kind: str, name: str, limits: Limits) -> Iterator[tuple[Path, _SheetChecks]]:
    """The path calamine opens (a link when the file is misnamed) and the sheet checks running ahead of it."""
    with (
        _SheetChecks(path, name, limits, kind) as checks,
        _openable(path, kind) as source,
    ):
        yield source, checks


def _load_sheets(name: str, source: Path, kind: str, reader, checks: _SheetChecks) -> Iterator[RawSheet]:
    """Each sheet of an open reader as a RawSheet, in workbook order, each loaded once its checks clear; errors
    name the user's file `name`, never the alias."""
    charts = _chart_sheets(source, kind)
    for idx, sheet_name in enumerate(reader.sheet_names):
        if sheet_name in charts:
            yield RawSheet(sheet_name, None, note="chart sheet: it holds a chart, no cells")
            continue
        checks.cleared(sheet_name)
        try:
            sheet = reader.load_sheet(idx, header_row=None, dtypes="string")
            frame = sheet.to_polars()
        except BaseException as exc:
            if not engine_failure(exc):
                raise
            raise InputError(
                name, f"cannot read the sheet: {_short(exc, source, name)}", sheet=sheet_name
            ) from None
        hidden = getattr(sheet, "visible", "visible") != "visible"
        if frame.width == 0 or frame.height == 0:
            yield RawSheet(sheet_name, None, note="sheet is empty", hidden=hidden)
            continue
        frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
        first_row, first_col = checks.origin(sheet_name, source)
        frame, stray = trim_far_columns(frame, first_row, first_col)
        check_width(name, sheet_name, frame.width)
        yield RawSheet(sheet_name, frame, first_row, first_col, hidden=hidden, stray=stray)


@contextmanager
def stream_excel(
    path: Path, kind: str, name: str | None = None, limits: Limits | None = None
) -> Iterator[SheetStream]:
    """read_excel's sheets handed over as calamine loads them in a worker thread, so the caller works on one
    sheet while the next loads (calamine lets go of the GIL). Failures are raised where their sheet would
    come. A legacy xls is read whole first: its xlrd fallback starts the read over."""
    if kind == "xls":
        book = read_excel(path, kind, name, limits)
        yield SheetStream.of(book.format, book)
        return
    name = name or str(path)
    limits = limits or Limits()
    with _opened(path, kind, name, limits) as (source, checks):
        reader = _open_reader(name, source, limits)
        # The names are asked before the worker starts: the reader is the worker's from then on.
        names = list(reader.sheet_names)
        ahead = Ahead(_load_sheets(name, source, kind, reader, checks), "cdm-audit-sheets")
        try:
            yield SheetStream(_label(path, kind), names, iter(ahead))
        finally:
            ahead.stop()


def engine_failure(exc: BaseException) -> bool:
    """True for a reader's own failure on a damaged file, including a Rust panic (pyo3's PanicException)."""
    # PanicException derives from BaseException and cannot be imported; Ctrl+C and exits must pass through.
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _short(exc: Exception, source: Path, name: str) -> str:
    """First line of an engine error, without Rust backtrace noise, naming the user's file rather than an alias."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace(str(source), name)[:200]


def _chart_sheets(path: Path, kind: str) -> set[str]:
    """Names of chart sheets: they hold no cells, and loading one makes calamine print to stderr."""
    try:
        if kind in ("xlsx", "xlsm"):
            with zipfile.ZipFile(path) as zf:
                return {n for n, member in sheet_members(zf, kind) if "/chartsheets/" in member}
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return {m.name for m in wb.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.ChartSheet}
    except BaseException as exc:  # unreadable metadata: let the sheet load report the problem
        if not engine_failure(exc):
            raise
        return set()


def _first_value_cell(zf: zipfile.ZipFile, member: str) -> tuple[int, int] | None:
    """(row, column index) of the first cell with a value, reading at most a few MB of XML."""
    buf = b""
    best_col = None
    first_row = None
    with zf.open(member) as fh:
        while len(buf) < _SCAN_LIMIT:
            chunk = fh.read(65536)
            if not chunk:
                break
            buf += chunk
            for m in _CELL.finditer(buf):
                body = m.group(3) or b""
                if b"<v>" not in body and b"<v " not in body and b"<is>" not in body:
                    continue
                row = int(m.group(2))
                col = _col_index(m.group(1).decode())
                if first_row is None:
                    first_row = row
                best_col = col if best_col is None else min(best_col, col)
            if first_row is not None:
                break
    if first_row is None:
        return None
    return first_row, best_col or 0


def _col_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1
