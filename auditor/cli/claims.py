"""`cdm-audit claims`: claim-line pairing, ICD-10-CM and WISeR readiness, through the claims session."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.claims.fields import CLAIM
from auditor.claims.pipeline import ClaimsRequest
from auditor.cli.errors import friendly_errors, note
from auditor.cli.options import (
    FAIL_ON,
    build_options,
    edit_codes,
    format_option,
    report_formats,
)
from auditor.errors import InputError
from auditor.report.renderers import CLAIMS, TEXT
from auditor.session import ClaimsSessionRequest, run_claims_session


@click.command("claims")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(CLAIMS)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for report files (default: ./cdm-audit-claims when a file format is asked).",
)
@click.option("--state", default=None, help="Two-letter state for claims whose lines name none.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Facility configuration (auditor.toml): disabled edits, severities, lists, waivers.",
)
@click.option(
    "--wiser-scope",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A newer WISeR scope file (same layout as edits/wiser/scope.yaml).",
)
@click.option(
    "--icd10-codes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CMS ICD-10-CM code list for a newer fiscal year (with --icd10-tabular).",
)
@click.option(
    "--icd10-tabular",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CMS ICD-10-CM tabular XML matching --icd10-codes.",
)
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="error",
    show_default=True,
    help="Exit 1 when an unwaived finding is at or above this severity.",
)
@click.option("--select", "select", default=None, help="Only these edit codes or prefixes (e.g. DX,WS001).")
@click.option("--ignore", "ignore", default=None, help="Skip these edit codes or prefixes.")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar='FIELD="HEADER"',
    help='Map a field to a column by its header, e.g. --column utn="PA NUMBER".',
)
@click.option("--header-row", type=click.IntRange(min=1), help="Row number of the header (skip detection).")
@click.option("--sheet", "sheets", multiple=True, help="Read only this sheet (repeatable).")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), help="Saved column profile.")
@click.option(
    "--save-profile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save --column/--header-row/--sheet choices to this profile file.",
)
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=20480,
    show_default=True,
    help="Refuse input files larger than this many MB (text files are streamed).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1000),
    default=200_000,
    show_default=True,
    help="Claim lines held in memory at a time.",
)
@friendly_errors
def claims(
    files,
    formats,
    out_dir,
    state,
    config_path,
    wiser_scope,
    icd10_codes,
    icd10_tabular,
    fail_on,
    select,
    ignore,
    columns,
    header_row,
    sheets,
    profile,
    save_profile,
    max_size,
    chunk_rows,
):
    """Audit claim-line FILES (csv, xlsx, 837I/837P): pairs on the claim, diagnoses, WISeR readiness."""
    wanted = report_formats(formats, CLAIMS)
    if bool(icd10_codes) != bool(icd10_tabular):
        raise InputError(
            "--icd10-codes", "give both --icd10-codes and --icd10-tabular (CMS ships them together)"
        )
    if state and (len(state) != 2 or not state.isalpha()):
        raise InputError("--state", f"{state!r} is not a two-letter state code")
    options = build_options(columns, header_row, sheets, profile, save_profile, max_size, kind=CLAIM)
    request = ClaimsRequest(
        config_path=config_path,
        state=state,
        wiser_scope=wiser_scope,
        icd10_codes=icd10_codes,
        icd10_tabular=icd10_tabular,
        ingest=options,
        chunk_rows=chunk_rows,
        select=edit_codes(select),
        ignore=edit_codes(ignore) or set(),
        notice=note,
    )
    outcome = run_claims_session(
        ClaimsSessionRequest(
            files=list(files),
            claims=request,
            formats=[f for f in wanted if f != TEXT],
            out_dir=out_dir or Path("cdm-audit-claims"),
            fail_on=fail_on,
        )
    )
    if TEXT in wanted or not outcome.written:  # printed, not written: the terminal is where it is read
        click.echo(outcome.summary_text())
    for path in outcome.written.values():
        click.echo(f"wrote {path}")
    for line in outcome.claims.unreadable:  # after the reports, which list them too: the run is incomplete
        click.echo(f"error: {line}", err=True)
    sys.exit(outcome.exit_code)
