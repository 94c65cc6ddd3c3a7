"""The `cdm-audit` command line: the `main` group and its commands, one module per command group.

Commands are imported when run, not when the group is built: `cdm-audit --help` lists them from the table
below without loading polars, the readers or the edit engine (tests/test_cli_startup.py checks the listing
matches each command's own help).
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import signal
import sys
import threading

import click

from auditor.version import __version__

# name -> (module, attribute, the first paragraph of the command's help: what the listing shows).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "inspect": (
        "auditor.cli.audit",
        "inspect",
        "Show how each file and sheet is read: its kind, header row, column roles with evidence, rows read and"
        " skipped.",
    ),
    "audit": (
        "auditor.cli.audit",
        "audit",
        "Apply the pairing edits to chargemaster FILES (and pairing tables); report missing or mismatched pairs.",
    ),
    "edits": ("auditor.cli.edits", "edits", "List and explain the pairing edits."),
    "codes": (
        "auditor.cli.codes",
        "codes",
        "CMS OPPS Addendum B code table: import quarters, look up codes.",
    ),
    "history": (
        "auditor.cli.history",
        "history_command",
        "List recorded audit runs, or show one run's record (inputs, hashes, quarter, configuration).",
    ),
    "compare": (
        "auditor.cli.history",
        "compare_command",
        "Findings new, resolved, still open and reappeared between RUN_A and RUN_B; implementation errors.",
    ),
    "ack": (
        "auditor.cli.history",
        "ack_command",
        "Acknowledge findings by id (from the report, `compare` or `history RUN --findings`).",
    ),
    "run": (
        "auditor.cli.history",
        "run_command",
        "Run the recurring audit described in CONFIG_FILE (TOML); print one summary line; exit 0, 1 or 2.",
    ),
    "claims": (
        "auditor.cli.claims",
        "claims",
        "Audit claim-line FILES (csv, xlsx, 837I/837P): pairs on the claim, diagnoses, WISeR readiness.",
    ),
    "denials": (
        "auditor.cli.denials",
        "denials",
        "Denial and pend rates by state, WISeR participant, service, CARC/RARC, code and month; appeal drafts.",
    ),
    "serve": (
        "auditor.cli.serve",
        "serve",
        "Start the local web app: upload files, review the column mapping, read the report, download"
        " Excel/JSON/CSV.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on use; the listing comes from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted as click sorts them."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now."""
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The Commands section, shortened the way click shortens each command's help."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, click.utils.make_default_short_help(COMMANDS[n][2], limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _terminated(signum, frame) -> None:
    """Exit as a process stopped by SIGTERM does (128 + 15), through Python's normal unwinding."""
    sys.exit(128 + signal.SIGTERM)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdm-audit")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Audit hospital chargemasters and encoder pairing tables for missing or mismatched code pairs."""
    # calamine logs odd-but-readable workbook parts on stderr; our own messages already say what matters.
    logging.getLogger("calamine").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    logging.getLogger("fastexcel").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a scheduler's stop, `kill`) unwinds like Ctrl+C, so temporary files are removed and no
        # half-written report is left; `serve` installs its own handlers.
        signal.signal(signal.SIGTERM, _terminated)


def command() -> None:
    """The `cdm-audit` console command: the command line, then a prompt exit once its output is out."""
    try:
        main()  # standalone: click always ends by raising SystemExit
        status: object = 0
    except SystemExit as exc:
        status = exc.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)
        status = 1
    # Tearing the interpreter down (every module, the run's frames, polars' thread pool) costs ~50 ms, a tenth
    # of a small file's audit. Reports are closed by now; exit handlers (temporary folders) still run here.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # the reader went away (`| head`): the command itself went through
    os._exit(status or 0)
