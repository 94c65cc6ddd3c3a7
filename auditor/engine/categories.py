"""Finding categories in one table: work queue, report label and claim flag; every category list derives from it."""

from __future__ import annotations

from auditor.lean_dataclass import dataclass


@dataclass(frozen=True, slots=True)
class Queue:
    """A work queue analysts are organised around (HTML tabs, Excel and CSV 'Queue')."""

    key: str
    title: str


@dataclass(frozen=True, slots=True)
class Category:
    """One finding category: the queue its findings go to, how reports name it, the claim flag it raises."""

    name: str
    queue: str
    label: str
    # The per-claim flag of the claims readiness tables (claims.summary) a finding of this category raises.
    claim_flag: str | None = None


# Display order; categories of no listed queue land in OTHER, shown last.
QUEUES = (
    Queue("invalid", "Invalid codes"),
    Queue("revenue", "Revenue code mismatches"),
    Queue("pairing", "Missing or mismatched pairings"),
    Queue("hygiene", "Compliance and hygiene"),
)
OTHER = Queue("other", "Other findings")
# Claim flags in the column order of the claims readiness tables.
CLAIM_FLAGS = ("unspecified_dx", "not_fit", "broken_pairs", "prior_auth")

TABLE = (
    Category("invalid_code", "invalid", "Invalid code"),
    Category("deleted_code", "invalid", "Deleted code"),
    Category("not_payable_in_setting", "invalid", "Not payable in setting"),
    Category("revenue_code_mismatch", "revenue", "Revenue code mismatch"),
    Category("missing_companion", "pairing", "Missing companion", "broken_pairs"),
    Category("orphan_component", "pairing", "Orphan component", "broken_pairs"),
    Category("pairing_mismatch", "pairing", "Pairing mismatch", "broken_pairs"),
    Category("description_mismatch", "pairing", "Description mismatch"),
    Category("addon_without_primary", "pairing", "Addon without primary", "broken_pairs"),
    Category("unit_mismatch", "pairing", "Unit mismatch", "broken_pairs"),
    Category("modifier_issue", "hygiene", "Modifier issue", "broken_pairs"),
    Category("duplicate", "hygiene", "Duplicate"),
    Category("price_outlier", "hygiene", "Price outlier"),
    # Claim-only: ICD-10-CM quality ("vague" apart from "does not fit") and WISeR prior authorization.
    Category("diagnosis_invalid", "other", "Diagnosis invalid"),
    Category("diagnosis_not_billable", "other", "Diagnosis not billable"),
    Category("diagnosis_unspecified", "other", "Diagnosis unspecified", "unspecified_dx"),
    Category(
        "diagnosis_unspecified_laterality", "other", "Diagnosis unspecified laterality", "unspecified_dx"
    ),
    Category("diagnosis_other", "other", "Diagnosis other", "unspecified_dx"),
    Category("diagnosis_laterality_conflict", "other", "Diagnosis laterality conflict"),
    Category("diagnosis_not_fit", "other", "Diagnosis not fit", "not_fit"),
    Category("prior_auth_missing", "other", "Prior auth missing", "prior_auth"),
    Category("prior_auth_invalid", "other", "Prior auth invalid", "prior_auth"),
    Category("prior_auth_not_covered", "other", "Prior auth not covered", "prior_auth"),
)
NAMES = tuple(c.name for c in TABLE)
_BY_NAME = {c.name: c for c in TABLE}


def queue_of(name: str) -> str:
    """The queue key a category's findings go to ('other' for a category the table does not hold)."""
    c = _BY_NAME.get(name)
    return c.queue if c is not None else OTHER.key


def queue_members(key: str) -> tuple[str, ...]:
    """Categories of one queue, in table order."""
    return tuple(c.name for c in TABLE if c.queue == key)


def with_claim_flag(flag: str) -> tuple[str, ...]:
    """Categories whose findings raise this claim flag, in table order."""
    return tuple(c.name for c in TABLE if c.claim_flag == flag)
