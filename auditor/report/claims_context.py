"""ClaimsContext: the one input every claims renderer takes (the claims run and the counts its reports show)."""

from __future__ import annotations

from auditor.claims.result import ClaimsResult
from auditor.claims.summary import build_summary
from auditor.lean_dataclass import dataclass


@dataclass(frozen=True)
class ClaimsContext:
    """A claims run as its reports see it; build it once and hand it to any claims renderer."""

    result: ClaimsResult
    # build_summary(result): every count a claims report shows comes from here, computed once per run.
    summary: dict

    @classmethod
    def of(cls, result: ClaimsResult, summary: dict | None = None) -> ClaimsContext:
        """A context over `result`, its summary built unless given."""
        return cls(result, build_summary(result) if summary is None else summary)
