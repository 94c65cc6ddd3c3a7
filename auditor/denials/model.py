"""The shapes the denials modules share: one remittance line, and one denied claim for an appeal draft."""

from __future__ import annotations

import datetime as dt
from dataclasses import field

import polars as pl

from auditor.lean_dataclass import dataclass

# One row per adjudicated service line (an 835 SVC, or a worklist row). A claim paid or denied with no SVC
# lines is one row with line_ordinal 0 and code null. Amounts are dollars; codes stay text.
REMIT_SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,  # 835: segment number (1-based, ISA = 1) of the SVC (or CLP); worklist: the sheet row
    "sheet": pl.String,  # worklist sheet name; null for 835
    "source": pl.String,  # "835" | "worklist"
    "payer": pl.String,  # N1*PR name (835) or the payer column
    "payer_id": pl.String,  # N1*PR N104 (else REF*2U) payer identifier (835); null for a worklist
    "paid_date": pl.Date,  # BPR16 (835) or the worklist's remit/denial date: the initial determination date
    "claim_id": pl.String,  # CLP01, the patient control number the hospital sent (CLM01)
    "payer_claim_id": pl.String,  # CLP07 payer claim control number
    "claim_status": pl.String,  # CLP02: 1, 2, 3 processed as primary/secondary/tertiary, 4 denied, 22 reversal ...
    "line": pl.String,  # REF*6R line item control number (the line number the hospital sent), when given
    "line_ordinal": pl.Int64,  # 1-based position of the SVC within its CLP (0: claim-level row)
    "code": pl.String,  # SVC01-2 HCPCS/CPT (or the worklist's code)
    "modifiers": pl.String,  # comma-joined, in order
    "revenue_code": pl.String,  # SVC04 (institutional) or SVC01 with qualifier NU, 4 digits
    "units": pl.String,
    "dos": pl.Date,  # DTM*472 on the line, else the claim's DTM*232 statement start
    "charge": pl.Float64,  # SVC02
    "paid": pl.Float64,  # SVC03
    "group_codes": pl.String,  # comma-joined CAS01 group codes (CO, PR, OA, PI, CR), in order, no repeats
    "carcs": pl.String,  # comma-joined CAS reason codes of the line (claim-level CAS when the line has none)
    "rarcs": pl.String,  # comma-joined LQ*HE remark codes (plus MOA/MIA remark codes at claim level)
    "adjusted": pl.Float64,  # sum of the CAS amounts on the line
    "reversal": pl.Boolean,  # CLP02 == 22 (the payer takes back an earlier payment)
}


def empty_remit() -> pl.DataFrame:
    """A remittance frame with no rows."""
    return pl.DataFrame(schema=REMIT_SCHEMA)


@dataclass
class DraftLine:
    """One line of a claim in an appeal or resubmission draft."""

    line: str | None
    code: str | None
    modifiers: str | None
    units: str | None
    dos: dt.date | None
    charge: float | None
    paid: float | None
    denied: bool
    carcs: list[str] = field(default_factory=list)  # e.g. ["CO-50"] with group code
    carc_labels: list[str] = field(
        default_factory=list
    )  # our short label per CARC, "unknown code" when unknown
    rarcs: list[str] = field(default_factory=list)


@dataclass
class ChecklistItem:
    """One documentation item of the NCD/LCD checklist; `confirmed` only when the user told us so."""

    text: str
    confirmed: bool = False


@dataclass
class DraftClaim:
    """Everything an appeal (redetermination) or prior-authorization resubmission draft may say about a claim.

    Only what the tool knows: nothing here is inferred from the medical record.
    """

    claim_id: str
    kind: str  # "redetermination" (a denied claim) | "pa_resubmission" (a non-affirmed prior authorization)
    service: str  # WISeR service id (edits/wiser/scope.yaml), or "other"
    service_title: str
    policy: str  # e.g. "NCD 150.9"
    policy_url: str
    state: str | None
    participant: str | None  # WISeR technology participant of the state
    mac: str | None  # the Medicare administrative contractor (redeterminations go to the MAC)
    payer: str | None
    utn: str | None
    determination_date: dt.date | None  # the remittance's paid date: the initial determination
    deadline: dt.date | None  # determination_date + 120 days for a redetermination; None for a resubmission
    deadline_text: str  # "request by 2026-07-01 (120 days from ...)" or "no limit: ..."
    send_to: str  # whom to send it to, in words
    lines: list[DraftLine] = field(default_factory=list)
    findings_fixed: list[str] = field(default_factory=list)  # readiness findings the user marked fixed
    findings_open: list[str] = field(default_factory=list)  # readiness findings still open on the claim
    checklist: list[ChecklistItem] = field(default_factory=list)
    # The claim's own identity (claims file and id, as the join knows it): two claims may share a claim id.
    key: str | None = None

    def identity(self) -> str:
        """The key reports and draft files are matched by: the claim's key, else its claim id."""
        return self.key or self.claim_id
