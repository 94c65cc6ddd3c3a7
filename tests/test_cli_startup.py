"""`cdm-audit --help` lists every command without importing them (no polars, readers or engine at start), `edits`
lists and explains edits from the cached catalogue text without polars,
and the listing says what each command's own help says."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
from click.testing import CliRunner

from auditor.cli import COMMANDS, main
from auditor.engine.catalog import load_edits
from auditor.engine.docs import explain_text
from auditor.engine.edit_index import load_edit_index


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


def test_listing_and_explaining_edits_import_no_polars(tmp_path):
    """`edits list` and `edits explain` read the catalogue's text from its cached index: the first run builds it
    (and loads the checks once), every later run answers without importing polars or the checks."""
    env = {**os.environ, "CDM_AUDIT_HOME": str(tmp_path)}
    probe = (
        "import sys; from click.testing import CliRunner; from auditor.cli import main;"
        "r = CliRunner().invoke(main, sys.argv[1:]); assert r.exit_code == 0, r.output;"
        "print(sorted(m for m in ('polars', 'auditor.engine.checks', 'auditor.audit') if m in sys.modules))"
    )
    first = subprocess.run(
        [sys.executable, "-c", probe, "edits", "list"], capture_output=True, text=True, env=env, timeout=120
    )
    assert first.returncode == 0, first.stderr
    for args in (["edits", "list"], ["edits", "explain", "NS001"], ["edits", "list", "--json"]):
        out = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == "[]", args


def test_edit_index_says_what_the_full_catalogue_says(tmp_path, monkeypatch):
    """Every edit's listing row and explanation from the index match those of the validated catalogue."""
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path))
    full = load_edits()
    index = load_edit_index()
    assert index.version == full.version
    assert [e.code for e in index.edits] == [e.code for e in full.edits]
    for mine, theirs in zip(index.edits, full.edits, strict=True):
        assert explain_text(mine) == explain_text(theirs), mine.code
        assert (mine.period(), mine.scopes, mine.verified) == (
            theirs.period(),
            theirs.scopes,
            theirs.verified,
        )
    listed = json.loads(CliRunner().invoke(main, ["edits", "list", "--json"]).output)
    assert [r["code"] for r in listed["edits"]] == [e.code for e in full.edits]
    assert listed["edit_set_version"] == full.version


def test_code_status_imports_no_polars_once_its_index_is_built(tmp_path):
    """`codes status` builds a per-code index from the code table on its first run; every later run answers from
    it without importing polars, with the same lines."""
    env = {**os.environ, "CDM_AUDIT_HOME": str(tmp_path)}
    probe = (
        "import sys; from click.testing import CliRunner; from auditor.cli import main;"
        "r = CliRunner().invoke(main, sys.argv[1:]); assert r.exit_code == 0, r.output; print(r.stdout, end='');"
        "print(sorted(m for m in ('polars', 'auditor.codeset.table', 'auditor.audit') if m in sys.modules))"
    )
    args = ["codes", "status", "C5271", "L8680", "61850", "S9999", "--as-of", "2026-05-01"]
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=120
        )
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr + runs[1].stderr
    first, second = (r.stdout.splitlines() for r in runs)
    assert first[-1] == "['auditor.codeset.table', 'polars']"  # the first run built the index from the table
    assert second[-1] == "[]"
    assert first[:-1] == second[:-1]
    assert second[2].startswith("L8680   active | SI E1")
