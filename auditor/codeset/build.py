"""Build the packaged OPPS code-status table (auditor/data/opps_status.csv.gz) from Addendum B csv files."""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

import polars as pl

from auditor.codeset.table import (
    RATE_PREFIX,
    TABLE_PATH,
    level2_descriptor,
    normalize_codes,
    parse_rate,
    rate_column,
)

# Input (see SOURCE.txt next to the data): one YYYY-MM.csv per quarter, named by the quarter's first
# month (2026-04.csv is 2026Q2), plus before-2023-last-seen.csv: codes dropped 2019-2022 with the
# last quarter they were seen in.
#
# Output: one row per code, sorted, with one status-indicator column per quarter (empty when not
# listed), first_seen, last_seen, last_si, descriptor, then one OPPS payment-rate column per quarter
# (rate_2026Q2 ...; empty when the code has no rate that quarter: packaged, not paid, or not listed).
# * first_seen is the earliest quarter the code is known to be listed. The before-2023 list only
#   records a last sighting, so for those codes first_seen is that sighting (an upper bound).
# * descriptor is kept for HCPCS Level II codes only: CPT descriptors are AMA copyright and must
#   never ship, so CPT rows have an empty descriptor.
# * The bytes are deterministic (sorted rows, gzip mtime 0, no name) so the file can be committed:
#   python -m auditor.codeset.build --from /work/shared/data/cms/addendum-b

QUARTER_FILE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})\.csv$")
BEFORE_FILE = "before-2023-last-seen.csv"
CODE_RE = r"^[0-9A-Z]{5}$"


def month_quarter(year: str, month: str) -> str:
    """Return the quarter containing a month, e.g. ("2026", "04") -> "2026Q2"."""
    return f"{year}Q{(int(month) - 1) // 3 + 1}"


def source_quarter(source: pl.Expr) -> pl.Expr:
    """Map a Source ("2020-04", "2020-05-04", or year-only "2019" -> approximate "2019Q4") to a quarter."""
    year = source.str.slice(0, 4)
    month = source.str.slice(5, 2)
    quarter = ((month.cast(pl.Int32, strict=False) - 1) // 3 + 1).cast(pl.String)
    return pl.when(source.str.len_chars() == 4).then(year + "Q4").otherwise(year + "Q" + quarter)


def read_addendum_csv(path: Path) -> pl.DataFrame:
    """Read one converted Addendum B csv into code, si, descriptor, source (text) and rate (dollars)."""
    frame = pl.read_csv(path, encoding="latin-1", infer_schema=False)
    frame = frame.select(
        code=normalize_codes(pl.col("HCPCSCode"))
        # The before-2023 file went through a numeric column: 96132 appears as "96132.0".
        .str.replace(r"^([0-9]{5})\.0$", "${1}"),
        si=normalize_codes(pl.col("StatusIndicator")),
        descriptor=pl.col("ShortDescriptor").str.strip_chars(),
        source=pl.col("Source").str.strip_chars(),
        rate=parse_rate(pl.col("PaymentRate")),
        _rate_text=pl.col("PaymentRate").str.strip_chars(),
    ).filter(pl.col("code").is_not_null())  # each file ends with an empty line
    unread = frame.filter((pl.col("_rate_text").str.len_chars() > 0) & pl.col("rate").is_null())
    if unread.height:
        raise ValueError(f"{path}: {unread.height} payment rates are not amounts, e.g. {unread.row(0)}")
    frame = frame.drop("_rate_text")
    bad = frame.filter(~pl.col("code").str.contains(CODE_RE) | pl.col("si").is_null())
    if bad.height:
        raise ValueError(f"{path}: {bad.height} rows with a malformed code or no SI, e.g. {bad.row(0)}")
    if frame["code"].n_unique() != frame.height:
        raise ValueError(f"{path}: duplicate codes")
    return frame


def build_table(source_dir: Path) -> pl.DataFrame:
    """Combine every quarter file and the before-2023 list into the wide, sorted code table."""
    sightings = []
    for path in sorted(source_dir.glob("*.csv")):
        match = QUARTER_FILE_RE.match(path.name)
        if not match:
            continue
        # The file name, not the Source column, names the quarter (2026-01.csv says "2026-02").
        quarter = month_quarter(*match.groups())
        sightings.append(read_addendum_csv(path).with_columns(quarter=pl.lit(quarter)))
    if not sightings:
        raise ValueError(f"{source_dir}: no YYYY-MM.csv quarter files")
    quarters = sorted({s["quarter"][0] for s in sightings})
    before = read_addendum_csv(source_dir / BEFORE_FILE)
    before = before.with_columns(quarter=source_quarter(pl.col("source")))
    if before.filter(pl.col("quarter") >= quarters[0]).height:
        raise ValueError(f"{BEFORE_FILE}: has sightings inside the quarterly window {quarters[0]}..")
    everything = pl.concat([*sightings, before]).drop("source", "rate")
    summary = (
        everything.sort("code", "quarter")
        .group_by("code", maintain_order=True)
        .agg(
            first_seen=pl.col("quarter").first(),
            last_seen=pl.col("quarter").last(),
            last_si=pl.col("si").last(),
            descriptor=pl.col("descriptor").last(),
        )
        .with_columns(descriptor=level2_descriptor(pl.col("code"), pl.col("descriptor")))
    )
    listed = pl.concat(sightings)
    wide = listed.pivot(on="quarter", index="code", values="si", aggregate_function=None)
    rates = listed.with_columns(quarter=pl.lit(RATE_PREFIX) + pl.col("quarter")).pivot(
        on="quarter", index="code", values="rate", aggregate_function=None
    )
    table = summary.join(wide, on="code", how="left").join(rates, on="code", how="left")
    rate_columns = [rate_column(q) for q in quarters]
    return table.select(
        "code", *quarters, "first_seen", "last_seen", "last_si", "descriptor", *rate_columns
    ).sort("code")


def write_table(table: pl.DataFrame, out: Path) -> int:
    """Write the table as gzip csv with a fixed header (mtime 0, no name) and return its size."""
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = table.write_csv(line_terminator="\n").encode("utf-8")
    tmp = out.with_suffix(".tmp")
    # No file name and mtime 0 in the gzip header: rebuilding gives identical bytes.
    with tmp.open("wb") as raw, gzip.GzipFile("", "wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
        gz.write(payload)
    tmp.replace(out)
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build and write the packaged table."""
    parser = argparse.ArgumentParser(
        prog="python -m auditor.codeset.build", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--from", dest="source", type=Path, required=True, help="folder with the Addendum B csv files"
    )
    parser.add_argument("--out", type=Path, default=TABLE_PATH, help=f"output file (default {TABLE_PATH})")
    args = parser.parse_args(argv)
    try:
        table = build_table(args.source)
    except (ValueError, OSError, pl.exceptions.PolarsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    size = write_table(table, args.out)
    quarters = [c for c in table.columns if re.match(r"^[0-9]{4}Q[1-4]$", c)]
    print(f"wrote {args.out}: {table.height} codes, {quarters[0]}..{quarters[-1]}, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
