"""What a claims run produces: one row per claim (readiness), one row per finding, and the run's accounts."""

from __future__ import annotations

from dataclasses import field

import polars as pl

from auditor.engine.findings import exit_code_for
from auditor.errors import EXIT_BAD_INPUT
from auditor.lean_dataclass import dataclass

# One row per claim. wiser_status: in_scope | out_of_scope | not_wiser (no WISeR code on the claim);
# readiness: ready | needs_attention | out_of_scope. wiser_categories holds service ids joined by ','.
CLAIM_SCHEMA = {
    "claim_id": pl.String,
    "file": pl.String,
    "first_row": pl.Int64,
    "last_row": pl.Int64,
    "lines": pl.Int64,
    "dos_from": pl.Date,
    "dos_to": pl.Date,
    "state": pl.String,
    "participant": pl.String,
    "payer": pl.String,
    "payer_class": pl.String,
    "setting": pl.String,
    "wiser_status": pl.String,
    "wiser_reason": pl.String,
    "wiser_categories": pl.String,
    "utn": pl.String,
    "diagnoses": pl.String,
    "readiness": pl.String,
    "errors": pl.Int64,
    "warnings": pl.Int64,
    "infos": pl.Int64,
    "blocking": pl.Int64,
}
# One row per finding; `blocks` marks findings that keep the claim from auto-approval (readiness).
FINDING_SCHEMA = {
    "claim_id": pl.String,
    "line": pl.String,
    "file": pl.String,
    "sheet": pl.String,
    "row": pl.Int64,
    "dos": pl.Date,
    "code": pl.String,
    "modifiers": pl.String,
    "revenue_code": pl.String,
    "edit": pl.String,
    "name": pl.String,
    "family": pl.String,
    "category": pl.String,
    "severity": pl.String,
    "message": pl.String,
    "expected": pl.String,
    "reference": pl.String,
    "basis": pl.String,
    "blocks": pl.Boolean,
    "waived": pl.Boolean,
}
READINESS = ("ready", "needs_attention", "out_of_scope")
READINESS_LABELS = {"ready": "Ready", "needs_attention": "Needs attention", "out_of_scope": "Out of scope"}


@dataclass
class ClaimsResult:
    """Everything a claims report shows; frames follow CLAIM_SCHEMA and FINDING_SCHEMA."""

    claims: pl.DataFrame
    findings: pl.DataFrame
    files: list[dict] = field(
        default_factory=list
    )  # {path, format, sha256, size, rows_read, rows_audited, rows_skipped}
    skipped: list[dict] = field(default_factory=list)  # {file, sheet, row, reason}
    notes: list[str] = field(default_factory=list)  # plain-language caveats (older code set, assumptions)
    meta: dict = field(
        default_factory=dict
    )  # generated_at, tool_version, edit_set_version, icd_code_set, wiser
    services: dict[str, dict] = field(
        default_factory=dict
    )  # WISeR service id -> title, policy, checklist, codes
    edits: list[dict] = field(
        default_factory=list
    )  # {code, name, category, severity, status, findings, basis}
    # With ClaimsRequest.keep_lines: every line read, as (file, claim_id, line, code, dos); else None.
    lines: pl.DataFrame | None = None

    @property
    def lines_audited(self) -> int:
        """Claim lines audited across all inputs."""
        return sum(f.get("rows_audited", 0) for f in self.files)

    @property
    def unreadable(self) -> list[str]:
        """One line per claims file that could not be read at all."""
        return [f["error"] for f in self.files if f.get("error")]

    def exit_code(self, fail_on: str) -> int:
        """2 when a claims file could not be read; else 0 when no unwaived finding is at or above `fail_on`, else 1."""
        if self.unreadable:
            return EXIT_BAD_INPUT  # the reports are written, but the run is not a complete audit
        return exit_code_for(self.worst(), fail_on)

    def worst(self) -> str | None:
        """Highest unwaived severity among findings."""
        live = self.findings.filter(~pl.col("waived"))
        for sev in ("error", "warning", "info"):
            if (live.get_column("severity") == sev).any():
                return sev
        return None


def empty_claims() -> pl.DataFrame:
    """A claims frame with no rows."""
    return pl.DataFrame(schema=CLAIM_SCHEMA)


def empty_findings() -> pl.DataFrame:
    """A findings frame with no rows."""
    return pl.DataFrame(schema=FINDING_SCHEMA)
