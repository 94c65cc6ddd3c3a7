"""Claims findings fingerprints: the sorted findings of the sample claims, its 837 twins and a generated
100k-line file, so the claims speed work (issue 16) can prove it found exactly what it found before.

    python tests/golden/claims_findings.py --write   # record (deliberately, before or after a reviewed change)
    python tests/golden/claims_findings.py           # compare

tests/test_claims_findings_golden.py runs the comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STORE = Path(__file__).resolve().parent / "claims_findings.json"
TODAY = dt.date(2026, 12, 5)  # the run date decides nothing in the findings but is fixed for sameness
COLUMNS = ("claim_id", "line", "row", "code", "edit", "severity", "message", "expected", "blocks")


def cases(tmp: Path) -> dict[str, Path]:
    """Case name -> the claims file it audits (the 100k file generated from the sample, seeded)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gen_claims

    return {
        "sample-csv": REPO / "samples" / "claims.csv",
        "sample-837i": REPO / "samples" / "claims_837i.x12",
        "sample-837p": REPO / "samples" / "claims_837p.x12",
        "generated-100k": gen_claims.generate(100_000, tmp / "claims_100k.csv"),
    }


def fingerprint(path: Path) -> dict:
    """Findings count and the sha256 of the sorted findings (file names left out: the path differs)."""
    from auditor.claims.pipeline import ClaimsRequest, run_claims

    result = run_claims([path], ClaimsRequest(today=TODAY))
    rows = sorted(
        json.dumps([None if v is None else str(v) for v in r], ensure_ascii=False)
        for r in result.findings.select(COLUMNS).iter_rows()
    )
    claims = sorted(
        json.dumps([str(v) for v in r])
        for r in result.claims.select("claim_id", "readiness", "wiser_status", "blocking").iter_rows()
    )
    return {
        "findings": len(rows),
        "sha256": hashlib.sha256("\n".join(rows).encode()).hexdigest(),
        "claims_sha256": hashlib.sha256("\n".join(claims).encode()).hexdigest(),
    }


def current() -> dict[str, dict]:
    """The fingerprint of every case, now."""
    with tempfile.TemporaryDirectory() as tmp:
        return {name: fingerprint(path) for name, path in cases(Path(tmp)).items()}


def main() -> int:
    """Write or compare the fingerprints."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    now = current()
    if args.write:
        STORE.write_text(json.dumps(now, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {len(now)} cases to {STORE}")
        return 0
    want = json.loads(STORE.read_text(encoding="utf-8"))
    bad = [k for k in want if want[k] != now.get(k)]
    for k in bad:
        print(f"{k}: recorded {want[k]}, now {now.get(k)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
