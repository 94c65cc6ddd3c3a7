"""Derive edits/lists/skin_substitute_products.csv from the packaged Addendum B table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = r"^(Q4[1-4]\d\d|A20\d\d|A4100|C9363)$"
# The three unlisted codes new in January 2026 name their FDA pathway (CGS article A56696).
FDA = {"Q4431": "PMA", "Q4432": "510(k)", "Q4433": "361 HCT/P"}
NOS = {"Q4431", "Q4432", "Q4433", "A4100", "Q4100"}


def unit_of(descriptor: str | None) -> str:
    """Billing unit read from the HCPCS short descriptor ('per sq cm', 'per mg', 'per cc', 'each')."""
    d = (descriptor or "").lower()
    for pat, unit in (
        (r"sq ?cm", "sq cm"),
        (r"\bmg\b|\d mg|per mg|\bg\b", "mg"),
        (r"\bcc\b|\bml\b|\d ?cc", "cc"),
        (r"\beach\b", "each"),
    ):
        if re.search(pat, d):
            return unit
    return ""


def main(out: Path) -> None:
    """Write the product list: code, form, si_2026, unit, fda_category, nos, source."""
    table = pl.read_csv(ROOT / "auditor" / "data" / "opps_status.csv.gz", infer_schema=False)
    quarters = [c for c in table.columns if re.match(r"^\d{4}Q[1-4]$", c)]
    newest = quarters[-1]
    rows = table.filter(pl.col("code").str.contains(PRODUCT)).sort("code")
    records = []
    for r in rows.iter_rows(named=True):
        si = r[newest]
        # 2026: sheet products are separately paid (S1); non-sheet forms stay packaged (N).
        form = {"S1": "sheet", "N": "non-sheet"}.get(si or "", "unknown")
        unit = unit_of(r["descriptor"])
        if form == "unknown" and unit in ("mg", "cc"):
            form = "non-sheet"
        records.append(
            {
                "code": r["code"],
                "form": form,
                "si_newest": si or "",
                "unit": unit,
                "fda_category": FDA.get(r["code"], ""),
                "nos": "yes" if r["code"] in NOS else "",
                "last_seen": r["last_seen"] or "",
                "source": f"CMS OPPS Addendum B {newest} status indicator (S1 = sheet, N = non-sheet) [D]",
            }
        )
    pl.DataFrame(records).write_csv(out)
    print(f"wrote {len(records)} products to {out}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "edits" / "lists" / "skin_substitute_products.csv"
    )
