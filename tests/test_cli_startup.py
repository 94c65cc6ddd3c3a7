"""`cdm-audit --help` lists every command without importing them (no polars, readers or engine at start),
and the listing says what each command's own help says."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from auditor.cli import COMMANDS, main


def test_help_imports_nothing_heavy():
    probe = (
        "import sys; from click.testing import CliRunner; from auditor.cli import main;"
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output;"
        "print(sorted(m for m in ('polars', 'auditor.ingest', 'auditor.engine', 'auditor.audit', 'jinja2')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_listing_matches_each_commands_own_help():
    eager = click.Group("cdm-audit")
    for name in COMMANDS:
        command = main.get_command(None, name)
        assert command is not None and command.name == name
        assert (command.help or "").split("\n\n")[0].replace("\n", " ") == COMMANDS[name][2], name
        eager.add_command(command)
    lazy = CliRunner().invoke(main, ["--help"]).output.split("Commands:")[1]
    loaded = CliRunner().invoke(eager, ["--help"]).output.split("Commands:")[1]
    assert lazy == loaded


def test_unknown_command_is_refused():
    res = CliRunner().invoke(main, ["nonsense"])
    assert res.exit_code == 2 and "No such command 'nonsense'" in res.output


def test_console_command_keeps_output_and_exit_status(tmp_path):
    """The console entry skips interpreter teardown: all output still arrives and exit codes are kept."""
    run = [sys.executable, "-m", "auditor.cli"]
    listing = subprocess.run([*run, "edits", "list"], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    count = int(lines[0].split()[0])  # "67 edits (edit set ...)"
    assert len([line for line in lines[1:] if line.strip()]) >= count
    missing = subprocess.run(
        [*run, "audit", str(tmp_path / "nowhere.csv")], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2
    assert "nowhere.csv" in missing.stderr and "Traceback" not in missing.stderr
