"""Mend delimited records that an unquoted delimiter split into too many fields, or say why they cannot be."""

from __future__ import annotations

import re

import polars as pl

from auditor.ingest.content import filled
from auditor.ingest.header import HeaderMatch
from auditor.ingest.shapes import CODE_WITH_MODS, MONEY

_THOUSANDS_HEAD = re.compile(r"^\(?-?\$?\s*-?[0-9]{1,3}$")
_THOUSANDS_TAIL = re.compile(r"^[0-9]{3}(?:,[0-9]{3})*(?:\.[0-9]+)?\)?\s*$")


def mend_shifted(
    data: pl.DataFrame, match: HeaderMatch, delimiter: str = ","
) -> tuple[pl.DataFrame, pl.Series]:
    """Rejoin split money ('$2', '596.00') and descriptions with the delimiter in them; flag rows that stay broken.

    Returns the data (mended rows rewritten, cells right of the header cleared) and, per row, the reason it
    must be skipped or null. A mended row is kept only when its price reads as money and its code as a code.
    """
    width = (
        len(data.columns) - 1
        if match.headerless
        else max((i + 1 for i, h in enumerate(match.headers) if h), default=0)
    )
    cols = [c for c in data.columns if c != "_row"]
    extra = [c for c in cols if int(c[1:]) >= width]
    reasons = pl.Series("reason", [None] * data.height, dtype=pl.String)
    if not extra:
        return data, reasons
    over = data.select(pl.any_horizontal([filled(c) for c in extra])).to_series()
    if not over.any():
        return data, reasons
    positions = over.arg_true().to_list()
    desc = match.mapping.get("description", [None])[0]
    checks = (
        {
            i: pat
            for role, pat in (("price", MONEY), ("cpt", CODE_WITH_MODS), ("hcpcs", CODE_WITH_MODS))
            for i in match.mapping.get(role, [])[:1]
        }
        if not match.cms_codes
        else {}
    )
    fixed_rows, why = [], reasons.to_list()
    for pos in positions:
        rec = data.row(pos, named=True)
        cells = [rec[c] for c in cols]
        while cells and (cells[-1] is None or not str(cells[-1]).strip()):
            cells.pop()
        mended = _mend(cells, width, desc, delimiter)
        if mended is None or not all(_fits(mended[i], pat) for i, pat in checks.items() if i < len(mended)):
            why[pos] = (
                f"record has {len(cells)} fields but the header has {width}: a delimiter inside an unquoted "
                "value shifted its columns, and they could not be put back for sure; quote the value"
            )
            mended = cells[:width] + [None] * max(0, width - len(cells))
        fixed_rows.append(
            {"_row": rec["_row"], **{c: (mended[i] if i < len(mended) else None) for i, c in enumerate(cols)}}
        )
    fixed = pl.DataFrame(fixed_rows, schema={"_row": pl.Int64, **{c: pl.String for c in cols}})
    data = data.update(fixed, on="_row", include_nulls=True)
    return data, pl.Series("reason", why, dtype=pl.String)


def _mend(cells: list, width: int, desc: int | None, delimiter: str) -> list | None:
    """Join thousands split off an amount, then extra fields into the description; None when it does not fit."""
    cells = [None if c is None else str(c) for c in cells]
    i = 0
    while len(cells) > width and i < len(cells) - 1:
        a, b = cells[i], cells[i + 1]
        if a is not None and b is not None and _THOUSANDS_HEAD.match(a.strip()) and _THOUSANDS_TAIL.match(b):
            cells[i : i + 2] = [f"{a},{b}"]
            continue
        i += 1
    if len(cells) > width and desc is not None and desc < width:
        spill = len(cells) - width
        joined = delimiter.join(c or "" for c in cells[desc : desc + spill + 1])
        cells[desc : desc + spill + 1] = [joined]
    return cells if len(cells) <= width else None


def _fits(value, pattern: str) -> bool:
    """A blank cell fits any role; otherwise the value must have the role's shape."""
    if value is None or not str(value).strip():
        return True
    text = str(value).strip().upper().replace(" ", "") if pattern == MONEY else str(value).strip().upper()
    return re.search(pattern, text) is not None
