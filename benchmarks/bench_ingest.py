"""Ingest benchmark: `auditor.ingest.read_inputs` against a bare fastexcel read (and the CSV path).

Usage:
  python benchmarks/bench_ingest.py                       # 10k, 100k, 500k
  python benchmarks/bench_ingest.py --sizes 10000,100000 --runs 5
  python benchmarks/bench_ingest.py --skip-500k --json benchmarks/data/ingest.json
  python benchmarks/bench_ingest.py --no-memory           # timings only

For each size it generates (or reuses) benchmarks/data/cdm_<n>.xlsx and .csv, then reports:
  * bare fastexcel: fastexcel.read_excel(p).load_sheet(0, header_row=None, dtypes="string").to_polars()
  * ingest: auditor.ingest.read_inputs([p], IngestOptions()) (sniff, sha256, read, header detection,
    canonical projection and normalisation)
  * the ratio ingest/bare, PAIRED (A B A B in one process, median of per-pair ratios)
  * peak RSS of each in its own child process, and KiB per row above the import-only baseline
  * the same for the CSV twin: read_inputs on the CSV vs a bare polars.read_csv (all strings)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_cdm  # noqa: E402
import harness  # noqa: E402

TARGET_INGEST = 1.5  # ingest/fastexcel, paired, at 100k rows


# ------------------------------------------------------------------------------------------------
# Tasks: each imports what it needs, so a child process running one task loads only that.
# ------------------------------------------------------------------------------------------------
def fastexcel_bare(path: str) -> int:
    import fastexcel

    return fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars().height


def ingest(path: str) -> int:
    from auditor.ingest import IngestOptions, read_inputs

    return read_inputs([path], IngestOptions()).frame.height


def csv_bare(path: str) -> int:
    import polars as pl

    return pl.read_csv(path, has_header=False, infer_schema=False).height


def import_fastexcel() -> int:
    import fastexcel  # noqa: F401
    import polars  # noqa: F401

    return 0


def import_auditor() -> int:
    import auditor.ingest  # noqa: F401

    return 0


def import_polars() -> int:
    import polars  # noqa: F401

    return 0


TASKS = {
    "fastexcel": fastexcel_bare,
    "ingest": ingest,
    "csv_bare": csv_bare,
    "csv_ingest": ingest,
    "import_fastexcel": import_fastexcel,
    "import_auditor": import_auditor,
    "import_polars": import_polars,
}

MEASURES = [
    harness.Measure(
        "ingest/fastexcel",
        "ingest",
        "fastexcel",
        "xlsx",
        a_base="import_auditor",
        b_base="import_fastexcel",
        target=TARGET_INGEST,
    ),
    harness.Measure(
        "csv ingest/read_csv",
        "csv_ingest",
        "csv_bare",
        "csv",
        a_base="import_auditor",
        b_base="import_polars",
    ),
]


def inputs_for(size: int, data_dir: Path | None) -> dict[str, Path]:
    """The size-row workbook and its CSV twin (generated once, then reused)."""
    xlsx, csv_path = gen_cdm.ensure(size, data_dir or gen_cdm.DATA_DIR)
    return {"xlsx": xlsx, "csv": csv_path}


def main(argv: list[str] | None = None) -> int:
    return harness.suite_main(
        __file__,
        TASKS,
        MEASURES,
        inputs_for,
        description=__doc__.splitlines()[0],
        default_data=gen_cdm.DATA_DIR,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
