"""Options shared by the commands: reading options, edit codes, history options (error lines: cli.errors)."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import click

from auditor.audit import expand_edit_codes
from auditor.errors import InputError
from auditor.history import HistoryOptions
from auditor.ingest import IngestOptions
from auditor.ingest.fields import CHARGEMASTER, TableKind
from auditor.ingest.guards import DEFAULT_MAX_CELLS
from auditor.ingest.profile import (
    empty_profile,
    load_profile,
    parse_overrides,
    parse_sheet_kinds,
    save_profile,
)
from auditor.ingest.reader import SheetChoice
from auditor.report.renderers import TEXT, formats

FAIL_ON = click.Choice(["error", "warning", "info", "never"])
AS_OF = click.DateTime(formats=["%Y-%m-%d"])


def reading_options(fn):
    """Options shared by every command that reads chargemaster files."""
    opts = [
        click.option(
            "--column",
            "columns",
            multiple=True,
            metavar='FIELD="HEADER"',
            help='Map a field to a column by its header, e.g. --column revenue_code="UB CODE".',
        ),
        click.option(
            "--header-row", type=click.IntRange(min=1), help="Row number of the header (skip detection)."
        ),
        click.option(
            "--no-header",
            is_flag=True,
            default=None,
            help="The table has no header row: every row is data, roles come from the columns' content "
            "(name columns by letter or number: --column description=B).",
        ),
        click.option(
            "--sheet-kind",
            "sheet_kinds",
            multiple=True,
            metavar='"SHEET=KIND"',
            help="Say what a sheet is: cdm, pharmacy, price_view, professional_fee, removed or summary "
            '(e.g. --sheet-kind "Drugs=pharmacy"; only cdm, pharmacy and professional_fee are audited).',
        ),
        click.option("--sheet", "sheets", multiple=True, help="Read only this sheet (repeatable)."),
        click.option(
            "--profile",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Column profile saved earlier with --save-profile.",
        ),
        click.option(
            "--save-profile",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Save --column/--header-row/--sheet choices to this profile file.",
        ),
        click.option(
            "--max-size",
            type=click.IntRange(min=1),
            default=300,
            show_default=True,
            help="Refuse input files larger than this many MB.",
        ),
        click.option(
            "--max-cells",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_CELLS,
            show_default=True,
            help="Refuse a workbook sheet whose used range (first to last cell) spans more cells than this.",
        ),
        click.option(
            "--reader-memory",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Read each workbook first in a child process limited to this many MB (0: off), so a "
            "workbook that makes the reader crash or run away fails alone and the other files are audited.",
        ),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def build_options(
    columns,
    header_row,
    sheets,
    profile,
    save_profile_to,
    max_size,
    kind: TableKind | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    reader_memory: int = 0,
    no_header=None,
    sheet_kinds=(),
) -> IngestOptions:
    """Merge profile and flags (flags win) into IngestOptions; save the profile when asked."""
    kind = kind or CHARGEMASTER
    base = load_profile(profile, kind) if profile else empty_profile()
    overrides = {**base["columns"], **parse_overrides(columns, kind)}
    header_row = header_row or base["header_row"]
    no_header = base["no_header"] if no_header is None else no_header
    sheet_list = list(sheets) or base["sheets"]
    per_sheet = dict(base["per_sheet"])
    for name, value in parse_sheet_kinds(sheet_kinds).items():
        per_sheet[name] = replace(per_sheet.get(name, SheetChoice()), kind=value)
    if header_row and no_header:
        raise InputError("--header-row/--no-header", "give a header row or say there is none, not both")
    if save_profile_to:
        save_profile(
            save_profile_to, overrides, header_row, sheet_list, no_header=bool(no_header), per_sheet=per_sheet
        )
        click.echo(f"saved column profile to {save_profile_to}", err=True)
    return IngestOptions(
        overrides=overrides,
        header_row=header_row,
        sheets=sheet_list,
        max_bytes=max_size * 1024 * 1024,
        max_cells=max_cells,
        reader_memory_mb=reader_memory or None,
        kind=kind,
        no_header=bool(no_header),
        per_sheet=per_sheet,
    )


def edit_codes(value: str | None) -> set[str] | None:
    """--select/--ignore 'SS001,NS' -> edit codes (a two-letter prefix selects a family of codes); None when empty."""
    if not value:
        return None
    return expand_edit_codes(value.split(","), "--select/--ignore")


def format_option(kind: str):
    """--format for a command that reports a `kind` of result: its help lists the registry's formats."""
    return click.option(
        "--format",
        "formats",
        default=TEXT,
        show_default=True,
        help=f"Comma-separated: {', '.join(formats(kind))} (report files go to --out).",
    )


def report_formats(value: str, kind: str) -> list[str]:
    """--format 'text,HTML' -> ['text', 'html']; a format the registry has not for `kind` is an InputError."""
    wanted = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in formats(kind)]
    if unknown:
        raise InputError("--format", f"unknown format {unknown[0]!r}; choose from {', '.join(formats(kind))}")
    return wanted


def history_options(fn):
    """Click decorator for `audit`: adds --history, --no-history, --compare-with, --facility as one `history` kwarg."""
    opts = [
        click.option(
            "--history",
            "history_db",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Run history database (default: $CDM_AUDIT_HOME/history.sqlite).",
        ),
        click.option("--no-history", is_flag=True, help="Do not record this run in the history."),
        click.option(
            "--compare-with",
            default="last",
            show_default=True,
            metavar="last|RUN_ID|none",
            help="Run to compare with for the 'since last run' report section.",
        ),
        click.option(
            "--facility",
            default=None,
            help="Name that identifies this chargemaster across quarters (default: from the file name).",
        ),
    ]

    @functools.wraps(fn)
    def wrapper(*args, history_db=None, no_history=False, compare_with="last", facility=None, **kwargs):
        compare = None if (compare_with or "").lower() in ("", "none", "no") else compare_with
        return fn(*args, history=HistoryOptions(history_db, not no_history, compare, facility), **kwargs)

    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


history_path_option = click.option(
    "--history",
    "history_db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Run history database (default: $CDM_AUDIT_HOME/history.sqlite).",
)
