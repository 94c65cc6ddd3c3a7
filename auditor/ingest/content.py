"""Profile what each column holds (code, money, text, label shares) on a sample, with vectorised polars."""

from __future__ import annotations

from dataclasses import field

import polars as pl

from auditor.ingest import shapes as sh
from auditor.lean_dataclass import dataclass

# Per-cell flags computed once per sheet sample; a profile is their mean over a run of rows.
_FLAGS = (
    "code",
    "cpt",
    "lvl2",
    "known",
    "ndc",
    "rev",
    "rev_text",
    "money",
    "decimal",
    "dollar",
    "integer",
    "date",
    "text",
    "lettered",
    "code_like",
    "modifier",
    "setting",
    "status",
    "code_type",
)


@dataclass
class ColumnProfile:
    """Shares of value shapes among one column's non-blank cells, plus size, variety and length facts."""

    n: int  # non-blank cells
    rows: int  # rows profiled
    distinct: int
    shares: dict[str, float] = field(default_factory=dict)
    mean_len: float = 0.0
    len_mode: float = 0.0  # share of values whose length is the most common length
    sequential: float = 0.0  # share of consecutive integers (row counters: 1, 2, 3 ...)
    top: str | None = None  # the most common value

    @property
    def fill(self) -> float:
        """Share of profiled rows with a value in this column."""
        return self.n / self.rows if self.rows else 0.0

    @property
    def ratio(self) -> float:
        """Distinct values per value (1.0: every value different)."""
        return self.distinct / self.n if self.n else 0.0

    def share(self, name: str) -> float:
        """Share of non-blank cells with this shape."""
        return self.shares.get(name, 0.0)


def filled(col: str) -> pl.Expr:
    """Whether a text cell holds anything but blanks."""
    return pl.col(col).str.strip_chars().str.len_chars().fill_null(0) > 0


def live_columns(frame: pl.DataFrame) -> list[str]:
    """The frame's columns with at least one value: a wide standard-charges file leaves most of its thousands of
    payer columns empty, and a test of every cell of those costs seconds for nothing."""
    nulls = frame.null_count().row(0) if frame.width else ()
    return [c for c, n in zip(frame.columns, nulls, strict=True) if n < frame.height]


def _may_pad(col: str) -> pl.Expr:
    """Whether a text cell could be blank without being empty: it starts with a space or control character, or
    with a non-ASCII one (a no-break space). Two string comparisons, far cheaper than stripping every cell."""
    return (pl.col(col) < "!") | (pl.col(col) >= "\x80")


def filled_count(frame: pl.DataFrame, live: list[str] | None = None) -> pl.Expr:
    """The number of non-blank cells on each row of the frame (`live`: its live_columns, when already known)."""
    # An empty frame still needs one column, so that the count has a row for each of the frame's rows.
    cols = (live_columns(frame) if live is None else live) or frame.columns[:1]
    padded = frame.select(_may_pad(c).any() for c in cols).row(0)
    # A column without a cell that may be padded holds a blank only as an empty or missing cell.
    return pl.sum_horizontal(
        [
            (filled(c) if pad else pl.col(c).str.len_bytes().fill_null(0) > 0).cast(pl.Int32)
            for c, pad in zip(cols, padded, strict=True)
        ]
    )


def cell_flags(frame: pl.DataFrame) -> pl.DataFrame:
    """The sample's filled cells as one long table: row, column name, cleaned value, its length, its integer value
    and one boolean per shape.

    Long, not one column per (column, shape): every flag is then one expression over all the cells, where a
    wide table took a few hundred expressions per sheet, and a profile is one group-by over the columns.
    """
    # Clean each cell once; every flag then reads the cleaned value. Only cells holding a value are kept: every
    # flag of a blank cell is null, which no share counts, and a wide export (a CMS file's thousands of payer
    # columns) is mostly blank.
    long = (
        frame.lazy()  # one query, not one per step
        .with_row_index("_row")
        .unpivot(index="_row", variable_name="col", value_name="v")
        .with_columns(sh.clean("v"))  # one expression over the cells, not one per column of a wide sheet
        .filter(pl.col("v").is_not_null())
        .collect(engine="in-memory")
    )
    v = pl.col("v")
    base = v.str.extract(r"^([0-9]{4}[0-9FTUMA]|[A-V][0-9]{4})", 1)
    # Which of the sample's code shapes CMS ever listed, asked once of its few distinct ones.
    listed = sh.known_among(long.select(base.drop_nulls().unique()).to_series()).implode()
    # Shapes several flags read are computed once as columns (polars evaluates a sub-expression per use).
    staged = long.lazy().with_columns(
        _code=v.str.contains(sh.CODE_WITH_MODS),
        _lettered=v.str.contains(r"[A-Z]{2}"),
        _money=v.str.contains(sh.MONEY),
        _known_base=base.is_in(listed),
        _digit_first=v.str.contains(r"^[0-9]"),
    )
    code, lettered, money = pl.col("_code"), pl.col("_lettered"), pl.col("_money")
    digit_first = pl.col("_digit_first")
    flags = {
        "code": code,
        "cpt": code & digit_first,
        "lvl2": code & v.str.contains(r"^[A-V]"),
        "known": code & digit_first & pl.col("_known_base"),
        "ndc": v.str.contains(sh.NDC),
        "rev": v.str.contains(sh.REVENUE),
        "rev_text": v.str.contains(sh.REVENUE_IN_TEXT) & lettered,
        "money": money,
        "decimal": v.str.contains(r"\.[0-9]+\)?$") & money,
        "dollar": v.str.contains(r"\$"),
        "integer": v.str.contains(r"^[0-9]+$"),
        "date": v.str.contains(sh.DATE),
        "text": v.str.contains(r"[A-Z].*[A-Z].*[A-Z]") & (v.str.contains(r"\s") | (v.str.len_chars() >= 10)),
        "lettered": lettered,
        "code_like": v.str.contains(sh.CODE_LIKE) & v.str.contains(r"[0-9]"),
        "modifier": v.str.contains(sh.MODIFIER),
        "setting": v.is_in(sh.SETTING_LABELS),
        "status": v.is_in(sh.STATUS_LABELS),
        "code_type": v.is_in(list(sh.CODE_TYPES)),
    }
    return staged.select(
        "_row",
        "col",
        "v",
        len=v.str.len_chars(),
        int=v.cast(pl.Int64, strict=False),
        **flags,
    ).collect(engine="in-memory")


def profile(
    flags: pl.DataFrame,
    columns: list[str],
    start: int = 0,
    stop: int | None = None,
    header: list[str] | None = None,
) -> dict[str, ColumnProfile]:
    """Profiles of `columns` over flag rows [start, stop), skipping repeats of `header`; a row with no value
    in any column has no cell in the flags, so it is not counted either."""
    return profiles(flags, columns, [(start, stop, header)])[0]


def profiles(
    flags: pl.DataFrame, columns: list[str], windows: list[tuple[int, int | None, list[str] | None]]
) -> list[dict[str, ColumnProfile]]:
    """profile() of each (start, stop, header) window of the same flags, all worked out in one collect_all (the
    header search asks for one per candidate header row, each a small query)."""
    plans = [plan for window in windows for plan in _profile_plans(flags, columns, *window)]
    got = pl.collect_all(plans, engine="in-memory") if plans else []
    return [_profile_of(got[2 * i], got[2 * i + 1], columns) for i in range(len(windows))]


def _profile_plans(
    flags: pl.DataFrame, columns: list[str], start: int, stop: int | None, header: list[str] | None
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The per-column aggregates and the row count of one window, as plans."""
    part = flags.lazy().filter(pl.col("_row") >= start)
    if stop is not None:
        part = part.filter(pl.col("_row") < stop)
    if columns:
        part = part.filter(pl.col("col").is_in(columns))
    labels = {c: h.strip().upper() for c, h in zip(columns, header or [], strict=False) if h and h.strip()}
    if labels:
        # A report's page headers repeat the header line; they are not data.
        said = pl.col("col").replace_strict(labels, default=None, return_dtype=pl.String)
        repeats = part.filter(pl.col("v") == said).group_by("_row").len().filter(pl.col("len") == len(labels))
        part = part.join(repeats, on="_row", how="anti")
    v, ln, num = pl.col("v"), pl.col("len"), pl.col("int")
    aggs = [
        v.count().alias("n"),
        v.n_unique().alias("distinct"),
        ln.mean().alias("mean_len"),
        (ln == ln.drop_nulls().mode().first()).mean().alias("len_mode"),
        # A row counter runs 1, 2, 3 ...; sorted item numbers also step by one, but do not start near 1.
        pl.when(num.min() <= 10).then((num.drop_nulls().diff() == 1).mean()).otherwise(0.0).alias("seq"),
        # mode() lists every value tied for most common in no set order: the least one keeps runs alike.
        v.drop_nulls().mode().min().alias("top"),
        *(pl.col(name).mean().alias(f"s_{name}") for name in _FLAGS),
    ]
    # Row order within each column's group is the sample's (the row counter test reads consecutive values).
    return part.group_by("col").agg(aggs), part.select(pl.col("_row").n_unique().alias("rows"))


def _profile_of(per_col: pl.DataFrame, rows: pl.DataFrame, columns: list[str]) -> dict[str, ColumnProfile]:
    """ColumnProfiles from one window's collected aggregates."""
    n_rows = rows.item() if rows.height else 0
    got = {r["col"]: r for r in per_col.iter_rows(named=True)}
    out = {}
    for c in columns:
        r = got.get(c)
        if r is None:
            out[c] = ColumnProfile(n=0, rows=n_rows, distinct=0, shares=dict.fromkeys(_FLAGS, 0.0))
            continue
        out[c] = ColumnProfile(
            n=r["n"] or 0,
            rows=n_rows,
            distinct=r["distinct"] or 0,
            shares={name: r[f"s_{name}"] or 0.0 for name in _FLAGS},
            mean_len=r["mean_len"] or 0.0,
            len_mode=r["len_mode"] or 0.0,
            sequential=r["seq"] or 0.0,
            top=r["top"],
        )
    return out


def sample_rows(frame: pl.DataFrame, start: int, head: int = 1500, tail: int = 500) -> pl.DataFrame:
    """The data rows a profile reads: the first `head` after `start` and the last `tail` (sorted exports)."""
    body = frame.slice(start)
    if body.height <= head + tail:
        return body
    return pl.concat([body.head(head), body.tail(tail)])
