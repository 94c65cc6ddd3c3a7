"""Read X12 835 remittance advice (005010X221A1) into remittance lines, through pyx12's validating reader."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import polars as pl

from auditor.claims.x12 import GROUPS, _Collector, _value, looks_like_x12, walk_segments
from auditor.denials.model import REMIT_SCHEMA
from auditor.errors import InputError

VERSION = "005010X221A1"
# The 835 elements that carry remark codes at claim level: MOA03-07 (outpatient), MIA05 and MIA20-23.
MOA_REMARKS = ("MOA03", "MOA04", "MOA05", "MOA06", "MOA07")
MIA_REMARKS = ("MIA05", "MIA20", "MIA21", "MIA22", "MIA23")
# A CAS segment holds a group code and up to six reason/amount/quantity triplets (CAS02-04 ... CAS17-19).
CAS_TRIPLETS = 6
_HEAD_BYTES = 4096


def looks_like_835(path: Path) -> bool:
    """True when the file is an X12 interchange whose first group or transaction is an 835 remittance."""
    if not looks_like_x12(path):
        return False
    with Path(path).open("rb") as fh:
        head = fh.read(_HEAD_BYTES).decode("latin-1")
    start = head.find("ISA")
    sep = head[start + 3 : start + 4]
    if not sep:
        return False
    # ISA is fixed-width (106 characters): look for GS or ST only after it, not inside its sender ids.
    found = re.search(rf"(?:^|\W)(GS{re.escape(sep)}(\w*)|ST{re.escape(sep)}(\w*))", head[start + 106 :])
    return bool(found) and (found.group(2) == "HP" or found.group(3) == "835")


def read_835(path: Path, errors: list[str] | None = None) -> pl.DataFrame:
    """One row per SVC (or per CLP without SVC) in REMIT_SCHEMA; pyx12's messages go to `errors` (capped)."""
    path = Path(path)
    _refuse_non_x12(path)
    collector = _Collector()
    walk = _Remit(path)
    ordinal, leftover, _empty = walk_segments(path, collector, walk, "835", _unsupported)
    walk.finish(ordinal, leftover)
    if errors is not None:
        errors.extend(collector.messages(walk.errors))
    return pl.DataFrame(walk.rows, schema=REMIT_SCHEMA, orient="row")


def _refuse_non_x12(path: Path) -> None:
    """One clear line for a file that is not X12 at all."""
    if not path.is_file():
        raise InputError(str(path), "file not found")
    if looks_like_x12(path):
        return
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise InputError(str(path), "file is empty (0 bytes)")
    what = "a PDF, not an X12 835 remittance" if head.startswith(b"%PDF") else "not an X12 835 remittance"
    raise InputError(str(path), f"this is {what}: it does not start with an ISA segment")


def _unsupported(group: str, version: str) -> str:
    """Why a functional group is not an 835 we read."""
    if group == "HC":
        return "this is an 837 claim file, not an 835 remittance"
    if group not in ("HP", ""):
        kind = GROUPS.get(group, f"functional group {group}")
        return f"this X12 file holds {kind} transactions (GS01 {group}), not 835 remittances"
    return f"this 835 is version {version or '(blank)'}; only {VERSION} remittances are read"


def _day(value: str | None) -> dt.date | None:
    """A CCYYMMDD date, None when blank or not a date."""
    try:
        return dt.datetime.strptime(value or "", "%Y%m%d").date()
    except ValueError:
        return None


def _amount(value: str | None) -> float | None:
    """An X12 decimal amount, None when blank."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _join(values: list[str]) -> str | None:
    """Comma-joined, first-seen order, no repeats; None when empty."""
    return ",".join(dict.fromkeys(v for v in values if v)) or None


def _whole(value: str | None) -> str | None:
    """Units as text with a float tail dropped ('2.0' -> '2')."""
    return re.sub(r"^([0-9]+)\.0+$", r"\1", value) if value else value


class _Remit:
    """Walks the segments of one 835 in order and emits one remittance row per SVC (or per bare CLP)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[tuple] = []
        self.errors: list[str] = []
        self.last_id: str | None = None
        self.open_interchanges = 0
        self.open_transactions = 0
        self.in_835 = False
        self.payer: str | None = None
        self.payer_id: str | None = None
        self.paid_date: dt.date | None = None
        self.claim: dict | None = None
        self.line: dict | None = None

    def segment(self, ordinal: int, seg_id: str | None, loop_id: str | None, seg: Any) -> None:
        """Take in one segment; loop_id is None when pyx12 could not place it."""
        self.last_id = seg_id
        if seg_id in ("ISA", "IEA", "GS", "GE", "ST", "SE"):
            self._envelope(ordinal, seg_id, seg)
        elif loop_id is None or not self.in_835:
            return
        elif seg_id == "BPR":
            self.paid_date = _day(_value(seg, "BPR16"))
        elif loop_id == "1000A" and seg_id == "N1" and _value(seg, "N101") == "PR":
            self.payer, self.payer_id = _value(seg, "N102"), _value(seg, "N104")
        elif loop_id == "1000A" and seg_id == "REF" and _value(seg, "REF01") == "2U":
            self.payer_id = self.payer_id or _value(seg, "REF02")
        elif loop_id == "2000" and seg_id == "LX":
            self._end_claim()
        elif loop_id == "2100":
            self._claim_segment(ordinal, seg_id, seg)
        elif loop_id == "2110" and self.claim is not None:
            self._line_segment(ordinal, seg_id, seg)

    def finish(self, ordinal: int, leftover: bool) -> None:
        """Close the last claim; a file that stops before its SE or IEA trailer is refused as truncated."""
        self._end_claim()
        if leftover or self.open_interchanges or self.last_id != "IEA":
            raise InputError(
                str(self.path),
                f"the file ends before the interchange trailer (IEA): it looks truncated after segment {ordinal}",
                row=ordinal + 1,
            )
        if self.open_transactions:
            raise InputError(
                str(self.path),
                "a transaction (ST) has no SE trailer: the file is cut or damaged",
                row=ordinal,
            )

    def _envelope(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """Interchange, group and transaction headers and trailers."""
        if seg_id in ("ISA", "IEA"):
            self.open_interchanges += 1 if seg_id == "ISA" else -1
        elif seg_id == "GS":
            group, version = _value(seg, "GS01") or "", _value(seg, "GS08") or ""
            if group != "HP" or version != VERSION:
                raise InputError(str(self.path), _unsupported(group, version), row=ordinal)
        elif seg_id == "ST":
            kind = _value(seg, "ST01")
            if kind != "835":
                raise InputError(
                    str(self.path),
                    f"this X12 file holds a {kind} transaction, not an 835 remittance",
                    row=ordinal,
                )
            self.open_transactions += 1
            self.in_835 = True
            self.payer = self.payer_id = self.paid_date = None
        elif seg_id == "SE":
            self._end_claim()
            self.open_transactions -= 1
            self.in_835 = False

    def _claim_segment(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """CLP and the claim-level segments before the first SVC."""
        if seg_id == "CLP":
            self._end_claim()
            status = _value(seg, "CLP02")
            self.claim = {
                "row": ordinal,
                "claim_id": _value(seg, "CLP01"),
                "status": status,
                "charge": _amount(_value(seg, "CLP03")),
                "paid": _amount(_value(seg, "CLP04")),
                "payer_claim_id": _value(seg, "CLP07"),
                "start": None,
                "cas": [],
                "remarks": [],
                "lines": [],
            }
        elif self.claim is None:
            return
        elif seg_id == "DTM" and _value(seg, "DTM01") == "232":
            self.claim["start"] = _day(_value(seg, "DTM02"))
        elif seg_id == "CAS":
            self.claim["cas"].extend(_cas(seg))
        elif seg_id in ("MOA", "MIA"):
            elements = MOA_REMARKS if seg_id == "MOA" else MIA_REMARKS
            self.claim["remarks"].extend(v for e in elements if (v := _value(seg, e)))

    def _line_segment(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """SVC and its date, adjustments, line control number and remarks."""
        assert self.claim is not None
        if seg_id == "SVC":
            qualifier, code = _value(seg, "SVC01-1"), _value(seg, "SVC01-2")
            revenue = _value(seg, "SVC04")
            if qualifier == "NU":  # a revenue-code-only line names the revenue code in SVC01
                revenue, code = revenue or code, None
            self.line = {
                "row": ordinal,
                "code": code,
                "modifiers": _join([_value(seg, f"SVC01-{i}") or "" for i in range(3, 7)]),
                "revenue_code": revenue.zfill(4) if revenue and revenue.isdigit() else revenue,
                # X12: a missing SVC05 means one unit.
                "units": _whole(_value(seg, "SVC05")) or "1",
                "charge": _amount(_value(seg, "SVC02")),
                "paid": _amount(_value(seg, "SVC03")),
                "dos": None,
                "ref": None,
                "cas": [],
                "remarks": [],
            }
            self.claim["lines"].append(self.line)
        elif self.line is None:
            return
        elif seg_id == "DTM" and _value(seg, "DTM01") in ("472", "150"):
            self.line["dos"] = self.line["dos"] or _day(_value(seg, "DTM02"))
        elif seg_id == "CAS":
            self.line["cas"].extend(_cas(seg))
        elif seg_id == "REF" and _value(seg, "REF01") == "6R":
            self.line["ref"] = _value(seg, "REF02")
        elif seg_id == "LQ" and _value(seg, "LQ01") == "HE":
            self.line["remarks"].append(_value(seg, "LQ02") or "")

    def _end_claim(self) -> None:
        """Emit the open claim's rows: claim CAS codes fill in for a line's own; MOA/MIA remarks join every line's."""
        claim, self.claim, self.line = self.claim, None, None
        if claim is None:
            return
        lines = claim["lines"] or [None]
        for ordinal, line in enumerate(lines, start=1 if claim["lines"] else 0):
            own = line or {}
            # A line with no CAS takes the claim's CAS codes, but not its amounts: they are not the line's.
            cas = own.get("cas") or claim["cas"]
            adjusted = None if line and not own["cas"] and cas else sum(a for _, _, a in cas if a is not None)
            self.rows.append(
                (
                    str(self.path),
                    own.get("row", claim["row"]),
                    None,
                    "835",
                    self.payer,
                    self.payer_id,
                    self.paid_date,
                    claim["claim_id"],
                    claim["payer_claim_id"],
                    claim["status"],
                    own.get("ref"),
                    ordinal,
                    own.get("code"),
                    own.get("modifiers"),
                    own.get("revenue_code"),
                    own.get("units"),
                    own.get("dos") or claim["start"],
                    own.get("charge", claim["charge"]),
                    own.get("paid", claim["paid"]),
                    _join([g for g, _, _ in cas]),
                    _join([r for _, r, _ in cas]),
                    _join([*own.get("remarks", []), *claim["remarks"]]),
                    float(adjusted) if adjusted is not None else None,
                    claim["status"] == "22",
                )
            )


def _cas(seg: Any) -> list[tuple[str, str, float | None]]:
    """(group, reason, amount) for each filled triplet of a CAS segment."""
    group = _value(seg, "CAS01") or ""
    out = []
    for i in range(CAS_TRIPLETS):
        reason = _value(seg, f"CAS{2 + 3 * i:02d}")
        if reason:
            out.append((group, reason, _amount(_value(seg, f"CAS{3 + 3 * i:02d}"))))
    return out
