"""Audit -> findings.json on every visible real chargemaster, each against a bare read of the same file.

    python benchmarks/bench_real.py [--data ../shared/data] [--runs 3] [--only NAME]

Both sides run as whole processes, as a user runs them, alternating A B A B so drift hits both: A is
`cdm-audit audit FILE --format json --no-history` (read + every edit + findings.json), B a bare read of the same
file in a fresh interpreter (fastexcel for workbooks, polars for text, every sheet as text). Prints each file's
median seconds and the median of the pairwise ratios, then the median ratio over the files (issue 16: <= 2x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt")
BARE = {
    "excel": (
        "import sys, fastexcel\n"
        "try:\n"
        "    r = fastexcel.read_excel(sys.argv[1])\n"
        "    for name in r.sheet_names:\n"
        "        r.load_sheet(name, header_row=None, dtypes='string').to_polars()\n"
        # A file whose name lies (an xlsx named .xls): the audit reads it by content, so the floor does too.
        "except Exception:\n"
        "    import os, tempfile\n"
        "    alias = os.path.join(tempfile.mkdtemp(), 'book.xlsx')\n"
        "    os.symlink(os.path.abspath(sys.argv[1]), alias)\n"
        "    r = fastexcel.read_excel(alias)\n"
        "    for name in r.sheet_names:\n"
        "        r.load_sheet(name, header_row=None, dtypes='string').to_polars()\n"
    ),
    "text": (
        "import sys, polars as pl\n"
        "sep = '|' if open(sys.argv[1], 'rb').read(65536).count(b'|') > 10 else ','\n"
        "pl.read_csv(sys.argv[1], infer_schema=False, separator=sep, truncate_ragged_lines=True,"
        " has_header=False, encoding='utf8-lossy', quote_char=None if sep == '|' else '\"')\n"
    ),
}


def files(data: Path, only: str | None) -> list[Path]:
    """The real chargemasters (folders with a SOURCE.txt), skipping what the reader refuses (a PDF)."""
    out = []
    for group in ("real-cdm", "real-cdm-more"):
        for path in sorted((data / group).glob("*/*")):
            if (
                path.suffix.lower() in SUFFIXES
                and path.name != "SOURCE.txt"
                and (path.parent / "SOURCE.txt").is_file()
            ):
                if "cms-hpt-examples" not in str(path) and (only is None or only in str(path)):
                    out.append(path)
    return out


def _run(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def measure(path: Path, runs: int, env: dict, out: Path) -> tuple[float, float, float] | None:
    """(audit median s, bare median s, median of the pairwise ratios); None when the audit refuses the file."""
    audit = [
        sys.executable,
        "-m",
        "auditor.cli",
        "audit",
        str(path),
        "--format",
        "json",
        "--no-history",
        "--as-of",
        "2026-04-01",
        "--out",
        str(out),
    ]
    check = subprocess.run(audit, env=env, capture_output=True, text=True)
    if check.returncode == 2:
        return None
    kind = "excel" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "text"
    bare = [sys.executable, "-c", BARE[kind], str(path)]
    _run(bare, env)  # warm the page cache for both
    a, b = [], []
    for _ in range(runs):
        a.append(_run(audit, env))
        b.append(_run(bare, env))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def median_ratio(data: Path, runs: int, only: str | None = None) -> tuple[float, int]:
    """Measure every file, printing a line each; (median of the per-file ratios, files measured), (0, 0) for none."""
    env = {**os.environ, "CDM_AUDIT_HOME": tempfile.mkdtemp(prefix="bench-real-")}
    # As installed for a user: bytecode cached (some shells set PYTHONDONTWRITEBYTECODE, which makes every run
    # compile ~100 modules from source, 0.13 s of each audit).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ratios = []
    print(f"{'file':58} {'audit s':>8} {'bare s':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as out:
        for path in files(data, only):
            got = measure(path, runs, env, Path(out))
            name = f"{path.parent.name}/{path.name}"[:58]
            if got is None:
                print(f"{name:58} refused by the reader")
                continue
            ratios.append(got[2])
            print(f"{name:58} {got[0]:8.2f} {got[1]:8.2f} {got[2]:6.2f}", flush=True)
    return (statistics.median(ratios), len(ratios)) if ratios else (0.0, 0)


def main() -> int:
    """Measure every file; print per-file lines and the median ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only")
    args = ap.parse_args()
    median, count = median_ratio(args.data, args.runs, args.only)
    if count:
        print(f"median ratio over {count} files: {median:.2f}x (target 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
