"""How column reading holds up on layouts and headers it has not seen: real sheets, rewritten.

Every live sheet of the hand-labelled corpus (tests/data/mapping/shared-corpus.yaml) is written out again
in variants a hospital export could take, and read back; the roles are known from the labels, so each
variant is scored without any new hand labelling:

  blind        every header replaced by 'Column 1', 'Column 2' ... (content alone must carry the roles)
  unfamiliar   headers replaced by wordings the synonym lists do not hold ('Chg Nbr', 'Svc Text', 'Jan 2019')
  shuffled     columns in reverse order
  preamble     ten lines of title, date and disclaimer above the header, the table starting in column C
  report       a printed report: header repeated every 400 rows with a dashed rule under it
  headerless   no header row at all (csv)

    python benchmarks/mapping_stress.py [--root ../shared/data] [--expected tests/data/mapping/shared-corpus.yaml]
                                        [--rows 3000] [--only blind,headerless] [--verbose]

Prints roles right / roles expected and header rows right per variant. It is a measurement: exit code 0.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import zlib
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mapping_expect import DEFAULT_EXPECTED, DEFAULT_ROOT, load_expected  # noqa: E402

from auditor.errors import InputError  # noqa: E402
from auditor.ingest import IngestOptions, read_file  # noqa: E402
from auditor.ingest.excel import read_excel  # noqa: E402
from auditor.ingest.sniff import sniff  # noqa: E402
from auditor.ingest.text import read_text  # noqa: E402

LIVE = ("cdm", "pharmacy", "professional_fee")
# Wordings a hospital might use that the reader's synonym lists do not contain (checked at start-up).
UNFAMILIAR = {
    "charge_code": ["Chg Nbr", "Line Item Key", "Svc Item", "Internal Ref", "Bill Item Key"],
    "description": ["Svc Text", "Item Wording", "What It Is", "Line Text", "Service/Supply"],
    "cpt": ["Proc (AMA)", "HCPCS/CPT 2019", "Procedure Cd", "CPT (R) 2018", "Billing Proc"],
    "hcpcs": ["Level II", "HCPCS Lvl 2", "Supply HCPCS", "HCPCS 2", "CMS Code"],
    "revenue_code": ["Category", "UB Ctr", "Revenue Center #", "Rev Ctr Cd", "Bill Category"],
    "price": ["Jan 2019", "Charges", "Std Amt", "Current Rate", "List $"],
    "department": ["Dept Nm", "Area", "Cost Ctr", "Unit", "Section"],
    "setting": ["IP/OP Flag", "Pt Class", "Where", "Encounter Type", "Class"],
    "ndc": ["Drug Id", "NDC11 #", "Product Id", "Drug Code", "Package Id"],
    "modifiers": ["Mod", "Mods", "Modifier Cd", "Default Mods", "Mod Cd"],
    "units": ["Qty", "Per", "Units/Chg", "Bill Qty", "Multiplier"],
}
VARIANTS = ("blind", "unfamiliar", "shuffled", "preamble", "report", "headerless")


def main() -> int:
    """Write every variant of every labelled live sheet, read it back, print the scores."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--expected", type=Path, default=DEFAULT_EXPECTED)
    ap.add_argument("--rows", type=int, default=3000, help="data rows taken from each sheet")
    ap.add_argument("--only", default=",".join(VARIANTS))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    wanted = [v for v in args.only.split(",") if v in VARIANTS]
    totals = {v: [0, 0, 0, 0] for v in wanted}  # roles right, roles, header right, sheets
    with tempfile.TemporaryDirectory() as tmp:
        for exp in load_expected(args.expected):
            if exp.error or not (args.root / exp.path).is_file():
                continue
            sheets = _raw_sheets(args.root / exp.path)
            for es in exp.sheets:
                if es.kind not in LIVE or not es.roles or es.header_row in (None, 0) or es.name not in sheets:
                    continue
                header, rows = _table(sheets[es.name], es.header_row, args.rows)
                if any("|" in h for h in header):
                    continue  # CMS standard-charges files are defined by their header names
                for variant in wanted:
                    got = _score(
                        variant, header, rows, es.roles, Path(tmp), f"{exp.path}:{es.name}", args.verbose
                    )
                    for i, n in enumerate(got):
                        totals[variant][i] += n
    print(f"{'variant':12} {'roles right':>16} {'header rows right':>20}")
    for v, (right, roles, hdr, n) in totals.items():
        print(
            f"{v:12} {right:>7}/{roles:<5} {100 * right / max(roles, 1):3.0f}%  {hdr:>9}/{n:<4} "
            f"{100 * hdr / max(n, 1):3.0f}%"
        )
    return 0


def _raw_sheets(path: Path) -> dict:
    """{sheet name: RawSheet} as the reader's lowest layer sees the file."""
    kind = sniff(path).kind
    raws = read_excel(path, kind) if kind in ("xlsx", "xlsm", "xlsb", "xls") else read_text(path)[0]
    return {r.name: r for r in raws if r.frame is not None}


def _table(raw, header_row: int, limit: int) -> tuple[list[str], list[list[str]]]:
    """The header cells and up to `limit` data rows (columns as the spreadsheet numbers them, from A)."""
    rows = [["" if c is None else str(c) for c in r] for r in raw.frame.rows()]
    pad = [""] * raw.first_col
    rows = [pad + r for r in rows]
    idx = header_row - raw.first_row
    body = [r for r in rows[idx + 1 :] if any(c.strip() for c in r)]
    return rows[idx], body[:limit]


def _score(
    variant: str,
    header: list[str],
    rows: list[list[str]],
    roles: dict[str, int],
    tmp: Path,
    label: str,
    verbose: bool,
) -> tuple[int, int, int, int]:
    """Write one variant, read it back, and count (roles right, roles, header right, 1)."""
    width = len(header)
    order = list(range(width))
    head = list(header)
    if variant == "blind":
        head = [f"Column {i + 1}" for i in range(width)]
    elif variant == "unfamiliar":
        col_role = {c - 1: r for r, c in roles.items()}
        pick = zlib.crc32(label.encode()) % 5
        head = [
            UNFAMILIAR[col_role[i]][pick] if col_role.get(i) in UNFAMILIAR else h
            for i, h in enumerate(header)
        ]
    elif variant == "shuffled":
        order = order[::-1]
    grid = [[head[i] for i in order]] + [[r[i] if i < len(r) else "" for i in order] for r in rows]
    want = {role: order.index(col - 1) + 1 for role, col in roles.items() if col - 1 < width}
    offset_rows, offset_cols = 0, 0
    if variant == "preamble":
        offset_rows, offset_cols = 10, 2
        top = [
            ["Community Hospital"],
            ["Chargemaster as of 01/01/2019"],
            [],
            ["Prices shown are gross charges."],
            ["Call the billing office with questions."],
            [],
            [],
            ["Confidential"],
            [],
            [],
        ]
        grid = [[""] * offset_cols + r for r in top] + [[""] * offset_cols + r for r in grid]
        want = {k: v + offset_cols for k, v in want.items()}
    elif variant == "report":
        body = []
        for i, r in enumerate(grid[1:]):
            if i and i % 400 == 0:
                body += [["-" * 10 for _ in r], grid[0]]
            body.append(r)
        grid = [grid[0], ["-" * 10 for _ in grid[0]]] + body
    if variant == "headerless":
        path = tmp / "variant.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(grid[1:])
        expect_header = 0
    else:
        path = tmp / "variant.xlsx"
        _write_xlsx(path, grid)
        expect_header = offset_rows + 1
    try:
        _, rep = read_file(path, IngestOptions())
        sheet = rep.sheets[0].to_dict()
    except InputError as exc:
        sheet = {"column_index": {}, "header_row": None, "error": exc.reason}
    got = sheet.get("column_index", {})
    right = sum(1 for r, c in want.items() if got.get(r) == c)
    hdr_ok = int(sheet.get("header_row") == expect_header)
    if verbose and (right < len(want) or not hdr_ok):
        miss = {r: (c, got.get(r)) for r, c in want.items() if got.get(r) != c}
        print(
            f"  {variant:10} {label}: header {sheet.get('header_row')} (want {expect_header}); "
            f"wrong roles (want, got): {miss} {sheet.get('error', '')}"
        )
    return right, len(want), hdr_ok, 1


def _write_xlsx(path: Path, grid: list[list[str]]) -> None:
    """Cells as text, the way many exports write them."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    ws = wb.add_worksheet("Sheet1")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v != "":
                ws.write_string(r, c, v)
    wb.close()


if __name__ == "__main__":
    raise SystemExit(main())
