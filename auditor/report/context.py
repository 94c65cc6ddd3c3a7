"""ReportContext: the one input every report writer takes (document, audit result, template folders)."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from auditor.engine import categories
from auditor.engine.categories import queue_of
from auditor.lean_dataclass import dataclass

# Work queues analysts are organised around, in display order: (key, title, categories), from the category table.
QUEUES: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (q.key, q.title, categories.queue_members(q.key)) for q in categories.QUEUES
)
OTHER_QUEUE = (categories.OTHER.key, categories.OTHER.title)
SEVERITY_ORDER = ("error", "warning", "info")


def queue_titles() -> dict[str, str]:
    """Queue key -> title, in display order, 'other' last."""
    return {k: t for k, t, _ in QUEUES} | {OTHER_QUEUE[0]: OTHER_QUEUE[1]}


@dataclass
class ReportContext:
    """Everything a renderer may use; build it once per audit and hand it to any writer."""

    doc: dict = field(
        metadata={
            "help": "The audit document from build_document(): run, summary, findings, "
            "skipped_rows. Every number a report shows comes from here."
        }
    )
    result: Any = field(
        default=None,
        metadata={
            "help": "The AuditResult the document was built from (or None). Gives the audited rows for the Excel "
            "annotated sheets and the edit explanations (what/why/fix/references)."
        },
    )
    templates: tuple[Path, ...] = field(
        default=(),
        metadata={
            "help": "Facility template folders, searched before the packaged templates (letterhead, styles)."
        },
    )
    annotated: str = field(
        default="flagged",
        metadata={
            "help": "Rows of the Excel annotated sheets: flagged (rows with findings and the other rows of "
            "their charge codes), full (every audited row) or none."
        },
    )

    @classmethod
    def of(cls, value: ReportContext | dict, result: Any = None, templates=None) -> ReportContext:
        """A context from a context (returned as is) or a bare document dict."""
        if isinstance(value, ReportContext):
            return value
        return cls(doc=value, result=result, templates=tuple(Path(t) for t in (templates or ())))

    def edit_docs(self) -> list[dict]:
        """One entry per edit in the run: summary fields plus what/why/fix/references from the catalogue."""
        catalogue = self._catalogue()
        out = []
        for s in self.doc["run"]["edits"]:
            e = catalogue.get(s["code"])
            out.append(
                {
                    **s,
                    "family": e.family if e else "",
                    "category": e.category if e else "",
                    "queue": queue_of(e.category) if e else OTHER_QUEUE[0],
                    "what": e.what.strip() if e else "",
                    "why": e.why.strip() if e else "",
                    "fix": e.fix.strip() if e else "",
                    "effective": e.period() if e else "",
                    "scopes": list(e.scopes) if e else [],
                    "references": [
                        {"url": r.url, "basis": "verified" if r.verified else "inferred", "note": r.note}
                        for r in (e.references if e else [])
                    ],
                }
            )
        return out

    def audited_scopes(self) -> set[str]:
        """The edit scopes this audit covered: the chargemaster, and the pairing table when one was given."""
        roles = {i["role"] for i in self.doc["run"]["inputs"]}
        return {"chargemaster"} | ({"pairing"} if "pairing-table" in roles else set())

    def scoped_edit_docs(self) -> tuple[list[dict], list[dict]]:
        """edit_docs() split in two: edits that apply to the scopes audited, and the others (claim-only ...)."""
        scopes = self.audited_scopes()
        mine, other = [], []
        for e in self.edit_docs():
            applies = e["status"] != "not-for-scope" and (not e["scopes"] or bool(scopes & set(e["scopes"])))
            (mine if applies or e["findings"] else other).append(e)
        return mine, other

    def _catalogue(self) -> dict:
        """Edit code -> Edit, from the result, else the packaged catalogue when its version matches the doc."""
        if self.result is not None:
            return {e.code: e for e in self.result.edits.edits}
        try:
            # On use: only a report rebuilt from findings.json, without its run, needs the catalogue.
            from auditor.engine import load_edits

            es = load_edits()
        except Exception:  # noqa: BLE001 - a report must still render without the catalogue
            return {}
        return {e.code: e for e in es.edits} if es.version == self.doc["run"]["edit_set_version"] else {}

    def audited_tables(self) -> list[tuple[str, Any]]:
        """(sheet title, polars frame) for each audited input kind the result holds; empty without a result."""
        if self.result is None:
            return []
        tables = [("Chargemaster", self.result.chargemaster.frame)]
        if getattr(self.result, "pairing", None) is not None:
            tables.append(("Pairing table", self.result.pairing.frame))
        return tables
