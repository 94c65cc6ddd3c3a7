"""Import the CMS HCPCS Level II quarterly file (fixed-width text or xlsx): long descriptors, dates, cross-references."""

from __future__ import annotations

import os
import re
from pathlib import Path

import polars as pl

from auditor.codeset.table import CodeTableError, check_quarter
from auditor.derived_cache import default_home
from auditor.lean_dataclass import dataclass

# Fixed-width record (HCPC<year>_recordlayout.txt, 320 bytes; trailing filler is often trimmed).
# 1-based inclusive positions of the fields kept.
FIELDS = {
    "code": (1, 5),
    "ric": (11, 11),
    "long": (12, 91),
    "short": (92, 119),
    "xref": (205, 229),
    "add_date": (269, 276),
    "action_date": (277, 284),
    "termination_date": (285, 292),
    "action": (293, 293),
}
# Record identification code: 3 = first line of a procedure, 4 = its continuation lines; 7/8 = modifiers.
FIRST, CONTINUATION = "3", "4"
LEVEL2 = re.compile(r"^[A-V][0-9]{4}$")  # CPT (Level I) descriptors are AMA copyright: never stored
COLUMNS = (
    "code",
    "long_descriptor",
    "short_descriptor",
    "add_date",
    "action_date",
    "termination_date",
    "action",
    "xref",
)
# xlsx headers as CMS names them (HCPC, LONG DESCRIPTION, ...), normalised to letters and digits.
XLSX_HEADERS = {
    "hcpc": "code",
    "recid": "ric",
    "longdescription": "long",
    "shortdescription": "short",
    "adddt": "add_date",
    "acteffdt": "action_date",
    "termdt": "termination_date",
    "actioncd": "action",
}
MIN_CODES = 500


class HcpcsImportError(CodeTableError):
    """The file is not a HCPCS Level II release this importer understands; the message names it."""


@dataclass(frozen=True)
class HcpcsImport:
    """What an import stored."""

    quarter: str
    source: Path
    stored: Path
    codes: int
    terminated: int


def hcpcs_dir(home: Path | None = None) -> Path:
    """$CDM_AUDIT_HOME/hcpcs: one csv per imported quarter."""
    return (home if home is not None else default_home()) / "hcpcs"


def _date(text: str) -> str | None:
    """'20260101' -> '2026-01-01'; blank -> None."""
    text = text.strip()
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if re.fullmatch(r"[0-9]{8}", text) else None


def _records_fixed(path: Path) -> list[dict]:
    """Level II procedure records of a fixed-width file, continuation lines joined into the long descriptor."""
    out: list[dict] = []
    current = None
    with path.open(encoding="latin-1") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if len(line) < 12:
                continue
            ric = line[10]
            code = line[:5].strip().upper()
            if ric == FIRST:
                get = {k: line[a - 1 : b].strip() if len(line) >= a else "" for k, (a, b) in FIELDS.items()}
                xref = line[204:229] if len(line) >= 205 else ""
                current = {
                    "code": code,
                    "long": get["long"],
                    "short": get["short"],
                    "add_date": get["add_date"],
                    "action_date": get["action_date"],
                    "termination_date": get["termination_date"],
                    "action": get["action"],
                    "xref": [xref[i : i + 5].strip() for i in range(0, 25, 5) if xref[i : i + 5].strip()],
                }
                out.append(current)
            elif ric == CONTINUATION:
                if current is None or current["code"] != code:
                    raise HcpcsImportError(
                        f"{path}: line {n}: continuation of {code!r} without its first line"
                    )
                current["long"] = f"{current['long']} {line[11:91].strip()}".strip()
            elif ric not in "78":
                raise HcpcsImportError(
                    f"{path}: line {n}: record type {ric!r} is not a HCPCS record (3, 4, 7, 8)"
                )
    return out


def _records_xlsx(path: Path) -> list[dict]:
    """Level II procedure records of the xlsx release (one sheet, header row with HCPC and LONG DESCRIPTION)."""
    import fastexcel

    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string").to_polars()
    for index, row in enumerate(sheet.head(20).iter_rows()):  # noqa: B007 (index is read after the break)
        names = {re.sub(r"[^a-z0-9]", "", (v or "").lower()): i for i, v in enumerate(row)}
        if "hcpc" in names and "longdescription" in names:
            break
    else:
        raise HcpcsImportError(f"{path}: no header with HCPC and LONG DESCRIPTION in the first 20 rows")
    cols = {field: names[h] for h, field in XLSX_HEADERS.items() if h in names}
    xrefs = [i for h, i in sorted(names.items()) if re.fullmatch(r"xref[0-9]", h)]
    out, current = [], None
    for row in sheet.slice(index + 1).iter_rows():

        def get(field, row=row):
            i = cols.get(field)
            return (row[i] or "").strip() if i is not None else ""

        code, ric = get("code").upper(), get("ric") or FIRST
        if not code:
            continue
        if ric == CONTINUATION and current is not None and current["code"] == code:
            current["long"] = f"{current['long']} {get('long')}".strip()
            continue
        if ric != FIRST:
            continue
        current = {
            "code": code,
            "long": get("long"),
            "short": get("short"),
            "add_date": get("add_date").replace("-", "")[:8],
            "action_date": get("action_date").replace("-", "")[:8],
            "termination_date": get("termination_date").replace("-", "")[:8],
            "action": get("action"),
            "xref": [(row[i] or "").strip() for i in xrefs if (row[i] or "").strip()],
        }
        out.append(current)
    return out


def read_hcpcs(path: Path) -> pl.DataFrame:
    """The Level II codes of a HCPCS release: code, descriptors, dates (ISO), action code, cross-references."""
    path = Path(path)
    if not path.is_file():
        raise HcpcsImportError(f"{path}: no such file")
    with path.open("rb") as fh:
        magic = fh.read(4)
    try:
        records = _records_xlsx(path) if magic == b"PK\x03\x04" else _records_fixed(path)
    except HcpcsImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt workbooks raise many types; one clear line instead
        raise HcpcsImportError(f"{path}: not a readable HCPCS file ({type(exc).__name__}: {exc})") from None
    rows = [r for r in records if LEVEL2.match(r["code"])]
    if len(rows) < MIN_CODES:
        raise HcpcsImportError(
            f"{path}: only {len(rows)} HCPCS Level II codes; a CMS release lists thousands"
        )
    frame = pl.DataFrame(
        {
            "code": [r["code"] for r in rows],
            "long_descriptor": [r["long"] for r in rows],
            "short_descriptor": [r["short"] for r in rows],
            "add_date": [_date(r["add_date"]) for r in rows],
            "action_date": [_date(r["action_date"]) for r in rows],
            "termination_date": [_date(r["termination_date"]) for r in rows],
            "action": [r["action"] or None for r in rows],
            "xref": ["|".join(r["xref"]) or None for r in rows],
        },
        schema={c: pl.String for c in COLUMNS},
    )
    return frame.unique("code", keep="last", maintain_order=True).sort("code")


def import_hcpcs(path: Path, quarter: str, home: Path | None = None) -> HcpcsImport:
    """Read a HCPCS Level II file and store it as `quarter` under the user data directory."""
    try:
        check_quarter(quarter)
    except CodeTableError as exc:
        raise HcpcsImportError(f"{path}: {exc}") from None
    frame = read_hcpcs(path)
    target = hcpcs_dir(home) / f"{quarter}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_csv(tmp)
    tmp.replace(target)  # never leave a half-written quarter for a reader
    return HcpcsImport(
        quarter, Path(path), target, frame.height, frame["termination_date"].is_not_null().sum()
    )


def load_hcpcs(home: Path | None = None, quarter: str | None = None) -> dict[str, dict]:
    """code -> record from the newest imported HCPCS quarter (at or before `quarter`); empty without imports."""
    path = newest_hcpcs_file(home, quarter)
    if path is None:
        return {}
    frame = pl.read_csv(path, infer_schema=False)
    return {
        r["code"]: {**r, "xref": (r["xref"] or "").split("|") if r["xref"] else [], "quarter": path.stem}
        for r in frame.iter_rows(named=True)
    }


def newest_hcpcs_file(home: Path | None = None, quarter: str | None = None) -> Path | None:
    """The newest imported HCPCS quarter's file (at or before `quarter`), or None without imports."""
    folder = hcpcs_dir(home)
    held = sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []
    held = [q for q in held if re.fullmatch(r"[0-9]{4}Q[1-4]", q) and (quarter is None or q <= quarter)]
    return folder / f"{held[-1]}.csv" if held else None
