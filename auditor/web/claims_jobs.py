"""Claims runs of the web app: the run record, its in-memory registry, and the work (readiness, denials, history)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import sqlite3
import threading
from dataclasses import field
from pathlib import Path

from auditor.claims.pipeline import ClaimsRequest
from auditor.denials.run import DenialsRequest, read_remittance, run_denials
from auditor.errors import InputError
from auditor.history import store
from auditor.history.claims_runs import list_claims_runs, record_claims_run
from auditor.ingest.reader import file_sha256
from auditor.lean_dataclass import dataclass
from auditor.report.denials_outputs import write_denials
from auditor.report.renderers import CLAIMS, TEXT, downloads, formats
from auditor.session import ClaimsSessionRequest, run_claims_session
from auditor.web.jobs import MAX_RUNS, RunInput

log = logging.getLogger("auditor.web")

# No compliance PDF on the page: the claims core names inputs by their private upload paths, which a PDF
# would carry (the text reports get the upload names put back, see _name_uploads).
CLAIM_FORMATS = tuple(f for f in formats(CLAIMS) if f not in (TEXT, "pdf"))
CLAIM_FILES = downloads(CLAIMS, CLAIM_FORMATS)  # file name -> media type, under the run's claims/ folder
DENIAL_FILES = {
    "denials.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "denials.json": "application/json",
}
DRAFT_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}
ZIP = "appeal-drafts.zip"
TEXT_REPORTS = (".html", ".json", ".csv")


@dataclass
class ClaimsRun:
    """One claims upload that was audited: its files, what it found, and where its reports are."""

    id: str
    dir: Path
    inputs: list[RunInput]
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    totals: dict = field(default_factory=dict)  # the readiness summary's totals
    denials: dict | None = None  # the denial totals, when remittances came with the claims
    patterns: list[dict] = field(default_factory=list)
    history_run_id: int | None = None
    history_error: str | None = None

    def files(self, role: str) -> list[Path]:
        """The stored paths of one role (claims or remittance)."""
        return [i.path for i in self.inputs if i.role == role]

    @property
    def title(self) -> str:
        """The claim file names."""
        return ", ".join(i.name for i in self.inputs if i.role == "claims")

    @property
    def claims_dir(self) -> Path:
        """The readiness report files."""
        return self.dir / "claims"

    @property
    def denials_dir(self) -> Path:
        """The denial report files and appeal drafts."""
        return self.dir / "denials"

    def drafts(self) -> list[str]:
        """The appeal draft files written for this run (the zip first), by name."""
        folder = self.denials_dir / "appeals"
        names = sorted(p.name for p in folder.iterdir() if p.suffix in DRAFT_TYPES) if folder.is_dir() else []
        return sorted(names, key=lambda n: n != ZIP)


class ClaimsRuns:
    """This server's claims runs, newest first; the oldest are forgotten (with their folders) past MAX_RUNS."""

    def __init__(self) -> None:
        self._runs: dict[str, ClaimsRun] = {}
        self._lock = threading.Lock()

    def add(self, run: ClaimsRun) -> None:
        """Register a finished run."""
        with self._lock:
            self._runs[run.id] = run
            for old in sorted(self._runs.values(), key=lambda r: r.created, reverse=True)[MAX_RUNS:]:
                self._runs.pop(old.id)
                shutil.rmtree(old.dir, ignore_errors=True)

    def get(self, run_id: str) -> ClaimsRun | None:
        """The run with this id, or None."""
        with self._lock:
            return self._runs.get(run_id)

    def list(self) -> list[ClaimsRun]:
        """All runs, newest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.created, reverse=True)


def audit_claims(run: ClaimsRun, history: Path | None) -> None:
    """Readiness first, then the denials of the remittances against that same claims run (audited once)."""
    claims = run.files("claims")
    remits = [(i.path, i.name) for i in run.inputs if i.role == "remittance"]
    if remits:  # a remittance that cannot be read fails before the long part
        for path, name in remits:
            try:
                read_remittance(path)
            except InputError as exc:
                raise dataclasses.replace(exc, path=name) from None
    outcome = run_claims_session(
        ClaimsSessionRequest(
            files=claims,
            claims=ClaimsRequest(keep_lines=bool(remits)),  # the denials join reads them, not the files again
            formats=CLAIM_FORMATS,
            out_dir=run.claims_dir,
        )
    )
    run.totals = outcome.summary["totals"]
    if remits:
        named_claims = [(i.path, i.name) for i in run.inputs if i.role == "claims"]
        result = run_denials(remits, DenialsRequest(claims=named_claims, claims_result=outcome.claims))
        write_denials(result, run.denials_dir)
        run.denials = result.analytics["totals"]
        run.patterns = list(result.analytics["patterns"])
    _name_uploads(run)
    if history is not None:
        _record(run, outcome.claims.meta, history)


def _name_uploads(run: ClaimsRun) -> None:
    """Put the uploaded names in place of the private upload paths in the claims text reports.

    The claims core names a file by the path it was given and takes no display name yet (the denials core
    does); its spreadsheet still carries the path.
    """
    names = sorted(((str(i.path), i.name) for i in run.inputs), key=lambda pair: -len(pair[0]))
    for folder in (run.claims_dir, run.denials_dir):
        for path in folder.glob("*") if folder.is_dir() else ():
            if path.suffix in TEXT_REPORTS and path.is_file():
                text = original = path.read_text(encoding="utf-8")
                for stored, name in names:
                    text = text.replace(stored, name)
                if text != original:
                    path.write_text(text, encoding="utf-8")


def _record(run: ClaimsRun, meta: dict, history: Path) -> None:
    """Record the run in the run history; a history that cannot be written is reported, not fatal."""
    inputs = [
        {"role": i.role, "name": i.name, "size": i.size, "sha256": file_sha256(i.path)} for i in run.inputs
    ]
    try:
        conn = store.connect(history)
        try:
            run.history_run_id = record_claims_run(
                conn, meta, run.totals, inputs, run.denials, [p["title"] for p in run.patterns]
            )
        finally:
            conn.close()
    except (InputError, sqlite3.Error) as exc:
        log.warning("claims run not recorded in %s: %s", history, exc)
        run.history_error = f"the run history was not updated: {exc}"


def recorded_claims_runs(history: Path, limit: int) -> tuple[list[dict], str | None]:
    """Claims runs recorded in the run history, newest first, and any read problem (a missing file is none)."""
    if not history.is_file():
        return [], None
    try:
        conn = store.connect(history)
        try:
            return list_claims_runs(conn, limit), None
        finally:
            conn.close()
    except (InputError, sqlite3.Error) as exc:
        log.warning("cannot list the claims runs of %s: %s", history, exc)
        return [], f"the run history could not be read: {exc}"
