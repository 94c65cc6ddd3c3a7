"""The ICD-10-CM release as a compact table: built once from the package, then read without loading it."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl

from auditor.codeset.icd10 import package_code_set

PROBE = """
import sys, time
from auditor.codeset.icd10 import package_code_set
started = time.perf_counter()
df = package_code_set().classify(["M17.11", "m1710", "M54.5", "ZZZ"])
print(round(time.perf_counter() - started, 3), "simple_icd_10_cm" in sys.modules, df.get_column("valid").to_list())
"""


def _probe(home) -> list[str]:
    env = {**os.environ, "CDM_AUDIT_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.split(maxsplit=2)


def test_second_run_reads_the_table_without_the_package(tmp_path):
    first = _probe(tmp_path)
    assert first[1] == "True"  # the first run builds the table from the package tree
    assert list((tmp_path / "cache" / "icd10").glob("*.parquet"))
    seconds, loaded, valid = _probe(tmp_path)
    assert loaded == "False" and float(seconds) < 1.0
    assert valid.strip() == "[True, True, True, False]"


def test_table_holds_every_category_and_subcategory_classified():
    table = package_code_set().table()
    assert table.height > 90_000 and table.get_column("dx").is_unique().all()
    knee = table.filter(pl.col("dx") == "M17.10").row(0, named=True)
    assert knee["billable"] and knee["unspecified_laterality"] and "M17.11" in knee["alternatives"]
    assert table.filter(pl.col("dx") == "M54.5").row(0, named=True)["billable"] is False
