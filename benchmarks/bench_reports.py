"""Report-writing benchmark: full reports of a chargemaster against a bare read of it, and each writer alone.

Usage:
  python benchmarks/bench_reports.py                      # end to end at 100k rows, then the writers at 10k, 100k findings
  python benchmarks/bench_reports.py --e2e-runs 7 --annotated full --sizes 0
  python benchmarks/bench_reports.py --e2e-rows 0 --sizes 10000 --runs 3
  python benchmarks/bench_reports.py --rows               # xlsx also gets an annotated sheet of N audited rows

End to end: `cdm-audit audit FILE --format html,xlsx,json,csv` as a whole process on a generated chargemaster
(gen_cdm.py), against a whole process that only reads the same file with fastexcel; the two alternate after a
warm-up pair (harness.paired) and the ratio is the median of the per-pair ratios (target <= 10x at 100k rows).

Then, unless skipped, what else issue 16's "done when" asks of this one run: the median ratio of audit ->
findings.json over the visible real files (bench_real.py's measure, `--real-runs` pairs a file; target <= 2x) and
`cdm-audit --help` and `cdm-audit edits list` as whole processes (`--startup-runs`; target <= 0.15 s for --help).

Findings documents are synthesised (no audit runs): a mix of categories, severities and related rows shaped
like real findings, with every edit of the packaged catalogue listed in the run record.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real  # noqa: E402
import gen_cdm  # noqa: E402
import harness  # noqa: E402

TARGET_E2E = 10.0  # full reports / bare read, whole processes, at 100k rows
TARGET_REAL = 2.0  # audit -> findings.json / bare read, median over the real files
TARGET_HELP = 0.15  # seconds, `cdm-audit --help` as a whole process
BARE_READ = (
    "import sys, fastexcel; "
    "fastexcel.read_excel(sys.argv[1]).load_sheet(0, header_row=None, dtypes='string').to_polars()"
)

MESSAGES = {
    "CV001": "{code} is not valid for 2026Q2 dates of service: CMS last listed it in 2025Q4",
    "CV003": "'{code}' is not shaped like a CPT or HCPCS code",
    "RC002": "device {code} sits under revenue code 0275; implant lines are expected under one of 0278, 0624",
    "NS002": "procedure {code} has no generator line (C1767 or C1820) in the chargemaster",
    "SS005": "product {code} is paired with a low-cost group application code (C527x), which ended with 2025",
    "NS004": "description reads as trial lead, but {code} is coded as lead; expected C1897 (lead test kit)",
    "PR001": "{code} is set up on 7 lines at different prices (409.68 to 96850.0)",
    "PR002": "{code} is priced 96,850.00, over 10x the median of its siblings",
    "KN006": "modifier RT on a line whose description says LT",
}
TEMPLATES = [  # (edit, category, family, severity, expected, related rows)
    ("CV001", "deleted_code", "code-validity", "error", "a code valid for 2026Q2 dates of service", 0),
    (
        "CV003",
        "invalid_code",
        "code-validity",
        "error",
        "a CPT code (5 digits) or HCPCS code (letter + 4 digits)",
        0,
    ),
    ("RC002", "revenue_code_mismatch", "revenue-code", "warning", "one of 0278, 0624", 0),
    ("NS002", "missing_companion", "neurostimulator", "warning", "a line for C1767 or C1820", 2),
    ("SS005", "pairing_mismatch", "skin-substitute", "error", "15271-15278 with the product", 1),
    ("NS004", "description_mismatch", "neurostimulator", "warning", "C1897 (lead test kit)", 0),
    ("PR001", "duplicate", "pricing", "info", "one price per code and modifier set", 6),
    ("PR002", "price_outlier", "pricing", "warning", "a price near the median of the same code", 0),
    ("KN006", "modifier_issue", "knee-arthroscopy", "warning", "no laterality on the charge line", 0),
]
WORDS = [
    "HC",
    "NEUROSTIM",
    "LEAD",
    "TRIAL",
    "PERC",
    "ANCHOR",
    "SUTURE",
    "SKIN",
    "SUB",
    "APPL",
    "TRUNK",
    "KNEE",
    "SCOPE",
    "GEN",
    "DRESSING",
    "FOAM",
]


def synth_doc(n: int, rows: int, seed: int = 7) -> dict:
    """A findings document with `n` findings spread over `rows` chargemaster rows."""
    from auditor.engine import load_edits

    rnd = random.Random(seed)
    es = load_edits()
    findings = []
    for i in range(n):
        edit, cat, fam, sev, exp, nrel = TEMPLATES[i % len(TEMPLATES)]
        msg = MESSAGES[edit]
        row = 5 + rnd.randrange(rows)
        code = rnd.choice(["C1713", "C1778", "Q4101", "15271", "64568", "L8680", "XYZ12"])
        related = [
            {
                "file": "cdm.xlsx",
                "sheet": "CDM",
                "row": 5 + rnd.randrange(rows),
                "charge_code": f"{i:08d}",
                "code": code,
                "revenue_code": "0278",
                "description": " ".join(rnd.sample(WORDS, 5)),
            }
            for _ in range(nrel)
        ]
        findings.append(
            {
                "edit": edit,
                "name": edit.lower() + "-check",
                "family": fam,
                "category": cat,
                "severity": sev,
                "message": msg.format(code=code),
                "file": "cdm.xlsx",
                "sheet": "CDM",
                "row": row,
                "charge_code": f"{27800000 + row:08d}",
                "code": code,
                "revenue_code": "0278",
                "description": " ".join(rnd.sample(WORDS, 6)),
                "related_rows": related,
                "expected": exp,
                "reference": {
                    "text": "https://www.cms.gov/medicare (verified: example)",
                    "urls": ["https://www.cms.gov/"],
                    "basis": "verified",
                },
                "waived": i % 97 == 0,
                "waiver_reason": "payer contract" if i % 97 == 0 else None,
                "scope": "chargemaster",
            }
        )
    findings.sort(key=lambda f: (f["file"], f["sheet"], f["row"], f["edit"]))
    live = [f for f in findings if not f["waived"]]

    def count(key):
        out: dict[str, int] = {}
        for f in live:
            out[f[key]] = out.get(f[key], 0) + 1
        return dict(sorted(out.items()))

    return {
        "run": {
            "tool": "cdm-audit",
            "tool_version": "bench",
            "generated_at": "2026-04-01T00:00:00+00:00",
            "as_of": "2026-04-01",
            "quarter": "2026Q2",
            "quarter_requested": "2026Q2",
            "quarter_stale": False,
            "quarter_message": "",
            "edit_set_version": es.version,
            "inputs": [
                {
                    "path": "cdm.xlsx",
                    "role": "chargemaster",
                    "format": "xlsx",
                    "sha256": "0" * 64,
                    "size": 1,
                    "error": None,  # findings.json names an unreadable input's error; this one was read
                    "sheets": [
                        {
                            "name": "CDM",
                            "header_row": 4,
                            "rows_read": rows,
                            "rows_audited": rows,
                            "rows_skipped": 0,
                            "note": None,
                            "columns": {},
                        }
                    ],
                }
            ],
            "config": {
                "path": None,
                "disabled": [],
                "severity": {},
                "values": {},
                "waivers": [],
                "extra_lists": {},
            },
            "edits": [
                {
                    "code": e.code,
                    "name": e.name,
                    "severity": e.severity,
                    "status": "ran",
                    "findings": sum(1 for f in findings if f["edit"] == e.code),
                    "note": "",
                }
                for e in es.edits
            ],
        },
        "summary": {
            "rows_read": rows,
            "rows_audited": rows,
            "rows_skipped": 0,
            "findings": n,
            "waived": n - len(live),
            "by_severity": {
                s: sum(1 for f in live if f["severity"] == s) for s in ("error", "warning", "info")
            },
            "by_category": count("category"),
            "by_family": count("family"),
            "by_edit": count("edit"),
            "lines_with_findings": len({f["row"] for f in live}),
        },
        "findings": findings,
        "skipped_rows": [],
    }


def synth_result(rows: int):
    """Just enough of an AuditResult for the annotated sheet: a canonical chargemaster frame and the edits."""
    import polars as pl

    from auditor.engine import load_edits
    from auditor.ingest import CANONICAL

    data = {c: [None] * rows for c in CANONICAL}
    data |= {
        "file": ["cdm.xlsx"] * rows,
        "sheet": ["CDM"] * rows,
        "row": list(range(5, 5 + rows)),
        "charge_code": [f"{27800000 + r:08d}" for r in range(5, 5 + rows)],
        "description": [" ".join(WORDS[(r + k) % len(WORDS)] for k in range(5)) for r in range(rows)],
        "revenue_code": ["0278"] * rows,
        "code": ["C1713"] * rows,
        "price": [float(r % 900) for r in range(rows)],
        "department": ["SURGERY"] * rows,
        "status": ["A"] * rows,
    }
    frame = pl.DataFrame(
        data,
        schema={
            c: (pl.Int64 if c == "row" else pl.Float64 if c == "price" else pl.String) for c in CANONICAL
        },
    )
    return SimpleNamespace(chargemaster=SimpleNamespace(frame=frame), pairing=None, edits=load_edits())


def end_to_end(rows: int, runs: int, annotated: str) -> harness.Paired:
    """Paired whole-process timings: full reports of a `rows`-row chargemaster (A) and a bare read of it (B)."""
    xlsx, _csv = gen_cdm.ensure(rows)
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    # An empty data folder: no run history or imported quarter of this machine changes the work done.
    env = {**os.environ, "CDM_AUDIT_HOME": str(work / "home")}
    audit = [sys.executable, "-m", "auditor.cli", "audit", str(xlsx), "--format", "html,xlsx,json,csv"]
    audit += ["--out", str(work / "out"), "--no-history", "--as-of", "2026-04-01", "--annotated", annotated]
    bare = [sys.executable, "-c", BARE_READ, str(xlsx)]

    def run(cmd: list[str], ok: tuple[int, ...]) -> int:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if res.returncode not in ok:  # the audit exits 1 when it finds errors: a finished run
            raise RuntimeError(f"{cmd[2:4]} exited {res.returncode}: {res.stderr[-500:]}")
        return rows

    try:
        return harness.paired(lambda: run(audit, (0, 1)), lambda: run(bare, (0,)), runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """End to end against the bare read, then each writer per size: seconds and file sizes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--e2e-rows", type=int, default=100_000, help="chargemaster rows end to end (0: skip)")
    ap.add_argument("--e2e-runs", type=int, default=5, help="paired end-to-end runs after one warm-up pair")
    ap.add_argument("--annotated", default="flagged", help="the audit's --annotated (flagged, full, none)")
    ap.add_argument("--sizes", default="10000,100000", help="findings per writer run (0: skip the writers)")
    ap.add_argument("--runs", type=int, default=1, help="runs per writer; the median is printed")
    ap.add_argument("--rows", action="store_true", help="add an annotated sheet with as many audited rows")
    ap.add_argument(
        "--real-runs", type=int, default=3, help="paired runs a real file (0: skip the real files)"
    )
    ap.add_argument("--startup-runs", type=int, default=10, help="runs of --help and edits list (0: skip)")
    args = ap.parse_args()
    headline = []
    if args.e2e_rows:
        n = args.e2e_rows
        print(
            f"end to end, {n:,}-row chargemaster, {args.e2e_runs} paired runs, --annotated {args.annotated}:"
        )
        p = end_to_end(n, args.e2e_runs, args.annotated)
        print(f"  full reports (html,xlsx,json,csv), whole process: {p.a_median:.2f} s median")
        print(f"  bare fastexcel read, whole process:               {p.b_median:.2f} s median")
        label = f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"
        print(
            f"reports/bare ratio at {label}: {p.ratio:.2f}x (min-max {min(p.ratios):.2f}-{max(p.ratios):.2f}; "
            f"target <= {TARGET_E2E:g}x)\n",
            flush=True,
        )
        headline.append(f"full reports / bare read at {label}: {p.ratio:.2f}x (target <= {TARGET_E2E:g}x)")
    if args.real_runs:
        median, count = _real_files(args.real_runs)
        if count:
            headline.append(
                f"audit -> findings.json / bare read, median over {count} real files: {median:.2f}x "
                f"(target <= {TARGET_REAL:g}x)"
            )
    if args.startup_runs:
        help_s = _startup(["--help"], args.startup_runs)
        edits_s = _startup(["edits", "list"], args.startup_runs)
        headline.append(f"cdm-audit --help: {help_s:.3f} s median (target <= {TARGET_HELP:g} s)")
        headline.append(f"cdm-audit edits list: {edits_s:.3f} s median")
    sizes = [int(x) for x in args.sizes.split(",") if int(x) > 0]
    if sizes:
        _writers(sizes, args.runs, args.rows)
    if headline:
        print("\nissue 16, in this run:\n  " + "\n  ".join(headline))


def _real_files(runs: int) -> tuple[float, int]:
    """bench_real's per-file pairs over the visible real files: (median ratio, files measured); (0, 0) when the
    shared data is not there."""
    if not bench_real.files(bench_real.DATA, None):
        print("real files: none found beside the repository (../shared/data); skipped\n")
        return 0.0, 0
    print(f"audit -> findings.json on the visible real files, {runs} paired runs a file:")
    median, count = bench_real.median_ratio(bench_real.DATA, runs)
    print(f"median ratio over {count} files: {median:.2f}x (target <= {TARGET_REAL:g}x)\n", flush=True)
    return median, count


def _startup(args: list[str], runs: int) -> float:
    """Median seconds of `python -m auditor.cli ARGS` as a whole process (after one run that warms caches)."""
    env = {**os.environ, "CDM_AUDIT_HOME": tempfile.mkdtemp(prefix="bench-startup-")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "auditor.cli", *args]
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _writers(sizes: list[int], runs: int, with_rows: bool) -> None:
    """Time each writer per size on a synthetic findings document and print seconds and file sizes."""
    from auditor.report.context import ReportContext
    from auditor.report.renderers import CHARGEMASTER, renderer

    print(f"{'findings':>9} {'format':<6} {'seconds':>8} {'size MB':>8}  file")
    for n in sizes:
        rows = max(n // 2, 1)
        ctx = ReportContext(synth_doc(n, rows), synth_result(rows) if with_rows else None)
        for fmt in ("html", "xlsx", "csv", "json"):
            times = []
            for _ in range(runs):
                out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
                t0 = time.perf_counter()
                path = renderer(CHARGEMASTER, fmt).write(ctx, out)
                times.append(time.perf_counter() - t0)
                size = path.stat().st_size
                shutil.rmtree(out)
            label = path.name + (f" (+{rows:,} annotated rows)" if fmt == "xlsx" and with_rows else "")
            print(
                f"{n:>9,} {fmt:<6} {statistics.median(times):>8.2f} {size / 1e6:>8.2f}  {label}", flush=True
            )


if __name__ == "__main__":
    sys.exit(main())
