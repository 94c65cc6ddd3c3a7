"""`python -m auditor.cli`: the same command line as `cdm-audit`."""

from auditor.cli import command

command()
