"""Quarterly OPPS code-validity table: packaged CMS Addendum B history merged with user-imported quarters."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import io
from pathlib import Path

import polars as pl

from auditor.codeset.quarters import (
    LEVEL2_PATTERN,
    LEVEL2_SERIES,
    QUARTER_RE,
    STATUSES,
    SUMMARY_COLUMNS,
    TABLE_PATH,
    CodeStatus,
    CodeTableError,
    QuarterChoice,
    check_quarter,
    quarter_label,
    quarter_of,
    quarters_dir,
    resolve_quarter,
    table_key,
    user_quarters,
)
from auditor.derived_cache import cached

__all__ = [  # the quarters module's names are read from here too
    "LEVEL2_PATTERN",
    "LEVEL2_SERIES",
    "STATUSES",
    "TABLE_PATH",
    "CodeStatus",
    "CodeTable",
    "CodeTableError",
    "QuarterChoice",
    "check_quarter",
    "quarter_label",
    "quarter_of",
    "quarters_dir",
]

# One OPPS payment-rate column per quarter (rate_2026Q2): dollars, empty where the code has no rate.
RATE_PREFIX = "rate_"
_TABLES: dict[str, CodeTable] = {}  # the last table CodeTable.load built, by its cache key


def normalize_codes(codes: pl.Expr) -> pl.Expr:
    """Trim (incl. non-breaking spaces), upper-case, and turn empty strings into null."""
    # str.strip_chars() without arguments strips Unicode whitespace, which covers the U+00A0
    # that CMS files carry after some codes (e.g. "A4341\xa0").
    cleaned = codes.cast(pl.String).str.strip_chars().str.to_uppercase()
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def rate_column(quarter: str) -> str:
    """The name of a quarter's payment-rate column, e.g. "2026Q2" -> "rate_2026Q2"."""
    return RATE_PREFIX + quarter


def parse_rate(text: pl.Expr) -> pl.Expr:
    """A payment rate as dollars ("$1,234.50" -> 1234.5); blank or unreadable -> null."""
    cleaned = text.cast(pl.String).str.replace_all(r"[$,\s]", "")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned.cast(pl.Float64, strict=False))


def level2_descriptor(code: pl.Expr, descriptor: pl.Expr) -> pl.Expr:
    """Keep a descriptor only for HCPCS Level II codes: CPT descriptors are AMA copyright."""
    return pl.when(code.str.contains(LEVEL2_PATTERN)).then(descriptor)


@functools.lru_cache(maxsize=1)
def _packaged() -> pl.DataFrame:
    # Cached: the packaged table never changes while the process runs.
    if not TABLE_PATH.is_file():
        raise CodeTableError(
            f"packaged code table {TABLE_PATH} is missing; "
            "rebuild it with: python -m auditor.codeset.build --from <addendum-b folder>"
        )
    raw = gzip.decompress(TABLE_PATH.read_bytes())
    return pl.read_csv(io.BytesIO(raw), infer_schema=False)


def _read_user_quarter(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise CodeTableError(f"{path}: cannot read imported quarter ({exc})") from exc
    if not {"code", "si"} <= set(frame.columns):
        raise CodeTableError(f"{path}: imported quarter needs columns code, si (has {frame.columns})")
    if "descriptor" not in frame.columns:
        frame = frame.with_columns(descriptor=pl.lit(None, pl.String))
    if (
        "rate" not in frame.columns
    ):  # quarters imported before rates were kept: the audit falls back to charges
        frame = frame.with_columns(rate=pl.lit(None, pl.String))
    frame = frame.select(normalize_codes(pl.col("code")), "si", "descriptor", "rate")
    frame = frame.filter(pl.col("code").is_not_null())
    if frame["code"].n_unique() != frame.height:
        # A duplicate would add rows to every classify() join and break its one-row-per-code promise.
        raise CodeTableError(f"{path}: imported quarter lists a code twice; re-import the CMS file")
    return frame


def _merge(packaged: pl.DataFrame, user: dict[str, Path]) -> tuple[pl.DataFrame, list[str]]:
    """Add user quarters as columns and recompute first/last seen over every quarter held."""
    packaged_quarters = [c for c in packaged.columns if QUARTER_RE.match(c)]
    window_start = packaged_quarters[0]
    stored = pl.col("first_seen"), pl.col("last_seen"), pl.col("last_si")
    # Sightings before the packaged window (the before-2023 list) only survive in the stored
    # summary columns, so carry them through the recomputation.
    frame = packaged.with_columns(
        _pre_first=pl.when(stored[0] < window_start).then(stored[0]),
        _pre_last=pl.when(stored[1] < window_start).then(stored[1]),
        _pre_si=pl.when(stored[1] < window_start).then(stored[2]),
    ).drop(*SUMMARY_COLUMNS[:3])
    user_descriptors = []
    for quarter, path in user.items():
        names = {"si": quarter, "descriptor": f"_d{quarter}", "rate": rate_column(quarter)}
        imported = _read_user_quarter(path).rename(names)
        frame = frame.drop(quarter, rate_column(quarter), strict=False)
        frame = frame.join(imported, on="code", how="full", coalesce=True)
        user_descriptors.append(f"_d{quarter}")
    quarters = sorted(set(packaged_quarters) | set(user))
    newest_first = list(reversed(quarters))
    seen = [pl.when(pl.col(q).is_not_null()).then(pl.lit(q)) for q in quarters]
    window_first = pl.coalesce(seen)
    window_last = pl.coalesce(list(reversed(seen)))
    window_last_si = pl.coalesce([pl.col(q) for q in newest_first])
    descriptor = pl.coalesce([pl.col(d) for d in reversed(user_descriptors)] + [pl.col("descriptor")])
    frame = frame.with_columns(
        first_seen=pl.min_horizontal(pl.col("_pre_first"), window_first),
        last_seen=pl.max_horizontal(pl.col("_pre_last"), window_last),
        last_si=pl.when(window_last.is_not_null()).then(window_last_si).otherwise(pl.col("_pre_si")),
        descriptor=level2_descriptor(pl.col("code"), descriptor),
    )
    rates = [
        pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c)
        for c in map(rate_column, quarters)
    ]
    return frame.select("code", *quarters, *SUMMARY_COLUMNS, *rates), quarters


def _unlisted_series(codes: pl.Series) -> str:
    """Level II series letters that never occur in any Addendum B held (S, T, H in the CMS data)."""
    seen = set(codes.filter(codes.str.contains(LEVEL2_PATTERN)).str.slice(0, 1).unique().to_list())
    return "".join(letter for letter in LEVEL2_SERIES if letter not in seen)


class CodeTable:
    """Status indicator of every HCPCS/CPT code per quarter, with first/last quarter seen."""

    def __init__(self, frame: pl.DataFrame, quarters: list[str], imported: dict[str, Path]):
        self._frame = frame
        self._quarters = quarters
        self._imported = imported
        self._unlisted = _unlisted_series(frame["code"])
        # quarter -> (code, rate) of the codes with a rate, parsed once per table
        self._rates: dict[str, pl.DataFrame] = {}

    @classmethod
    def load(cls, home: Path | None = None) -> CodeTable:
        """Load the packaged table merged with quarters imported under `home` (the merge is kept on disk)."""
        user = user_quarters(home)
        if not TABLE_PATH.is_file():
            _packaged()  # says what is missing and how to rebuild it
        # Reading and merging the gzipped CSV takes ~35 ms of every audit; its parquet copy reads in ~5 ms.
        key = table_key(user)
        frame = cached(
            "code-table",
            key,
            lambda: _merge(_packaged(), user)[0],
            pl.read_parquet,
            lambda table, path: table.write_parquet(path),
            ".parquet",
        )
        # One table per frame read: the header search, the edits and the history each ask for it, and a new
        # table would work out the unlisted series and parse the rates again (a dozen queries a run).
        table = _TABLES.get(key)
        # The same frame the derived cache handed back last time: a cache read again (cleared, rebuilt) is a new one.
        if table is None or table.frame is not frame:
            table = cls(frame, [c for c in frame.columns if QUARTER_RE.match(c)], user)
            _TABLES.clear()
            _TABLES[key] = table
        return table

    @property
    def quarters(self) -> list[str]:
        """All quarters held, oldest first."""
        return list(self._quarters)

    @property
    def newest_quarter(self) -> str:
        """The most recent quarter held."""
        return self._quarters[-1]

    @property
    def imported_quarters(self) -> dict[str, Path]:
        """User-imported quarters and the files they were loaded from."""
        return dict(self._imported)

    @property
    def unlisted_series(self) -> str:
        """Level II series letters absent from every Addendum B held; their codes are `unknown_to_opps`."""
        return self._unlisted

    @property
    def frame(self) -> pl.DataFrame:
        """Merged wide table: code, an SI column per quarter, first_seen, last_seen, last_si, descriptor, rates."""
        return self._frame

    def has_rates(self, quarter: str) -> bool:
        """Whether the quarter held carries OPPS payment rates (an older import may not)."""
        column = rate_column(quarter)
        return (
            column in self._frame.columns and self._frame.get_column(column).null_count() < self._frame.height
        )

    def rates(self, codes: pl.Series, quarter: str) -> pl.Series:
        """The OPPS payment rate (dollars) of each code in a held quarter, null where it has none; same order."""
        key = normalize_codes(pl.col("code"))
        if codes.dtype.is_integer():
            key = key.str.zfill(5)
        column = rate_column(quarter)
        if column not in self._frame.columns:
            return pl.Series("rate", [None] * len(codes), dtype=pl.Float64)
        table = self._rates.get(quarter)
        if table is None:  # parsing every code's rate text costs more than the look-up: once per quarter
            table = self._frame.select("code", rate=parse_rate(pl.col(column))).filter(
                pl.col("rate").is_not_null()
            )
            self._rates[quarter] = table
        # One query: each eager step of a look-up is a query of its own (a few a run, a few a claims chunk).
        wanted = pl.LazyFrame({"code": codes}).select(code=key)
        found = wanted.join(table.lazy(), on="code", how="left", maintain_order="left")
        return found.select("rate").collect(engine="in-memory").get_column("rate")

    def resolve_quarter(self, as_of: dt.date) -> QuarterChoice:
        """Pick the quarter to check codes against for a date of service, explaining any mismatch."""
        return resolve_quarter(self._quarters, as_of)

    def classify(self, codes: pl.Series, quarter: str) -> pl.DataFrame:
        """Classify each code for a held quarter; one output row per input position, same order."""
        if quarter not in self._quarters:
            held = f"{self._quarters[0]}..{self.newest_quarter}"
            raise CodeTableError(f"quarter {quarter} is not held (held: {held}); use resolve_quarter first")
        key = normalize_codes(pl.col("code"))
        if codes.dtype.is_integer():
            # Spreadsheets turn 00100 into 100; put the leading zeros back before matching.
            key = key.str.zfill(5)
        # One query (see rates): the look-up and the status below.
        wanted = pl.LazyFrame({"code": codes}).select(code=key)
        table = self._frame.lazy().select("code", pl.col(quarter).alias("si"), *SUMMARY_COLUMNS)
        rows = wanted.join(table, on="code", how="left", maintain_order="left")
        code, si, first_seen = pl.col("code"), pl.col("si"), pl.col("first_seen")
        unlisted = list(self._unlisted)
        in_unlisted_series = code.str.contains(LEVEL2_PATTERN) & code.str.slice(0, 1).is_in(unlisted)
        status = (
            pl.when(code.is_null())
            .then(None)
            .when(si == "D")
            .then(pl.lit("deleted"))  # SI D = discontinued code
            .when(si.is_not_null())
            .then(pl.lit("active"))
            .when(first_seen < quarter)
            .then(pl.lit("deleted"))
            .when(first_seen.is_null() & in_unlisted_series)
            .then(pl.lit("unknown_to_opps"))
            .otherwise(pl.lit("invalid"))
        )
        return rows.select("code", status.alias("status"), "si", *SUMMARY_COLUMNS).collect(engine="in-memory")

    def status(self, code: str, quarter: str) -> CodeStatus:
        """Classify a single code for a held quarter."""
        row = self.classify(pl.Series([code], dtype=pl.String), quarter).row(0, named=True)
        return CodeStatus(**row)
