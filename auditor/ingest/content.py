"""Profile what each column holds (code, money, text, label shares) on a sample, with vectorised polars."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from auditor.ingest import shapes as sh

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


def cell_flags(frame: pl.DataFrame) -> pl.DataFrame:
    """One boolean column per (column, shape), a cleaned value, its length and its integer value."""
    # Clean each cell once; every flag then reads the cleaned column.
    frame = frame.select([sh.clean(c).alias(c) for c in frame.columns])
    bases = frame.select(pl.col(c).str.extract(r"^(\d{4}[0-9FTUMA]|[A-V]\d{4})", 1) for c in frame.columns)
    # Which of the sample's code shapes CMS ever listed, asked once of a small set: an is_in against the
    # whole 20k-code history costs a hash table per column.
    seen = {v for col in bases.iter_columns() for v in col.drop_nulls().unique().to_list()}
    listed = pl.Series(sorted(seen & sh.known_code_set()), dtype=pl.String).implode()
    # Shapes several flags read are computed once as columns (polars evaluates a sub-expression per use).
    shared = {}
    for c in frame.columns:
        shared[f"{c}|code"] = pl.col(c).str.contains(sh.CODE_WITH_MODS)
        shared[f"{c}|lettered"] = pl.col(c).str.contains(r"[A-Z]{2}")
        shared[f"{c}|money"] = pl.col(c).str.contains(sh.MONEY)
        shared[f"{c}|known_base"] = bases.get_column(c).is_in(listed)
    staged = frame.with_columns(**shared)
    exprs: list[pl.Expr] = []
    for c in frame.columns:
        v = pl.col(c)
        code, lettered, money = pl.col(f"{c}|code"), pl.col(f"{c}|lettered"), pl.col(f"{c}|money")
        digit_first = v.str.contains(r"^\d")
        flags = {
            "code": code,
            "cpt": code & digit_first,
            "lvl2": code & v.str.contains(r"^[A-V]"),
            "known": code & digit_first & pl.col(f"{c}|known_base"),
            "ndc": v.str.contains(sh.NDC),
            "rev": v.str.contains(sh.REVENUE),
            "rev_text": v.str.contains(sh.REVENUE_IN_TEXT) & lettered,
            "money": money,
            "decimal": v.str.contains(r"\.\d+\)?$") & money,
            "dollar": v.str.contains(r"\$"),
            "integer": v.str.contains(r"^\d+$"),
            "date": v.str.contains(sh.DATE),
            "text": v.str.contains(r"[A-Z].*[A-Z].*[A-Z]")
            & (v.str.contains(r"\s") | (v.str.len_chars() >= 10)),
            "lettered": lettered,
            "code_like": v.str.contains(sh.CODE_LIKE) & v.str.contains(r"\d"),
            "modifier": v.str.contains(sh.MODIFIER),
            "setting": v.is_in(sh.SETTING_LABELS),
            "status": v.is_in(sh.STATUS_LABELS),
            "code_type": v.is_in(list(sh.CODE_TYPES)),
        }
        exprs.append(v.alias(f"{c}|v"))
        exprs.append(v.str.len_chars().alias(f"{c}|len"))
        exprs.append(v.cast(pl.Int64, strict=False).alias(f"{c}|int"))
        exprs += [f.alias(f"{c}|{name}") for name, f in flags.items()]
    return staged.select(exprs)


def profile(
    flags: pl.DataFrame,
    columns: list[str],
    start: int = 0,
    stop: int | None = None,
    header: list[str] | None = None,
) -> dict[str, ColumnProfile]:
    """Profiles of `columns` over flag rows [start, stop), skipping blank rows and repeats of `header`."""
    part = flags.slice(start, None if stop is None else max(stop - start, 0))
    if columns:
        any_value = pl.any_horizontal([pl.col(f"{c}|v").is_not_null() for c in columns])
        part = part.filter(any_value)
    labels = [(c, h.strip().upper()) for c, h in zip(columns, header or [], strict=False) if h and h.strip()]
    if labels:
        # A report's page headers repeat the header line; they are not data.
        repeat = pl.all_horizontal([(pl.col(f"{c}|v") == h).fill_null(False) for c, h in labels])
        part = part.filter(~repeat)
    aggs: list[pl.Expr] = [pl.len().alias("_rows")]
    for c in columns:
        v, ln, num = pl.col(f"{c}|v"), pl.col(f"{c}|len"), pl.col(f"{c}|int")
        aggs += [
            v.count().alias(f"{c}|n"),
            v.n_unique().alias(f"{c}|distinct"),
            ln.mean().alias(f"{c}|mean_len"),
            (ln == ln.drop_nulls().mode().first()).mean().alias(f"{c}|len_mode"),
            # A row counter runs 1, 2, 3 ...; sorted item numbers also step by one, but do not start near 1.
            pl.when(num.min() <= 10)
            .then((num.drop_nulls().diff() == 1).mean())
            .otherwise(0.0)
            .alias(f"{c}|seq"),
            # mode() lists every value tied for most common in no set order: the least one keeps runs alike.
            v.drop_nulls().mode().min().alias(f"{c}|top"),
        ]
        aggs += [pl.col(f"{c}|{name}").mean().alias(f"{c}|s_{name}") for name in _FLAGS]
    row = part.select(aggs).row(0, named=True)
    out = {}
    for c in columns:
        n = row[f"{c}|n"] or 0
        distinct = (row[f"{c}|distinct"] or 0) - (1 if n < row["_rows"] else 0)  # n_unique counts null once
        out[c] = ColumnProfile(
            n=n,
            rows=row["_rows"],
            distinct=max(distinct, 0),
            shares={name: row[f"{c}|s_{name}"] or 0.0 for name in _FLAGS},
            mean_len=row[f"{c}|mean_len"] or 0.0,
            len_mode=row[f"{c}|len_mode"] or 0.0,
            sequential=row[f"{c}|seq"] or 0.0,
            top=row[f"{c}|top"],
        )
    return out


def sample_rows(frame: pl.DataFrame, start: int, head: int = 1500, tail: int = 500) -> pl.DataFrame:
    """The data rows a profile reads: the first `head` after `start` and the last `tail` (sorted exports)."""
    body = frame.slice(start)
    if body.height <= head + tail:
        return body
    return pl.concat([body.head(head), body.tail(tail)])
