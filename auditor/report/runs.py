"""Row numbers as runs of consecutive rows: how the reports list skipped rows ('3-5', 'rows 3 to 5')."""

from __future__ import annotations

from collections.abc import Iterable


def row_runs(rows: Iterable[int | None]) -> list[tuple[int | None, int | None, int]]:
    """(first, last, count) of each run of consecutive row numbers, in the order given; a row without a number is
    a run of its own: [1, 3, 4, 5, 9] -> [(1, 1, 1), (3, 5, 3), (9, 9, 1)]."""
    runs: list[list] = []
    for row in rows:
        last = runs[-1] if runs else None
        if last is not None and row is not None and last[1] is not None and row == last[1] + 1:
            last[1], last[2] = row, last[2] + 1
        else:
            runs.append([row, row, 1])
    return [tuple(run) for run in runs]
