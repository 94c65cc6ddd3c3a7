"""A damaged run-history file (corrupt pages, cut short, not SQLite at all) is refused with one line and never written."""

from __future__ import annotations

import gc
import json
import random
from pathlib import Path

import pytest
from conftest import run_cli, run_cli_process

from auditor.history import store

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FACILITY = "Sample Hospital"


def audit_args(db: Path, as_of: str) -> tuple:
    """`cdm-audit audit` of the sample chargemaster and pairing table, recorded in `db`."""
    return (
        "audit",
        SAMPLES / "chargemaster.xlsx",
        "--pairing-table",
        SAMPLES / "pairing_table.csv",
        "--as-of",
        as_of,
        "--history",
        db,
        "--facility",
        FACILITY,
    )


def denials_args(db: Path, out: Path) -> tuple:
    """`cdm-audit denials` of the sample remittance, recorded in `db`."""
    return (
        "denials",
        SAMPLES / "remit.835",
        "--claims",
        SAMPLES / "claims.csv",
        "--format",
        "json",
        "--out",
        out,
        "--history",
        db,
        "--facility",
        FACILITY,
    )


def sidecars(db: Path) -> list[Path]:
    """SQLite's -wal, -shm and -journal files beside `db`: none may be left behind."""
    return [p for p in (Path(f"{db}{s}") for s in ("-wal", "-shm", "-journal")) if p.exists()]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """The bytes of a history holding three audit runs and one denials run, all recorded by the real CLI."""
    folder = tmp_path_factory.mktemp("good-history")
    db = folder / "history.sqlite"
    for as_of in ("2025-10-01", "2026-01-01", "2026-04-01"):
        res = run_cli(*audit_args(db, as_of))
        assert res.exit_code == 1, res.stderr  # findings at error level
    res = run_cli(*denials_args(db, folder / "denials"))
    assert res.exit_code == 0, res.stderr
    gc.collect()  # `denials` leaves its connection to the garbage collector, which closes it and its -wal
    assert not sidecars(db)
    return db.read_bytes()


def page_size(data: bytes) -> int:
    """The page size in an SQLite header (bytes 16-17, big-endian; 1 stands for 65536)."""
    size = int.from_bytes(data[16:18], "big")
    return 65536 if size == 1 else size


def corrupt_pages(data: bytes, first_page: int, pages: int = 3) -> bytes:
    """`data` with `pages` pages from `first_page` (0-based) overwritten with random bytes."""
    size = page_size(data)
    start = first_page * size
    assert start + pages * size <= len(data), "the history is smaller than the test expects"
    noise = random.Random(f"{first_page}/{pages}").randbytes(pages * size)
    return data[:start] + noise + data[start + pages * size :]


# Each kind of damage: the file name it is written under and how the good bytes become damaged ones.
DAMAGE = {
    "pages in the middle": ("history.sqlite", lambda d: corrupt_pages(d, len(d) // page_size(d) // 2)),
    "pages near the start": ("history.sqlite", lambda d: corrupt_pages(d, 4, 2)),
    "truncated": ("history.sqlite", lambda d: d[: len(d) // 2 + 100]),
    "garbage": ("history.db", lambda d: random.Random(7).randbytes(20_000)),
}


@pytest.fixture(params=sorted(DAMAGE))
def damaged(request, good, tmp_path) -> tuple[Path, bytes]:
    """A damaged history file in its own folder, and its bytes."""
    name, damage = DAMAGE[request.param]
    db = tmp_path / name
    db.write_bytes(damage(good))
    return db, db.read_bytes()


def assert_refused(res, db: Path) -> None:
    """Exit 2 with one clean line naming the file, saying it is damaged and what to do; no crash."""
    assert res.exit_code == 2, (res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1, res.stderr
    assert "error: " in lines[0] and str(db) in lines[0]
    assert "the file is damaged" in lines[0] and "backup" in lines[0] and ".recover" in lines[0]
    for text in (res.stdout, res.stderr):
        assert "unexpected" not in text and "Traceback" not in text


def assert_untouched(db: Path, before: bytes) -> None:
    """The file's bytes are as they were, and SQLite left no -wal, -shm or -journal beside it."""
    assert db.read_bytes() == before
    assert not sidecars(db)


def reading_commands(db: Path) -> list[tuple]:
    """Every command that only reads the history."""
    return [
        ("history", "--history", db),
        ("history", "2", "--findings", "--history", db),
        ("history", "--json", "--history", db),
        ("compare", "--history", db),
        ("compare", "1", "2", "--history", db),
        ("ack", "--list", "--history", db),
    ]


def writing_commands(db: Path, folder: Path) -> list[tuple]:
    """Every command that records in the history: acknowledgements, audits, recurring runs, denials runs."""
    recurring = folder / "audit.toml"
    recurring.write_text(
        f"facility = {FACILITY!r}\nfiles = [{json.dumps(str(SAMPLES / 'chargemaster.xlsx'))}]\n"
        f"out = {json.dumps(str(folder / 'recurring'))}\nformats = []\nas_of = 2026-04-01\n"
        f"history = {json.dumps(str(db))}\n",
        encoding="utf-8",
    )
    return [
        ("ack", "0123456789ab", "--pending-fix", "--by", "J. Analyst", "--history", db),
        audit_args(db, "2026-04-01"),
        ("run", recurring),
        denials_args(db, folder / "denials"),
    ]


def test_damaged_history_is_refused_by_reading_commands_and_left_as_it_was(damaged):
    db, before = damaged
    for args in reading_commands(db):
        assert_refused(run_cli(*args), db)
        assert_untouched(db, before)


def test_damaged_history_is_never_written(damaged, tmp_path):
    """The bug: an audit wrote its run into a damaged history, and a later `compare` failed 'unexpected'."""
    db, before = damaged
    for args in writing_commands(db, tmp_path):
        res = run_cli(*args)
        if args[0] == "run":  # a recurring run says `cdm-audit: error: ...` on stderr, as cron logs it
            assert res.stderr.startswith("cdm-audit: error: ")
        assert_refused(res, db)
        assert_untouched(db, before)


def test_check_reports_damage_and_exits_2(damaged):
    db, before = damaged
    res = run_cli("history", "--check", "--history", db)
    assert_refused(res, db)
    assert_untouched(db, before)


def test_damage_quick_check_missed_still_gives_the_clean_line(damaged, monkeypatch, tmp_path):
    """SQLite errors raised later, while rows are read or written, are the same clean line, never 'unexpected'."""
    db, _ = damaged
    monkeypatch.setattr(
        store, "refuse_if_damaged", lambda path: None
    )  # as if the open-time check saw nothing
    refused = 0
    for args in [*reading_commands(db), *writing_commands(db, tmp_path)]:
        res = run_cli(*args)
        for text in (res.stdout, res.stderr):
            assert "unexpected" not in text and "Traceback" not in text
        if "damaged" in res.stderr:
            assert_refused(res, db)
            refused += 1
        else:  # the damage was not on this command's way (an unknown finding id is its own clean refusal)
            assert res.exit_code in (0, 1) or "no finding with this id" in res.stderr, res.stderr
    assert refused, "the damage was never reached: the test no longer damages what the commands read"


def test_check_of_a_good_history_counts_its_runs(good, tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(good)
    res = run_cli("history", "--check", "--history", db)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == f"ok: {db}: 3 audit runs, 1 denials run\n" and res.stderr == ""
    assert_untouched(db, good)
    listing = run_cli("history", "--history", db)
    assert listing.exit_code == 0 and len(listing.stdout.splitlines()) == 4  # heading and three runs


def test_check_lists_the_problems_it_finds(good, tmp_path):
    """The integrity check's problems are listed on stdout, naming the damaged tables, before the one error line."""
    db = tmp_path / "history.sqlite"
    db.write_bytes(DAMAGE["pages in the middle"][1](good))
    res = run_cli("history", "--check", "--history", db)
    assert_refused(res, db)
    assert "problems, listed above" in res.stderr
    listed = res.stdout.splitlines()
    assert len(listed) >= 2 and any(line.startswith("table ") for line in listed), res.stdout
    assert_untouched(db, DAMAGE["pages in the middle"][1](good))


def test_history_damaged_after_a_good_open_in_the_same_process_is_checked_again(good, tmp_path):
    """The once-per-process check is per file state: a file changed since it was found sound is checked again."""
    db = tmp_path / "history.sqlite"
    db.write_bytes(good)
    assert run_cli("history", "--history", db).exit_code == 0
    db.write_bytes(DAMAGE["truncated"][1](good))  # a new size, so a new state whatever the clock's resolution
    before = db.read_bytes()
    assert_refused(run_cli("compare", "--history", db), db)
    assert_untouched(db, before)


def test_damaged_history_in_a_real_process(good, tmp_path):
    """The installed command, in its own process: one line, exit 2, the file untouched."""
    db = tmp_path / "history.sqlite"
    db.write_bytes(DAMAGE["pages in the middle"][1](good))
    before = db.read_bytes()
    for args in (("history", "--history", db), audit_args(db, "2026-04-01")):
        assert_refused(run_cli_process(*args), db)
        assert_untouched(db, before)


def test_an_empty_file_is_a_new_history_not_a_damaged_one(tmp_path):
    """Control: SQLite reads an empty file as an empty database, so the refusals above are about damage."""
    db = tmp_path / "history.sqlite"
    db.touch()
    res = run_cli("history", "--check", "--history", db)
    assert res.exit_code == 0 and res.stdout == f"ok: {db}: no runs\n"
    res = run_cli("history", "--history", db)
    assert res.exit_code == 0 and res.stdout == "no runs recorded\n"
