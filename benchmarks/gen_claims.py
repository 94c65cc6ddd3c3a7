"""Generate claim-line CSVs of any size by repeating the bundled sample's claims under fresh claim ids."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "claims.csv"


def generate(n: int, path: Path) -> Path:
    """Write n claim lines (the sample repeated, claim ids made unique per copy), grouped by claim."""
    base = pl.read_csv(SAMPLE, infer_schema=False)
    copies = -(-n // base.height)
    frame = pl.concat([base.with_columns(pl.col("Claim ID") + pl.lit(f"-{i:05d}")) for i in range(copies)])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.head(n).write_csv(path)
    return path


def ensure(n: int, out_dir: Path = DATA_DIR) -> Path:
    """The n-line claims CSV, generated on first use."""
    path = out_dir / f"claims_{n}.csv"
    if not path.exists():
        generate(n, path)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sizes", nargs="+", type=int)
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    args = ap.parse_args()
    for size in args.sizes:
        print(ensure(size, args.out))
