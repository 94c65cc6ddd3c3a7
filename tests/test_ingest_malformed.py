"""Malformed inputs (tests/malformed/make_corpus.py): each one is refused with exit code 2 and one `error:` line.

Every case runs through click's CliRunner and again as a real `python -m auditor.cli` process. In process,
caplog and capfd also watch for warnings the engine logs (calamine logs through Python logging, which prints
them on stderr in a real run) and for anything written straight to the file descriptors.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import CliResult, run_cli, run_cli_process

_spec = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).parent / "malformed" / "make_corpus.py"
)
make_corpus = importlib.util.module_from_spec(_spec)
sys.modules["make_corpus"] = make_corpus
_spec.loader.exec_module(make_corpus)
CASES = {c.name: c for c in make_corpus.CASES}
# One or more per reader path (sniff, zip checks, calamine, text, JSON, path checks) for the real-process run;
# a whole interpreter per case would cost ~0.4 s each.
PROCESS_CASES = [
    "zero_bytes.csv",
    "encrypted.xlsx",
    "zip_bomb.xlsx",
    "xml_bomb.xlsx",
    "corrupt_member.xlsx",
    "broken_biff.xls",
    "chart_only.xlsx",
    "no_header.csv",
    "truncated.json",
    "oversized.csv",
    "does_not_exist.xlsx",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The corpus, written once for this module."""
    out = tmp_path_factory.mktemp("malformed")
    make_corpus.build_corpus(out)
    return out


def assert_refused(res: CliResult, path: Path, reason: str) -> None:
    """Exit 2, nothing on stdout, exactly one stderr line: `error: <file>...<reason>`, and no traceback."""
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr
    assert res.stdout == ""
    assert res.stderr.endswith("\n") and res.stderr.count("\n") == 1, repr(res.stderr)
    line = res.stderr.rstrip("\n")
    assert line.startswith(f"error: {path}"), line
    assert reason in line, (reason, line)
    assert "unexpected" not in line, line  # a crash turned into an error line still means a missing check


def test_corpus_size():
    assert len(CASES) >= 15
    assert len({c.name for c in make_corpus.CASES}) == len(make_corpus.CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_refused_in_process(corpus, name, capfd, caplog):
    """CliRunner: the one-line error; no engine warning logged; nothing written straight to fd 1 or 2."""
    case = CASES[name]
    path = case.path(corpus)
    with caplog.at_level(logging.INFO):
        res = run_cli("inspect", str(path), *case.args)
    assert_refused(res, path, case.reason)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    native = capfd.readouterr()
    assert native.out == "" and native.err == "", native


def test_refused_by_a_real_process(corpus):
    """Cases from every reader path again through a separate interpreter, the way a user runs it."""

    def run(case):
        path = case.path(corpus)
        return case, path, run_cli_process("inspect", path, *case.args)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, [CASES[n] for n in PROCESS_CASES]))
    failures = []
    for case, path, res in results:
        try:
            assert_refused(res, path, case.reason)
        except AssertionError as exc:
            failures.append(f"{case.name}: {exc}")
    assert not failures, "\n".join(failures)


def test_valid_base_workbook_is_accepted(corpus):
    """Control: the undamaged workbook the corpus is built from reads fine, so the refusals are about the damage."""
    res = run_cli("inspect", str(corpus / "_good.xlsx"))
    assert res.exit_code == 0, res.stderr
    assert "rows: 2 read, 2 audited, 0 skipped" in res.stdout


def test_encrypted_workbook_is_a_valid_ole_container(corpus):
    """The hand-built encrypted container is a real compound file (checked with olefile where installed)."""
    olefile = pytest.importorskip("olefile")
    ole = olefile.OleFileIO(str(corpus / "encrypted.xlsx"))
    assert sorted("/".join(e) for e in ole.listdir()) == [
        "\x06DataSpaces",
        "EncryptedPackage",
        "EncryptionInfo",
    ]


def test_oversized_file_passes_with_a_higher_limit(corpus):
    """--max-size is the only thing wrong with oversized.csv."""
    res = run_cli("inspect", str(corpus / "oversized.csv"), "--max-size", "2")
    assert res.exit_code == 0, res.stderr
