"""`cdm-audit denials`: remittances (835) and denial worklists against the claims, rates, patterns, appeal drafts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from auditor.cli.errors import friendly_errors, note
from auditor.denials.run import DenialsRequest, run_denials
from auditor.errors import InputError
from auditor.history.denials import load_fixes, record_denials, save_fixes
from auditor.history.store import connect, default_path
from auditor.report.denials_doc import build_document
from auditor.report.denials_outputs import FORMATS, write_denials


@click.command("denials")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--claims",
    "claims",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="The claims the remittances answer (claims extract or 837 files); repeat for several.",
)
@click.option(
    "--format", "formats", default="html,xlsx,json", show_default=True, help="Any of json, html, xlsx."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cdm-audit-denials"),
    show_default=True,
    help="Folder for denials.json/.html/.xlsx and appeals/ (created).",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of appeal templates (<service>.j2) that replace ours file by file.",
)
@click.option("--state", default=None, help="Two-letter state for claims whose lines name none.")
@click.option(
    "--fixed",
    multiple=True,
    metavar="REASON=DATE",
    help="A denial reason fixed on a date (an edit code such as WS001, or CARC-197); kept in the history.",
)
@click.option(
    "--history",
    "history_db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Run history database (default: $CDM_AUDIT_HOME/history.sqlite).",
)
@click.option("--no-history", is_flag=True, help="Do not record this run in the history.")
@click.option("--facility", default="default", show_default=True, help="Facility the run is recorded under.")
@friendly_errors
def denials(files, claims, formats, out_dir, templates, state, fixed, history_db, no_history, facility):
    """Denial and pend rates by state, WISeR participant, service, CARC/RARC, code and month; appeal drafts."""
    asked = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    unknown = [f for f in asked if f not in FORMATS]
    if unknown:
        raise InputError(
            "--format", f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    fixes = _fixes(fixed)
    conn = None if no_history else connect(history_db)
    if conn is not None:
        save_fixes(conn, facility, fixes)
        fixes = load_fixes(conn, facility)  # fixes marked in earlier runs count too
    request = DenialsRequest(
        claims=list(claims),
        state=state,
        today=dt.date.today(),
        fixed=fixes,
        notice=note,
    )
    result = run_denials(list(files), request)
    written = write_denials(result, out_dir, asked, templates)
    run_id = record_denials(conn, facility, build_document(result), result.claims) if conn else None
    t = result.analytics["totals"]
    click.echo(
        f"{t['claims']} claims remitted and joined, {t['denied_claims']} denied "
        f"({t['predicted_denials']} predicted by a readiness finding), {t['pended_claims']} pended; "
        f"{len(result.unjoined)} remittance line(s) not joined"
    )
    for p in result.analytics["patterns"]:
        click.echo(f"  pattern: {p['title']} ({', '.join(p['claims'])})")
    for kind, path in written.items():
        click.echo(f"  {kind}: {path}")
    if run_id is not None:
        click.echo(
            f"recorded as denials run {run_id} for {facility} (history {history_db or default_path()})"
        )


def _fixes(values: tuple[str, ...]) -> dict[str, dt.date]:
    """REASON=YYYY-MM-DD pairs from --fixed."""
    out = {}
    for value in values:
        reason, _, day = value.partition("=")
        try:
            out[reason.strip().upper()] = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise InputError(
                "--fixed", f"{value!r} is not REASON=YYYY-MM-DD (e.g. WS001=2026-05-01)"
            ) from None
    return out
