"""Addendum B quarters without polars: their names, where imported ones live, which one a date is checked against."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from auditor.derived_cache import code_key, default_home, source_key
from auditor.lean_dataclass import dataclass
from auditor.version import __version__

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "opps_status.csv.gz"
QUARTER_RE = re.compile(r"^[0-9]{4}Q[1-4]$")
# HCPCS Level II: a letter A-V then four digits; everything else of 5 characters is CPT (or junk).
LEVEL2_PATTERN = r"^[A-V][0-9]{4}$"
# Letters CMS assigns to HCPCS Level II series. F, I, N, O are unassigned, so a code like F1234 is
# plain invalid rather than "a series OPPS does not list".
LEVEL2_SERIES = "ABCDEGHJKLMPQRSTUV"
SUMMARY_COLUMNS = ("first_seen", "last_seen", "last_si", "descriptor")
STATUSES = ("active", "deleted", "invalid", "unknown_to_opps")
_MONTH_OF_QUARTER = {"1": "January", "2": "April", "3": "July", "4": "October"}


class CodeTableError(ValueError):
    """A code-table file (packaged or user-imported) is missing or malformed."""


@dataclass(frozen=True)
class QuarterChoice:
    """Which Addendum B quarter an audit date is checked against, and why."""

    requested: str
    used: str
    stale: bool
    message: str


@dataclass(frozen=True)
class CodeStatus:
    """Classification of one code in one quarter (same fields as a `CodeTable.classify` row)."""

    code: str | None
    status: str | None
    si: str | None
    first_seen: str | None
    last_seen: str | None
    last_si: str | None
    descriptor: str | None


def quarter_of(day: dt.date) -> str:
    """Return the calendar quarter of a date, e.g. 2026-05-01 -> "2026Q2"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_label(quarter: str) -> str:
    """Return the name CMS publishes a quarter's Addendum B under, e.g. "2026Q4" -> "October 2026"."""
    return f"{_MONTH_OF_QUARTER[quarter[-1]]} {quarter[:4]}"


def check_quarter(quarter: str) -> str:
    """Return the quarter string if it looks like 2026Q3, else raise CodeTableError."""
    if not isinstance(quarter, str) or not QUARTER_RE.match(quarter):
        raise CodeTableError(f"quarter {quarter!r} is not of the form 2026Q3")
    return quarter


def quarters_dir(home: Path | None = None) -> Path:
    """Return the folder holding user-imported quarter files."""
    return (home if home is not None else default_home()) / "quarters"


def user_quarters(home: Path | None) -> dict[str, Path]:
    """The quarters imported under `home`, oldest first, and their files."""
    folder = quarters_dir(home)
    if not folder.is_dir():
        return {}
    found = {p.stem: p for p in folder.glob("*.csv") if QUARTER_RE.match(p.stem)}
    return dict(sorted(found.items()))


def table_key(user: dict[str, Path]) -> str:
    """The cache key of the merged code table: the packaged file, the imported quarters and this code."""
    return source_key([TABLE_PATH, *user.values()], code_key("codeset"), __version__)


def resolve_quarter(quarters: list[str], as_of: dt.date) -> QuarterChoice:
    """Pick the quarter of `quarters` (held, oldest first) to check codes against for a date of service, explaining
    any mismatch."""
    requested = quarter_of(as_of)
    if requested in quarters:
        return QuarterChoice(requested, requested, False, "")
    earlier = [q for q in quarters if q < requested]
    if not earlier:
        used = quarters[0]
        return QuarterChoice(
            requested,
            used,
            False,
            (
                f"audit date {as_of:%Y-%m-%d} falls in {requested} but the oldest CMS Addendum B held is "
                f"{used} ({quarter_label(used)}); codes are checked against {used}, so codes that were "
                f"valid in {requested} but deleted before {used} show as deleted or invalid."
            ),
        )
    used = earlier[-1]
    held = "newest" if used == quarters[-1] else "nearest earlier"
    return QuarterChoice(
        requested,
        used,
        True,
        (
            f"audit date {as_of:%Y-%m-%d} falls in {requested} but the {held} CMS Addendum B held is "
            f"{used} ({quarter_label(used)}); codes are checked against {used}. "
            f"Import the {quarter_label(requested)} Addendum B with: "
            f"cdm-audit codes import <Addendum B file> --quarter {requested}"
        ),
    )
