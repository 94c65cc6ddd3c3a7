"""Codes deleted before the Addendum B quarters held: a sourced CPT table, and HCPCS Level II termination dates;
and code families CPT replaced since, by range.

`auditor/data/cpt_deletions.csv` lists CPT codes deleted before 2019 (and a few HCPCS Level II codes CMS retired
then, which chargemasters still carry: E0752, E0756) with their successors, each row with the
public document(s) giving it (`source`, URLs separated by spaces; 97532 chains through 97127 to 97129/97130) and how sure the table is (`confidence`: high for a CMS or professional
society page, medium for a coding publication or payer policy, or where the successor is read from descriptors).
`auditor/data/cpt_family_replacements.csv` lists ranges of codes a later code set replaced by a new range, and who
replaced them (CPT, or CMS for HCPCS Level II codes), sourced the same way (2026: lower extremity revascularization
37220-37235 by 37254-37299, by vascular territory; the low-cost skin substitute application codes C5271-C5278 by
15271-15278).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import polars as pl

from auditor.codeset.hcpcs import load_hcpcs

DELETIONS_PATH = Path(__file__).resolve().parent.parent / "data" / "cpt_deletions.csv"
FAMILIES_PATH = DELETIONS_PATH.with_name("cpt_family_replacements.csv")
FAMILY_COLUMNS = (
    "first",
    "last",
    "by",
    "replaced_on",
    "replacement",
    "each_pattern",
    "each_replacement",
    "territory",
    "source",
    "confidence",
)
COLUMNS = ("code", "deleted_on", "successors", "source", "confidence")
CONFIDENCE = ("high", "medium", "low")


@functools.lru_cache(maxsize=1)
def cpt_deletions() -> pl.DataFrame:
    """The packaged table: code, deleted_on (ISO date or null), successors ('|'-separated), source, confidence."""
    frame = pl.read_csv(DELETIONS_PATH, infer_schema=False)
    return frame.select(COLUMNS)


@functools.lru_cache(maxsize=1)
def family_replacements() -> pl.DataFrame:
    """The packaged table: first and last code of a replaced range (five characters each), by (CPT or CMS),
    replaced_on, replacement (text naming the new range), each_pattern and each_replacement (when each old code has
    one successor: a regex and its re.sub replacement that turn the code into it), territory (what the range covers),
    source, confidence."""
    return pl.read_csv(FAMILIES_PATH, infer_schema=False).select(FAMILY_COLUMNS)


def level2_terminations(quarter: str, home: Path | None = None) -> pl.DataFrame:
    """HCPCS Level II codes the imported HCPCS file (newest at or before `quarter`) ended before the quarter starts.

    Columns: code, termination_date, xref ('|'-separated cross-references), hcpcs_quarter. Empty without an import.
    """
    start = dt.date(int(quarter[:4]), 3 * (int(quarter[-1]) - 1) + 1, 1).isoformat()
    rows = [
        (code, r["termination_date"], "|".join(r["xref"]) or None, r["quarter"])
        for code, r in load_hcpcs(home, quarter).items()
        if r.get("termination_date") and r["termination_date"] < start
    ]
    schema = {"code": pl.String, "termination_date": pl.String, "xref": pl.String, "hcpcs_quarter": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def codes_between(first: str, last: str) -> list[str]:
    """The codes of a range whose ends share one shape (37220-37223, C5271-C5278, 0266T-0273T), in order."""
    digits = re.search(r"[0-9]+", first)
    head, tail = first[: digits.start()], first[digits.end() :]
    width = digits.end() - digits.start()
    stop = int(last[len(head) : len(last) - len(tail)])
    return [f"{head}{n:0{width}d}{tail}" for n in range(int(digits.group()), stop + 1)]


def successors(row: dict) -> dict[str, str]:
    """Each code of a replaced range (a family_replacements row with each_pattern) -> its one successor."""
    return {
        old: re.sub(row["each_pattern"], row["each_replacement"], old)
        for old in codes_between(row["first"], row["last"])
    }
