"""One audit session, the path every front takes: read and audit, build the document, run history, report files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.audit import AuditRequest, AuditResult, run_audit
from auditor.engine.findings import Finding
from auditor.errors import InputError
from auditor.history import HistoryOptions
from auditor.ingest import IngestOptions, Source
from auditor.lean_dataclass import dataclass
from auditor.report.context import ReportContext
from auditor.report.document import AuditDocument
from auditor.report.renderers import ANNOTATED, CHARGEMASTER, CLAIMS, formats, write_reports
from auditor.report.summary import render_summary

if TYPE_CHECKING:  # claims modules load on a claims run only: a chargemaster audit starts faster without them
    from auditor.claims.pipeline import ClaimsRequest
    from auditor.claims.result import ClaimsResult

FAIL_ON = ("error", "warning", "info", "never")
# A file as a front names it: a path (named by itself) or a (path, display name) pair.
FileArg = Path | str | tuple[Path | str, str]


@dataclass
class SessionRequest:
    """One chargemaster audit as a front asks for it: named inputs, settings, run history and report files.

    A file is a path, named by itself, or a (path, display name) pair (a Source): the display name is what
    every report, the run record and messages show, e.g. an upload's own name beside its stored path.
    """

    files: Sequence[FileArg]  # chargemaster files
    pairing_tables: Sequence[FileArg] = ()
    as_of: dt.date = field(default_factory=dt.date.today)
    config: FileArg | None = None  # the facility's auditor.toml
    select: set[str] | None = None  # edit codes to run (None: every edit)
    ignore: set[str] = field(default_factory=set)
    ingest: IngestOptions = field(default_factory=IngestOptions)
    history: HistoryOptions | None = None  # None: the run history is neither read nor written
    # True (the web page): a run history that cannot be used is reported in the result, the reports go out
    # without it; False (the command line): it stops the audit with its InputError.
    history_optional: bool = False
    formats: Sequence[
        str
    ] = ()  # report files, from renderers.formats(CHARGEMASTER): text (summary.txt), html, ...
    out_dir: Path = Path("cdm-audit-report")
    templates: tuple[Path, ...] = ()  # facility template folders, before the packaged ones
    # Rows of report.xlsx's annotated sheets: flagged (with their charge codes' other rows), full or none.
    annotated: str = "flagged"
    fail_on: str = "error"
    # Called once the findings and the document are final, before any report file is written (progress, warnings).
    before_writing: Callable[[AuditResult], None] | None = None

    def __post_init__(self) -> None:
        _check_outputs(self.formats, formats(CHARGEMASTER), self.fail_on)
        if self.annotated not in ANNOTATED:
            raise InputError("annotated", f"must be one of {', '.join(ANNOTATED)}")

    def sources(self) -> list[Source]:
        """The chargemaster files, each with the name reports give it."""
        return [Source.of(f) for f in self.files]

    def audit_request(self) -> AuditRequest:
        """What the audit core needs of this request besides the chargemaster files."""
        return AuditRequest(
            as_of=self.as_of,
            pairing_tables=[Source.of(f) for f in self.pairing_tables],
            config_path=Source.of(self.config) if self.config is not None else None,
            ingest=self.ingest,
            select=self.select,
            ignore=set(self.ignore),
        )


@dataclass
class SessionResult:
    """What a session produced: the audit, its document (as the reports show it), exit code and files written."""

    audit: AuditResult
    document: dict
    exit_code: int  # 0, or 1 when an unwaived finding is at or above the request's fail_on
    written: dict[str, Path] = field(default_factory=dict)  # format -> its main file, in the order written
    history_error: InputError | None = None  # only with history_optional: why the history was left out

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every scope (chargemaster and pairing table)."""
        return self.audit.findings

    def summary_text(self) -> str:
        """The terminal summary (what `cdm-audit audit` prints), pointing only at the reports written."""
        return render_summary(self.document, self.written)

    def context(self, templates: tuple[Path, ...] = ()) -> ReportContext:
        """A report context over this result, for a renderer of the front's own (the web page's view)."""
        return ReportContext(self.document, self.audit, templates)


def _check_outputs(formats: Sequence[str], known: tuple[str, ...], fail_on: str) -> None:
    """Refuse a report format or fail-on level the session does not know (fronts check their own first)."""
    unknown = [f for f in formats if f not in known]
    if unknown:
        raise InputError("formats", f"unknown format {unknown[0]!r}; choose from {', '.join(known)}")
    if fail_on not in FAIL_ON:
        raise InputError("fail_on", f"must be one of {', '.join(FAIL_ON)}")


def run_session(request: SessionRequest) -> SessionResult:
    """Audit the inputs, build the document, apply the run history, write the report files."""
    result = run_audit(request.sources(), request.audit_request())
    result, document, history_error = _with_history(result, AuditDocument.of(result), request)
    doc = document.to_dict()  # the findings.json form every renderer and front reads
    if request.before_writing is not None:
        request.before_writing(result)
    written = {}
    if request.formats:
        ctx = ReportContext(doc, result, tuple(request.templates), request.annotated)
        written = write_reports(CHARGEMASTER, ctx, request.formats, request.out_dir)
    return SessionResult(result, doc, result.exit_code(request.fail_on), written, history_error)


def _with_history(
    result: AuditResult, document: AuditDocument, request: SessionRequest
) -> tuple[AuditResult, AuditDocument, InputError | None]:
    """The result and document after the run history step (waivers, record, 'since last run'), and why it was
    left out: a step that fails changes nothing, so the reports then go out as the audit made them."""
    if request.history is None or not request.history.needed:
        # --no-history with nothing recorded yet: no comparison to make, no database to create.
        return result, document, None
    # SQLite and comparisons load only for a run that uses them.
    from auditor.history.hook import apply_history

    try:
        return *apply_history(result, document, request.history), None
    except InputError as exc:
        if not request.history_optional:
            raise
        return result, document, exc


@dataclass
class ClaimsSessionRequest:
    """One claims run as a front asks for it: claim files, the claims settings and report files.

    Claim files are named by their paths: the claims reader takes no display names yet (a web front for
    claims will pass Sources through claims.read.claim_chunks). Claims have no run history yet.
    """

    files: Sequence[Path]
    claims: ClaimsRequest = field(default_factory=lambda: _claims_request())
    formats: Sequence[str] = ()  # report files, from renderers.formats(CLAIMS): text, html, xlsx, json, csv
    out_dir: Path = Path("cdm-audit-claims")
    fail_on: str = "error"

    def __post_init__(self) -> None:
        _check_outputs(self.formats, formats(CLAIMS), self.fail_on)


@dataclass
class ClaimsSessionResult:
    """What a claims session produced: the claims result, its summary, exit code and files written (format -> path)."""

    claims: ClaimsResult
    summary: dict
    exit_code: int
    written: dict[str, Path] = field(default_factory=dict)

    def summary_text(self) -> str:
        """The terminal summary (what `cdm-audit claims` prints)."""
        from auditor.report.claims_context import ClaimsContext
        from auditor.report.claims_text import render_claims_summary

        return render_claims_summary(ClaimsContext(self.claims, self.summary))


def run_claims_session(request: ClaimsSessionRequest) -> ClaimsSessionResult:
    """Audit the claim files and write the report files."""
    from auditor.claims.pipeline import run_claims
    from auditor.report.claims_context import ClaimsContext

    ctx = ClaimsContext.of(run_claims([Path(f) for f in request.files], request.claims))
    written = write_reports(CLAIMS, ctx, request.formats, request.out_dir) if request.formats else {}
    return ClaimsSessionResult(ctx.result, ctx.summary, ctx.result.exit_code(request.fail_on), written)


def _claims_request() -> ClaimsRequest:
    """Default claims settings (the claims modules load on first use)."""
    from auditor.claims.pipeline import ClaimsRequest

    return ClaimsRequest()
