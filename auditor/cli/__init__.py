"""The `cdm-audit` command line: the `main` group and its commands, one module per command group."""

from __future__ import annotations

import logging

import click

from auditor.cli import audit, claims, codes, denials, edits, history, serve
from auditor.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdm-audit")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def main(debug: bool) -> None:
    """Audit hospital chargemasters and encoder pairing tables for missing or mismatched code pairs."""
    # calamine logs odd-but-readable workbook parts on stderr; our own messages already say what matters.
    logging.getLogger("calamine").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    logging.getLogger("fastexcel").setLevel(logging.DEBUG if debug else logging.CRITICAL)


for _command in (
    audit.inspect,
    audit.audit,
    edits.edits,
    codes.codes,
    *history.COMMANDS,
    claims.claims,
    denials.denials,
    serve.serve,
):
    main.add_command(_command)
