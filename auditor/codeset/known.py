"""Every CPT/HCPCS code the tool knows exists or existed: Addendum B quarters held and the imported HCPCS file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from auditor.codeset.hcpcs import newest_hcpcs_file
from auditor.codeset.table import CodeTable

# The last answer with what it was made from: the header search and the description check both ask each run.
_HELD: list[tuple[pl.DataFrame, tuple | None, pl.Series]] = []


def known_codes(home: Path | None = None) -> pl.Series:
    """Codes any Addendum B quarter held lists (2019 onward), plus the newest imported HCPCS Level II file's,
    sorted."""
    frame = CodeTable.load(home).frame
    path = newest_hcpcs_file(home)
    stamp = (path, path.stat().st_mtime_ns) if path is not None else None
    # The same table frame (held here, so its identity cannot be reused) and the same HCPCS file.
    if _HELD and _HELD[0][0] is frame and _HELD[0][1] == stamp:
        return _HELD[0][2]
    listed = frame.filter(pl.col("first_seen").is_not_null()).get_column("code")
    imported = (
        pl.read_csv(path, columns=["code"], infer_schema=False).get_column("code")
        if path is not None
        else pl.Series("code", [], dtype=pl.String)
    )
    codes = pl.concat([listed, imported]).unique().sort()  # sorted: a few codes are looked up by bisection
    _HELD[:] = [(frame, stamp, codes)]
    return codes
