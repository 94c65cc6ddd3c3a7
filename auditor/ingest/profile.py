"""Column-mapping profiles: save the overrides that fit one hospital's export, reuse them next quarter."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from auditor.errors import InputError
from auditor.ingest.fields import CHARGEMASTER, TableKind


def parse_overrides(pairs: tuple[str, ...] | list[str], kind: TableKind = CHARGEMASTER) -> dict[str, str]:
    """Turn `field=Header` strings into a dict, refusing unknown field names."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError("--column", f"{pair!r} is not FIELD=HEADER (e.g. revenue_code=\"UB CODE\")")
        name, header = (x.strip() for x in pair.split("=", 1))
        if name not in kind.names:
            raise InputError("--column", f"unknown field {name!r}; fields are: {', '.join(kind.names)}")
        out[name] = header.strip('"').strip("'")
    return out


def load_profile(path: Path, kind: TableKind = CHARGEMASTER) -> dict:
    """Read a profile TOML: [columns] field = "Header", optional header_row and sheets."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "profile file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"profile is not valid TOML: {exc}") from None
    cols = data.get("columns", {})
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        raise InputError(str(path), "[columns] must map field names to header text")
    unknown = [k for k in cols if k not in kind.names]
    if unknown:
        raise InputError(str(path), f"unknown field {unknown[0]!r} in [columns]; fields are: {', '.join(kind.names)}")
    header_row = data.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise InputError(str(path), "header_row must be a row number (1 or more)")
    sheets = data.get("sheets")
    if sheets is not None and not (isinstance(sheets, list) and all(isinstance(s, str) for s in sheets)):
        raise InputError(str(path), "sheets must be a list of sheet names")
    return {"columns": dict(cols), "header_row": header_row, "sheets": sheets}


def save_profile(path: Path, columns: dict[str, str], header_row: int | None = None,
                 sheets: list[str] | None = None) -> None:
    """Write a profile TOML that load_profile reads back unchanged."""
    # JSON string escapes are valid TOML basic strings, so json.dumps quotes safely.
    lines = ["# cdm-audit column profile: reuse with --profile", ""]
    if header_row is not None:
        lines.append(f"header_row = {int(header_row)}")
    if sheets:
        lines.append("sheets = [" + ", ".join(json.dumps(s) for s in sheets) + "]")
    lines += ["", "[columns]"] + [f"{k} = {json.dumps(v)}" for k, v in columns.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
