"""Readiness Excel benchmark: seconds and memory growth of claims-report.xlsx for 50k and 250k claims.

Each size runs in its own child process: run_claims over a generated claims CSV, then write_claims_xlsx
timed alone while a thread samples the process's resident memory every 10 ms. The writer's growth is
that peak minus the resident memory just before writing; constant memory means it stays flat as the
number of claims grows. Issue 16 asks for 250k claims in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_claims  # noqa: E402

LINES_PER_CLAIM = 429 / 184  # the bundled sample's claims, which gen_claims repeats
TARGET_SECONDS = 60.0


def _rss() -> int:
    """This process's resident memory in bytes, from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(csv: str) -> dict:
    """Audit the claims file, then write the readiness workbook alone, sampling memory while it writes."""
    from auditor.claims.pipeline import run_claims
    from auditor.report.claims_context import ClaimsContext
    from auditor.report.claims_excel import write_claims_xlsx

    result = run_claims([Path(csv)])
    ctx = ClaimsContext.of(result)
    before = peak = _rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, _rss())

    watcher = threading.Thread(target=sample, daemon=True)
    with tempfile.TemporaryDirectory() as out:
        watcher.start()
        t = time.perf_counter()
        path = write_claims_xlsx(ctx, Path(out))
        seconds = time.perf_counter() - t
        done.set()
        watcher.join()
        size = path.stat().st_size
    return {
        "claims": result.claims.height,
        "findings": result.findings.height,
        "seconds": seconds,
        "growth_mib": (peak - before) / 2**20,
        "bytes": size,
    }


def main() -> int:
    """Run each size in a child, print a table and whether 250k claims meet the 60 s target."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", default="50000,250000", help="comma-separated claim counts")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows = []
    for n in (int(x) for x in args.claims.split(",")):
        csv = gen_claims.ensure(round(n * LINES_PER_CLAIM))
        got = subprocess.run(
            [sys.executable, __file__, "--child", str(csv)], capture_output=True, text=True, env=env
        )
        if got.returncode:
            print(got.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(got.stdout.strip().splitlines()[-1]))
    print(f"{'claims':>9} {'findings':>9} {'seconds':>8} {'claims/s':>9} {'writer +MiB':>11} {'xlsx MB':>8}")
    for r in rows:
        print(
            f"{r['claims']:>9,} {r['findings']:>9,} {r['seconds']:>8.1f} {r['claims'] / r['seconds']:>9,.0f}"
            f" {r['growth_mib']:>11.0f} {r['bytes'] / 1e6:>8.1f}"
        )
    big = max(rows, key=lambda r: r["claims"])
    verdict = "met" if big["seconds"] < TARGET_SECONDS else "NOT met"
    print(f"target: {big['claims']:,} claims in < {TARGET_SECONDS:.0f} s: {verdict} ({big['seconds']:.1f} s)")
    if len(rows) > 1:
        small = min(rows, key=lambda r: r["claims"])
        print(
            f"memory: writer grows {small['growth_mib']:.0f} MiB at {small['claims']:,} claims, "
            f"{big['growth_mib']:.0f} MiB at {big['claims']:,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
