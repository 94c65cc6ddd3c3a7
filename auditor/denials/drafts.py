"""Build the appeal or resubmission draft of each denied claim from what the tool was given, nothing more."""

from __future__ import annotations

import datetime as dt

import polars as pl

from auditor.claims.wiser import WiserScope
from auditor.denials import codes
from auditor.denials.model import ChecklistItem, DraftClaim, DraftLine

# 42 CFR 405.942: a redetermination is requested within 120 days of receiving the initial determination
# (wiser-research 4, [M] general Medicare rule, not WISeR-specific text).
REDETERMINATION_DAYS = 120


def _deadline(kind: str, determined: dt.date | None) -> tuple[dt.date | None, str]:
    """The date to act by and the sentence that says so."""
    if kind == "pa_resubmission":
        return (
            None,
            "no limit: a non-affirmed prior authorization request can be resubmitted as often as needed",
        )
    if determined is None:
        return None, "120 days from the initial determination (its date was not in the remittance)"
    due = determined + dt.timedelta(days=REDETERMINATION_DAYS)
    return (
        due,
        f"request by {due.isoformat()} (120 days from the initial determination of {determined.isoformat()})",
    )


def _lines(rows: list[dict]) -> list[DraftLine]:
    """The claim's remitted lines, denied ones with their reasons and our labels."""
    out = []
    for r in rows:
        carcs = [c for c in (r["carcs"] or "").split(",") if c]
        # The schema keeps group codes apart from reasons: prefix the group only when the line has one.
        groups = [g for g in (r["group_codes"] or "").split(",") if g]
        group = groups[0] if len(groups) == 1 else ""
        out.append(
            DraftLine(
                line=r["claim_line"] or r["line"],
                code=r["code"],
                modifiers=r["modifiers"],
                units=r["units"],
                dos=r["dos"],
                charge=r["charge"],
                paid=r["paid"],
                denied=bool(r["denied"]),
                carcs=[f"{group}-{c}" if group else c for c in carcs],
                carc_labels=[codes.label(c) for c in carcs],
                rarcs=[c for c in (r["rarcs"] or "").split(",") if c],
            )
        )
    return out


def _claim_rows(lines: pl.DataFrame, claim: dict) -> list[dict]:
    """The claim's remitted lines from the payer the draft answers (another payer's adjudication is not it):
    the payer as resolved (its id, or its name folded), not the name as each line spells it."""
    mine = lines.filter(pl.col("claim_key") == claim["claim_key"])
    payer = mine.filter(pl.col("payer_key").eq_missing(claim["payer_key"]))
    return (payer if payer.height else mine).sort("line_ordinal", maintain_order=True).to_dicts()


def build_drafts(lines: pl.DataFrame, claims: pl.DataFrame, scope: WiserScope) -> list[DraftClaim]:
    """One DraftClaim per denied or non-affirmed claim; checklist items all unticked (nobody told us otherwise)."""
    services = scope.service_table()
    out = []
    for claim in (
        claims.filter(pl.col("denied") | pl.col("non_affirmed")).sort("claim_id", "claim_key").to_dicts()
    ):
        kind = "pa_resubmission" if claim["non_affirmed"] else "redetermination"
        sid = claim["service"] if claim["service"] in services else "other"
        svc = services.get(sid, {})
        state = scope.states.get(claim["state"] or "", {})
        due, due_text = _deadline(kind, claim["determined"])
        participant, mac = state.get("participant"), state.get("mac")
        send_to = (
            f"{participant} (WISeR participant for {claim['state']})"
            if kind == "pa_resubmission" and participant
            else f"{mac}, the Medicare Administrative Contractor (redetermination)"
            if mac
            else "the payer's appeals address (not known to the tool)"
        )
        rows = _claim_rows(lines, claim)
        out.append(
            DraftClaim(
                claim_id=claim["claim_id"],
                kind=kind,
                service=sid,
                service_title=svc.get("title", "Service outside the WISeR list"),
                policy=svc.get("policy", ""),
                policy_url=svc.get("policy_url", ""),
                state=claim["state"],
                participant=participant,
                mac=mac,
                payer=claim["payer"],
                utn=claim["utn"],
                determination_date=claim["determined"],
                deadline=due,
                deadline_text=due_text,
                send_to=send_to,
                lines=_lines(rows),
                findings_fixed=[],
                findings_open=list(rows[0].get("predicted_messages") or []) if rows else [],
                checklist=[ChecklistItem(text) for text in svc.get("checklist", [])],
                key=claim["claim_key"],
            )
        )
    return out
