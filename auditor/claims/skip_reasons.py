"""Why a claim line is not audited on its own: the reasons that need a look, and those already accounted for."""

from __future__ import annotations

UNCODED = "no CPT/HCPCS code and no revenue code on this claim line"
CLAIM_ROW = (
    "a claim-level row (no CPT/HCPCS or revenue code): its values (payer, state, type of bill, diagnoses, UTN) "
    "were given to the claim's service lines"
)
REVERSED = (
    "credited on this claim: the code's charges and credits net to 0 units or less, so it is not on the claim "
    "and not audited"
)
NETTED = (
    "a credit or a further charge of a code on the same claim: netted into the code's first charge line, "
    "which is audited with the net units and charges"
)
# Lines whose content reached the audit another way (netted into a charge, or given to the claim's lines):
# nothing to fix, so the reports list them apart from the lines that may leave a claim incomplete.
ACCOUNTED_FOR = frozenset((CLAIM_ROW, REVERSED, NETTED))


def accounted_for(skipped: list[dict]) -> tuple[list[dict], list[dict]]:
    """Skipped lines split into (those to fix or confirm, those accounted for), each in its own order."""
    todo = [s for s in skipped if s.get("reason") not in ACCOUNTED_FOR]
    done = [s for s in skipped if s.get("reason") in ACCOUNTED_FOR]
    return todo, done
