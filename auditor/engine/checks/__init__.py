"""Check kinds: the closed set of vectorised tests that edits configure."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import field
from typing import TypeVar

import polars as pl

from auditor.codeset.icd10 import DiagnosisCodeSet
from auditor.engine.lists import CatalogError
from auditor.lean_dataclass import dataclass

T = TypeVar("T")
# The column of a dated run's frame that names each row's code table quarter (run_edits(by_quarter=True)).
QUARTER = "_quarter"


@dataclass
class CheckContext:
    """What a check sees: the prepared frame, code lists, facility config, quarter, scope kind and code sets.

    `diagnoses` is the ICD-10-CM code set claim diagnoses are checked against (None where no check needs it).
    """

    frame: pl.DataFrame
    lists: dict
    config: object
    quarter: str
    scope_kind: str
    diagnoses: DiagnosisCodeSet | None = None
    cache: dict = field(default_factory=dict)
    _locks: dict = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key, build: Callable[[], T]) -> T:
        """The value held under `key`, built on first use; built once even when checks run in threads."""
        if key in self.cache:
            return self.cache[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.cache:
                self.cache[key] = build()
        return self.cache[key]

    def quarter_expr(self) -> pl.Expr:
        """The code table quarter of each row: a dated run (claims) checks each line against its own quarter."""
        return pl.col(QUARTER) if QUARTER in self.frame.columns else pl.lit(self.quarter)

    def quarters(self) -> list[str]:
        """The code table quarters the run's rows are checked against (one, unless the run is dated)."""
        if QUARTER not in self.frame.columns:
            return [self.quarter]
        return self.memo("quarters", lambda: sorted(self.frame.get_column(QUARTER).drop_nulls().unique()))

    def picked(self, selector) -> pl.LazyFrame:
        """The frame's rows whose code the selector picks, in row order, as a lazy frame of every column.

        A check that starts from its trigger lines then reads those, not every line of a claims chunk, and
        only the columns its query uses.
        """
        # _rid is the row's position (prepare_frame), so the rows are gathered without a join.
        return self.frame.lazy().select(pl.all().gather(self._positions("frame", self.frame, selector)))

    def presence(self, description_not: str | None = None) -> pl.DataFrame:
        """Rows per (scope, code), optionally leaving out rows whose description matches a regex; cached."""

        def build() -> pl.DataFrame:
            frame = self.frame.lazy()
            if description_not:
                frame = frame.filter(
                    ~pl.col("description").str.to_uppercase().str.contains(description_not).fill_null(False)
                )
            return frame.group_by("_scope", "code").agg(_n=pl.len()).collect(engine="in-memory")

        return self.memo(("presence", description_not), build)

    def presence_of(self, selector, description_not: str | None = None) -> pl.DataFrame:
        """presence() rows whose code the selector picks: a companion check needs its companion codes' counts
        only, on a claims chunk a few thousand of the hundreds of thousands of (scope, code) rows; cached."""
        rows = self.presence(description_not)
        return rows.gather(self._positions(("presence", description_not), rows, selector))

    def picks(self, selector) -> bool:
        """Whether any row of the frame has a code the selector picks (known from the distinct codes)."""
        return len(self._positions("frame", self.frame, selector)) > 0

    def _positions(self, name, rows: pl.DataFrame, selector) -> pl.Series:
        """Positions of `rows` (known to the cache as `name`) whose code the selector picks, in order; cached.

        A selector reads only the code, so it is asked of the distinct codes, indexed once per run.
        """

        def index() -> pl.DataFrame:
            return rows.with_row_index("_at").group_by("code").agg(pl.col("_at"))

        def build() -> pl.Series:
            codes = self.memo(("by_code", name), index).lazy().filter(selector.expr())
            return codes.select(pl.col("_at").explode().sort()).collect(engine="in-memory").to_series()

        return self.memo(("picked", name, selector), build)


@functools.cache  # asked several times per edit and run
def _registry() -> dict:
    """Kind name -> module; imported lazily so the catalogue loads fast."""
    from auditor.engine.checks import (
        allowed_values,
        claim_units,
        code_format,
        code_status,
        crosswalk,
        described_values,
        description,
        diagnosis,
        duplicates,
        field_required,
        forbids,
        item_text,
        price_outlier,
        price_rate,
        prior_auth,
        requires,
        revenue_hcpcs,
        sheet_price,
        status_indicator,
    )

    mods = (
        allowed_values,
        claim_units,
        code_format,
        code_status,
        crosswalk,
        described_values,
        description,
        diagnosis,
        duplicates,
        field_required,
        forbids,
        item_text,
        price_outlier,
        price_rate,
        prior_auth,
        requires,
        revenue_hcpcs,
        sheet_price,
        status_indicator,
    )
    out = {}
    for m in mods:
        for kind in m.KINDS:
            out[kind] = m
    return out


def kinds() -> list[str]:
    """Names of every check kind."""
    return sorted(_registry())


def check_module(kind: str):
    """The module implementing a check kind."""
    reg = _registry()
    if kind not in reg:
        raise CatalogError(f"unknown check kind {kind!r}; kinds are: {', '.join(sorted(reg))}")
    return reg[kind]


def finding_columns(edit) -> tuple[str, ...]:
    """Canonical fields an edit's findings concern, as its check kind reads them (Finding.columns).

    A check kind without a `columns` function flags the line's CPT/HCPCS code (code validity, status
    indicators, and the trigger code of companion checks, whose missing or forbidden code is elsewhere).
    """
    own = getattr(check_module(edit.check), "columns", None)
    return tuple(own(edit)) if own else ("code",)


def validate_params(edit, lists: dict) -> None:
    """Resolve an edit's selectors now, so a bad edit fails at load, not mid-audit."""
    try:
        check_module(edit.check).prepare(edit, lists)
    except CatalogError as exc:
        raise CatalogError(f"{edit.source_file}: edit {edit.code}: {exc}") from None
    except KeyError as exc:
        raise CatalogError(f"{edit.source_file}: edit {edit.code}: missing parameter {exc}") from None
