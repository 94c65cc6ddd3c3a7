"""837 reading speed: pyx12's validating reader against the streaming segment reader, same file, same lines.

    python benchmarks/bench_837.py [--lines 200000] [--validated-lines 20000]

Builds an 837I by repeating the transactions of samples/claims_837i.x12 (claim ids made unique per copy),
reads it with both readers (pyx12 only on the smaller file: it reads ~1,000 lines/s), checks that they
give the same service lines on the small file, and prints lines/s for each.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "claims_837i.x12"


def build(lines: int, out: Path) -> Path:
    """An 837I of about `lines` service lines: the sample's transactions repeated under fresh claim ids."""
    text = SAMPLE.read_text(encoding="utf-8")
    head, rest = text.split("ST*837*", 1)
    body, tail = ("ST*837*" + rest).rsplit("GE*", 1)
    per_copy = body.count("LX*")
    copies = max(1, -(-lines // per_copy))
    parts = [head]
    for i in range(copies):
        parts.append(re.sub(r"CLM\*([^*~]+)", lambda m, i=i: f"CLM*{m.group(1)}-{i:05d}", body))
    count = body.count("ST*837*") * copies
    parts.append("GE*" + re.sub(r"^\d+", str(count), tail))
    out.write_text("".join(parts), encoding="utf-8")
    return out


def timed(path: Path, validate: bool) -> tuple[float, int]:
    """Seconds and service lines of one read."""
    from auditor.claims.x12 import read_837

    t = time.perf_counter()
    got = read_837(path, validate=validate)
    return time.perf_counter() - t, got.frame.height


def main() -> int:
    """Build both files, read them, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--validated-lines", type=int, default=20_000)
    args = ap.parse_args()
    from auditor.claims.x12 import read_837

    with tempfile.TemporaryDirectory() as tmp:
        small = build(args.validated_lines, Path(tmp) / "small.x12")
        big = build(args.lines, Path(tmp) / "big.x12")
        same = read_837(small, validate=True).frame.equals(read_837(small, validate=False).frame)
        rows = [
            ("pyx12 (validating)", small.stat().st_size, *timed(small, True)),
            ("streaming segments", small.stat().st_size, *timed(small, False)),
            ("streaming segments", big.stat().st_size, *timed(big, False)),
        ]
    print(f"{'reader':22} {'file MB':>8} {'lines':>9} {'seconds':>8} {'lines/s':>10}")
    for name, size, seconds, lines in rows:
        print(f"{name:22} {size / 1e6:8.1f} {lines:9,} {seconds:8.2f} {lines / seconds:10,.0f}")
    print(f"same service lines from both readers: {same}")
    print(f"streaming / pyx12 speed: {(rows[1][3] / rows[1][2]) / (rows[0][3] / rows[0][2]):.0f}x")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
