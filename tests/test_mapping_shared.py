"""Every sheet of the shared real hospital files read as a person reads it: kind, header row, role -> column.

The expectation (tests/data/mapping/shared-corpus.yaml) was written by hand from the files' cells, not from the
reader's output; the format and the comparison live in tests/mapping_expect.py (shared with benchmarks/mapping.py).
One test per expected sheet (id `file:sheet`), one per file the reader must refuse. Each file is read once per session.
"""

from __future__ import annotations

from functools import cache

import mapping_expect as mx
import pytest

ROOT = mx.DEFAULT_ROOT  # /work/shared/data: ../shared/data from the repository root
EXPECTED = mx.load_expected(mx.DEFAULT_EXPECTED)


@cache
def outcome(rel: str) -> mx.Outcome:
    return mx.read_outcome(ROOT / rel)


def _skip_if_missing(rel: str) -> None:
    if not ROOT.is_dir():
        pytest.skip(f"shared data not found at {ROOT}")
    if not (ROOT / rel).is_file():
        pytest.skip(f"{rel} is not in {ROOT}")


def _short(rel: str) -> str:
    """The file's folder (one data file per folder), or folder/name where a folder holds several expected files."""
    folder = rel.rsplit("/", 2)[-2] if rel.count("/") >= 1 else ""
    shared = sum(f.path.rsplit("/", 1)[0] == rel.rsplit("/", 1)[0] for f in EXPECTED) > 1
    return f"{folder}/{rel.rsplit('/', 1)[-1]}" if shared or not folder else folder


SHEETS = [
    pytest.param(f, s, id=f"{_short(f.path)}:{s.name}") for f in EXPECTED if not f.error for s in f.sheets
]
REFUSED = [pytest.param(f, id=_short(f.path)) for f in EXPECTED if f.error]


def test_expectation_file_is_valid():
    """The YAML parses, every kind and role is known, no column has two roles, links name listed sheets."""
    assert EXPECTED
    assert sum(len(f.sheets) for f in EXPECTED) > 50


@pytest.mark.parametrize(("exp_file", "exp_sheet"), SHEETS)
def test_sheet_read_as_expected(exp_file: mx.ExpectedFile, exp_sheet: mx.ExpectedSheet):
    _skip_if_missing(exp_file.path)
    out = outcome(exp_file.path)
    assert out.crashed is None, f"reader crashed on {exp_file.path}: {out.crashed}"
    assert out.refused is None, f"reader refused {exp_file.path}: {out.refused}"
    sheets = {str(s.get("name")): s for s in out.report.get("sheets") or []}
    assert exp_sheet.name in sheets, f"sheet {exp_sheet.name!r} not in the report (has {sorted(sheets)})"
    res = mx.compare_sheet(exp_file.path, exp_sheet, sheets[exp_sheet.name])
    assert res.kind_ok, f"kind: {res.diffs}"
    assert res.header_ok is not False, f"header_row: {res.diffs}"
    assert res.roles_right == res.roles_expected and not res.extra_roles, f"roles: {res.diffs}"
    assert res.ok, res.diffs  # anything left (linked_to of a price view, when the report gives it)


@pytest.mark.parametrize("exp_file", REFUSED)
def test_file_refused(exp_file: mx.ExpectedFile):
    _skip_if_missing(exp_file.path)
    out = outcome(exp_file.path)
    assert out.crashed is None, f"expected InputError, got {out.crashed}"
    assert out.refused is not None, "expected read_file to raise InputError; it read the file"
