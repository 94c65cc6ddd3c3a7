"""Sheet-reading accuracy: the reader's kind, header row and column roles against hand-written expectations.

Usage (from the repository root):
  python benchmarks/mapping.py                       # shared corpus: ../shared/data + tests/data/mapping/shared-corpus.yaml
  python benchmarks/mapping.py --verbose             # also every difference, sheet by sheet
  python benchmarks/mapping.py --root /data/other-hospitals --expected /data/other-hospitals/expected.yaml

For each expected file it calls the public API, `auditor.ingest.read_file(root / path, IngestOptions())`, and
compares `report.to_dict()` sheet by sheet with the expectation (format and scoring rules: tests/mapping_expect.py,
shared with tests/test_mapping_shared.py). It prints one line per file and the totals:

  roles right / roles expected       role -> column matches (report field column_index)
  extra roles                        roles the reader mapped that the expectation does not list (non-summary sheets)
  header rows right / expected       header_row matches (0 = no header row)
  sheet kinds right / sheets         kind matches
  sheets fully right / sheets        kind, header row and every role right, no extra role
  refusals right / expected          files marked `error: true` that read_file refused with InputError

A missing report field counts as wrong; a file the reader refuses or crashes on makes all its sheets wrong. Expected
files that are not on disk are listed and left out of the totals. The exit code is 0 whatever the score: this is a
measurement, not a test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import mapping_expect as mx  # noqa: E402


def _frac(a: int, b: int) -> str:
    return f"{a}/{b}" + (f" ({100 * a / b:.0f}%)" if b else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--root",
        type=Path,
        default=mx.DEFAULT_ROOT,
        help="data root the expectation's paths are relative to (default: %(default)s)",
    )
    ap.add_argument(
        "--expected", type=Path, default=mx.DEFAULT_EXPECTED, help="expectation YAML (default: %(default)s)"
    )
    ap.add_argument("--verbose", "-v", action="store_true", help="print every difference, sheet by sheet")
    args = ap.parse_args(argv)

    expected = mx.load_expected(args.expected)
    present = [f for f in expected if (args.root / f.path).is_file()]
    missing = [f for f in expected if not (args.root / f.path).is_file()]
    print(
        f"expectations: {args.expected}  ({len(expected)} files, "
        f"{sum(len(f.sheets) for f in expected)} sheets)"
    )
    print(f"data root:    {args.root}")
    if missing:
        print(f"missing on disk ({len(missing)}, left out of the totals):")
        for f in missing:
            print(f"  {f.path}")
    print()

    try:
        import auditor.ingest  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - reported, then every file counts as wrong
        print(f"the reader cannot be imported ({type(exc).__name__}: {exc}); every file counts as wrong\n")

    results = []
    width = max((len(f.path) for f in present), default=4)
    head = f"{'file':<{width}}  {'sec':>6}  {'sheets':>6}  {'kinds':>5}  {'headers':>7}  {'roles':>7}  {'extra':>5}  {'full':>5}"
    print(head)
    print("-" * len(head))
    for exp in present:
        outcome = mx.read_outcome(args.root / exp.path)
        res = mx.compare_file(exp, outcome)
        results.append(res)
        if exp.error:
            verdict = "refused (right)" if res.refusal_ok else "NOT refused (wrong)"
            print(f"{exp.path:<{width}}  {outcome.seconds:6.2f}  {verdict}")
        else:
            t = mx.totals([res])
            print(
                f"{exp.path:<{width}}  {outcome.seconds:6.2f}  {t.sheets:>6}  {t.kinds_right:>5}  "
                f"{f'{t.headers_right}/{t.headers_expected}':>7}  {f'{t.roles_right}/{t.roles_expected}':>7}  "
                f"{t.extra_roles:>5}  {t.fully_right:>5}"
            )
        if args.verbose:
            _print_diffs(res)
        else:
            for line in res.diffs:  # a refusal or crash is always worth a line
                print(f"    ! {line}")

    t = mx.totals(results)
    print()
    print(f"roles right / roles expected:        {_frac(t.roles_right, t.roles_expected)}")
    print(f"extra roles (non-summary sheets):    {t.extra_roles}")
    print(f"header rows right / header rows:     {_frac(t.headers_right, t.headers_expected)}")
    print(f"sheet kinds right / sheets:          {_frac(t.kinds_right, t.sheets)}")
    print(f"sheets fully right / sheets:         {_frac(t.fully_right, t.sheets)}")
    print(f"refusals right / refusals expected:  {_frac(t.refusals_right, t.refusals_expected)}")
    if t.files_refused_wrongly:
        print(f"files refused or crashed that should be read: {t.files_refused_wrongly}")
    if t.unexpected_sheets:
        print(f"sheets in reports but not in the expectation: {t.unexpected_sheets}")
    if missing:
        print(f"expected files missing on disk:      {len(missing)}")
    return 0


def _print_diffs(res: mx.FileResult) -> None:
    for line in res.diffs:
        print(f"    ! {line}")
    for s in res.sheets:
        if s.ok:
            continue
        print(f"    [{s.expected.name}] ({s.expected.kind})")
        if res.outcome.report is None:
            continue  # the file-level line already says why
        for line in s.diffs:
            print(f"      - {line}")
    for name in res.unexpected_sheets:
        print(f"    [{name}] in the report but not in the expectation")


if __name__ == "__main__":
    sys.exit(main())
