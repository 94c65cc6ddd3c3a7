"""The derived-data cache: the edit catalogue and code table are read back from $CDM_AUDIT_HOME/cache, rebuilt
when a source changes or the cached file is damaged, and a home that cannot be written costs only speed."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import polars as pl
import pytest

from auditor import derived_cache
from auditor.codeset.table import CodeTable
from auditor.engine import catalog
from auditor.engine.catalog import load_edits
from auditor.resources import resource_dir


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private CDM_AUDIT_HOME, and no in-process copies left from other tests."""
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    derived_cache._HELD.clear()
    yield tmp_path / "home"
    derived_cache._HELD.clear()


def _fresh_edits(folder: Path | None = None):
    """load_edits as a new process sees it: nothing held in memory."""
    derived_cache._HELD.clear()
    return load_edits(folder)


def test_catalogue_is_read_back_from_the_cache(home):
    first = _fresh_edits()
    [cached] = (home / "cache" / "edits").glob("*.pickle")
    # Plant a marker in the cached copy: a later load that shows it read the file instead of the YAML.
    planted = pickle.loads(cached.read_bytes())
    planted.version = "from-the-cache"
    cached.write_bytes(pickle.dumps(planted))
    assert _fresh_edits().version == "from-the-cache"
    assert [e.code for e in planted.edits] == [e.code for e in first.edits]


def test_changed_edit_file_is_parsed_again(home, tmp_path):
    folder = tmp_path / "edits"
    shutil.copytree(resource_dir("edits"), folder)
    before = _fresh_edits(folder)
    path = folder / "neurostimulator.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("name: procedure-without-any-device", "name: procedure-without-any-device-at-all", 1),
        encoding="utf-8",
    )
    after = _fresh_edits(folder)
    assert after.version != before.version
    assert after.get("NS001").name == "procedure-without-any-device-at-all"
    # One cached copy per kind: the outdated one is gone.
    assert len(list((home / "cache" / "edits").glob("*.pickle"))) == 1


def test_broken_edit_file_still_refused_after_a_good_one_was_cached(home, tmp_path):
    folder = tmp_path / "edits"
    shutil.copytree(resource_dir("edits"), folder)
    _fresh_edits(folder)
    path = folder / "pricing.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("severity: warning", "severity: loud", 1))
    with pytest.raises(catalog.CatalogError, match="severity 'loud'"):
        _fresh_edits(folder)


def test_damaged_cache_file_is_rebuilt(home):
    expected = _fresh_edits().version
    [cached] = (home / "cache" / "edits").glob("*.pickle")
    cached.write_bytes(b"not a pickle")
    assert _fresh_edits().version == expected
    assert pickle.loads(cached.read_bytes()).version == expected  # written again, whole


def test_home_that_cannot_hold_a_cache_still_loads_edits_and_codes(tmp_path, monkeypatch):
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CDM_AUDIT_HOME", str(blocker))
    derived_cache._HELD.clear()
    try:
        assert len(load_edits().edits) > 50
        assert CodeTable.load().frame.height > 10_000
        assert blocker.read_text() == "x"  # nothing written over the user's file
    finally:
        derived_cache._HELD.clear()


def test_code_table_is_read_back_and_follows_an_imported_quarter(home):
    packaged = CodeTable.load()
    [cached] = (home / "cache" / "code-table").glob("*.parquet")
    frame = pl.read_parquet(cached)
    assert frame.equals(packaged.frame)
    marked = frame.with_columns(
        last_si=pl.when(pl.col("code") == "15271").then(pl.lit("Z")).otherwise("last_si")
    )
    marked.write_parquet(cached)
    derived_cache._HELD.clear()  # a new process
    assert CodeTable.load().frame.filter(pl.col("code") == "15271")["last_si"].item() == "Z"

    # An imported quarter is a new source: the same process merges the table again and shows it.
    quarter = "2026Q4"
    folder = home / "quarters"
    folder.mkdir(parents=True)
    pl.DataFrame({"code": ["15271", "Q4999"], "si": ["T", "N"]}).write_csv(folder / f"{quarter}.csv")
    merged = CodeTable.load()
    assert merged.newest_quarter == quarter
    assert merged.frame.filter(pl.col("code") == "15271")["last_si"].item() == "T"
    assert quarter in merged.imported_quarters
