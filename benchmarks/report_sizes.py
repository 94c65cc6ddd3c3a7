"""Report sizes on the real chargemasters: findings, problems by severity and the HTML report's size per file.

Usage (from the repository root):
  python benchmarks/report_sizes.py                          # every file under ../shared/data/real-cdm*
  python benchmarks/report_sizes.py --only harborview        # files whose path contains NAME (quick check)
  python benchmarks/report_sizes.py --save after.json        # also keep the numbers
  python benchmarks/report_sizes.py --before before.json     # add a "findings before" column from a saved run
  python benchmarks/report_sizes.py --height                 # also the page height in chromium at 1280 px
  python /path/to/report_sizes.py --repo /path/to/old-checkout --save before.json

Each file is audited as of 2026-04-01 through the public API (`auditor.run_session`), writing report.html into
a temporary folder. A checkout without problems (before issue 13) shows "-" for them. Files the reader
refuses are listed with the reason. This is a measurement, not a test: the exit code is 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DATA = HERE.parent / "shared" / "data"
CORPORA = ("real-cdm", "real-cdm-more")
NOT_CHARGEMASTERS = ("labels",)  # folders of the corpus that hold no hospital file
SKIP_NAMES = ("SOURCE.txt", "README.md")
AS_OF = dt.date(2026, 4, 1)
WIDTH = 1280
COLUMNS = (
    ("file", 0),  # as wide as the longest path
    ("lines", 8),
    ("findings", 9),
    ("before", 9),
    ("problems", 9),
    ("error", 6),
    ("warning", 8),
    ("info", 6),
    ("html KB", 9),
    ("height px", 10),
    ("seconds", 8),
)


def corpus_files(root: Path) -> list[Path]:
    """Every hospital file under root/real-cdm*/NAME/, in path order."""
    out = []
    for corpus in CORPORA:
        for folder in sorted((root / corpus).glob("*")):
            if folder.is_dir() and folder.name not in NOT_CHARGEMASTERS:
                out += [f for f in sorted(folder.iterdir()) if f.is_file() and f.name not in SKIP_NAMES]
    return out


def measure(path: Path, root: Path, height: bool) -> dict:
    """Audit one file into a temporary folder; its counts, problems by severity and report.html size."""
    import auditor

    name = str(path.relative_to(root))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = auditor.run_session(
                auditor.SessionRequest(files=[path], as_of=AS_OF, formats=["html"], out_dir=Path(tmp))
            )
        except auditor.InputError as exc:
            return {"file": name, "refused": str(exc)}
        html = Path(tmp) / "report.html"
        doc = result.document
        row = {
            "file": name,
            "lines": doc["summary"]["rows_audited"],
            "findings": len(doc["findings"]),
            "html_bytes": html.stat().st_size,
            "seconds": round(time.perf_counter() - started, 1),
        }
        problems = doc.get("problems")
        if problems is not None:
            live = [p for p in problems if not p["waived"]]
            row["problems"] = len(problems)
            for sev in ("error", "warning", "info"):
                row[sev] = sum(1 for p in live if p["severity"] == sev)
        if height:
            row["height"] = page_height(html)
    return row


def page_height(html: Path) -> int | None:
    """The report's document height in Debian chromium at WIDTH px wide (None without chromium/Playwright)."""
    chromium = Path("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium.exists():
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            page.goto(html.resolve().as_uri())
            page.wait_for_selector("html[data-report-ready]", timeout=60_000)
            return int(page.evaluate("document.documentElement.scrollHeight"))
        finally:
            browser.close()


def cells(row: dict, before: dict[str, dict]) -> list[str]:
    """One table line: numbers with thousands separators, '-' for what this checkout does not give."""
    if "refused" in row:
        return [row["file"], "refused: " + row["refused"][:80]]
    was = before.get(row["file"], {}).get("findings")
    values = [
        row["lines"],
        row["findings"],
        was,
        row.get("problems"),
        row.get("error"),
        row.get("warning"),
        row.get("info"),
        round(row["html_bytes"] / 1024),
        row.get("height"),
        row["seconds"],
    ]
    return [row["file"]] + ["-" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in values]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--root", type=Path, default=DATA, help="folder holding real-cdm*/ (default: %(default)s)"
    )
    ap.add_argument("--only", metavar="NAME", help="only files whose path contains NAME")
    ap.add_argument("--save", type=Path, metavar="FILE.json", help="write the numbers to this file")
    ap.add_argument(
        "--before", type=Path, metavar="FILE.json", help="a saved run: adds its findings per file"
    )
    ap.add_argument("--height", action="store_true", help="also measure the page height in chromium")
    ap.add_argument(
        "--repo", type=Path, default=HERE, help="checkout whose auditor to run (default: this one)"
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.repo.resolve()))

    files = [f for f in corpus_files(args.root) if not args.only or args.only in str(f)]
    if not files:
        print(
            f"no files under {args.root}/{{{','.join(CORPORA)}}}"
            + (f" matching {args.only!r}" if args.only else "")
        )
        return 0
    before = {}
    if args.before:
        before = {r["file"]: r for r in json.loads(args.before.read_text(encoding="utf-8"))["files"]}
    import auditor

    print(f"auditor from {Path(auditor.__file__).parent}, as of {AS_OF}, {len(files)} files")
    wide = max(len(str(f.relative_to(args.root))) for f in files)
    columns = ((COLUMNS[0][0], wide), *COLUMNS[1:])
    print("  ".join(name.ljust(w) if i == 0 else name.rjust(w) for i, (name, w) in enumerate(columns)))
    rows = []
    for f in files:
        row = measure(f, args.root, args.height)
        rows.append(row)
        line = cells(row, before)
        if "refused" in row:
            print(f"{line[0]:<{wide}}  {line[1]}")
        else:
            print(
                "  ".join(
                    v.ljust(w) if i == 0 else v.rjust(w)
                    for i, (v, (_n, w)) in enumerate(zip(line, columns, strict=True))
                )
            )
    done = [r for r in rows if "refused" not in r]
    print(
        f"{len(done)} files audited, {len(rows) - len(done)} refused; "
        f"{sum(r['findings'] for r in done):,} findings, "
        + (
            f"{sum(r['problems'] for r in done if 'problems' in r):,} problems, "
            if any("problems" in r for r in done)
            else "no problems in this checkout, "
        )
        + f"{sum(r['html_bytes'] for r in done) / 1024 / 1024:.1f} MB of HTML"
    )
    if args.save:
        saved = {"as_of": AS_OF.isoformat(), "auditor": str(Path(auditor.__file__).parent), "files": rows}
        args.save.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
        print(f"saved to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
