"""What the reports say, reduced to one fingerprint per output file, so a refactor can prove it changed nothing.

Each case is a real `cdm-audit audit` or `cdm-audit claims` run (a child process, as a user runs it) on a
bundled sample or a visible real hospital file. Every output is normalised before hashing: run timestamps
and timings (the only things that differ between two runs of the same inputs) are dropped, the output
folder's path is replaced by OUT, and Excel workbooks are compared by their cell values sheet by sheet
(the zip container carries its own timestamps). Nothing from ../shared is stored here: only hashes.

    python tests/golden/outputs.py --write   # record the fingerprints (deliberately, after a reviewed change)
    python tests/golden/outputs.py           # compare and list what differs

tests/test_golden_outputs.py runs the comparison.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
STORE = Path(__file__).resolve().parent / "fingerprints.json"
AS_OF = "2026-04-01"
# Keys whose values change from run to run of the same inputs.
VOLATILE = {
    "generated_at",
    "seconds",
    "elapsed",
    "duration",
    "started",
    "finished",
    "run_id",
    "created_at",
    "recorded_at",
}
# Any clock time written into a text ('Generated 2026-12-04T16:56:50+00:00; ...').
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
SKIP_REAL = {"houston-methodist-faq-2019"}  # a PDF: refused, no report


def cases() -> dict[str, list[str]]:
    """Case name -> cdm-audit arguments (paths relative to the repository root)."""
    out = {
        "sample-audit": [
            "audit",
            "samples/chargemaster.xlsx",
            "--pairing-table",
            "samples/pairing_table.csv",
        ],
        "sample-clean": ["audit", "samples/chargemaster_clean.xlsx"],
        "sample-claims": ["claims", "samples/claims.csv"],
        "sample-claims-837i": ["claims", "samples/claims_837i.x12"],
    }
    if SHARED.is_dir():
        for folder in sorted(
            p for d in ("real-cdm", "real-cdm-more") for p in (SHARED / d).iterdir() if p.is_dir()
        ):
            if folder.name in SKIP_REAL or folder.name == "labels":
                continue
            for f in sorted(folder.iterdir()):
                if f.name not in ("SOURCE.txt", "README.md"):
                    out[f"real-{folder.name}-{f.suffix.lstrip('.').lower()}"] = [
                        "audit",
                        str(Path("..") / "shared" / "data" / folder.parent.name / folder.name / f.name),
                    ]
    return out


def run_case(args: list[str], out: Path) -> dict[str, str]:
    """Run one case into `out` and fingerprint every file it wrote."""
    formats = "html,xlsx,json,csv"
    cmd = [sys.executable, "-m", "auditor.cli", *args, "--format", formats, "--out", str(out)]
    if args[0] == "audit":
        cmd += ["--as-of", AS_OF, "--no-history"]
    # An empty data folder: no run history or imported quarter of this machine may colour the reports.
    env = {**os.environ, "CDM_AUDIT_HOME": str(out.parent / f"{out.name}-home")}
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900, env=env)
    if res.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {res.returncode}: {res.stderr.strip()[:300]}")
    prints = {"stdout": _digest(_text(res.stdout, out))}
    for path in sorted(out.iterdir()):
        if path.suffix == ".html":
            continue  # its JSON, CSV and Excel twins carry every fact; the page embeds a run timestamp in text
        prints[path.name] = _digest(_normalise(path, out))
    return prints


def _normalise(path: Path, out: Path) -> str:
    """The file's content with volatile values removed, as text."""
    if path.suffix == ".json":
        return _text(
            json.dumps(
                _strip(json.loads(path.read_text(encoding="utf-8"))), sort_keys=True, ensure_ascii=False
            ),
            out,
        )
    if path.suffix == ".xlsx":
        return _workbook(path)
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        keep = [i for i, h in enumerate(rows[0]) if h not in VOLATILE] if rows else []
        body = [[r[i] for i in keep if i < len(r)] for r in rows if not (r and r[0] in VOLATILE)]
        return _text(json.dumps(body, ensure_ascii=False), out)
    return _text(path.read_text(encoding="utf-8", errors="replace"), out)


def _strip(value):
    """JSON with volatile keys dropped, recursively."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _workbook(path: Path) -> str:
    """Every sheet's cell values, in order; rows whose first cell names a volatile value are dropped."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {}
        for ws in wb.worksheets:
            rows = []
            for row in ws.iter_rows(values_only=True):
                cells = ["" if v is None else _STAMP.sub("TIME", str(v)) for v in row]
                if cells and cells[0].strip().lower().replace(" ", "_") in VOLATILE:
                    continue
                rows.append(cells)
            sheets[ws.title] = rows
        return json.dumps(sheets, ensure_ascii=False)
    finally:
        wb.close()


def _text(text: str, out: Path) -> str:
    # The checkout's own path (a packaged file named in a run record) differs from machine to machine.
    return _STAMP.sub("TIME", text.replace(str(out), "OUT").replace(str(REPO), "REPO"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint_all(names: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Fingerprints of every case (or the named ones)."""
    got = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in cases().items():
            if names and name not in names:
                continue
            got[name] = run_case(args, Path(tmp) / name)
    return got


def main() -> int:
    """Write or compare the fingerprints."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="record the current outputs as the reference")
    ap.add_argument("cases", nargs="*", help="only these cases")
    args = ap.parse_args()
    got = fingerprint_all(args.cases or None)
    if args.write:
        stored = json.loads(STORE.read_text(encoding="utf-8")) if STORE.is_file() else {}
        stored.update(got)
        STORE.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {len(got)} cases to {STORE.relative_to(REPO)}")
        return 0
    stored = json.loads(STORE.read_text(encoding="utf-8"))
    bad = [
        f"{n}/{f}"
        for n, prints in got.items()
        for f in sorted(set(prints) | set(stored.get(n, {})))
        if prints.get(f) != stored.get(n, {}).get(f)
    ]
    print("\n".join(bad) or "all outputs as recorded")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
