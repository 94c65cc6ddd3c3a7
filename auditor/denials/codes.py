"""CARC and RARC labels shipped as data: what each adjustment code means, and whether it is a denial."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from auditor.lean_dataclass import dataclass

# Our own short wording of the X12 Claim Adjustment Reason Code and Remittance Advice Remark Code lists
# (x12.org/codes). The list version could not be fetched here (no network at build time), so a code we do not
# carry is shown as "unknown code", never guessed. SOURCE names the list and the date our labels were checked.
DATA = Path(__file__).resolve().parents[1] / "data" / "carc_rarc.csv"
SOURCE = {
    "name": "X12 CARC and RARC code lists (x12.org/codes), labels in our own words",
    "checked": "2026-12-05",
    "note": "common codes only; codes not listed are shown as unknown",
}
UNKNOWN = "unknown code"
# Classes of CARCs that lower a payment without denying the service.
NOT_DENIALS = frozenset({"patient_share", "payment_adjustment", "bundled"})


@dataclass(frozen=True)
class CodeLabel:
    """One code's label and class (denial, patient_share, payment_adjustment, bundled, remark)."""

    code: str
    label: str
    kind: str
    note: str = ""


@cache
def table() -> dict[tuple[str, str], CodeLabel]:
    """(list, code) -> label, from the shipped csv."""
    with DATA.open(encoding="utf-8", newline="") as fh:
        return {
            (r["list"], r["code"]): CodeLabel(r["code"], r["label"], r["class"], r.get("note") or "")
            for r in csv.DictReader(fh)
        }


def label(code: str, kind: str = "carc") -> str:
    """The code's label, or 'unknown code'."""
    hit = table().get((kind, code.strip().upper()))
    return hit.label if hit else UNKNOWN


def is_denial(carc: str) -> bool:
    """True unless the CARC is a known contractual, patient-share or bundling adjustment (unknown codes count)."""
    hit = table().get(("carc", carc.strip().upper()))
    return hit is None or hit.kind not in NOT_DENIALS
