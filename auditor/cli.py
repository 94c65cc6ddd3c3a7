"""The `cdm-audit` command line: thin wrappers over the library functions."""

from __future__ import annotations

import functools
import json
import sys
import traceback
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import EXIT_BAD_INPUT, InputError
from auditor.ingest import IngestOptions, read_inputs
from auditor.ingest.profile import load_profile, parse_overrides, save_profile
from auditor.inspection import inspect_dict, render_text


def friendly_errors(fn):
    """Turn InputError (and any crash) into one `error:` line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # never show a traceback to a user; --debug shows it
            if click.get_current_context().find_root().params.get("debug"):
                traceback.print_exc()
            click.echo(f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                       " (rerun with --debug and report it)", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


def reading_options(fn):
    """Options shared by every command that reads chargemaster files."""
    opts = [
        click.option("--column", "columns", multiple=True, metavar='FIELD="HEADER"',
                     help='Map a field to a column by its header, e.g. --column revenue_code="UB CODE".'),
        click.option("--header-row", type=click.IntRange(min=1), help="Row number of the header (skip detection)."),
        click.option("--sheet", "sheets", multiple=True, help="Read only this sheet (repeatable)."),
        click.option("--profile", type=click.Path(dir_okay=False, path_type=Path),
                     help="Column profile saved earlier with --save-profile."),
        click.option("--save-profile", type=click.Path(dir_okay=False, path_type=Path),
                     help="Save --column/--header-row/--sheet choices to this profile file."),
        click.option("--max-size", type=click.IntRange(min=1), default=300, show_default=True,
                     help="Refuse input files larger than this many MB."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def build_options(columns, header_row, sheets, profile, save_profile_to, max_size) -> IngestOptions:
    """Merge profile and flags (flags win) into IngestOptions; save the profile when asked."""
    base = load_profile(profile) if profile else {"columns": {}, "header_row": None, "sheets": None}
    overrides = {**base["columns"], **parse_overrides(columns)}
    header_row = header_row or base["header_row"]
    sheet_list = list(sheets) or base["sheets"]
    if save_profile_to:
        save_profile(save_profile_to, overrides, header_row, sheet_list)
        click.echo(f"saved column profile to {save_profile_to}", err=True)
    return IngestOptions(overrides=overrides, header_row=header_row, sheets=sheet_list,
                         max_bytes=max_size * 1024 * 1024)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdm-audit")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Audit hospital chargemasters and encoder pairing tables for missing or mismatched code pairs."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@reading_options
@click.option("--json", "as_json", is_flag=True, help="Print the inspection as JSON.")
@click.option("--samples", default=3, show_default=True, help="Sample rows to show per sheet.")
@friendly_errors
def inspect(files, columns, header_row, sheets, profile, save_profile, max_size, as_json, samples):
    """Show how each file and sheet is read: header row, column mapping, rows read and skipped."""
    options = build_options(columns, header_row, sheets, profile, save_profile, max_size)
    doc = inspect_dict(read_inputs(list(files), options), samples=samples)
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(doc))


if __name__ == "__main__":
    main()
