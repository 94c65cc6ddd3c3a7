"""Wide standard-charges CSV: reading a CMS file with thousands of payer columns against a bare polars read."""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent / "data"
# What CMS's wide template (v2) repeats per payer and plan.
PER_PLAN = (
    "standard_charge|{p}|negotiated_dollar",
    "standard_charge|{p}|negotiated_percentage",
    "standard_charge|{p}|negotiated_algorithm",
    "estimated_amount|{p}",
    "standard_charge|{p}|methodology",
    "additional_payer_notes|{p}",
)
PAYERS = (
    "Aetna",
    "Cigna",
    "Humana",
    "UnitedHealthcare",
    "BCBS",
    "Molina",
    "Ambetter",
    "Oscar",
    "Medicaid MCO",
)
CODES = ("27447", "29881", "C1767", "Q4101", "99213", "36415", "64561", "L8680", "J1885", "70450")


def generate(plans: int, rows: int, path: Path) -> Path:
    """A CMS wide csv: two preamble lines, the header, then `rows` items priced for `plans` payer plans (a
    third of the plans filled, as real files are sparse)."""
    rnd = random.Random(plans * 7919 + rows)
    names = [f"{PAYERS[i % len(PAYERS)]}|Plan {i // len(PAYERS) + 1}" for i in range(plans)]
    head = ["description", "code|1", "code|1|type", "code|2", "code|2|type", "modifiers", "setting"]
    head += ["drug_unit_of_measurement", "drug_type_of_measurement", "standard_charge|gross"]
    head += ["standard_charge|discounted_cash"]
    head += [c.format(p=p) for p in names for c in PER_PLAN]
    head += ["standard_charge|min", "standard_charge|max", "additional_generic_notes"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["hospital_name", "last_updated_on", "version", "hospital_location", "hospital_address"])
        out.writerow(["Example Hospital", "2026-07-01", "2.2.0", "Austin", "1 Main St, Austin, TX"])
        out.writerow(head)
        for r in range(rows):
            code = rnd.choice(CODES)
            gross = rnd.randint(50, 90_000)
            line = [f"Item {r}", code, "CPT" if code[0].isdigit() else "HCPCS", "0278" if r % 3 else "", "RC"]
            line += ["", "outpatient", "", "", f"{gross}.00", f"{gross * 0.6:.2f}"]
            for i in range(plans):
                filled = i % 3 == 0
                amount = f"{gross * rnd.uniform(0.3, 0.9):.2f}" if filled else ""
                line += [amount, "", "", "", "fee schedule" if filled else "", ""]
            line += [f"{gross * 0.3:.2f}", f"{gross * 0.9:.2f}", ""]
            out.writerow(line)
    return path


def ensure(plans: int, rows: int, data: Path) -> Path:
    """The generated file for this size (made once, then reused)."""
    path = data / f"wide_{plans}x{rows}.csv"
    return path if path.exists() else generate(plans, rows, path)


def main(argv: list[str] | None = None) -> int:
    """Print, per payer-plan count, the read_file time, the bare read time and their paired ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--plans", default="50,333,1000", help="comma-separated payer-plan counts (6 columns each)"
    )
    ap.add_argument("--rows", type=int, default=1000, help="items per file")
    ap.add_argument("--runs", type=int, default=3, help="paired runs per size")
    ap.add_argument("--data", type=Path, default=DATA_DIR)
    args = ap.parse_args(argv)

    import polars as pl

    from auditor.ingest.reader import IngestOptions, read_file

    lines = []
    for plans in [int(x) for x in args.plans.split(",") if x.strip()]:
        path = ensure(plans, args.rows, args.data)

        def ours(path=path) -> int:
            frame, _ = read_file(path, IngestOptions())
            # A fast wrong read is no result: 6,014 columns were once "read" in 12 s as a pipe file of no rows.
            if frame.height != args.rows:
                raise SystemExit(f"{path.name}: read {frame.height:,} item rows, not {args.rows:,}")
            return frame.height

        def bare(path=path) -> int:
            return pl.read_csv(path, skip_rows=2, infer_schema=False).height

        got = harness.paired(ours, bare, args.runs)
        ratios = got.ratios
        lines.append(
            [
                f"{plans:,}",
                f"{plans * len(PER_PLAN) + 14:,}",
                f"{args.rows:,}",
                f"{got.a_median:.2f}",
                f"{got.b_median:.3f}",
                f"{got.ratio:.1f}x ({min(ratios):.1f}-{max(ratios):.1f})",
            ]
        )
    info = harness.machine_info()
    print(f"machine: {info.get('cpu', '?')}, {info.get('cpus', '?')} CPUs, polars {pl.__version__}")
    print(
        harness.table(
            lines, ["plans", "columns", "rows", "read_file s", "bare s", "ratio (min-max)"], {0, 1, 2, 3, 4}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
