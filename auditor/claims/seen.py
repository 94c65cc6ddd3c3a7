"""Claim ids a run has finished, as sorted 64-bit hashes: a flat, cheap check that a file keeps claims together."""

from __future__ import annotations

import polars as pl


class SeenClaims:
    """Hashes of the claim ids of earlier chunks; membership is a binary search, not a rebuilt list."""

    def __init__(self) -> None:
        self._hashes = pl.Series("h", [], dtype=pl.UInt64)

    def any_seen(self, ids: pl.Series) -> bool:
        """Whether any of `ids` (distinct, no nulls) belongs to an earlier chunk."""
        if self._hashes.len() == 0 or ids.len() == 0:
            return False
        # 8 bytes a claim instead of a Python string; a 64-bit collision (odds ~1e-7 at a million claims)
        # would only make the run sort the file first, never change a finding.
        h = ids.hash(seed=0)
        at = self._hashes.search_sorted(h).clip(upper_bound=self._hashes.len() - 1)
        return bool((self._hashes.gather(at) == h).any())

    def add(self, ids: pl.Series) -> None:
        """Remember `ids` as finished."""
        self._hashes = pl.concat([self._hashes, ids.hash(seed=0).rename("h")]).sort()
