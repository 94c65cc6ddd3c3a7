"""Cell helpers shared by the tabular writers: formula neutralisation (cells and frames), one-line related rows."""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl

# What spreadsheet programs read as the start of a formula (OWASP CSV injection list), plus the
# full-width look-alikes some programs normalise. Leading spaces or newlines do not make text safe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# formula_like() as a regex for whole columns: a formula start, possibly after leading spaces, newlines or NBSPs.
FORMULA_PATTERN = "^[\\x{20}\\x{A}\\x{A0}]*[" + "".join(f"\\x{{{ord(c):X}}}" for c in FORMULA_STARTS) + "]"


def formula_like(text: str | None) -> bool:
    """True when a spreadsheet could take this text for a formula (or a DDE payload)."""
    if not text:
        return False
    if text.startswith(FORMULA_STARTS):
        return True
    stripped = text.lstrip(" \n\u00a0")
    return stripped != text and stripped.startswith(FORMULA_STARTS)


def neutralise(text: str | None) -> str:
    """Text for a CSV cell: a leading `'` when it could be read as a formula; None becomes ''."""
    if text is None:
        return ""
    return "'" + text if formula_like(text) else text


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """neutralise() on every text column of a frame (None stays null); booleans as yes/no, like the row writers."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            quoted = pl.when(col.str.contains(FORMULA_PATTERN)).then(pl.lit("'") + col).otherwise(col)
            exprs.append(quoted.alias(name))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("yes")).when(col.not_()).then(pl.lit("no")).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def where(file: str | None, sheet: str | None, row: int | None, base_file: str | None = None) -> str:
    """'CDM!27', prefixed with the file when it differs from `base_file` ('links.csv row 16' for a text file)."""
    name = _name(file) if file else None
    # A text file's one "sheet" is named after the file: naming both says the same thing twice.
    loc = f"{sheet}!{row}" if sheet and sheet != name else f"row {row}"
    return loc if not file or file == base_file else f"{file} {loc}"


@functools.lru_cache(maxsize=256)
def _name(file: str) -> str:
    """A path's last part (cached: a report asks it of the same few files for every finding)."""
    return Path(file).name


def related_text(related: list[dict], base_file: str | None = None, limit: int = 10) -> str:
    """Related rows as one short line: 'CDM!94 27800460 C1713 HC ANCHOR…; +3 more'."""
    parts = []
    for r in related[:limit]:
        bits = [where(r.get("file"), r.get("sheet"), r.get("row"), base_file)]
        bits += [str(r[k]) for k in ("charge_code", "code", "revenue_code") if r.get(k)]
        if r.get("description"):
            bits.append(str(r["description"])[:40])
        parts.append(" ".join(bits))
    if len(related) > limit:
        parts.append(f"+{len(related) - limit} more")
    return "; ".join(parts)
