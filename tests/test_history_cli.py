"""`history`, `compare`, `ack` and `run` through click, on a test-only group wired like auditor.cli.main."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import sys
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner

from auditor.cli.errors import friendly_errors
from auditor.cli.history import COMMANDS
from auditor.cli.options import history_options
from auditor.history import apply_history

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
LINE = re.compile(
    r"^cdm-audit: facility (?P<facility>.+), (?P<quarter>\d{4}Q[1-4]), (?P<e>\d+) errors (?P<w>\d+) "
    r"warnings (?P<i>\d+) info, (?P<new>\d+) new (?P<res>\d+) resolved (?P<impl>\d+) implementation "
    r"errors, report at (?P<dir>.+)$"
)


@click.group()
def cli():
    """Test-only stand-in for auditor.cli.main."""


@cli.command("audit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pairing-table", "pairing_tables", multiple=True, type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]))
@history_options
@friendly_errors
def audit(files, pairing_tables, as_of, history):
    """The real audit command's body, cut down, with the two history lines the integration adds."""
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.document import AuditDocument
    from auditor.report.summary import render_summary

    result = run_audit(list(files), AuditRequest(as_of=as_of.date(), pairing_tables=list(pairing_tables)))
    result, document = apply_history(result, AuditDocument.of(result), history)
    click.echo(render_summary(document.to_dict()))
    sys.exit(result.exit_code("error"))


for _command in COMMANDS:
    cli.add_command(_command)


def invoke(*args) -> object:
    """Run the test group; unexpected exceptions fail the test with their traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "history.sqlite"


def audit_sample(db, name: str, as_of: str, *extra):
    """`audit` of a sample chargemaster with the pairing table into `db`."""
    return invoke(
        "audit",
        SAMPLES / name,
        "--pairing-table",
        SAMPLES / "pairing_table.csv",
        "--as-of",
        as_of,
        "--history",
        db,
        "--facility",
        "Sample Hospital",
        *extra,
    )


def test_audit_records_and_reports_since_last_run(db):
    first = audit_sample(db, "chargemaster.xlsx", "2025-10-01")
    assert first.exit_code == 1 and "first recorded run for this facility" in first.stdout
    # A first run is the baseline: its 36 findings (test_history_quarterly run 1) are not listed as new.
    since = first.stdout.split("Since last run")[1]
    assert "36 findings recorded as the baseline" in since and "New (" not in since
    second = audit_sample(db, "chargemaster.xlsx", "2026-04-01")
    assert second.exit_code == 1
    # Hand counts as in test_history_quarterly: 10 new, 1 resolved, 35 still open.
    assert "10 new, 1 resolved, 35 still open, 0 reappeared" in second.stdout
    assert "What the 2025Q4 -> 2026Q2 code update broke (6 code(s))" in second.stdout
    listing = invoke("history", "--history", db)
    assert listing.exit_code == 0
    rows = [line.split() for line in listing.stdout.splitlines()[1:]]
    assert [(r[0], r[5]) for r in rows] == [("2", "2026Q2"), ("1", "2025Q4")]
    shown = invoke("history", "2", "--history", db, "--findings")
    assert "sha256" in shown.stdout and "code set 2026Q2" in shown.stdout
    assert len([line for line in shown.stdout.splitlines() if re.match(r"^  [0-9a-f]{12}  ", line)]) == 45


def test_compare_arguments(db):
    audit_sample(db, "chargemaster.xlsx", "2025-10-01")
    audit_sample(db, "chargemaster.xlsx", "2026-04-01")
    both = json.loads(invoke("compare", "1", "2", "--history", db, "--json").stdout)
    latest = json.loads(invoke("compare", "--history", db, "--json").stdout)
    one = json.loads(invoke("compare", "2", "--history", db, "--json").stdout)
    assert both["counts"] == latest["counts"] == one["counts"]
    assert (both["counts"]["new"], both["counts"]["resolved"], both["counts"]["still_open"]) == (10, 1, 35)
    reverse = json.loads(invoke("compare", "2", "1", "--history", db, "--json").stdout)
    assert (reverse["counts"]["new"], reverse["counts"]["resolved"]) == (1, 10)
    text = invoke("compare", "1", "2", "--history", db, "--all").stdout
    assert text.count("CV001") >= 6 and "… " not in text.split("New (10)")[1].split("Resolved")[0]
    missing = invoke("compare", "1", "9", "--history", db)
    assert missing.exit_code == 2 and "run 9 is not in the history" in missing.stderr
    conn = sqlite3.connect(db)  # as if run 1 had been audited by an older release of the edits
    conn.execute("UPDATE runs SET edit_set_version = 'older' WHERE id = 1")
    conn.commit()
    conn.close()
    assert (
        "the edit set changed since run 1 (older -> " in invoke("compare", "1", "2", "--history", db).stdout
    )


def test_ack_pending_fix_waive_list_clear(db):
    audit_sample(db, "chargemaster.xlsx", "2026-04-01")
    data = json.loads(invoke("compare", "--history", db, "--json").stdout)
    ids = {(f["edit"], f["code"]): f["fid"] for f in data["new"]}
    pending = invoke(
        "ack",
        ids[("NS003", "L8680")],
        "--pending-fix",
        "--by",
        "J. Analyst",
        "--reason",
        "ticket CDM-118",
        "--history",
        db,
    )
    assert pending.exit_code == 0 and "pending-fix by J. Analyst" in pending.stdout
    assert (
        invoke("ack", ids[("NS003", "L8686")], "--waive", "--history", db).exit_code == 2
    )  # no reason, no --by
    waived = invoke(
        "ack",
        ids[("NS003", "L8686")][:8],
        "--waive",
        "--by",
        "Dr. Compliance",
        "--reason",
        "billed to a payer that takes L-codes",
        "--history",
        db,
    )
    assert waived.exit_code == 0, waived.stderr
    listed = invoke("ack", "--list", "--history", db).stdout.splitlines()
    assert len(listed) == 2 and "NS003 on charge code 27801310, code L8686" in listed[1]
    # Next quarter's run: L8686 is waived (out of the error count), L8680 is an implementation error.
    again = audit_sample(db, "chargemaster.xlsx", "2026-04-01")
    assert "1 implementation errors" in again.stdout and "1 waived by acknowledgement" in again.stdout
    assert "16 errors" in again.stdout  # 17 errors in the sample's 2026Q2 audit, one now waived
    cleared = invoke("ack", ids[("NS003", "L8686")], "--clear", "--history", db)
    assert "withdrew 1" in cleared.stdout
    assert len(invoke("ack", "--list", "--history", db).stdout.splitlines()) == 1
    unknown = invoke("ack", "ffffffffffff", "--pending-fix", "--history", db)
    assert unknown.exit_code == 2 and "no finding with this id" in unknown.stderr


def test_no_history_and_missing_history(db, tmp_path):
    out = audit_sample(db, "chargemaster.xlsx", "2026-04-01", "--no-history")
    assert out.exit_code == 1 and not db.exists() and "Since last run" not in out.stdout
    missing = invoke("history", "--history", tmp_path / "none.sqlite")
    assert missing.exit_code == 2 and "no run history yet" in missing.stderr
    assert not (tmp_path / "none.sqlite").exists()
    audit_sample(db, "chargemaster.xlsx", "2025-10-01")
    dry = audit_sample(db, "chargemaster.xlsx", "2026-04-01", "--no-history")
    assert "this audit (not recorded)" in dry.stdout and "10 new, 1 resolved" in dry.stdout
    assert [line.split()[0] for line in invoke("history", "--history", db).stdout.splitlines()[1:]] == ["1"]
    other = audit_sample(
        db, "chargemaster.xlsx", "2026-04-01", "--compare-with", "1", "--facility", "Elsewhere"
    )
    assert other.exit_code == 2 and "pass --facility 'Sample Hospital'" in other.stderr


def write_toml(path: Path, **settings) -> Path:
    """A recurring-run file from keyword settings (strings quoted, lists and dates as TOML)."""

    def value(v):
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dt.date):
            return v.isoformat()
        return json.dumps(v)

    path.write_text("".join(f"{k} = {value(v)}\n" for k, v in settings.items()), encoding="utf-8")
    return path


def test_recurring_run_prints_one_line_and_exits_by_threshold(tmp_path):
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    (extracts / "cdm_2025Q4.xlsx").write_bytes((SAMPLES / "chargemaster.xlsx").read_bytes())
    (extracts / "cdm_2026Q2.xlsx").write_bytes((SAMPLES / "chargemaster_clean.xlsx").read_bytes())
    config = write_toml(
        tmp_path / "audit.toml",
        facility="Sample Hospital",
        files=["extracts/cdm_{quarter}.xlsx"],
        pairing_tables=[str(SAMPLES / "pairing_table.csv")],
        history="state/history.sqlite",
        out="reports/{facility}/{quarter}",
        formats=["html", "xlsx", "json", "text"],
        fail_on="error",
        as_of=dt.date(2025, 10, 1),
    )
    first = invoke("run", config)
    assert first.exit_code == 1, first.stderr
    (line,) = first.stdout.splitlines()
    m = LINE.match(line)
    assert m, line
    # 2025Q4: the sample's 36 findings (9 errors, 16 warnings, 11 info, see test_history_quarterly run 1), all
    # new on the first run.
    assert (m["facility"], m["quarter"], m["e"], m["w"], m["i"], m["new"], m["res"], m["impl"]) == (
        "Sample Hospital",
        "2025Q4",
        "9",
        "16",
        "11",
        "36",
        "0",
        "0",
    )
    report = Path(m["dir"])
    assert report == tmp_path / "reports" / "sample-hospital" / "2025Q4"
    assert {p.name for p in report.iterdir()} == {
        "report.html",
        "report.xlsx",
        "findings.json",
        "history.json",
        "summary.txt",
    }
    assert (tmp_path / "state" / "history.sqlite").is_file()
    # Next quarter the scheduler runs the same file with a new date; the clean extract is picked by {quarter}.
    second = invoke("run", config, "--as-of", "2026-04-01")
    (line,) = second.stdout.splitlines()
    m = LINE.match(line)
    # Clean chargemaster + unchanged pairing table as of 2026Q2: the 12 pairing findings (7 errors, 3 warnings,
    # 2 info that follow from NS001, see test_history_quarterly run 3), nothing on the clean chargemaster; against the 36 of 2025Q4, still
    # open are the 7 pairing findings of 2025Q4; new are the 5 pairing findings that start in 2026 (CV001 on
    # C5271 and Q4100, SS005 on Q4101, Q4186, Q4133); resolved = the 29 chargemaster findings of 2025Q4.
    assert (m["quarter"], m["e"], m["w"], m["i"], m["new"], m["res"], m["impl"]) == (
        "2026Q2",
        "7",
        "3",
        "2",
        "5",
        "29",
        "0",
    )
    assert second.exit_code == 1  # the pairing table still has errors
    # The clean chargemaster alone has no finding at all; without its G0289 line it has info notes only:
    # KN002 on 29877, 29880 and 29881 (separate-compartment chondroplasty cannot be billed as G0289).
    book = openpyxl.load_workbook(SAMPLES / "chargemaster_clean.xlsx")
    sheet = book["CDM"]
    (g0289,) = [r for r in range(5, sheet.max_row + 1) if sheet.cell(r, 4).value == "G0289"]
    sheet.delete_rows(g0289)
    book.save(extracts / "cdm_no_g0289.xlsx")

    def run_with(fail_on: str):
        settings = write_toml(
            tmp_path / f"{fail_on}.toml",
            facility="Sample Hospital",
            files=["extracts/cdm_no_g0289.xlsx"],
            history="state/history.sqlite",
            formats=["json"],
            fail_on=fail_on,
            as_of=dt.date(2026, 4, 1),
            out=f"reports/{fail_on}",
        )
        return invoke("run", settings)

    ok = run_with("warning")
    # Only the 3 KN002 info notes: below the warning threshold.
    m = LINE.match(ok.stdout.strip())
    assert ok.exit_code == 0 and (m["e"], m["w"], m["i"]) == ("0", "0", "3")
    assert run_with("info").exit_code == 1  # the same notes fail a run whose threshold is info


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"facility": "X", "files": ["missing_{quarter}.xlsx"]}, "no file matches 'missing_{quarter}.xlsx'"),
        ({"facility": "X", "files": ["a.xlsx"], "fail_on": "sometimes"}, "fail_on must be one of"),
        ({"facility": "X", "files": ["a.xlsx"], "outdir": "r"}, "unknown setting 'outdir'"),
        ({"files": ["a.xlsx"]}, "'facility' is required"),
        ({"facility": "X", "files": ["{site}.xlsx"]}, "unknown placeholder"),
    ],
)
def test_recurring_run_bad_input_is_one_error_line(tmp_path, settings, message):
    config = write_toml(tmp_path / "audit.toml", **settings)
    out = invoke("run", config)
    assert out.exit_code == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith("cdm-audit: error: ") and message in line
