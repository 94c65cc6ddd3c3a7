"""`cdm-audit history`, `compare`, `ack` and `run`: the run history, and recurring audits described in a file."""

from __future__ import annotations

import getpass
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from auditor.cli.errors import friendly_errors
from auditor.cli.options import AS_OF, history_path_option
from auditor.cli.recurring import run_file
from auditor.errors import InputError
from auditor.history import acks as ack_store
from auditor.history import store
from auditor.history.compare import compare_runs
from auditor.history.keys import slug
from auditor.history.options import database_path
from auditor.report.summary import render_history

# Problems `history --check` lists at most (SQLite stops looking there).
CHECK_LIMIT = 100


def _existing(history_db: Path | None) -> Path:
    """The history file's path, refusing one that does not exist (reading must not create an empty one)."""
    path = database_path(history_db)
    if not path.is_file():
        raise InputError(
            str(path), "no run history yet: `cdm-audit audit` or `cdm-audit run` records runs here"
        )
    return path


@contextmanager
def _open(history_db: Path | None) -> Iterator[sqlite3.Connection]:
    """The history's connection, closed after; SQLite errors (damage is already an InputError) become one line."""
    path = _existing(history_db)
    conn = store.connect(path)
    try:
        yield conn
    except sqlite3.Error as exc:
        raise InputError(str(path), f"history database error: {exc}") from None
    finally:
        conn.close()


def _check(history_db: Path | None) -> None:
    """`history --check`: SQLite's integrity check of the file, read only; 'ok' with the run counts, or the problems."""
    path = _existing(history_db)
    try:
        found = store.problems(path, thorough=True, limit=CHECK_LIMIT)
        counts = {} if found else store.run_counts(path)
    except sqlite3.Error as exc:
        raise InputError(str(path), f"cannot check the history database ({exc})") from None
    if len(found) == 1:
        raise store.damaged(path, found[0])
    if found:
        for problem in found:
            click.echo(problem)
        more = " or more" if len(found) >= CHECK_LIMIT else ""
        raise store.damaged(path, f"the integrity check found {len(found)}{more} problems, listed above")
    kinds = ", ".join(f"{n} {kind} run{'s' if n != 1 else ''}" for kind, n in counts.items()) or "no runs"
    click.echo(f"ok: {path}: {kinds}")


@click.command("history")
@click.argument("run_id", type=int, required=False)
@history_path_option
@click.option("--facility", default=None, help="Only this facility's runs.")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Newest runs to list."
)
@click.option(
    "--findings", "show_findings", is_flag=True, help="With RUN_ID: list the run's findings with their ids."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Check the history file for damage (SQLite integrity check, read only); exit 2 when damaged.",
)
@friendly_errors
def history_command(run_id, history_db, facility, limit, show_findings, as_json, check):
    """List recorded audit runs, or show one run's record (inputs, hashes, quarter, configuration)."""
    if check:
        if run_id is not None:
            raise InputError("--check", "checks the whole file: give no RUN_ID")
        _check(history_db)
        return
    with _open(history_db) as conn:
        if run_id is None:
            runs = store.list_runs(conn, slug(facility) if facility else None, limit)
            if as_json:
                click.echo(json.dumps(runs, indent=2, default=str))
                return
            if not runs:
                click.echo("no runs recorded" + (f" for facility {facility!r}" if facility else ""))
                return
            click.echo(
                f"{'run':>5}  {'recorded (UTC)':<20} {'facility':<24} {'as of':<10} {'quarter':<8} "
                f"{'errors':>6} {'warn':>5} {'info':>5}  inputs"
            )
            for r in runs:
                names = ", ".join(i["name"] for i in r["inputs"])
                stale = "*" if r["quarter_stale"] else ""
                click.echo(
                    f"{r['id']:>5}  {r['recorded_at'][:19]:<20} {r['facility'][:24]:<24} {r['as_of']:<10} "
                    f"{r['quarter'] + stale:<8} {r['errors']:>6} {r['warnings']:>5} {r['infos']:>5}  {names}"
                )
            return
        run = store.get_run(conn, run_id)
        if run is None:
            raise InputError(str(run_id), "no such run (see `cdm-audit history`)")
        findings = list(store.run_findings(conn, run_id).values()) if show_findings else []
        if as_json:
            click.echo(
                json.dumps(
                    {"run": run, "findings": findings} if show_findings else run, indent=2, default=str
                )
            )
            return
        click.echo(_run_text(run))
        for f in findings:
            where = f"{f['sheet']}!{f['row']}" if f["sheet"] else f"row {f['row']}"
            click.echo(
                f"  {f['fid']}  {f['severity']:<7} {f['edit']}  {where:<14} {f['charge_code'] or '-':<12} "
                f"{f['code'] or '-':<6} {f['message']}" + ("  (waived)" if f["waived"] else "")
            )


def _run_text(run: dict) -> str:
    """One run's record as text."""
    lines = [
        f"run {run['id']}: facility {run['facility']} (key {run['facility_slug']}), recorded {run['recorded_at']}",
        f"  as of {run['as_of']}, quarter {run['quarter']}, code set {run['code_quarter']}"
        + (" (stale)" if run["quarter_stale"] else "")
        + f", edit set {run['edit_set_version']}, cdm-audit {run['tool_version']}",
        (
            f"  {run['errors']} errors, {run['warnings']} warnings, {run['infos']} info, {run['waived']} waived; "
            f"{run['findings']} findings on {run['rows_audited']:,} audited rows"
        ),
        f"  configuration: {run['config'].get('path') or 'packaged defaults'}"
        + (f"; recurring run {run['label']}" if run.get("label") else ""),
    ]
    for i in run["inputs"]:
        lines.append(f"  {i['role']}: {i['path']} ({i['format']}, {i['size']:,} bytes, sha256 {i['sha256']})")
    return "\n".join(lines)


@click.command("compare")
@click.argument("run_a", type=int, required=False)
@click.argument("run_b", type=int, required=False)
@history_path_option
@click.option("--facility", default=None, help="Without run ids: this facility's last two runs.")
@click.option(
    "--all", "show_all", is_flag=True, help="List every finding of each list (default: 10 per list)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the full comparison as JSON.")
@friendly_errors
def compare_command(run_a, run_b, history_db, facility, show_all, as_json):
    """Findings new, resolved, still open and reappeared between RUN_A and RUN_B; implementation errors.

    With one run id, compares it with the facility's run before it; with none, the latest run
    (of --facility) with the one before it.
    """
    with _open(history_db) as conn:
        if run_a is not None and run_b is None:
            baseline, current = None, run_a
        elif run_a is None:
            latest = store.list_runs(conn, slug(facility) if facility else None, 1)
            if not latest:
                raise InputError(str(history_db or store.default_path()), "no runs recorded to compare")
            baseline, current = None, latest[0]["id"]
        else:
            baseline, current = run_a, run_b
        try:
            cmp = compare_runs(conn, baseline, current)
        except LookupError as exc:
            raise InputError("compare", str(exc)) from None
        if cmp.baseline and cmp.baseline["facility_slug"] != cmp.current["facility_slug"]:
            click.echo(
                f"warning: run {cmp.baseline['id']} is facility {cmp.baseline['facility']!r} and run "
                f"{cmp.current['id']} is {cmp.current['facility']!r}: no finding can match across them",
                err=True,
            )
        data = cmp.to_dict() | {"run_id": cmp.current["id"]}
        if as_json:
            click.echo(json.dumps(data, indent=2, default=str))
        else:
            click.echo(render_history(data, limit=None if show_all else 10).lstrip("\n"))


@click.command("ack")
@click.argument("finding_ids", nargs=-1)
@click.option(
    "--pending-fix",
    "status",
    flag_value="pending-fix",
    help="The fix is accepted and on its way: the next run flags it if it is still there.",
)
@click.option(
    "--waive", "status", flag_value="waived", help="Accept the finding as is (needs --reason and --by)."
)
@click.option("--clear", "status", flag_value="clear", help="Withdraw the acknowledgement.")
@click.option("--reason", default=None, help="Why (ticket number, decision, approval).")
@click.option("--by", "who", default=None, help="Who decided (default for --pending-fix: your login name).")
@click.option("--list", "list_acks", is_flag=True, help="List active acknowledgements.")
@click.option("--facility", default=None, help="With --list: only this facility.")
@history_path_option
@friendly_errors
def ack_command(finding_ids, status, reason, who, list_acks, facility, history_db):
    """Acknowledge findings by id (from the report, `compare` or `history RUN --findings`)."""
    with _open(history_db) as conn:
        if list_acks:
            rows = ack_store.active(conn, facility_slug=slug(facility) if facility else None)
            for a in rows.values():
                click.echo(
                    f"#{a['id']:<4} {a['fid']}  {a['status']:<11} by {a['who']} on {a['at'][:10]} "
                    f"(run {a['run_id']}): {a['reason'] or ''}  {_key_text(a['key'])}"
                )
            if not rows:
                click.echo("no active acknowledgements")
            return
        if not finding_ids:
            raise InputError("ack", "give one or more finding ids (or --list)")
        if status is None:
            raise InputError("ack", "say --pending-fix, --waive or --clear")
        if status == "clear":
            n = ack_store.clear(conn, finding_ids, who or _login())
            click.echo(f"withdrew {n} acknowledgement(s)")
            return
        if status == "waived" and not who:
            raise InputError("ack", "a waiver needs --by (who decided)")
        for a in ack_store.acknowledge(conn, finding_ids, status, who or _login(), reason):
            click.echo(
                f"ack #{a['id']}: {a['fid']} {a['status']} by {a['who']} (finding last seen in run "
                f"{a['run_id']}): {_key_text(a['key'])}"
            )


def _login() -> str:
    """The operating-system user, as the default 'who' of a pending fix."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _key_text(key: str) -> str:
    """A stored key as 'EDIT on charge code X, code Y'."""
    _source, edit, line, code, n = json.loads(key)
    if line == "group":
        return f"{edit} on the lines coded {code}" + (f" (#{n})" if n > 1 else "")
    where = f"charge code {line[3:]}" if line.startswith("cc:") else f"line '{line[5:]}'"
    return f"{edit} on {where}" + (f", code {code}" if code else "") + (f" (#{n})" if n > 1 else "")


@click.command("run")
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--as-of", type=AS_OF, default=None, help="Override the file's as_of (default: the file's, else today)."
)
@friendly_errors
def run_command(config_file, as_of):
    """Run the recurring audit described in CONFIG_FILE (TOML); print one summary line; exit 0, 1 or 2."""
    outcome = run_file(config_file, as_of.date() if as_of else None)
    for w in outcome.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(outcome.line, err=outcome.exit_code == 2)
    sys.exit(outcome.exit_code)


# Top-level commands of this group, in the order `cdm-audit` adds them.
COMMANDS = (history_command, compare_command, ack_command, run_command)
