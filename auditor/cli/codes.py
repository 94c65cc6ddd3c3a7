"""`cdm-audit codes`: import a CMS Addendum B quarter or a HCPCS Level II file, look up code status, list quarters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from auditor.cli.errors import friendly_errors
from auditor.codeset.quarters import CodeStatus, CodeTableError, quarter_label, resolve_quarter
from auditor.errors import EXIT_BAD_INPUT, InputError

# The importers and the table read with polars are imported in the commands that use them: `codes status` reads
# a cached index and answers in a fraction of the time polars takes to import.
if TYPE_CHECKING:
    from auditor.codeset.table import CodeTable


def _fail(message: str) -> NoReturn:
    """Print one `error:` line on stderr and exit 2 (bad input, not a crash)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)


def _load() -> CodeTable:
    """The merged code table, or one error line."""
    from auditor.codeset.table import CodeTable

    try:
        return CodeTable.load()
    except CodeTableError as exc:
        _fail(str(exc))


def _describe(found: CodeStatus) -> str:
    if found.status is None:
        return "empty code"
    parts = [found.status]
    if found.si:
        parts.append(f"SI {found.si}")
    if found.status == "deleted" and found.last_seen:
        parts.append(f"last listed {found.last_seen} (SI {found.last_si})")
    if found.status == "invalid" and found.first_seen:
        parts.append(f"not yet listed: first listed {found.first_seen}")
    if found.status == "invalid" and not found.first_seen:
        parts.append("in no CMS Addendum B held")
    if found.status == "unknown_to_opps":
        parts.append(f"{found.code[0]} codes are not listed in Addendum B; validity not checked")
    if found.descriptor:
        parts.append(found.descriptor)
    return " | ".join(parts)


@click.group("codes")
def codes() -> None:
    """CMS OPPS Addendum B code table: import quarters, look up codes."""


@codes.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--quarter", help="Quarter the file covers, e.g. 2026Q3 for the July 2026 Addendum B.")
@friendly_errors
def import_command(file: Path, quarter: str | None) -> None:
    """Import a CMS Addendum B file (xlsx or csv) as a quarter."""
    from auditor.codeset.importer import import_quarter

    if not quarter:
        _fail("--quarter is required, e.g. --quarter 2026Q3 for the July 2026 Addendum B")
    try:
        result = import_quarter(file, quarter)
    except (CodeTableError, OSError) as exc:
        _fail(str(exc))
    versus = (
        f"{result.new} new, {result.dropped} dropped vs {result.previous}"
        if result.previous
        else "no earlier quarter to compare"
    )
    replaced = ", replacing the earlier import" if result.replaced else ""
    click.echo(
        f"imported {result.quarter} from {file}: {result.codes} codes ({versus}){replaced}; "
        f"stored in {result.stored}"
    )


@codes.command("status")
@click.argument("code_list", metavar="CODE...", nargs=-1)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Date of service to check (default: today).")
@friendly_errors
def status_command(code_list: tuple[str, ...], as_of: str | None) -> None:
    """Show whether codes are active, deleted, invalid or unknown to OPPS on a date."""
    if not code_list:
        _fail("give at least one code, e.g. cdm-audit codes status C5271 L8680")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of {as_of!r} is not a date like 2026-05-01")
    from auditor.codeset.lookup import load_index

    try:
        index = load_index()
    except CodeTableError as exc:
        _fail(str(exc))
    choice = resolve_quarter(list(index.quarters), day)
    if choice.message:
        click.echo(f"warning: {choice.message}", err=True)
    click.echo(f"checked against CMS Addendum B {choice.used} ({quarter_label(choice.used)})")
    for code in code_list:
        found = index.status(code, choice.used)
        click.echo(f"{found.code or code!s:<7} {_describe(found)}")


@codes.command("quarters")
@friendly_errors
def quarters_command() -> None:
    """List the Addendum B quarters held, marking imported ones."""
    table = _load()
    imported = table.imported_quarters
    counts = table.frame.select(table.quarters).count().row(0)
    for quarter, count in zip(table.quarters, counts, strict=False):
        origin = f"imported from {imported[quarter]}" if quarter in imported else "packaged"
        click.echo(f"{quarter}  {quarter_label(quarter):<12}  {count:>6} codes  {origin}")


@codes.command("import-hcpcs")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--quarter", required=True, help="Quarter of the release, e.g. 2026Q2 for the April 2026 file.")
@friendly_errors
def import_hcpcs_command(file: Path, quarter: str) -> None:
    """Import a CMS HCPCS Level II file (fixed-width text or xlsx): long descriptors and cross-references."""
    from auditor.codeset.hcpcs import import_hcpcs

    try:
        done = import_hcpcs(file, quarter)
    except (CodeTableError, OSError) as exc:
        raise InputError(str(file), str(exc).removeprefix(f"{file}: ")) from None
    click.echo(
        f"imported HCPCS Level II {done.quarter} from {file}: {done.codes} codes "
        f"({done.terminated} with a termination date); stored in {done.stored}"
    )
