"""Temporary files on every exit path: workbooks keep theirs beside the report, servers stop or are swept clean."""

from __future__ import annotations

import csv
import gc
import importlib.util
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from auditor.report.workbook import open_workbook
from auditor.web.jobs import OWNER_FILE, ROOT_PREFIX, sweep_leftovers

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-04-01"


def _gen_cdm():
    """benchmarks/gen_cdm.py, loaded as a module (the realistic synthetic chargemaster)."""
    spec = importlib.util.spec_from_file_location("gen_cdm", REPO / "benchmarks" / "gen_cdm.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """A 100,000-row chargemaster CSV: its Excel report takes long enough to be stopped while it is written."""
    gen = _gen_cdm()
    path = tmp_path_factory.mktemp("big") / "cdm_100000.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(gen.HEADER)
        writer.writerows([gen._csv_val(v) for v in row] for row in gen.make_rows(100_000))
    return path


def files_under(folder: Path) -> list[Path]:
    """Every file and folder below `folder`."""
    return sorted(folder.rglob("*"))


def wait_until(check, seconds: float, step: float = 0.02):
    """Poll `check()` until it returns something true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"not reached within {seconds} s")


# ---- workbooks --------------------------------------------------------------------------------------
@pytest.mark.parametrize("constant_memory", [True, False])
def test_a_workbook_keeps_its_temporary_files_in_a_private_folder_beside_it(
    tmp_path, monkeypatch, constant_memory
):
    import tempfile

    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    out = tmp_path / "out"
    out.mkdir()
    wb = open_workbook(out / "report.xlsx", {"title": "t"}, rows=10, constant_memory=constant_memory)
    ws = wb.add_worksheet("Rows")
    for r in range(2000):
        ws.write_string(r, 0, f"row {r}")
    (private,) = out.glob(".report.xlsx-*.tmp")
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    if constant_memory:
        assert list(private.iterdir())  # the streamed rows
    wb.close()
    assert [p.name for p in out.iterdir()] == ["report.xlsx"]
    assert zipfile.ZipFile(out / "report.xlsx").testzip() is None
    assert list(system_temp.iterdir()) == []


def test_a_workbook_never_closed_still_removes_its_folder(tmp_path):
    wb = open_workbook(tmp_path / "report.xlsx", {}, rows=10, constant_memory=True)
    wb.add_worksheet("Rows").write_string(0, 0, "x")
    assert list(tmp_path.glob(".report.xlsx-*.tmp"))
    del wb  # an error while writing: the workbook is dropped without close()
    gc.collect()
    assert list(tmp_path.iterdir()) == []


# ---- the command line, stopped while it writes the Excel report ----------------------------------------
def test_a_cli_audit_stopped_while_writing_excel_leaves_nothing_in_the_temp_folder(tmp_path, big_csv):
    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "CDM_AUDIT_HOME": str(tmp_path / "home")}
    args = ["audit", str(big_csv), "--format", "xlsx", "--out", str(out), "--no-history", "--as-of", AS_OF]
    proc = subprocess.Popen([sys.executable, "-m", "auditor.cli", *args], env=env, stdout=subprocess.DEVNULL)
    try:
        # The worksheets are streaming into the workbook's private folder: the report is being written.
        wait_until(lambda: [p for p in out.glob(".report.xlsx-*.tmp/*") if p.stat().st_size], 120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 128 + signal.SIGTERM  # unwound, as a stopped process reports
    finally:
        proc.kill()
        proc.wait()
    assert files_under(temp) == []
    # The stop unwinds: the workbook's private folder is removed and no report.xlsx was moved into place,
    # so nothing in the output folder can pass for a finished report.
    assert not (out / "report.xlsx").exists()
    assert files_under(out) == []


# ---- the server ---------------------------------------------------------------------------------------
def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`cdm-audit serve` as a child process, with its own TMPDIR and home."""

    def __init__(self, tmp_path: Path, temp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TMPDIR": str(temp), "CDM_AUDIT_HOME": str(tmp_path / "home")}
        args = ["serve", "--port", str(self.port), "--no-history"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "auditor.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(self._listening, 60, step=0.05)

    def _listening(self) -> bool:
        assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self, sig: int, within: float) -> tuple[int, str]:
        """Send `sig`; the exit status and what it printed, failing unless it exits within `within` s."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            _out, err = self.proc.communicate(timeout=within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"the server did not stop within {within} s") from None
        assert time.monotonic() - t0 < within
        return self.proc.returncode, err

    def kill(self) -> None:
        """SIGKILL, if still running."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


@pytest.fixture()
def temp(tmp_path) -> Path:
    """A fresh TMPDIR for the servers of one test."""
    path = tmp_path / "tmp"
    path.mkdir()
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_on_a_signal_and_removes_its_folder(tmp_path, temp, sig):
    server = Serve(tmp_path, temp)
    try:
        (root,) = temp.glob(ROOT_PREFIX + "*")
        assert (root / OWNER_FILE).read_text().strip() == str(server.proc.pid)
        code, err = server.stop(sig, within=10)
    finally:
        server.kill()
    assert code == 0, err
    assert "Traceback" not in err
    assert files_under(temp) == []


def test_serve_stopped_while_writing_excel_leaves_nothing(tmp_path, temp, big_csv):
    import httpx

    server = Serve(tmp_path, temp)
    answers: list[httpx.Response] = []

    def upload_and_wait() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            answers.append(
                c.post(
                    "/api/audits?wait=true",
                    data={"as_of": AS_OF},
                    files=[("files", (big_csv.name, big_csv.read_bytes()))],
                )
            )

    client = threading.Thread(target=upload_and_wait)
    client.start()
    try:
        pattern = ROOT_PREFIX + "*/runs/run-*/reports/.report.xlsx-*.tmp/*"
        wait_until(lambda: [p for p in temp.glob(pattern) if p.stat().st_size], 120)
        code, err = server.stop(signal.SIGTERM, within=5)
    finally:
        server.kill()
        client.join(timeout=60)
    assert code == 0, err
    assert "Traceback" not in err
    assert files_under(temp) == []
    # The client waiting for that audit is told, not left hanging until the connection drops.
    (answer,) = answers
    assert answer.status_code == 503
    assert answer.json()["error"] == "the server is stopping; this audit will not finish"


def test_a_killed_servers_folder_is_swept_by_the_next_one(tmp_path, temp):
    import httpx

    first = Serve(tmp_path, temp)
    try:
        with httpx.Client(base_url=first.url, timeout=60) as c:
            r = c.post(
                "/api/audits?wait=true",
                data={"as_of": AS_OF, "review": "always"},
                files=[
                    ("files", ("cdm.csv", b"Charge Code,Description,CPT,Price\n1001,HC VISIT,99213,100\n"))
                ],
            )
            assert r.json()["status"] == "review", r.text  # the upload is held while the analyst reviews
    finally:
        first.kill()  # SIGKILL: no shutdown, the folder stays
    (left,) = temp.glob(ROOT_PREFIX + "*")
    assert list(left.glob("runs/run-*/inputs/1/cdm.csv"))
    second = Serve(tmp_path, temp)
    try:
        wait_until(lambda: not left.exists(), 10)
        (root,) = temp.glob(ROOT_PREFIX + "*")
        assert (root / OWNER_FILE).read_text().strip() == str(second.proc.pid)
        code, err = second.stop(signal.SIGTERM, within=10)
    finally:
        second.kill()
    assert code == 0, err
    assert files_under(temp) == []


def test_the_sweep_removes_only_folders_of_dead_servers(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        folders = {}
        for name, pid in (("dead", dead.pid), ("alive", alive.pid), ("mine", os.getpid()), ("nopid", None)):
            folders[name] = tmp_path / f"{ROOT_PREFIX}{name}"
            (folders[name] / "run-x" / "inputs").mkdir(parents=True)
            if pid is not None:
                (folders[name] / OWNER_FILE).write_text(f"{pid}\n")
        other = tmp_path / "cdm-audit-other"
        other.mkdir()
        (other / OWNER_FILE).write_text(f"{dead.pid}\n")  # not the server's prefix
        garbled = tmp_path / f"{ROOT_PREFIX}garbled"
        garbled.mkdir()
        (garbled / OWNER_FILE).write_text("not a pid\n")
        link = tmp_path / f"{ROOT_PREFIX}link"
        link.symlink_to(folders["dead"])
        assert sweep_leftovers(tmp_path) == [folders["dead"]]
    finally:
        alive.kill()
        alive.wait()
    assert not folders["dead"].exists()
    assert all(folders[n].is_dir() for n in ("alive", "mine", "nopid"))
    assert other.is_dir() and garbled.is_dir() and link.is_symlink()


# ---- scratch folders of readers ---------------------------------------------------------------------
def test_a_killed_reader_leaves_an_alias_folder_the_next_read_removes(tmp_path, monkeypatch):
    """An xlsx named .xls is read through a link in a scratch folder: a run killed (SIGKILL) inside it leaves
    the folder; the next read of such a file removes it, and its own, and keeps a live process's."""
    from conftest import write_xlsx

    from auditor.ingest import IngestOptions, read_inputs
    from auditor.ingest.excel import ALIAS_PREFIX

    temp = tmp_path / "temp"
    temp.mkdir()
    book = write_xlsx(tmp_path / "cdm.xls", {"CDM": [["Charge Code", "CPT"], ["1001", "15271"]]})
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from auditor.ingest.excel import _openable\n"
            "with _openable(Path(sys.argv[1]), 'xlsx') as alias:\n"
            "    print(alias, flush=True); time.sleep(60)\n",
            str(book),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    alias = Path(child.stdout.readline().strip())
    child.kill()
    child.wait()
    child.stdout.close()
    left = alias.parent
    assert left.parent == temp and left.name.startswith(f"{ALIAS_PREFIX}{child.pid}-") and alias.is_symlink()
    alive = temp / f"{ALIAS_PREFIX}{os.getppid()}-keep"  # a running process's folder is not touched
    alive.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    frame = read_inputs([book], IngestOptions()).frame
    assert frame.get_column("code").to_list() == ["15271"]
    assert sorted(p.name for p in temp.iterdir()) == [alive.name]
