"""The `cdm-audit` command line: thin wrappers over the library functions."""

from __future__ import annotations

import functools
import json
import sys
import traceback
from dataclasses import replace
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import EXIT_BAD_INPUT, InputError
from auditor.history import audit_hook, history_options
from auditor.ingest import IngestOptions, read_inputs
from auditor.ingest.profile import (
    empty_profile,
    load_profile,
    parse_overrides,
    parse_sheet_kinds,
    save_profile,
)
from auditor.ingest.reader import SheetChoice
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
        except BrokenPipeError:  # output piped into `head`: stop quietly
            sys.stderr.close()
            sys.exit(0)
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
        click.option("--no-header", is_flag=True, default=None,
                     help="The table has no header row: every row is data, roles come from the columns' content "
                          "(name columns by letter or number: --column description=B)."),
        click.option("--sheet-kind", "sheet_kinds", multiple=True, metavar='"SHEET=KIND"',
                     help="Say what a sheet is: cdm, pharmacy, price_view, professional_fee, removed or summary "
                          '(e.g. --sheet-kind "Drugs=pharmacy"; only cdm, pharmacy and professional_fee are audited).'),
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


def build_options(columns, header_row, sheets, profile, save_profile_to, max_size, kind=None, no_header=None,
                  sheet_kinds=()) -> IngestOptions:
    """Merge profile and flags (flags win) into IngestOptions; save the profile when asked."""
    from auditor.ingest.fields import CHARGEMASTER

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
        save_profile(save_profile_to, overrides, header_row, sheet_list, no_header=bool(no_header),
                     per_sheet=per_sheet)
        click.echo(f"saved column profile to {save_profile_to}", err=True)
    return IngestOptions(overrides=overrides, header_row=header_row, sheets=sheet_list,
                         max_bytes=max_size * 1024 * 1024, kind=kind, no_header=bool(no_header), per_sheet=per_sheet)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdm-audit")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Audit hospital chargemasters and encoder pairing tables for missing or mismatched code pairs."""
    import logging

    # calamine logs odd-but-readable workbook parts on stderr; our own messages already say what matters.
    logging.getLogger("calamine").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    logging.getLogger("fastexcel").setLevel(logging.DEBUG if debug else logging.CRITICAL)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@reading_options
@click.option("--json", "as_json", is_flag=True, help="Print the inspection as JSON.")
@click.option("--samples", default=3, show_default=True, help="Sample rows to show per sheet.")
@friendly_errors
def inspect(files, columns, header_row, no_header, sheet_kinds, sheets, profile, save_profile, max_size, as_json,
            samples):
    """Show how each file and sheet is read: its kind, header row, column roles with evidence, rows read and skipped."""
    options = build_options(columns, header_row, sheets, profile, save_profile, max_size, no_header=no_header,
                            sheet_kinds=sheet_kinds)
    doc = inspect_dict(read_inputs(list(files), options), samples=samples)
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(doc))


def _codes_arg(value: str | None) -> set[str] | None:
    """'SS001,NS' -> edit codes (a two-letter prefix selects a family of codes)."""
    if not value:
        return None
    from auditor.engine import load_edits

    known = [e.code for e in load_edits().edits]
    out: set[str] = set()
    for part in (p.strip().upper() for p in value.split(",") if p.strip()):
        matched = {c for c in known if c == part or (len(part) == 2 and c.startswith(part))}
        if not matched:
            raise InputError("--select/--ignore", f"unknown edit code or prefix {part}")
        out |= matched
    return out


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pairing-table", "pairing_tables", multiple=True, type=click.Path(path_type=Path),
              help="The encoder's procedure-to-linked-code table (repeatable).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date of service the audit is for (default: today); picks the quarter and the edits in force.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Facility configuration (auditor.toml).")
@click.option("--format", "formats", default="text", show_default=True,
              help="Comma-separated: text, json, html, xlsx, csv (report files go to --out).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report files (default: ./cdm-audit-report when a file format is asked).")
@click.option("--templates", "templates_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Folder of facility report templates, checked before the packaged ones.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error",
              show_default=True, help="Exit 1 when an unwaived finding is at or above this severity.")
@click.option("--select", "select", default=None, help="Only these edit codes or prefixes (e.g. SS,NS001).")
@click.option("--ignore", "ignore", default=None, help="Skip these edit codes or prefixes.")
@reading_options
@history_options
@friendly_errors
def audit(files, pairing_tables, as_of, config_path, formats, out_dir, templates_dir, fail_on, select, ignore, columns,
          header_row, no_header, sheet_kinds, sheets, profile, save_profile, max_size, history):
    """Apply the pairing edits to chargemaster FILES (and pairing tables); report missing or mismatched pairs."""
    import datetime as dt

    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document
    from auditor.report.summary import render_summary
    from auditor.report.writers import WRITERS

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f != "text" and f not in WRITERS]
    if unknown:
        raise InputError("--format", f"unknown format {unknown[0]!r}; choose from text, {', '.join(WRITERS)}")
    options = build_options(columns, header_row, sheets, profile, save_profile, max_size, no_header=no_header,
                            sheet_kinds=sheet_kinds)
    request = AuditRequest(
        as_of=as_of.date() if as_of else dt.date.today(), pairing_tables=list(pairing_tables),
        config_path=config_path, ingest=options, select=_codes_arg(select), ignore=_codes_arg(ignore) or set())
    result = run_audit(list(files), request)
    doc = build_document(result)
    doc = audit_hook(result, doc, history)
    if result.quarter.stale or result.quarter.message:
        click.echo(f"warning: {result.quarter.message}", err=True)
    files_written = []
    if any(f != "text" for f in wanted):
        out_dir = out_dir or Path("cdm-audit-report")
        out_dir.mkdir(parents=True, exist_ok=True)
        ctx = ReportContext(doc, result, (templates_dir,) if templates_dir else ())
        for fmt in wanted:
            if fmt != "text":
                files_written.append(WRITERS[fmt](ctx, out_dir))
    if "text" in wanted or not files_written:
        click.echo(render_summary(doc))
    for path in files_written:
        click.echo(f"wrote {path}")
    sys.exit(result.exit_code(fail_on))


@main.group()
def edits():
    """List and explain the pairing edits."""


@edits.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@friendly_errors
def edits_list(as_json):
    """Every edit: code, severity, family, category, effective period and name."""
    from auditor.engine import load_edits

    es = load_edits()
    rows = [{"code": e.code, "name": e.name, "family": e.family, "category": e.category, "severity": e.severity,
             "effective": e.period(), "scopes": list(e.scopes), "basis": "verified" if e.verified else "inferred"}
            for e in es.edits]
    if as_json:
        click.echo(json.dumps({"edit_set_version": es.version, "edits": rows}, indent=2))
        return
    click.echo(f"{len(rows)} edits (edit set {es.version})")
    for r in rows:
        click.echo(f"{r['code']}  {r['severity']:<7}  {r['family']:<17} {r['category']:<23} {r['name']}"
                   + ("  [inferred]" if r["basis"] == "inferred" else ""))


@edits.command("explain")
@click.argument("code")
@friendly_errors
def edits_explain(code):
    """What an edit checks, why, how to fix it, its references and examples."""
    from auditor.engine import load_edits
    from auditor.engine.docs import explain_text

    es = load_edits()
    try:
        edit = es.get(code)
    except KeyError:
        raise InputError(code, "no such edit; see `cdm-audit edits list`") from None
    click.echo(explain_text(edit))


@edits.command("docs")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/edits.md"),
              show_default=True)
@friendly_errors
def edits_docs(out):
    """Write the edit reference (docs/edits.md) from the catalogue."""
    from auditor.engine import load_edits
    from auditor.engine.docs import render_markdown

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(load_edits()), encoding="utf-8")
    click.echo(f"wrote {out}")


def _register_codes() -> None:
    """Attach the `codes` group, with the same error handling as every other command."""
    from auditor.codeset.cli import codes

    for name, cmd in codes.commands.items():
        cmd.callback = friendly_errors(cmd.callback)
    main.add_command(codes)


_register_codes()


def _register_history() -> None:
    """Attach `history`, `compare`, `ack`, `run` and `codes import-hcpcs` (after `codes`, which it extends)."""
    from auditor.history.cli import register

    register(main)


_register_history()


def _register_claims() -> None:
    """Add `claims` (claim lines, diagnoses, WISeR readiness)."""
    from auditor.claims.cli import register

    register(main)


_register_claims()


def _register_serve() -> None:
    """Attach `serve` (the web page); starlette loads only when the app starts."""
    from auditor.web.cli import serve

    main.add_command(serve)


_register_serve()


if __name__ == "__main__":
    main()
