"""Precision of each edit on hand-labelled findings: what the audit still raises that analysts called wrong or noise.

The labels (`../shared/data/real-cdm/labels/findings-labelled.csv`, and any other file in the same format given
with --labels) mark sampled findings on the real files T (real, must be raised), F (wrong, must not be raised)
or N (noise: gone, or folded into a problem at info severity). Each labelled file is audited as of 2026-04-01
and every label is matched by file, sheet, row and edit.

    python benchmarks/precision.py [--labels FILE ...] [--data ../shared/data] [--verbose]

A wrong (F) finding counts as raised while the row still gets that edit's finding as worded in the label; one
that now says the right thing (the labels README allows it, e.g. the right replacement code) is fixed, and
--verbose prints what it says now.

Per edit it prints: T labels still found / T labels, F labels still raised, N labels still raised unfolded
(not folded into an info-level problem), and the precision on the labelled sample =
T found / (T found + F raised + N unfolded). Exit code 0: a measurement.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_LABELS = [
    DEFAULT_DATA / "real-cdm" / "labels" / "findings-labelled.csv",  # the shared sample
    *sorted((REPO / "tests" / "data" / "labels").glob("*.csv")),  # labels we added the same way
]
AS_OF = dt.date(2026, 4, 1)


@dataclass(frozen=True)
class Label:
    """One hand-labelled finding."""

    edit: str
    label: str  # T, F or N
    folder: str
    file: str
    sheet: str
    row: int
    why: str
    message: str = ""  # the finding's message as labelled


@dataclass
class Outcome:
    """What the audit does with one label today."""

    label: Label
    raised: bool  # a finding of that edit on that row
    folded: bool  # raised only inside an info-level problem (N labels may be)
    messages: list[str] = field(default_factory=list)  # what the audit says on that row for that edit today


def load_labels(paths: list[Path]) -> list[Label]:
    """Every label of the given files."""
    out = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                out.append(
                    Label(
                        r["edit"],
                        r["label"].strip().upper(),
                        r["folder"],
                        r["file"],
                        r["sheet"],
                        int(r["row"]),
                        r.get("why", ""),
                        r.get("message", ""),
                    )
                )
    return out


def _words(text: str | None) -> str:
    """A message with its spacing normalised, for comparing what a finding says."""
    return " ".join((text or "").split())


def find_file(data: Path, label: Label) -> Path | None:
    """The labelled file under the data root (real-cdm or real-cdm-more)."""
    for group in ("real-cdm", "real-cdm-more"):
        path = data / group / label.folder / label.file
        if path.is_file():
            return path
    return None


def audit_outcomes(labels: list[Label], data: Path) -> list[Outcome]:
    """Audit each labelled file once and match its labels."""
    from auditor.audit import AuditRequest, run_audit

    by_file: dict[Path, list[Label]] = defaultdict(list)
    for lab in labels:
        path = find_file(data, lab)
        if path is not None:
            by_file[path].append(lab)
    out = []
    for path, labs in sorted(by_file.items()):
        result = run_audit([path], AuditRequest(as_of=AS_OF))
        # The severity of the problem each finding is part of (an older checkout has no problems: its own).
        problem_of = {i: p.severity for p in getattr(result, "problems", ()) for i in p.findings}
        hits: dict[tuple, list] = defaultdict(list)
        for i, f in enumerate(result.findings):
            if not f.waived:
                hits[(f.sheet, f.row, f.edit)].append((problem_of.get(i), _words(f.message)))
        for lab in labs:
            found = hits.get((lab.sheet, lab.row, lab.edit), [])
            if lab.label == "F":
                # A wrong finding is raised while it says what was labelled wrong; one on that row that now
                # says the right thing (e.g. the right replacement code) counts as fixed (labels README).
                found = [h for h in found if h[1] == _words(lab.message)]
            folded = bool(found) and all(severity == "info" for severity, _ in found)
            out.append(
                Outcome(
                    lab, bool(found), folded, [m for _, m in hits.get((lab.sheet, lab.row, lab.edit), [])]
                )
            )
    return out


def table(outcomes: list[Outcome]) -> list[dict]:
    """Per edit: counts and the precision on the labelled sample."""
    rows = defaultdict(lambda: {"t": 0, "t_found": 0, "f": 0, "f_raised": 0, "n": 0, "n_unfolded": 0})
    for o in outcomes:
        r = rows[o.label.edit]
        if o.label.label == "T":
            r["t"] += 1
            r["t_found"] += o.raised
        elif o.label.label == "F":
            r["f"] += 1
            r["f_raised"] += o.raised
        else:
            r["n"] += 1
            r["n_unfolded"] += o.raised and not o.folded
    out = []
    for edit, r in sorted(rows.items()):
        kept = r["t_found"] + r["f_raised"] + r["n_unfolded"]
        out.append({"edit": edit, **r, "precision": (r["t_found"] / kept) if kept else None})
    return out


def main() -> int:
    """Print the per-edit table and the totals."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, nargs="*", default=DEFAULT_LABELS)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--verbose", action="store_true", help="list every label the audit still gets wrong")
    args = ap.parse_args()
    missing = [p for p in args.labels if not p.is_file()]
    if missing:
        print(f"labels not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 0
    outcomes = audit_outcomes(load_labels(args.labels), args.data)
    print(f"{'edit':6} {'T found':>9} {'F raised':>9} {'N unfolded':>11} {'precision':>10}")
    tot = defaultdict(int)
    for r in table(outcomes):
        prec = "-" if r["precision"] is None else f"{100 * r['precision']:.0f}%"
        print(
            f"{r['edit']:6} {r['t_found']:>4}/{r['t']:<4} {r['f_raised']:>4}/{r['f']:<4} "
            f"{r['n_unfolded']:>5}/{r['n']:<5} {prec:>10}"
        )
        for k in ("t", "t_found", "f", "f_raised", "n", "n_unfolded"):
            tot[k] += r[k]
    kept = tot["t_found"] + tot["f_raised"] + tot["n_unfolded"]
    print(
        f"{'all':6} {tot['t_found']:>4}/{tot['t']:<4} {tot['f_raised']:>4}/{tot['f']:<4} "
        f"{tot['n_unfolded']:>5}/{tot['n']:<5} {100 * tot['t_found'] / max(kept, 1):>9.0f}%"
    )
    if args.verbose:
        for o in outcomes:
            wrong = (
                (o.label.label == "T" and not o.raised)
                or (o.label.label == "F" and o.raised)
                or (o.label.label == "N" and o.raised and not o.folded)
            )
            if wrong:
                lab = o.label
                print(f"  {lab.label} {lab.edit} {lab.folder}/{lab.sheet}!{lab.row}: {lab.why[:110]}")
            elif o.label.label == "F" and o.messages:
                # Fixed by saying the right thing on that row: show what it says now, to be checked by eye.
                lab = o.label
                print(
                    f"  F fixed, now says: {lab.edit} {lab.folder}/{lab.sheet}!{lab.row}: {o.messages[0][:140]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
