"""Import a CMS OPPS Addendum B file (xlsx or csv, as CMS publishes it) as a user quarter."""

from __future__ import annotations

import functools
import io
import os
import re
from pathlib import Path

import fastexcel
import polars as pl
import python_calamine

from auditor.codeset.table import (
    CodeTable,
    CodeTableError,
    check_quarter,
    level2_descriptor,
    normalize_codes,
    parse_rate,
    quarters_dir,
)
from auditor.lean_dataclass import dataclass

HEADER_SCAN_ROWS = 30
MIN_CODES = 1000
CODE_RE = r"^[0-9A-Z]{5}$"
SI_RE = r"^[A-Z][0-9]?$"
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx/xlsm/ods zip, legacy xls


class CodeImportError(CodeTableError):
    """An Addendum B file cannot be imported; the message names the file (and row)."""


@dataclass(frozen=True)
class ImportResult:
    """What an import stored, with changes against the previous quarter held."""

    quarter: str
    source: Path
    stored: Path
    codes: int
    previous: str | None
    new: int
    dropped: int
    replaced: bool


@dataclass
class _Sheet:
    cells: pl.DataFrame  # every cell as text, one row per sheet row
    path: Path
    excel_index: int | None = None  # sheet number for xlsx; None for csv

    @functools.cached_property
    def first_row(self) -> int:
        """1-based file row of cells' row 0 (only computed when a message needs a row number)."""
        return 1 if self.excel_index is None else _excel_first_row(self.path, self.excel_index)


def _norm(cell: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (cell or "").lower())


def _is_code_header(cell: str | None) -> bool:
    text = _norm(cell)
    # Short cells only: title rows such as "OPPS Payment by HCPCS Code for CY 2026" also say HCPCS.
    return "hcpcs" in text and len(text) <= 24


def _is_si_header(cell: str | None) -> bool:
    text = _norm(cell)
    return text == "si" or "statusindicator" in text or (text.endswith("si") and len(text) <= 8)


def _is_descriptor_header(cell: str | None) -> bool:
    text = _norm(cell)
    return "descriptor" in text or "description" in text


def _is_rate_header(cell: str | None) -> bool:
    text = _norm(cell)
    return text == "paymentrate" or (text.startswith("paymentrate") and len(text) <= 16)


def _excel_first_row(path: Path, sheet: int) -> int:
    # fastexcel drops leading empty rows; calamine knows where the used range starts.
    try:
        start = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(sheet).start
        return (start[0] if start else 0) + 1
    except Exception:  # only used to number rows in a message; never worth failing over
        return 1


def _read_excel(path: Path) -> list[tuple[pl.DataFrame, int]]:
    reader = fastexcel.read_excel(str(path))
    return [
        (reader.load_sheet(i, header_row=None, dtypes="string").to_polars(), i)
        for i in range(len(reader.sheet_names))
    ]


def _read_csv(path: Path) -> pl.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # CMS and converted files are often Windows-1252/latin-1
    lines = text.splitlines()[: HEADER_SCAN_ROWS + 5]
    separator = "\t" if sum(ln.count("\t") for ln in lines) > sum(ln.count(",") for ln in lines) else ","
    width = 1 + max((ln.count(separator) for ln in text.splitlines()), default=0)
    # Title rows above the header have fewer fields than the table: read with a fixed, wide enough
    # schema and pad short rows with nulls so row numbers still match file lines.
    return pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        has_header=False,
        separator=separator,
        schema={f"column_{i}": pl.String for i in range(width)},
        missing_columns="insert",
        truncate_ragged_lines=True,
    )


def _sheets(path: Path) -> list[_Sheet]:
    if not path.is_file():
        raise CodeImportError(f"{path}: no such file")
    with path.open("rb") as handle:
        magic = handle.read(4)
    try:
        if magic in _EXCEL_MAGIC or path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            return [_Sheet(cells, path, i) for cells, i in _read_excel(path)]
        return [_Sheet(_read_csv(path), path)]
    except OSError as exc:
        raise CodeImportError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except Exception as exc:  # fastexcel/polars raise many types for corrupt input; report, don't crash
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CodeImportError(f"{path}: not a readable xlsx or csv file ({first})") from exc


def _find_header(sheet: _Sheet) -> tuple[int, str, str, str | None, str | None] | None:
    """Return (row index, code column, SI column, descriptor column, rate column) of the header row, if any."""
    for index, row in enumerate(sheet.cells.head(HEADER_SCAN_ROWS).iter_rows(named=True)):
        code = next((c for c, v in row.items() if _is_code_header(v)), None)
        si = next((c for c, v in row.items() if c != code and _is_si_header(v)), None)
        if code and si:
            descriptors = [c for c, v in row.items() if _is_descriptor_header(v)]
            short = [c for c in descriptors if "short" in _norm(row[c])]
            rate = next((c for c, v in row.items() if _is_rate_header(v)), None)
            return index, code, si, (short or descriptors or [None])[0], rate
    return None


def read_addendum_b(path: Path) -> pl.DataFrame:
    """Read an Addendum B file into code, si, descriptor (Level II only), rate (dollars, when the file has
    a payment rate column) or raise CodeImportError."""
    for sheet in _sheets(path):
        header = _find_header(sheet)
        if header is not None:
            break
    else:
        raise CodeImportError(
            f"{path}: no Addendum B header (a HCPCS code column and an SI / status indicator column) "
            f"in the first {HEADER_SCAN_ROWS} rows"
        )
    index, code_col, si_col, desc_col, rate_col = header
    body = sheet.cells.with_row_index("row").slice(index + 1)
    code = normalize_codes(pl.col(code_col))
    # Codes stored as numbers come back as "15271" or "15271.0", and 00100 as "100".
    numeric = code.str.extract(r"^([0-9]{1,5})(?:\.0+)?$", 1)
    rows = body.select(
        "row",
        code=pl.when(numeric.is_not_null()).then(numeric.str.zfill(5)).otherwise(code),
        si=normalize_codes(pl.col(si_col)),
        descriptor=pl.col(desc_col).str.strip_chars() if desc_col else pl.lit(None, pl.String),
        rate=parse_rate(pl.col(rate_col)) if rate_col else pl.lit(None, pl.Float64),
    )
    # Blank rows and footnotes (text in the code column, nothing in SI) are not table rows.
    looks_like_code = pl.col("si").is_not_null() | pl.col("code").str.contains(CODE_RE)
    rows = rows.filter(pl.col("code").is_not_null() & looks_like_code)
    for bad, problem, column in (
        (~pl.col("code").str.contains(CODE_RE), "is not a 5-character HCPCS/CPT code", "code"),
        (pl.col("si").is_null(), "has no status indicator", "code"),
        (~pl.col("si").str.contains(SI_RE), "is not a status indicator", "si"),
        (~pl.col("code").is_first_distinct(), "is listed twice", "code"),
    ):
        _refuse_first(rows.filter(bad), sheet, problem, column)
    if rows.height < MIN_CODES:
        raise CodeImportError(
            f"{path}: only {rows.height} codes under the header on row {sheet.first_row + index}; "
            f"a CMS Addendum B lists well over {MIN_CODES}"
        )
    descriptor = level2_descriptor(pl.col("code"), pl.col("descriptor"))
    return (
        rows.select("code", "si", "rate", descriptor=descriptor)
        .select("code", "si", "descriptor", "rate")
        .sort("code")
    )


def _refuse_first(bad: pl.DataFrame, sheet: _Sheet, problem: str, column: str) -> None:
    if bad.height:
        row = bad.row(0, named=True)
        more = f" ({bad.height - 1} more such rows)" if bad.height > 1 else ""
        line = sheet.first_row + row["row"]
        raise CodeImportError(f"{sheet.path}: row {line}: {column} {row[column]!r} {problem}{more}")


def _write_atomically(frame: pl.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_csv(tmp)
    tmp.replace(target)  # a half-written quarter must never be picked up by CodeTable.load


def import_quarter(path: Path, quarter: str, home: Path | None = None) -> ImportResult:
    """Read an Addendum B file and store it as `quarter` under the user data directory."""
    path = Path(path)
    try:
        check_quarter(quarter)
    except CodeTableError as exc:
        raise CodeImportError(f"{path}: {exc}") from None
    codes = read_addendum_b(path)
    table = CodeTable.load(home)
    earlier = [q for q in table.quarters if q < quarter]
    previous = earlier[-1] if earlier else None
    new = dropped = 0
    if previous:
        before = table.frame.filter(pl.col(previous).is_not_null()).select("code")
        new = codes.join(before, on="code", how="anti").height
        dropped = before.join(codes, on="code", how="anti").height
    stored = quarters_dir(home) / f"{quarter}.csv"
    replaced = stored.exists()
    _write_atomically(codes, stored)
    return ImportResult(quarter, path, stored, codes.height, previous, new, dropped, replaced)
