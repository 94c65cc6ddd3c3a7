"""The web application: upload page, mapping review, progress, reports, past runs, and the JSON API."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import secrets
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from auditor.errors import InputError
from auditor.ingest.probe import DEFAULT_MEMORY_MB
from auditor.ingest.profile import parse_overrides
from auditor.ingest.sniff import sniff
from auditor.lean_dataclass import dataclass
from auditor.resources import resource_dir
from auditor.version import __version__
from auditor.web import profiles
from auditor.web.choices import apply_all, corrections, form_edits, profile_content, sheet_patches
from auditor.web.claims_pages import ClaimsPages
from auditor.web.facility import config_input, edit_selection
from auditor.web.jobs import FINISHED, Jobs, Run, RunInput, RunStore, new_id, sweep_leftovers
from auditor.web.openapi import OPENAPI
from auditor.web.outputs import DOWNLOADS, VIEW
from auditor.web.review import field_choices
from auditor.web.security import (
    AUTH_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    Guard,
    common_headers,
    is_loopback,
    page_headers,
    same_origin,
)
from auditor.web.uploads import (
    ACCEPTED,
    BODY_TIMEOUT,
    BODY_TOTAL_TIMEOUT,
    INCOMPLETE,
    BodyTimeout,
    BodyTimeoutMiddleware,
    Received,
    UploadError,
    mb,
    receive,
)

log = logging.getLogger("auditor.web")
WAIT_LIMIT = 300.0
HISTORY_LIST_LIMIT = 200  # runs of the run history shown on the past-audits page and in GET /api/audits
# The report page carries its own CSP meta; the header adds frame-ancestors, which a meta cannot.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class WebSettings:
    """Server settings from `cdm-audit serve`."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: int = 100
    token: str | None = None
    workers: int = 2
    history: Path | None = None  # run history database; None: $CDM_AUDIT_HOME/history.sqlite
    record_history: bool = True  # False: --no-history (audits are still compared with the last recorded run)
    body_timeout: float = BODY_TIMEOUT  # seconds a request body may send nothing before the 408
    body_total_timeout: float = BODY_TOTAL_TIMEOUT  # seconds a whole request body may take
    # MB a child process may use to read an uploaded workbook first (None: read in the server only).
    probe_memory_mb: int | None = DEFAULT_MEMORY_MB

    @property
    def max_bytes(self) -> int:
        """The upload cap in bytes (MB of 1024*1024, like --max-size)."""
        return self.max_upload_mb * 1024 * 1024

    def history_options(self):
        """The HistoryOptions every web audit gets (the facility is set per run from the uploaded names)."""
        from auditor.history.hook import HistoryOptions

        return HistoryOptions(db=self.history, record=self.record_history, compare_with="last")

    @property
    def history_path(self) -> Path:
        """The run history file the server records into and lists from."""
        from auditor.history.options import database_path

        return database_path(self.history)


def _environment() -> Environment:
    """Jinja2 for the app's pages: templates/web first, then the report templates (for the shared CSS)."""
    root = resource_dir("templates")
    env = Environment(
        loader=FileSystemLoader([str(root / "web"), str(root)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["mb"] = mb
    return env


class Web:
    """Route handlers sharing the settings, the guard, the run registry and the page templates."""

    def __init__(self, settings: WebSettings, jobs: Jobs):
        self.settings, self.jobs = settings, jobs
        self.guard = Guard(settings.token)
        self.env = _environment()
        self.claims = ClaimsPages(self)

    # ---- rendering ------------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        """Render one of the app's pages with a fresh script nonce, the session cookie and its CSRF token."""
        nonce = secrets.token_urlsafe(16)
        cookie = request.cookies.get(SESSION_COOKIE)
        sid = self.guard.session_id(cookie)
        new_cookie = None
        if sid is None:
            new_cookie = self.guard.new_session()
            sid = self.guard.session_id(new_cookie)
            assert sid is not None  # a cookie this guard just made always reads back
        html = self.env.get_template(name).render(
            request_path=request.url.path,
            nonce=nonce,
            csrf_field=CSRF_FIELD,
            csrf=self.guard.csrf_token(sid),
            version=__version__,
            max_upload=self.settings.max_bytes,
            accepted=ACCEPTED,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=page_headers(nonce))
        if new_cookie:
            response.set_cookie(SESSION_COOKIE, new_cookie, httponly=True, samesite="strict", path="/")
        return response

    def error_page(self, request: Request, status: int, message: str, title: str | None = None) -> Response:
        """An error as a page (or as JSON under /api/): the one-line message, never a traceback."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status, headers=common_headers())
        titles = {
            400: "The file could not be audited",
            403: "Request refused",
            404: "Not found",
            408: "Upload timed out",
            413: "Upload too large",
            415: "File type not accepted",
            401: "Access token needed",
        }
        return self.page(
            request,
            "error.html",
            status,
            title=title or titles.get(status, "Something went wrong"),
            message=message,
            http_status=status,
        )

    # ---- pages -----------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """The upload form."""
        return self.page(
            request,
            "upload.html",
            profiles=profiles.list_profiles(),
            today=dt.date.today().isoformat(),
            runs=self.jobs.store.list()[:5],
        )

    async def create_from_form(self, request: Request) -> Response:
        """POST /audits: store the upload, start the run, go to its page."""
        run, _form = await self._receive_run(request, source="page")
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def runs(self, request: Request) -> Response:
        """Past audits: this server's runs, then every run recorded in the run history (newest first)."""
        runs = self.jobs.store.list()
        recorded, problem = await run_in_threadpool(self.recorded_runs)
        claims = await run_in_threadpool(self.claims.listing)
        held = {r.history_run_id: r for r in runs if r.history_run_id is not None and r.status == "done"}
        return self.page(
            request,
            "runs.html",
            runs=runs,
            recorded=recorded,
            held=held,
            history_problem=problem,
            history_db=str(self.settings.history_path),
            **claims,
        )

    def recorded_runs(self, limit: int = HISTORY_LIST_LIMIT) -> tuple[list[dict], str | None]:
        """Runs recorded in the run history (by the CLI or this server), newest first, and any read problem.

        A missing history file is not created just to list it.
        """
        import sqlite3

        from auditor.history import store

        db = self.settings.history_path
        if not db.is_file():
            return [], None
        try:
            conn = store.connect(db)
            try:
                return store.list_runs(conn, limit=limit), None
            finally:
                conn.close()
        except InputError as exc:
            log.warning("cannot list the run history: %s", exc)
            return [], f"the run history could not be read: {exc.reason}"
        except sqlite3.Error as exc:
            log.warning("cannot list the run history %s: %s", db, exc)
            return [], f"the run history could not be read: {exc}"

    async def run_page(self, request: Request) -> Response:
        """One run: progress while it works, the review form, the report when done, the error when failed."""
        run = self._run(request)
        if run.status == "done":
            return RedirectResponse(f"/runs/{run.id}/report", status_code=303)
        if run.status == "failed":
            return self.error_page(
                request,
                run.error_status or 500,
                run.error or "failed",
                title="The audit could not run" if (run.error_status or 500) >= 500 else None,
            )
        if run.status == "review":
            return self._review_page(request, run)
        return self.page(request, "progress.html", run=run)

    def _review_page(
        self,
        request: Request,
        run: Run,
        error: str | None = None,
        status: int = 200,
        submitted: dict | None = None,
    ) -> Response:
        """The mapping review form (after a refused submission, with what the analyst had picked)."""
        return self.page(
            request,
            "review.html",
            status,
            run=run,
            review=run.proposal,
            fields=field_choices(),
            error=error,
            submitted=submitted,
        )

    async def submit_review(self, request: Request) -> Response:
        """POST /runs/{id}/review: apply the corrected mapping (and save it as a profile), then audit or re-read."""
        run = self._run(request)
        self._check_origin(request)
        form = await request.form(max_files=0, max_fields=5000)
        if not self.guard.check_csrf(request.cookies.get(SESSION_COOKIE), form_text(form, CSRF_FIELD)):
            raise HTTPException(
                403,
                "the form has expired (the server restarted or the cookie is missing); "
                "open the page again and resubmit",
            )
        if run.status != "review" or run.proposal is None:
            raise HTTPException(409, "this audit is not waiting for a mapping review")
        pending: dict[str, Any] = {
            "save": bool(form.get("save_profile")),
            "name": str(form.get("profile_name", "")),
        }
        try:
            fixed = corrections(run.proposal, form_edits(form.multi_items()), run.per_sheet)
            # A changed header row changes the columns: show them again before anything is audited.
            again = form.get("action") == "preview" or fixed.reread
            saved = None
            if pending["save"] and not again:
                saved = profiles.save(
                    pending["name"],
                    **profile_content(
                        run.proposal,
                        run.overrides,
                        run.header_row,
                        run.no_header,
                        run.sheets,
                        fixed.per_sheet,
                        fixed.full,
                    ),
                )
        except InputError as exc:
            return self._review_page(
                request, run, error=str(exc), status=400, submitted={k: str(v) for k, v in form.multi_items()}
            )
        run.per_sheet = fixed.per_sheet
        run.pending_profile = pending if again else {}
        if saved:
            run.profile = saved
        self.jobs.resume(run, review_again=again)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def rerun(self, request: Request) -> Response:
        """POST /runs/{id}/rerun: read a kept run's files again and stop for a mapping review."""
        run = self._run(request)
        self._check_origin(request)
        form = await request.form(max_files=0, max_fields=20)
        if not self.guard.check_csrf(request.cookies.get(SESSION_COOKIE), form_text(form, CSRF_FIELD)):
            raise HTTPException(403, "the form has expired; open the page again and resubmit")
        if run.status not in FINISHED or not run.inputs_kept:
            raise HTTPException(409, "only a finished run whose files were kept can be re-run")
        self.jobs.resume(run, review_again=True)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    async def report(self, request: Request) -> Response:
        """The HTML report of a finished run, with its download toolbar."""
        run = self._run(request)
        if run.status != "done":
            return RedirectResponse(f"/runs/{run.id}", status_code=303)
        return FileResponse(
            run.report_dir / VIEW,
            media_type="text/html; charset=utf-8",
            headers={**common_headers(), "content-security-policy": REPORT_CSP},
        )

    async def download(self, request: Request) -> Response:
        """One report file of a finished run, as an attachment; only the known report names are served."""
        run = self._run(request)
        name = request.path_params["name"]
        if name not in DOWNLOADS or run.status != "done" or not (run.report_dir / name).is_file():
            raise HTTPException(404, "no such report file")
        stem = Path(run.inputs[0].name).stem if run.inputs else "audit"
        return FileResponse(
            run.report_dir / name,
            media_type=DOWNLOADS[name],
            filename=f"{stem}-{name}",
            headers=common_headers(),
        )

    # ---- API ------------------------------------------------------------------------------------
    async def api_create(self, request: Request) -> Response:
        """POST /api/audits: upload files and start an audit; with wait=true, answer when it has finished."""
        run, form = await self._receive_run(request, source="api")
        if _truthy(request.query_params.get("wait", "")) or form.flag("wait"):
            await self._wait(run)
        return self._run_response(run, created=True)

    async def api_list(self, request: Request) -> Response:
        """GET /api/audits: every run of this server and every run recorded in the run history, newest first."""
        runs = self.jobs.store.list()
        recorded, problem = await run_in_threadpool(self.recorded_runs)
        held = {r.history_run_id for r in runs if r.history_run_id is not None}
        items = [(r.created, run_json(r, full=False)) for r in runs]
        items += [(_recorded_time(h), recorded_json(h)) for h in recorded if h["id"] not in held]
        items.sort(key=lambda pair: pair[0], reverse=True)
        body: dict[str, object] = {"audits": [item for _when, item in items]}
        if problem:
            body["history_error"] = problem
        return JSONResponse(body, headers=common_headers())

    async def api_get(self, request: Request) -> Response:
        """GET /api/audits/{id}: status, progress, summary or error, review proposal, links."""
        run = self._run(request)
        if _truthy(request.query_params.get("wait", "")):
            await self._wait(run)
        return self._run_response(run)

    async def api_findings(self, request: Request) -> Response:
        """GET /api/audits/{id}/findings: findings.json of a finished run."""
        run = self._run(request)
        if run.status != "done":
            raise HTTPException(409, f"the audit is {run.status}, not done")
        return FileResponse(
            run.report_dir / "findings.json", media_type="application/json", headers=common_headers()
        )

    async def api_mapping(self, request: Request) -> Response:
        """POST /api/audits/{id}/mapping: corrections {sheets, columns, header_row, no_header, review_again}."""
        run = self._run(request)
        self._check_origin(request)
        if run.status != "review":
            raise HTTPException(409, "this audit is not waiting for a mapping review")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HTTPException(
                400,
                'the body must be JSON: {"sheets": {sheet: {"header_row": n, "kind": k, '
                '"columns": {field: column}}}, "columns": {field: column}}',
            ) from None
        if not isinstance(body, dict):
            raise HTTPException(400, "the body must be a JSON object")
        try:
            settings = _reading_settings(body, run)
            patches = sheet_patches(body.get("sheets", {}), run.proposal)
        except InputError as exc:
            raise HTTPException(400, str(exc)) from None
        # Only what the body names changes: the run's other choices (other sheets, columns, dates) stay.
        run.overrides, run.header_row, run.no_header = settings
        run.per_sheet = apply_all(run.per_sheet, patches)
        self.jobs.resume(run, review_again=bool(body.get("review_again")))
        if body.get("wait"):
            await self._wait(run)
        return self._run_response(run)

    async def openapi(self, request: Request) -> Response:
        """GET /api/openapi.json."""
        return JSONResponse(OPENAPI, headers=common_headers())

    async def api_docs(self, request: Request) -> Response:
        """GET /api/docs: the API described on one page (from the OpenAPI document)."""
        return self.page(request, "api_docs.html", spec=OPENAPI)

    # ---- helpers --------------------------------------------------------------------------------
    def _run(self, request: Request) -> Run:
        """The run named in the path, or 404."""
        run = self.jobs.store.get(request.path_params["run_id"])
        if run is None:
            raise HTTPException(404, "no audit with this id on this server (runs are kept while it runs)")
        return run

    def _check_origin(self, request: Request) -> None:
        """Refuse POSTs a browser sends from another site."""
        if not same_origin(request.headers):
            raise HTTPException(403, "cross-site request refused")

    async def _wait(self, run: Run) -> None:
        """Wait (without blocking the event loop) until the run is finished, waits for review, or the server stops."""
        deadline = time.monotonic() + WAIT_LIMIT
        while not run.done_event.is_set() and not self.jobs.stopping and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def _run_response(self, run: Run, created: bool = False) -> Response:
        """A run as JSON with the status code its state calls for."""
        body = run_json(run)
        if self.jobs.stopping and run.status not in FINISHED and run.status != "review":
            body["error"] = "the server is stopping; this audit will not finish"
            return JSONResponse(body, status_code=503, headers=common_headers())
        if run.status == "failed":
            status = run.error_status or 500
        elif run.status in FINISHED or run.status == "review":
            status = 200
        else:
            status = 202 if created else 200
        headers = {**common_headers(), "location": f"/api/audits/{run.id}"}
        return JSONResponse(body, status_code=status, headers=headers)

    async def _receive_run(self, request: Request, source: str) -> tuple[Run, Received]:
        """Stream the upload into a new private run folder, check it, and start the run."""
        self._check_origin(request)
        folder = self.jobs.run_dir()
        try:
            form = await receive(request, folder / "inputs", self.settings.max_bytes)
            if source == "page" and not self.guard.check_csrf(
                request.cookies.get(SESSION_COOKIE), form.get(CSRF_FIELD)
            ):
                raise HTTPException(
                    403,
                    "the form has expired (the server restarted or the cookie is missing); "
                    "open the upload page again and resubmit",
                )
            run = _build_run(form, folder, self.settings.max_bytes, source)
            await run_in_threadpool(_sniff_all, run)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.jobs.start(run)
        return run, form


def _truthy(text: str) -> bool:
    """A query flag: 1/true/yes."""
    return text.strip().lower() in ("1", "true", "yes", "on")


def _reading_settings(body: dict, run: Run) -> tuple[dict[str, str], int | None, bool]:
    """(columns, header_row, no_header) for every sheet: the run's, changed by what the body names."""
    cols = body.get("columns", {})
    if not isinstance(cols, dict):
        raise InputError("columns", "must be an object of field -> column header, letter or number")
    overrides = {**run.overrides, **parse_overrides([f"{k}={v}" for k, v in cols.items()])}
    header_row, no_header = run.header_row, run.no_header
    if "header_row" in body:
        value = body["header_row"]
        # 0 says what it says per sheet: there is no header row.
        header_row = None if value == 0 else _header_row(str(value if value is not None else ""))
        no_header = value == 0 and not isinstance(value, bool)
    if "no_header" in body:
        no_header = bool(body["no_header"])
    if header_row is not None and no_header:
        raise InputError("header_row", "give a header row or no_header, not both")
    return overrides, header_row, no_header


def _header_row(text: str) -> int | None:
    """A header row number from a form field (blank = detect)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise InputError("header row", f"{text!r} is not a row number (1-1000); leave it blank to detect")
    return int(text)


def _build_run(form, folder: Path, max_bytes: int, source: str) -> Run:
    """A Run from the received form: files, pairing tables, facility settings, as-of date, profile, corrections."""
    cdms = [f for f in form.files if f.field == "files"]
    if not cdms:
        raise InputError("upload", "choose at least one chargemaster file")
    try:
        as_of = dt.date.fromisoformat(form.get("as_of")) if form.get("as_of") else dt.date.today()
    except ValueError:
        raise InputError("as-of date", f"{form.get('as_of')!r} is not a date (YYYY-MM-DD)") from None
    roles = {"files": "chargemaster", "pairing_table": "pairing-table"}
    inputs = [RunInput(f.name, roles[f.field], f.path, f.size) for f in form.files if f.field in roles]
    review = form.get("review").lower()
    mode = (
        "always"
        if review in ("on", "true", "1", "yes", "always")
        else "auto"
        if review == "auto"
        else "never"
        if review in ("never", "false", "0", "no") or source == "api"
        else "auto"
    )
    select, ignore = edit_selection(form)
    run = Run(
        id=new_id(),
        dir=folder,
        inputs=inputs,
        as_of=as_of,
        max_bytes=max_bytes,
        config=config_input(form),
        select=select,
        ignore=ignore,
        keep=form.flag("keep"),
        review=mode,
        source=source,
    )
    if form.get("profile"):
        prof = profiles.load(form.get("profile"))
        run.profile = profiles.safe_name(form.get("profile"))
        run.overrides, run.header_row, run.sheets = dict(prof["columns"]), prof["header_row"], prof["sheets"]
        run.no_header, run.per_sheet = bool(prof["no_header"]), dict(prof["per_sheet"])
    columns = form.fields.get("column", [])
    if form.get("columns"):
        try:
            mapping = json.loads(form.get("columns"))
        except ValueError:
            raise InputError("columns", "must be a JSON object of field -> column header") from None
        if not isinstance(mapping, dict):
            raise InputError("columns", "must be a JSON object of field -> column header")
        columns = columns + [f"{k}={v}" for k, v in mapping.items()]
    run.overrides.update(parse_overrides(columns))
    if form.get("header_row"):
        run.header_row, run.no_header = _header_row(form.get("header_row")), False
    if form.get("no_header"):
        run.no_header = form.flag("no_header")
    if run.header_row is not None and run.no_header:
        raise InputError("header_row", "give a header row or no_header, not both")
    if form.get("sheets"):
        try:
            patches = json.loads(form.get("sheets"))
        except ValueError:
            raise InputError(
                "sheets", "must be a JSON object: sheet name -> {header_row, kind, columns}"
            ) from None
        run.per_sheet = apply_all(run.per_sheet, sheet_patches(patches, None))
    return run


def _sniff_all(run: Run) -> None:
    """Refuse empty, disguised, encrypted or damaged files at upload time (InputError with the upload's name)."""
    for i in run.inputs:
        sniff(i.path, run.max_bytes, i.name)


def history_hint(run_id: int) -> str:
    """Where to see a recorded run whose report files this server does not hold."""
    return (
        f"the report files are not kept by this server; see `cdm-audit history {run_id} --findings` "
        "for the recorded findings"
    )


def _recorded_time(run: dict) -> dt.datetime:
    """When a history run was recorded (aware, for sorting with this server's runs)."""
    try:
        when = dt.datetime.fromisoformat(run.get("recorded_at") or "")
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def recorded_json(run: dict) -> dict:
    """The API's view of a run known only from the run history (its reports are not held by this server)."""
    return {
        "id": None,
        "source": "history",
        "status": "recorded",
        "history_run_id": run["id"],
        "created": run.get("recorded_at"),
        "facility": run["facility"],
        "as_of": run["as_of"],
        "quarter": run["quarter"],
        "code_quarter": run.get("code_quarter"),
        "title": ", ".join(i["name"] for i in run.get("inputs", []) if i["role"] == "chargemaster"),
        "inputs": [
            {"name": i["name"], "role": i["role"], "sha256": i["sha256"]} for i in run.get("inputs", [])
        ],
        "counts": {k: run[k] for k in ("errors", "warnings", "infos", "waived", "findings", "rows_audited")},
        "report_kept": False,
        "note": history_hint(run["id"]),
        "links": {},
    }


def form_text(form, name: str) -> str | None:
    """A form field as text (None when absent or an upload)."""
    value = form.get(name)
    return value if isinstance(value, str) else None


def run_json(run: Run, full: bool = True) -> dict:
    """The API's view of a run."""
    out: dict[str, Any] = {
        "id": run.id,
        "source": "server",
        "history_run_id": run.history_run_id,
        "report_kept": run.status == "done",
        "status": run.status,
        "detail": run.detail,
        "created": run.created.isoformat(timespec="seconds"),
        "elapsed_seconds": run.elapsed(),
        "as_of": run.as_of.isoformat(),
        "title": run.title,
        "inputs": [{"name": i.name, "role": i.role, "size": i.size} for i in run.inputs],
        "options": {
            "columns": run.overrides,
            "header_row": run.header_row,
            "no_header": run.no_header,
            "sheets": {n: c.to_dict() for n, c in run.per_sheet.items()},
            "read_sheets": run.sheets,
            "profile": run.profile,
            "keep": run.keep,
            "review": run.review,
            "config": run.config.name if run.config else None,
            "select": sorted(run.select) if run.select is not None else None,
            "ignore": sorted(run.ignore),
        },
        "links": {"self": f"/api/audits/{run.id}", "page": f"/runs/{run.id}"},
    }
    if run.status == "failed":
        out["error"], out["error_status"] = run.error, run.error_status
    if run.status == "done" and run.summary:
        out["summary"] = run.summary["summary"]
        out["problems"] = run.summary.get("problems")
        out["top_problem"] = run.summary.get("top_problem")
        out["quarter"] = run.summary["quarter"]
        if run.summary.get("history_error"):
            out["history_error"] = run.summary["history_error"]
        if run.summary.get("unreadable"):
            out["unreadable"] = run.summary["unreadable"]  # an incomplete audit: these files were not read
        base = f"/runs/{run.id}"
        out["links"].update(
            {
                "report": f"{base}/report",
                "findings": f"/api/audits/{run.id}/findings",
                "xlsx": f"{base}/report.xlsx",
                "json": f"{base}/findings.json",
                "csv": f"{base}/findings.csv",
                "run_csv": f"{base}/findings-run.csv",
                "html": f"{base}/report.html",
            }
        )
        if run.history_run_id is not None or (run.report_dir / "history.json").is_file():
            out["links"]["history"] = f"{base}/history.json"
    if run.status == "review" and full and run.proposal:
        out["review"] = run.proposal
        out["links"]["mapping"] = f"/api/audits/{run.id}/mapping"
    return out


class AuthMiddleware:
    """With an access token set: accept ?token= once (then a cookie), or a bearer token; refuse the rest."""

    def __init__(self, app, web: Web):
        self.app, self.web = app, web

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.web.guard.token:
            return await self.app(scope, receive, send)
        request = Request(scope)
        guard = self.web.guard
        if guard.token_matches(request.query_params.get("token")):
            response = RedirectResponse(quote(request.url.path), status_code=303)
            response.set_cookie(AUTH_COOKIE, guard.auth_cookie(), httponly=True, samesite="strict", path="/")
            return await response(scope, receive, send)
        if not guard.authorised(request.headers, request.cookies):
            response = self.web.error_page(
                request,
                401,
                "this server needs its access token: open the address "
                "printed when it started (…/?token=…), or send Authorization: Bearer TOKEN",
            )
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(
    settings: WebSettings | None = None, store: RunStore | None = None, jobs: Jobs | None = None
) -> Starlette:
    """The ASGI application; `app.state.jobs` holds the run registry and workers (closed at shutdown)."""
    settings = settings or WebSettings()
    jobs = jobs or Jobs(
        store,
        workers=settings.workers,
        history=settings.history_options(),
        probe_memory_mb=settings.probe_memory_mb,
    )
    web = Web(settings, jobs)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # Folders of earlier servers that were killed (their process is gone) hold uploads: delete them.
        await run_in_threadpool(sweep_leftovers)
        yield
        jobs.close()

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        return web.error_page(request, exc.status_code, str(exc.detail))

    async def on_upload_error(request: Request, exc: UploadError) -> Response:
        response = web.error_page(request, exc.status, exc.message)
        if isinstance(exc, BodyTimeout):
            # The rest of that body is never read: close the connection instead of waiting for it.
            response.headers["connection"] = "close"
        return response

    async def on_input_error(request: Request, exc: InputError) -> Response:
        return web.error_page(request, 400, str(exc))

    async def on_disconnect(request: Request, exc: ClientDisconnect) -> Response:
        # The client left while sending a form: nothing to log, and no one reads this answer.
        why = "the connection closed before the whole request arrived"
        return web.error_page(request, 400, INCOMPLETE.format(why=why))

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return web.error_page(
            request, 500, "The server hit an unexpected error. The server log has the details."
        )

    routes = [
        Route("/", web.home),
        Route("/audits", web.create_from_form, methods=["POST"]),
        Route("/runs", web.runs),
        Route("/runs/{run_id}", web.run_page),
        Route("/runs/{run_id}/review", web.submit_review, methods=["POST"]),
        Route("/runs/{run_id}/rerun", web.rerun, methods=["POST"]),
        Route("/runs/{run_id}/report", web.report),
        Route("/runs/{run_id}/{name}", web.download),
        *web.claims.routes(),
        Route("/api/audits", web.api_create, methods=["POST"]),
        Route("/api/audits", web.api_list),
        Route("/api/audits/{run_id}", web.api_get),
        Route("/api/audits/{run_id}/findings", web.api_findings),
        Route("/api/audits/{run_id}/mapping", web.api_mapping, methods=["POST"]),
        Route("/api/openapi.json", web.openapi),
        Route("/api/docs", web.api_docs),
        Route("/api", lambda r: RedirectResponse("/api/docs", status_code=303)),
        Route("/favicon.ico", lambda r: Response(status_code=204)),
    ]
    middleware = [
        Middleware(AuthMiddleware, web=web),
        Middleware(BodyTimeoutMiddleware, idle=settings.body_timeout, total=settings.body_total_timeout),
    ]
    if is_loopback(settings.host):
        # Loopback only: refuse other Host names, so a web page cannot reach the app by DNS rebinding.
        middleware.insert(
            0, Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "::1", "[::1]"])
        )
    # Each handler takes the exception class it is registered for; starlette types them all as Exception.
    handlers: dict[Any, Any] = {
        HTTPException: on_http_error,
        UploadError: on_upload_error,
        InputError: on_input_error,
        ClientDisconnect: on_disconnect,
        Exception: on_crash,
    }
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=handlers,
    )
    app.state.jobs = jobs
    app.state.web = web
    return app
