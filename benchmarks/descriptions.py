"""The description check on the hand-labelled device and product lines: contradictions found, correct lines flagged.

    python benchmarks/descriptions.py [--data ../shared/data] [--verbose]

Reads tests/data/descriptions/device-lines.csv (labels supports / contradicts / no_evidence, see its
README), audits each labelled file once as of 2026-04-01 and counts, per code family, the contradicting
lines that get a description_mismatch finding (recall) and the supporting lines that get one (false flags;
negative controls separately). A measurement: exit code 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "descriptions" / "device-lines.csv"
DEFAULT_DATA = REPO.parent / "shared" / "data"
AS_OF = dt.date(2026, 4, 1)
CATEGORY = "description_mismatch"


def _family(code: str) -> str:
    """The code family a line is counted under."""
    if code.startswith(("Q4", "A2")):
        return "skin substitute"
    if code in {"C1767", "C1778", "C1787", "C1816", "C1820", "C1822", "C1883", "C1897"}:
        return "neurostimulator"
    if code in {"C1721", "C1722", "C1882", "C1777", "C1779", "C1785", "C1786", "C1895", "C1896", "C1898"}:
        return "cardiac rhythm"
    return "other device"


def main() -> int:
    """Print recall and false flags per family."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--verbose", action="store_true", help="list the contradictions missed and the false flags"
    )
    args = ap.parse_args()
    from auditor.audit import AuditRequest, run_audit

    with LABELS.open(encoding="utf-8", newline="") as fh:
        labels = list(csv.DictReader(fh))
    by_file = defaultdict(list)
    for lab in labels:
        for group in ("real-cdm", "real-cdm-more"):
            path = args.data / group / lab["folder"] / lab["file"]
            if path.is_file():
                by_file[path].append(lab)
                break
    counts: Counter = Counter()
    misses = []
    for path, labs in sorted(by_file.items()):
        result = run_audit([path], AuditRequest(as_of=AS_OF))
        flagged = {(f.sheet, f.row) for f in result.findings if f.category == CATEGORY}
        for lab in labs:
            fam, hit = _family(lab["code"]), (lab["sheet"], int(lab["row"])) in flagged
            kind = "control" if lab["control"] == "yes" else lab["label"]
            counts[(fam, kind, hit)] += 1
            if (kind == "contradicts") != hit and kind != "no_evidence":
                misses.append(
                    f"  {'missed' if not hit else 'false flag'} {lab['code']} {lab['description']!r}"
                )
    print(f"{'family':16} {'contradicts found':>18} {'supports flagged':>17} {'controls flagged':>17}")
    fams = sorted({k[0] for k in counts})
    for fam in [*fams, "all"]:

        def n(kind, hit, fam=fam):
            return sum(
                v for (f, k, h), v in counts.items() if (fam == "all" or f == fam) and k == kind and h == hit
            )

        found, total = n("contradicts", True), n("contradicts", True) + n("contradicts", False)
        sup = f"{n('supports', True)}/{n('supports', True) + n('supports', False)}"
        ctl = f"{n('control', True)}/{n('control', True) + n('control', False)}"
        print(f"{fam:16} {f'{found}/{total}':>18} {sup:>17} {ctl:>17}")
    if args.verbose:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
