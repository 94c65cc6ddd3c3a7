"""Claims and findings held compactly while a run accumulates them: labels as categoricals, text at the end."""

from __future__ import annotations

import polars as pl

# Text columns with few distinct values (edit names, severities, states, readiness ...): held as categoricals
# while chunks accumulate, a few bytes a row instead of the text, and turned back into text once at the end.
CLAIM_LABELS = (
    "file",
    "state",
    "participant",
    "payer",
    "payer_class",
    "setting",
    "wiser_status",
    "wiser_reason",
    "wiser_categories",
    "readiness",
)
FINDING_LABELS = (
    "line",
    "file",
    "sheet",
    "code",
    "modifiers",
    "revenue_code",
    "edit",
    "name",
    "family",
    "category",
    "severity",
    "expected",
    "reference",
    "basis",
)


def compact(frame: pl.DataFrame, labels: tuple[str, ...]) -> pl.DataFrame:
    """The frame with its label columns as categoricals."""
    return frame.with_columns(pl.col(labels).cast(pl.Categorical))


def expand(
    parts: list[pl.DataFrame], schema: dict, by: tuple[str, ...] = (), share: bool = False
) -> pl.DataFrame:
    """Accumulated compact chunks as one frame of `schema` (labels back to text), sorted `by` first.

    `share`: long labels (a finding's reference text) are gathered from one copy each instead of cast, which
    copies the text into every row; short labels on millions of claims are cheaper cast.
    """
    if not parts:
        return pl.DataFrame(schema=schema)
    whole = pl.concat(parts, how="vertical")
    parts.clear()  # the chunks' frames go as soon as the whole is built
    if by:
        # Categoricals sort by their text, so sorting the compact frame orders it as the text would.
        whole = whole.sort(*by, maintain_order=True)
    if share:
        return whole.select(_text(whole.get_column(c)).cast(t) for c, t in schema.items())
    return whole.select(pl.col(c).cast(t) for c, t in schema.items())


def _text(col: pl.Series) -> pl.Series:
    """A categorical column as text gathered from its distinct values: rows share one copy of each string."""
    if col.dtype != pl.Categorical:
        return col
    distinct = col.unique()
    at = col.to_physical().replace_strict(
        distinct.to_physical(), pl.int_range(distinct.len(), eager=True), return_dtype=pl.UInt32
    )
    return distinct.cast(pl.String).gather(at).rename(col.name)
