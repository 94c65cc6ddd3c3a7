"""Claims on the web page: upload claims (and remittances), then the readiness report, denial view and files."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from auditor.errors import InputError
from auditor.web.claims_jobs import (
    CLAIM_FILES,
    DENIAL_FILES,
    DRAFT_TYPES,
    ZIP,
    ClaimsRun,
    ClaimsRuns,
    audit_claims,
    recorded_claims_runs,
)
from auditor.web.jobs import Jobs, RunInput, new_id, public_message
from auditor.web.security import CSRF_FIELD, SESSION_COOKIE, Guard, common_headers, same_origin
from auditor.web.uploads import receive

log = logging.getLogger("auditor.web")

# The claims reader and the remittance reader tell files apart by content (X12 or a table), so the
# suffixes only keep obviously wrong files (a PDF, an image) out before anything is stored.
CLAIM_TYPES = (".csv", ".txt", ".tsv", ".psv", ".xlsx", ".xlsm", ".xls", ".x12", ".837", ".edi", ".dat")
REMIT_TYPES = (".835", ".x12", ".edi", ".txt", ".dat", ".csv", ".tsv", ".xlsx", ".xlsm", ".xls")
FIELDS = {"claims": CLAIM_TYPES, "remittances": REMIT_TYPES}
VIEWS = {"readiness.html": ("claims", "claims-report.html"), "denials.html": ("denials", "denials.html")}
# The two reports are framed by the run page: the same policy as the chargemaster report view, except
# that this app's own page may frame them.
VIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
HISTORY_LIST_LIMIT = 200


class Pages(Protocol):
    """What the claims pages use of the app's Web object (rendering, guard, settings, workers)."""

    guard: Guard
    jobs: Jobs
    settings: Any

    def page(self, request: Request, name: str, status: int = 200, **context) -> Response:
        """Render one of the app's pages."""
        ...

    def error_page(self, request: Request, status: int, message: str, title: str | None = None) -> Response:
        """An error as a page."""
        ...


class ClaimsPages:
    """Route handlers of the claims flow, sharing the app's pages, guard, settings and worker threads."""

    def __init__(self, web: Pages):
        self.web = web
        self.runs = ClaimsRuns()

    def routes(self) -> list[Route]:
        """The claims routes, to add to the app's."""
        return [
            Route("/claims", self.form),
            Route("/claims", self.create, methods=["POST"]),
            Route("/claims/{run_id}", self.run_page),
            Route("/claims/{run_id}/view/{name}", self.view),
            Route("/claims/{run_id}/view/appeals/{name}", self.draft),
            Route("/claims/{run_id}/files/{name}", self.download),
        ]

    async def form(self, request: Request) -> Response:
        """The claims upload form."""
        return self.web.page(
            request,
            "claims.html",
            claim_types=CLAIM_TYPES,
            remit_types=REMIT_TYPES,
            runs=self.runs.list()[:5],
        )

    async def create(self, request: Request) -> Response:
        """POST /claims: store the upload, audit it on a worker thread, then go to the run's page."""
        if not same_origin(request.headers):
            raise HTTPException(403, "cross-site request refused")
        folder = self.web.jobs.run_dir()
        names: dict[str, str] = {}  # stored path -> uploaded name, for messages that quote the path
        try:
            form = await receive(request, folder / "inputs", self.web.settings.max_bytes, FIELDS)
            names = {str(f.path): f.name for f in form.files}
            if not self.web.guard.check_csrf(request.cookies.get(SESSION_COOKIE), form.get(CSRF_FIELD)):
                raise HTTPException(
                    403,
                    "the form has expired (the server restarted or the cookie is missing); open the page again",
                )
            roles = {"claims": "claims", "remittances": "remittance"}
            inputs = [RunInput(f.name, roles[f.field], f.path, f.size) for f in form.files]
            if not any(i.role == "claims" for i in inputs):
                raise InputError("upload", "choose at least one claims file (csv, xlsx or 837)")
            run = ClaimsRun(new_id(), folder, inputs)
            settings = self.web.settings
            history = settings.history_path if settings.record_history else None
            # The app's worker pool: claims runs queue with chargemaster audits instead of adding threads.
            work = asyncio.wrap_future(self.web.jobs.submit(audit_claims, run, history))
            while not (await asyncio.wait({work}, timeout=0.1))[0]:
                if self.web.jobs.stopping:  # the answer goes now, not after the server's grace period
                    raise HTTPException(503, "the server is stopping; this audit will not finish")
            work.result()
        except InputError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return self.web.error_page(request, 400, public_message(exc, names))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        shutil.rmtree(folder / "inputs", ignore_errors=True)  # uploads go as soon as the reports exist
        self.runs.add(run)
        return RedirectResponse(f"/claims/{run.id}", status_code=303)

    async def run_page(self, request: Request) -> Response:
        """One claims run: readiness report and, with remittances, the denial view, with their files."""
        run = self._run(request)
        claim_files = [n for n in CLAIM_FILES if n != "claims-report.html" and (run.claims_dir / n).is_file()]
        denial_files = [n for n in DENIAL_FILES if (run.denials_dir / n).is_file()]
        response = self.web.page(
            request,
            "claims_run.html",
            run=run,
            claim_files=claim_files,
            denial_files=denial_files,
            drafts=run.drafts(),
            zip_name=ZIP,
        )
        # The page frames its two reports (served by this app only); everything else stays as strict.
        response.headers["content-security-policy"] += "; frame-src 'self'"
        return response

    async def view(self, request: Request) -> Response:
        """The readiness report or the denial view itself (the run page frames them)."""
        run = self._run(request)
        where = VIEWS.get(request.path_params["name"])
        path = run.dir / where[0] / where[1] if where else None
        if path is None or not path.is_file():
            raise HTTPException(404, "no such report for this run")
        headers = {**common_headers(), "x-frame-options": "SAMEORIGIN", "content-security-policy": VIEW_CSP}
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)

    async def draft(self, request: Request) -> Response:
        """One appeal draft (or the zip of them all), as an attachment; only files the run wrote are served."""
        run = self._run(request)
        name = request.path_params["name"]
        if name not in run.drafts():
            raise HTTPException(404, "no such appeal draft")
        return FileResponse(
            run.denials_dir / "appeals" / name,
            media_type=DRAFT_TYPES[Path(name).suffix],
            filename=name,
            headers=common_headers(),
        )

    async def download(self, request: Request) -> Response:
        """One report file of the run (readiness or denials), as an attachment."""
        run = self._run(request)
        name = request.path_params["name"]
        media = CLAIM_FILES.get(name) or DENIAL_FILES.get(name)
        folder = run.claims_dir if name in CLAIM_FILES else run.denials_dir
        if media is None or not (folder / name).is_file():
            raise HTTPException(404, "no such report file")
        stem = Path(run.inputs[0].name).stem if run.inputs else "claims"
        return FileResponse(
            folder / name, media_type=media, filename=f"{stem}-{name}", headers=common_headers()
        )

    def listing(self) -> dict:
        """The past-audits page's claims part: this server's claims runs and those recorded in the history."""
        recorded, problem = recorded_claims_runs(self.web.settings.history_path, HISTORY_LIST_LIMIT)
        return {
            "claims_runs": self.runs.list(),
            "recorded_claims": recorded,
            "claims_history_problem": problem,
        }

    def _run(self, request: Request) -> ClaimsRun:
        """The claims run named in the path, or 404."""
        run = self.runs.get(request.path_params["run_id"])
        if run is None:
            raise HTTPException(
                404, "no claims run with this id on this server (runs are kept while it runs)"
            )
        return run
