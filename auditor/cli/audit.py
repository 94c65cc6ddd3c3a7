"""`cdm-audit audit` (the chargemaster audit, through the session) and `cdm-audit inspect` (how files are read)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from auditor.audit import AuditResult
from auditor.cli.errors import friendly_errors
from auditor.cli.options import (
    AS_OF,
    FAIL_ON,
    build_options,
    edit_codes,
    format_option,
    history_options,
    reading_options,
    report_formats,
)
from auditor.errors import EXIT_BAD_INPUT
from auditor.ingest import read_inputs
from auditor.inspection import inspect_dict, render_text
from auditor.report.renderers import ANNOTATED, CHARGEMASTER, TEXT
from auditor.session import SessionRequest, run_session


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@reading_options
@click.option("--json", "as_json", is_flag=True, help="Print the inspection as JSON.")
@click.option("--samples", default=3, show_default=True, help="Sample rows to show per sheet.")
@friendly_errors
def inspect(
    files,
    columns,
    header_row,
    no_header,
    sheet_kinds,
    sheets,
    profile,
    save_profile,
    max_size,
    max_cells,
    reader_memory,
    as_json,
    samples,
):
    """Show how each file and sheet is read: its kind, header row, column roles with evidence, rows read and skipped."""
    options = build_options(
        columns,
        header_row,
        sheets,
        profile,
        save_profile,
        max_size,
        max_cells=max_cells,
        reader_memory=reader_memory,
        no_header=no_header,
        sheet_kinds=sheet_kinds,
    )
    ingested = read_inputs(list(files), options)
    doc = inspect_dict(ingested, samples=samples)
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(doc))
    for line in ingested.errors:  # the others were read and shown; the run still fails
        click.echo(f"error: {line}", err=True)
    if ingested.errors:
        sys.exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--pairing-table",
    "pairing_tables",
    multiple=True,
    type=click.Path(path_type=Path),
    help="The encoder's procedure-to-linked-code table (repeatable).",
)
@click.option(
    "--as-of",
    type=AS_OF,
    default=None,
    help="Date of service the audit is for (default: today); picks the quarter and the edits in force.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Facility configuration (auditor.toml).",
)
@format_option(CHARGEMASTER)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for report files (default: ./cdm-audit-report when a file format is asked).",
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of facility report templates, checked before the packaged ones.",
)
@click.option(
    "--annotated",
    type=click.Choice(ANNOTATED),
    default="flagged",
    show_default=True,
    help="Rows of report.xlsx's annotated sheets: flagged (rows with findings and the other rows of their "
    "charge codes), full (every audited row, slower) or none.",
)
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="error",
    show_default=True,
    help="Exit 1 when an unwaived finding is at or above this severity.",
)
@click.option("--select", "select", default=None, help="Only these edit codes or prefixes (e.g. SS,NS001).")
@click.option("--ignore", "ignore", default=None, help="Skip these edit codes or prefixes.")
@reading_options
@history_options
@friendly_errors
def audit(
    files,
    pairing_tables,
    as_of,
    config_path,
    formats,
    out_dir,
    templates_dir,
    annotated,
    fail_on,
    select,
    ignore,
    columns,
    header_row,
    no_header,
    sheet_kinds,
    sheets,
    profile,
    save_profile,
    max_size,
    max_cells,
    reader_memory,
    history,
):
    """Apply the pairing edits to chargemaster FILES (and pairing tables); report missing or mismatched pairs."""
    wanted = report_formats(formats, CHARGEMASTER)
    options = build_options(
        columns,
        header_row,
        sheets,
        profile,
        save_profile,
        max_size,
        max_cells=max_cells,
        reader_memory=reader_memory,
        no_header=no_header,
        sheet_kinds=sheet_kinds,
    )
    request = SessionRequest(
        files=list(files),
        pairing_tables=list(pairing_tables),
        as_of=as_of.date() if as_of else dt.date.today(),
        config=config_path,
        select=edit_codes(select),
        ignore=edit_codes(ignore) or set(),
        ingest=options,
        history=history,
        formats=[f for f in wanted if f != TEXT],
        out_dir=out_dir or Path("cdm-audit-report"),
        templates=(templates_dir,) if templates_dir else (),
        annotated=annotated,
        fail_on=fail_on,
        before_writing=_warn_if_stale,
    )
    outcome = run_session(request)
    if TEXT in wanted or not outcome.written:  # printed, not written: the terminal is where it is read
        click.echo(outcome.summary_text())
    for path in outcome.written.values():
        click.echo(f"wrote {path}")
    for line in outcome.audit.unreadable:  # after the reports, which list them too: the run is incomplete
        click.echo(f"error: {line}", err=True)
    sys.exit(outcome.exit_code)


def _warn_if_stale(result: AuditResult) -> None:
    """Say on stderr when the code table held is older than the audit's quarter (or the choice needs a note)."""
    if result.quarter.stale or result.quarter.message:
        click.echo(f"warning: {result.quarter.message}", err=True)
