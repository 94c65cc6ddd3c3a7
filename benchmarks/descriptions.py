"""The description checks on the hand-labelled device and product lines: contradictions found, correct lines flagged.

    python benchmarks/descriptions.py [--data ../shared/data] [--verbose] [--visible]

Reads tests/data/descriptions/device-lines.csv (labels supports / contradicts / no_evidence, see its
README), audits each labelled file once as of 2026-04-01 and counts, per code family:
- contradictions found: the line gets a warning-level description_mismatch finding and, where the label
  names the code it should be, the finding's expected text names that code;
- supports flagged: a correct line gets a warning-level description_mismatch finding;
- controls flagged: a tricky-wording correct line gets any description_mismatch finding (info included).
tests/test_device_descriptions.py asserts the same outcomes. `--visible` also counts the description_mismatch
findings per edit on every real chargemaster (the README's before/after). A measurement: exit code 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "descriptions" / "device-lines.csv"
DEFAULT_DATA = REPO.parent / "shared" / "data"
AS_OF = dt.date(2026, 4, 1)
CATEGORY = "description_mismatch"
FAMILIES = ("neurostimulator", "cardiac rhythm", "vascular", "skin substitute")


@dataclass(frozen=True)
class Outcome:
    """One labelled line and what the audit said about it."""

    label: dict
    mismatch: str | None  # the expected text of a warning-level description_mismatch, if any
    info: bool  # an info-level description_mismatch (no device named)

    @property
    def kind(self) -> str:
        """contradicts / supports / control / no_evidence."""
        return "control" if self.label["control"] == "yes" else self.label["label"]

    @property
    def found(self) -> bool:
        """A contradiction flagged as a mismatch, naming the code the label says it should be."""
        return self.mismatch is not None and self.label["should_be"] in self.mismatch

    @property
    def false_flag(self) -> bool:
        """A correct line flagged (a control also by the info note)."""
        if self.kind == "control":
            return self.mismatch is not None or self.info
        return self.kind == "supports" and self.mismatch is not None


def family(code: str) -> str:
    """The code family a line is counted under."""
    if code.startswith(("Q4", "A2")):
        return "skin substitute"
    if code in {"C1767", "C1778", "C1787", "C1816", "C1820", "C1822", "C1883", "C1897"}:
        return "neurostimulator"
    if code in {"C1721", "C1722", "C1882", "C1777", "C1779", "C1785", "C1786", "C1895", "C1896", "C1898"}:
        return "cardiac rhythm"
    return "vascular"


def load_labels(path: Path = LABELS) -> list[dict]:
    """The labelled lines."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def audit_outcomes(labels: list[dict], data: Path) -> list[Outcome]:
    """Audit each labelled file once; the outcome of every labelled line whose file is here."""
    from auditor.audit import AuditRequest, run_audit

    by_file: dict[Path, list[dict]] = defaultdict(list)
    for lab in labels:
        for group in ("real-cdm", "real-cdm-more"):
            path = data / group / lab["folder"] / lab["file"]
            if path.is_file():
                by_file[path].append(lab)
                break
    out = []
    for path, labs in sorted(by_file.items()):
        result = run_audit([path], AuditRequest(as_of=AS_OF))
        said: dict[tuple, list] = defaultdict(list)
        for f in result.findings:
            if f.category == CATEGORY:
                said[(f.sheet, f.row)].append(f)
        for lab in labs:
            got = said.get((lab["sheet"], int(lab["row"])), [])
            loud = [f for f in got if f.severity != "info"]
            out.append(
                Outcome(lab, loud[0].expected if loud else None, any(f.severity == "info" for f in got))
            )
    return out


def visible_counts(data: Path) -> Counter:
    """description_mismatch findings per (edit, severity) over every real chargemaster that reads."""
    from auditor.audit import AuditRequest, run_audit
    from auditor.errors import InputError

    counts: Counter = Counter()
    for group in ("real-cdm", "real-cdm-more"):
        for path in sorted((data / group).glob("*/*")):
            # A hospital's folder has a SOURCE.txt; labels/ holds our label sheets, not a chargemaster.
            if (
                path.suffix.lower() not in (".xlsx", ".xls", ".xlsm", ".csv", ".txt")
                or path.name == "SOURCE.txt"
                or not (path.parent / "SOURCE.txt").is_file()
            ):
                continue
            try:
                result = run_audit([path], AuditRequest(as_of=AS_OF))
            except InputError:
                continue  # a PDF export or a notes file: nothing to audit
            counts.update((f.edit, f.severity) for f in result.findings if f.category == CATEGORY)
    return counts


def main() -> int:
    """Print recall and false flags per family."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--verbose", action="store_true", help="list the contradictions missed and the false flags"
    )
    ap.add_argument("--visible", action="store_true", help="count the findings on every real chargemaster")
    args = ap.parse_args()
    outcomes = audit_outcomes(load_labels(), args.data)
    print(f"{'family':16} {'contradicts found':>18} {'supports flagged':>17} {'controls flagged':>17}")
    for fam in [*FAMILIES, "all"]:
        mine = [o for o in outcomes if fam == "all" or family(o.label["code"]) == fam]

        def share(kind: str, hit, mine=mine) -> str:
            of = [o for o in mine if o.kind == kind]
            return f"{sum(1 for o in of if hit(o))}/{len(of)}"

        print(
            f"{fam:16} {share('contradicts', lambda o: o.found):>18} "
            f"{share('supports', lambda o: o.false_flag):>17} {share('control', lambda o: o.false_flag):>17}"
        )
    if args.verbose:
        for o in outcomes:
            if (o.kind == "contradicts" and not o.found) or o.false_flag:
                what = "missed" if o.kind == "contradicts" else "false flag"
                print(f"  {what} {o.label['code']} {o.label['description']!r} (expected: {o.mismatch})")
    if args.visible:
        counts = visible_counts(args.data)
        loud = sum(n for (_, severity), n in counts.items() if severity != "info")
        print(
            f"\ndescription mismatches on the real chargemasters: {loud} (warning), "
            f"{sum(counts.values()) - loud} (info, no item named)"
        )
        for (edit, severity), n in sorted(counts.items()):
            print(f"  {edit} {severity}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
