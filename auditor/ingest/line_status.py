"""Which values of a chargemaster's status column say a line is not live, read with its header's polarity."""

from __future__ import annotations

import polars as pl

from auditor.ingest.fields import norm_header
from auditor.ingest.header import HeaderMatch

# Words that say a line is retired whatever the header ('Status: Inactive', 'I', 'Deleted').
_RETIRED = (
    "INACTIVE",
    "INACT",
    "I",
    "DELETED",
    "DISCONTINUED",
    "RETIRED",
    "OBSOLETE",
    "TERMINATED",
    "DEACTIVATED",
    "INACTIVATED",
)
_YES = ("Y", "YES", "TRUE", "T", "1", "X")
_NO = ("N", "NO", "FALSE", "F", "0")
# A header saying the flag marks retired lines ('Inactive Flag', 'Deleted?'): there a yes retires the line.
_NEGATIVE = frozenset(
    {"INACTIVE", "INACT", "DELETED", "DISCONTINUED", "INACTIVATED", "TERMINATED", "RETIRED"}
)


def inactive_values(header: str) -> tuple[str, ...]:
    """The upper-case values that mark a line not live under this status header.

    A yes/no flag means the opposite under 'Active' and under 'Inactive Flag', and nothing certain under a
    plain 'Status' or 'Active/Inactive': there only words (Inactive, I, Deleted ...) retire a line.
    """
    words = set(norm_header(header).split())
    negative, positive = bool(words & _NEGATIVE), "ACTIVE" in words
    if negative and not positive:
        return _RETIRED + _YES
    if positive and not negative:
        return _RETIRED + _NO
    return _RETIRED


def status_header(match: HeaderMatch) -> str | None:
    """The header of the status column when the header itself names a status (not content alone), else None.

    A column mapped by its values only could be anything holding 'I' (inpatient) or 'N': no line is retired
    on such a guess.
    """
    cols = match.mapping.get("status")
    evidence = match.evidence.get("status")
    if not cols or evidence is None or evidence.header <= 0:
        return None
    return match.headers[cols[0]]


def inactive(match: HeaderMatch) -> pl.Expr:
    """True on lines whose status value retires them (False everywhere without a named status column)."""
    header = status_header(match)
    if header is None:
        return pl.lit(False)
    value = pl.col("status").str.strip_chars().str.to_uppercase()
    return value.is_in(inactive_values(header)).fill_null(False)


def retired_reason(match: HeaderMatch) -> pl.Expr:
    """Why a line is skipped as not live (its status, as written), or null for a live line."""
    if status_header(match) is None:
        return pl.lit(None, dtype=pl.String)
    said = pl.format("the line's status says it is not live ('{}'): inactive lines are not audited", "status")
    return pl.when(inactive(match)).then(said)
