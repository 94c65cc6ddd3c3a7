"""Column-mapping profiles: save the overrides that fit one hospital's export, reuse them next quarter."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from auditor.errors import InputError
from auditor.ingest.fields import CHARGEMASTER, TableKind
from auditor.ingest.kinds import KINDS
from auditor.ingest.reader import IngestOptions, SheetChoice


def empty_profile() -> dict:
    """A profile that changes nothing."""
    return {"columns": {}, "header_row": None, "sheets": None, "no_header": None, "per_sheet": {}}


def parse_overrides(pairs: tuple[str, ...] | list[str], kind: TableKind = CHARGEMASTER) -> dict[str, str]:
    """Turn `field=Header` strings into a dict, refusing unknown field names.

    The right side is a header text, or a spreadsheet column letter (B) or 1-based number (2).
    """
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(
                "--column", f'{pair!r} is not FIELD=HEADER (e.g. revenue_code="UB CODE" or description=B)'
            )
        name, header = (x.strip() for x in pair.split("=", 1))
        if name not in kind.names:
            raise InputError("--column", f"unknown field {name!r}; fields are: {', '.join(kind.names)}")
        out[name] = header.strip('"').strip("'")
    return out


def parse_sheet_kinds(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Turn `SHEET=kind` strings into a dict, refusing unknown kinds."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError("--sheet-kind", f'{pair!r} is not SHEET=KIND (e.g. "Drugs=pharmacy")')
        name, value = pair.rsplit("=", 1)
        value = value.strip().lower().replace(" ", "_").replace("-", "_")
        if value not in KINDS:
            raise InputError("--sheet-kind", f"unknown sheet kind {value!r}; kinds are: {', '.join(KINDS)}")
        out[name.strip().strip('"').strip("'")] = value
    return out


def load_profile(path: Path, kind: TableKind = CHARGEMASTER) -> dict:
    """Read a profile TOML: [columns] field = "Header", header_row or no_header, sheets, and [sheet."NAME"]."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "profile file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"profile is not valid TOML: {exc}") from None
    cols = _columns(path, data.get("columns", {}), kind, "[columns]")
    header_row = data.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise InputError(str(path), "header_row must be a row number (1 or more)")
    no_header = data.get("no_header")
    if no_header is not None and not isinstance(no_header, bool):
        raise InputError(str(path), "no_header must be true or false")
    sheets = data.get("sheets")
    if sheets is not None and not (isinstance(sheets, list) and all(isinstance(s, str) for s in sheets)):
        raise InputError(str(path), "sheets must be a list of sheet names")
    per_sheet = {}
    for name, item in (data.get("sheet") or {}).items():
        per_sheet[name] = _sheet_choice(path, name, item, kind)
    return {
        "columns": cols,
        "header_row": header_row,
        "sheets": sheets,
        "no_header": no_header,
        "per_sheet": per_sheet,
    }


def _columns(path: Path, cols, kind: TableKind, where: str) -> dict[str, str]:
    """A profile's {field: header} table, checked."""
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        raise InputError(str(path), f"{where} must map field names to header text")
    unknown = [k for k in cols if k not in kind.names]
    if unknown:
        raise InputError(
            str(path), f"unknown field {unknown[0]!r} in {where}; fields are: {', '.join(kind.names)}"
        )
    return dict(cols)


def _sheet_choice(path: Path, name: str, item, kind: TableKind) -> SheetChoice:
    """One [sheet."NAME"] table: header_row (0: none), kind, and [sheet."NAME".columns]."""
    where = f'[sheet."{name}"]'
    if not isinstance(item, dict):
        raise InputError(str(path), f"{where} must be a table")
    header_row = item.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 0):
        raise InputError(
            str(path), f"{where} header_row must be a row number (0: the sheet has no header row)"
        )
    value = item.get("kind")
    if value is not None and value not in KINDS:
        raise InputError(str(path), f"{where} kind must be one of {', '.join(KINDS)}")
    cols = _columns(path, item.get("columns", {}), kind, f"{where}.columns")
    return SheetChoice(header_row=header_row, kind=value, columns=cols)


def save_profile(
    path: Path,
    columns: dict[str, str],
    header_row: int | None = None,
    sheets: list[str] | None = None,
    no_header: bool = False,
    per_sheet: dict[str, SheetChoice] | None = None,
) -> None:
    """Write a profile TOML that load_profile reads back unchanged."""
    # JSON string escapes are valid TOML basic strings, so json.dumps quotes safely.
    lines = ["# cdm-audit column profile: reuse with --profile", ""]
    if header_row is not None:
        lines.append(f"header_row = {int(header_row)}")
    if no_header:
        lines.append("no_header = true")
    if sheets:
        lines.append("sheets = [" + ", ".join(json.dumps(s) for s in sheets) + "]")
    lines += ["", "[columns]"] + [f"{k} = {json.dumps(v)}" for k, v in columns.items()]
    for name, choice in (per_sheet or {}).items():
        got = choice.to_dict()
        if not got:
            continue
        lines += ["", f"[sheet.{json.dumps(name)}]"]
        if "header_row" in got:
            lines.append(f"header_row = {int(got['header_row'])}")
        if "kind" in got:
            lines.append(f"kind = {json.dumps(got['kind'])}")
        if got.get("columns"):
            lines += ["", f"[sheet.{json.dumps(name)}.columns]"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in got["columns"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def profile_options(profile: dict | None, **settings) -> IngestOptions:
    """IngestOptions holding a loaded profile's choices (plus other settings such as max_bytes)."""
    p = profile or empty_profile()
    return IngestOptions(
        overrides=dict(p["columns"]),
        header_row=p["header_row"],
        sheets=p["sheets"],
        no_header=bool(p["no_header"]),
        per_sheet=dict(p["per_sheet"]),
        **settings,
    )
