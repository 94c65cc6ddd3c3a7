"""Every CPT/HCPCS code the tool knows exists or existed: Addendum B quarters held and the imported HCPCS file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from auditor.codeset.hcpcs import load_hcpcs
from auditor.codeset.table import CodeTable


def known_codes(home: Path | None = None) -> pl.Series:
    """Codes any Addendum B quarter held lists (2019 onward), plus the newest imported HCPCS Level II file's."""
    frame = CodeTable.load(home).frame
    listed = frame.filter(pl.col("first_seen").is_not_null()).get_column("code")
    imported = pl.Series("code", list(load_hcpcs(home)), dtype=pl.String)
    return pl.concat([listed, imported]).unique()
