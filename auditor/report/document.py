"""The audit document: run record, summary, findings and skipped rows, as plain data every renderer shares."""

from __future__ import annotations

import dataclasses
import datetime as dt

from auditor.audit import AuditResult, tool_version
from auditor.engine.findings import Finding
from auditor.lean_dataclass import dataclass
from auditor.problems import Problem
from auditor.report.records import EditRecord, RunRecord, Summary, input_records, plain

FINDING_KEYS = (
    "edit",
    "name",
    "family",
    "category",
    "severity",
    "message",
    "file",
    "sheet",
    "row",
    "charge_code",
    "code",
    "revenue_code",
    "description",
    "related_rows",
    "expected",
    "reference",
    "waived",
    "waiver_reason",
    "scope",
)


@dataclass(frozen=True)
class AuditDocument:
    """Everything a report shows, built once and never changed; to_dict() is findings.json.

    `findings` are in fix-first order (problem by problem) and `problems` index into them.

    `history` and `history_ids` (one cross-run id per finding) come from the run history step, which
    returns a new document through with_history().
    """

    run: RunRecord
    summary: Summary
    findings: tuple[Finding, ...]
    skipped_rows: tuple[dict, ...]
    history: dict | None = None
    history_ids: tuple[str, ...] | None = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, result: AuditResult, generated_at: dt.datetime | None = None) -> AuditDocument:
        """The document of an audit result, deterministic for the same inputs apart from `run.generated_at`."""
        q = result.quarter
        inputs = input_records(result.chargemaster, "chargemaster")
        if result.pairing is not None:
            inputs += input_records(result.pairing, "pairing-table")
        skipped = result.chargemaster.skipped_rows() + (
            result.pairing.skipped_rows() if result.pairing else []
        )
        run = RunRecord(
            tool="cdm-audit",
            tool_version=tool_version(),
            generated_at=(generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat(),
            as_of=result.request.as_of.isoformat(),
            quarter=q.used,
            quarter_requested=q.requested,
            quarter_stale=q.stale,
            quarter_message=q.message,
            edit_set_version=result.edits.version,
            inputs=inputs,
            config=result.config.to_dict(),
            edits=tuple(
                EditRecord(s.code, s.name, s.severity, s.status, s.findings, s.note)
                for s in result.summaries()
            ),
        )
        return cls(
            run,
            Summary.of(inputs, result.findings),
            tuple(result.findings),
            tuple(skipped),
            problems=tuple(result.problems),
        )

    def with_history(self, section: dict, ids: tuple[str, ...]) -> AuditDocument:
        """This document with the run history's section and each finding's history id (a new document)."""
        if len(ids) != len(self.findings):
            raise ValueError(f"{len(ids)} history ids for {len(self.findings)} findings")
        return dataclasses.replace(self, history=section, history_ids=tuple(ids))

    def to_dict(self) -> dict:
        """findings.json's shape: fresh dicts and lists (related rows, references and skipped rows are shared)."""
        findings = [_finding(f) for f in self.findings]
        if self.history_ids is not None:
            for d, fid in zip(findings, self.history_ids, strict=False):
                d["history_id"] = fid
        doc = {
            "run": self.run.to_dict(),
            "summary": self.summary.to_dict(),
            "problems": [p.to_dict() for p in self.problems],
            "findings": findings,
            "skipped_rows": list(self.skipped_rows),
        }
        if self.history is not None:
            doc["history"] = plain(self.history)
        return doc


def build_document(result: AuditResult, generated_at: dt.datetime | None = None) -> dict:
    """The document of an audit result in its findings.json form (AuditDocument.of(...).to_dict())."""
    return AuditDocument.of(result, generated_at).to_dict()


def _finding(f: Finding) -> dict:
    """One finding in the document's key order (related rows and reference are shared, read-only dicts)."""
    d = {k: getattr(f, k) for k in FINDING_KEYS}
    d["related_rows"] = list(f.related_rows)
    return d
