"""Findings: one flagged line, the edit that flagged it, and the evidence."""

from __future__ import annotations

from dataclasses import field, fields, replace

from auditor.errors import EXIT_FINDINGS, EXIT_OK
from auditor.lean_dataclass import dataclass

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
# A check may reckon the money a finding puts at stake itself (a price spread, a shortfall under a rate) in two hit
# columns: dollars, and what they are ("price spread"). A finding carries them in `extra` as `stake` and
# `stake_basis`; problems.py ranks by them instead of the line's rate or charge.
STAKE, STAKE_BASIS = "v_stake", "v_stake_basis"


def exit_code_for(worst: str | None, fail_on: str) -> int:
    """1 when the worst unwaived severity is at or above `fail_on` ('never' never fails), else 0."""
    if fail_on == "never" or worst is None:
        return EXIT_OK
    return EXIT_FINDINGS if SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on] else EXIT_OK


@dataclass(frozen=True, slots=True)
class Finding:
    """A line that breaks an edit, with the codes involved and what is expected instead (immutable).

    A waiver applied later (an acknowledgement in the run history) makes a new finding with
    `dataclasses.replace`; nothing changes a finding once the engine made it.
    """

    edit: str
    name: str
    family: str
    category: str
    severity: str
    message: str
    file: str
    sheet: str | None
    row: int | None
    charge_code: str | None
    code: str | None
    revenue_code: str | None
    description: str | None
    expected: str | None
    reference: dict
    related_rows: tuple[dict, ...] = ()
    waived: bool = False
    waiver_reason: str | None = None
    scope: str | None = None
    extra: dict = field(default_factory=dict)
    # Canonical fields the finding concerns (('code',), ('revenue_code',), ('description', 'code') ...), as the
    # check kind that raised it says: the cells reports point at. Not part of the JSON contract.
    columns: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON shape of one finding (findings.json); fields are plain data, so no deep copy is needed."""
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["related_rows"] = [dict(r) for r in self.related_rows]
        d["reference"] = dict(self.reference)
        d["extra"] = dict(self.extra)
        return d

    def waived_by(self, reason: str) -> Finding:
        """This finding waived with `reason`: a new finding, this one unchanged."""
        return replace(self, waived=True, waiver_reason=reason)

    def sort_key(self) -> tuple:
        """Stable order: file, sheet, row, edit."""
        return (self.file, self.sheet or "", self.row or 0, self.edit, self.code or "")


# to_dict()'s keys: every field but `columns`, which findings.json has never carried.
_FIELD_NAMES = tuple(f.name for f in fields(Finding) if f.name != "columns")
