"""Named cases per edit (tests/edit_cases/<CODE>.yaml), run through a real workbook and the real audit.

A case file holds `edit: CODE` and any number of named cases:

    addon_alone_fails:
      as_of: 2026-04-01            # optional (default 2026-04-01)
      table: chargemaster          # or pairing
      rows: [...]
      lists: {name: [rows]}        # optional facility lists ([lists] in auditor.toml)
      config: {severity: {...}}    # optional auditor.toml for the case
      expect:                      # findings OF THIS EDIT, one-to-one in file order; [] = must not fire
        - {row: 2, severity: error, code: "15272"}

Each expected dict is a subset of the finding's `to_dict()` (nested dicts compare as subsets too, and
lists such as `related_rows` element by element).
Run one edit's cases with `pytest tests/test_edit_cases.py -k SS004`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from edit_examples import run_example

from auditor.engine import load_edits
from auditor.engine.findings import Finding

CASES_DIR = Path(__file__).resolve().parent / "edit_cases"
CASE_KEYS = {"as_of", "table", "rows", "lists", "config", "expect"}
MIN_FAIL, MIN_PASS = 2, 2


def _load_case_files() -> dict[str, tuple[str, dict]]:
    """File stem -> (edit code named in the file, {case name: case})."""
    out = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        code = str(doc.pop("edit", ""))
        out[path.stem] = (code, doc)
    return out


CASE_FILES = _load_case_files()
ALL_CASES = [(code, name, case) for code, cases in CASE_FILES.values() for name, case in cases.items()]


def pytest_generate_tests(metafunc):
    """One test per named case, id `CODE-case_name`."""
    if "edit_case" in metafunc.fixturenames:
        metafunc.parametrize("edit_case", ALL_CASES, ids=[f"{c}-{n}" for c, n, _ in ALL_CASES])


# -- writing the case's auditor.toml ---------------------------------------------------------------


def _toml_value(value) -> str:
    """A TOML scalar or array (strings as JSON strings, which TOML basic strings accept)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def _toml(config: dict) -> str:
    """The few shapes auditor.toml uses: tables of scalars/arrays, and arrays of tables ([[waivers]])."""
    lines = []
    for section, body in config.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
                lines.append("")
        else:
            lines.append(f"[{section}]")
            lines += [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in body.items()]
            lines.append("")
    return "\n".join(lines)


def _write_list(folder: Path, name: str, rows: list[dict]) -> str:
    """A facility list as CSV; returns its file name."""
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path.name


def run_case(case: dict, folder: Path):
    """Findings of the audit for one case (the lists and config, if any, become an auditor.toml)."""
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown case key(s) {sorted(unknown)}; allowed: {sorted(CASE_KEYS)}"
    folder.mkdir(parents=True, exist_ok=True)
    example = {k: case[k] for k in ("rows", "as_of", "table", "lists") if k in case}
    config_path = None
    if case.get("config"):
        config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in case["config"].items()}
        # run_example writes its own auditor.toml for `lists`; with a config too, both go in one file here.
        for name, rows in (example.pop("lists", None) or {}).items():
            config.setdefault("lists", {})[name] = _write_list(folder, name, rows)
        config_path = folder / "auditor.toml"
        config_path.write_text(_toml(config), encoding="utf-8")
    return run_example(example, folder, config_path=config_path)


def _subset(expected, actual) -> bool:
    """Expected values equal the actual ones; dicts compare as subsets and lists element-wise, recursively."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_subset(e, a) for e, a in zip(expected, actual, strict=False))
        )
    return expected == actual


def _comparable(finding: dict) -> dict:
    """A finding with its related rows in file order (the engine's set operations do not keep order)."""
    finding["related_rows"] = sorted(
        finding["related_rows"], key=lambda r: (r.get("file") or "", r.get("row") or 0)
    )
    return finding


# -- the tests -------------------------------------------------------------------------------------


def test_edit_case(edit_case, tmp_path):
    """The case's findings of its edit match `expect` one-to-one, in order; `expect: []` means none."""
    code, name, case = edit_case
    assert "rows" in case and "expect" in case, f"{code}-{name}: a case needs rows and expect"
    # Cases list findings in file order; the audit hands them out in fix-first order (problem by problem).
    ours = sorted((f for f in run_case(case, tmp_path) if f.edit == code), key=Finding.sort_key)
    findings = [_comparable(f.to_dict()) for f in ours]
    expect = case["expect"] or []
    shown = [{k: f[k] for k in ("row", "code", "severity", "waived", "message")} for f in findings]
    if not expect:
        assert findings == [], f"{code} must not fire in {name!r}, but found: {shown}"
        return
    assert len(findings) == len(expect), f"{code}-{name}: expected {len(expect)} finding(s), got {shown}"
    for i, (want, got) in enumerate(zip(expect, findings, strict=False)):
        mismatch = {
            k: (v, got.get(k, "<absent>")) for k, v in want.items() if not (k in got and _subset(v, got[k]))
        }
        assert not mismatch, f"{code}-{name} finding #{i + 1}: (expected, actual) {mismatch}; all: {shown}"


def test_every_edit_has_a_case_file():
    """Each code of `cdm-audit edits list` has tests/edit_cases/<CODE>.yaml; no file names a ghost edit."""
    codes = {e.code for e in load_edits().edits}
    missing = sorted(codes - set(CASE_FILES))
    assert not missing, f"edits without a case file in {CASES_DIR}: {missing}"
    for stem, (code, _) in CASE_FILES.items():
        assert code == stem, f"{stem}.yaml must start with `edit: {stem}` (found {code!r})"
        assert code in codes, f"{stem}.yaml names {code!r}, which is not an edit"


@pytest.mark.parametrize("stem", sorted(CASE_FILES))
def test_case_file_covers_both_ways(stem):
    """Every case file has at least two cases that fire and two that must stay quiet."""
    _, cases = CASE_FILES[stem]
    fail = [n for n, c in cases.items() if c.get("expect")]
    quiet = [n for n, c in cases.items() if c.get("expect") == []]
    assert len(fail) >= MIN_FAIL, f"{stem}: needs {MIN_FAIL}+ failing cases, has {fail}"
    assert len(quiet) >= MIN_PASS, f"{stem}: needs {MIN_PASS}+ passing cases (expect: []), has {quiet}"
