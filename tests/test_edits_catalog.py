"""The edit catalogue (edits/*.yaml + edits/lists/*.csv) as data: shape, vocabulary, evidence rules,
extensibility without Python, generated docs and the `cdm-audit edits` commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from auditor.engine import load_config, load_edits, run_edits
from auditor.engine.catalog import CATEGORIES, FAMILIES, SCOPES, SEVERITIES
from auditor.engine.checks import check_module, kinds
from auditor.engine.docs import render_markdown
from auditor.engine.lists import CatalogError
from auditor.resources import resource_dir

REPO = Path(__file__).resolve().parents[1]
EDITS_DIR = resource_dir("edits")
EDITS = load_edits()
CODES = [e.code for e in EDITS.edits]
RAW = [
    (path.name, raw)
    for path in sorted(EDITS_DIR.glob("*.yaml"))
    for raw in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("edits", [])
]


def _lists_named(node) -> set[str]:
    """Every `list:` a parameter tree names (selectors, requires_from, resolve, suggest ...)."""
    found = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "list" and isinstance(v, str):
                found.add(v)
            elif not k.startswith("_"):
                found |= _lists_named(v)
    elif isinstance(node, list):
        for v in node:
            found |= _lists_named(v)
    return found


def _raw(code: str) -> dict:
    return next(raw for _, raw in RAW if raw.get("code") == code)


# -- shape and vocabulary ----------------------------------------------------------------------------


def test_codes_unique_and_shaped():
    """Codes are unique across all files and look like SS001 (two capitals, three digits)."""
    raw_codes = [raw.get("code") for _, raw in RAW]
    dupes = sorted({c for c in raw_codes if raw_codes.count(c) > 1})
    assert not dupes, f"edit codes used twice: {dupes}"
    bad = [c for c in raw_codes if not re.fullmatch(r"[A-Z]{2}\d{3}", str(c))]
    assert not bad, f"codes not shaped XX000: {bad}"
    assert sorted(raw_codes) == CODES


def test_names_kebab_case_and_unique():
    names = [e.name for e in EDITS.edits]
    bad = [n for n in names if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n)]
    assert not bad, f"names not kebab-case: {bad}"
    assert len(set(names)) == len(names), "two edits share a name"


@pytest.mark.parametrize("code", CODES)
def test_edit_is_documented(code):
    """Non-empty what/why/fix; references with a url and a YAML boolean `verified`; both kinds of example."""
    e = EDITS.get(code)
    for field in ("what", "why", "fix", "message"):
        assert getattr(e, field).strip(), f"{code}: empty {field}"
    raw_refs = _raw(code).get("references") or []
    assert raw_refs, f"{code}: no reference"
    for r in raw_refs:
        assert str(r.get("url", "")).strip(), f"{code}: reference without url: {r}"
        # `verified: "false"` (a string) would read as True: insist on a YAML boolean.
        assert isinstance(r.get("verified"), bool), f"{code}: reference verified flag must be true/false: {r}"
    assert e.examples.get("fail"), f"{code}: no examples.fail"
    assert e.examples.get("pass"), f"{code}: no examples.pass"


@pytest.mark.parametrize("code", CODES)
def test_vocabularies(code):
    e = EDITS.get(code)
    assert e.family in FAMILIES, f"{code}: family {e.family!r}"
    assert e.category in CATEGORIES, f"{code}: category {e.category!r}"
    assert e.severity in SEVERITIES, f"{code}: severity {e.severity!r}"
    assert e.scopes and set(e.scopes) <= set(SCOPES), f"{code}: scopes {e.scopes}"
    if e.effective_from and e.effective_to:
        assert e.effective_from <= e.effective_to, f"{code}: effective period ends before it starts"


@pytest.mark.parametrize("code", CODES)
def test_inferred_rules_ship_as_warnings(code):
    """Rules that rest on unverified facts ship as warnings (or info) whose reference says so."""
    e = EDITS.get(code)
    if not e.verified:
        assert e.severity in ("warning", "info"), (
            f"{code} has an unverified reference ({e.reference_text()}) but severity {e.severity}"
        )
        unverified = [r for r in e.references if not r.verified]
        assert all(r.note.strip() for r in unverified), f"{code}: an unverified reference must say why (note)"


def test_every_list_an_edit_names_exists():
    named = {e.code: _lists_named(_raw(e.code).get("params") or {}) for e in EDITS.edits}
    missing = {
        code: sorted(lists - set(EDITS.lists)) for code, lists in named.items() if lists - set(EDITS.lists)
    }
    assert not missing, f"edits name lists that are not in edits/lists/: {missing}"
    for name, rows in EDITS.lists.items():
        assert (EDITS_DIR / "lists" / f"{name}.csv").is_file()
        # Code lists are keyed by code; the description lexicon by phrase, abbreviation or kind.
        key = next((k for k in ("code", "words", "short", "kind") if rows and k in rows[0]), "code")
        assert all(r.get(key, "").strip() for r in rows), f"list {name} has a row without a {key}"


def test_check_kinds_registered_and_all_used():
    used = {e.check for e in EDITS.edits}
    unknown = sorted(used - set(kinds()))
    assert not unknown, f"edits use unregistered check kinds: {unknown}"
    unused = sorted(set(kinds()) - used)
    assert not unused, f"registered check kinds no edit uses: {unused}"
    for kind in kinds():
        assert (check_module(kind).__doc__ or "").strip(), f"check kind {kind} has no docstring (its params)"


def test_local_references_resolve():
    """References into the repository (docs/sources.md#anchor) point at a file and heading that exist."""
    for e in EDITS.edits:
        for r in e.references:
            if re.match(r"^[a-z]+://", r.url):
                continue
            path, _, anchor = r.url.partition("#")
            target = REPO / path
            assert target.is_file(), f"{e.code}: reference {r.url} names a missing file"
            if anchor:
                anchors = _anchors(target.read_text(encoding="utf-8"))
                assert anchor in anchors, f"{e.code}: no anchor #{anchor} in {path}"


def _anchors(markdown: str) -> set[str]:
    """GitHub-style heading slugs plus explicit <a id> anchors."""
    out = set(re.findall(r'<a (?:id|name)="([^"]+)"', markdown))
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


# -- a new edit needs no Python ----------------------------------------------------------------------

COCHLEAR_LIST = """code,role,label,source
L8614,implant,cochlear device (internal and external components),test fixture
L8619,external-replacement,external processor and controller (replacement),test fixture
L8627,external-replacement,external speech processor (replacement),test fixture
"""

COCHLEAR_EDIT = """
edits:
  - code: CI001
    name: cochlear-implant-without-device
    family: neurostimulator
    category: missing_companion
    severity: warning
    check: requires-companion
    params:
      when: {codes: ["69930"]}
      companion: {list: cochlear_devices, where: {role: implant}}
      expected: "L8614 (cochlear device)"
    effective: {from: 2026-01-01}
    message: "cochlear implant {code} has no cochlear device line in the same {scope_kind_label}"
    what: Flags 69930 with no implanted cochlear device code beside it (external replacement parts do not count).
    why: 69930 is device-intensive (SI J1); the claim needs the device code.
    fix: Build or link the L8614 device line.
    references:
      - {url: "https://example.org/cochlear", verified: false, note: "test fixture"}
    examples:
      fail:
        - {rows: [{charge_code: "1", description: "HC COCHLEAR IMPLANT", code: "69930", revenue_code: "0360"}]}
      pass:
        - {rows: [{charge_code: "1", description: "HC COCHLEAR IMPLANT", code: "69930", revenue_code: "0360"}, {charge_code: "2", description: "HC COCHLEAR DEVICE", code: L8614, revenue_code: "0278"}]}
"""


def _audit_with(edit_set, rows: list[dict], folder: Path, as_of=dt.date(2026, 4, 1)):
    """Write rows to a real workbook, ingest it and run the given edit set through the engine."""
    from edit_examples import CHARGEMASTER_HEADERS, write_rows

    from auditor.codeset import CodeTable
    from auditor.ingest import read_inputs

    folder.mkdir(parents=True, exist_ok=True)
    path = write_rows(folder / "cdm.xlsx", rows, CHARGEMASTER_HEADERS)
    frame = read_inputs([path]).frame
    return run_edits(frame, edit_set, load_config(None), as_of, CodeTable.load()).findings


def test_new_edit_and_list_need_no_python(tmp_path):
    """A new YAML edit plus a new CSV list, dropped into a copy of edits/, loads and flags a workbook."""
    folder = tmp_path / "edits"
    shutil.copytree(EDITS_DIR, folder)
    (folder / "lists" / "cochlear_devices.csv").write_text(COCHLEAR_LIST, encoding="utf-8")
    (folder / "cochlear.yaml").write_text(COCHLEAR_EDIT, encoding="utf-8")
    edit_set = load_edits(folder)
    assert "CI001" in {e.code for e in edit_set.edits}
    assert len(edit_set.edits) == len(EDITS.edits) + 1
    assert edit_set.version != EDITS.version, "the edit-set fingerprint must change when an edit is added"

    def line(charge_code, description, code, revenue_code):
        return {
            "charge_code": charge_code,
            "description": description,
            "code": code,
            "revenue_code": revenue_code,
        }

    implant = line("1", "HC COCHLEAR IMPLANT", "69930", "0360")
    device = line("2", "HC COCHLEAR DEVICE", "L8614", "0278")
    processor = line("3", "HC SPEECH PROCESSOR REPL", "L8627", "0274")
    flagged = [f for f in _audit_with(edit_set, [implant, processor], tmp_path / "a") if f.edit == "CI001"]
    assert [(f.row, f.code, f.severity) for f in flagged] == [(2, "69930", "warning")]
    assert flagged[0].message == "cochlear implant 69930 has no cochlear device line in the same chargemaster"
    assert flagged[0].reference["basis"] == "inferred"
    clean = _audit_with(edit_set, [implant, device], tmp_path / "b")
    assert not [f for f in clean if f.edit == "CI001"]
    # Effective dates come from the YAML too.
    before = _audit_with(edit_set, [implant], tmp_path / "c", dt.date(2025, 6, 1))
    assert not [f for f in before if f.edit == "CI001"]


def test_new_edit_with_a_bad_list_fails_at_load(tmp_path):
    """A typo in a list name is caught when the catalogue loads, not mid-audit."""
    folder = tmp_path / "edits"
    shutil.copytree(EDITS_DIR, folder)
    (folder / "cochlear.yaml").write_text(COCHLEAR_EDIT, encoding="utf-8")  # its list was never written
    with pytest.raises(CatalogError, match="cochlear_devices"):
        load_edits(folder)


def test_family_vocabulary_is_closed(tmp_path):
    """A brand-new family name is refused with the allowed list (the one place a new family needs Python)."""
    folder = tmp_path / "edits"
    shutil.copytree(EDITS_DIR, folder)
    (folder / "lists" / "cochlear_devices.csv").write_text(COCHLEAR_LIST, encoding="utf-8")
    text = COCHLEAR_EDIT.replace("family: neurostimulator", "family: cochlear")
    (folder / "cochlear.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="family 'cochlear' is not one of"):
        load_edits(folder)


# -- generated docs and the CLI ------------------------------------------------------------------------


def test_docs_edits_md_is_current():
    committed = REPO / "docs" / "edits.md"
    assert committed.is_file(), "docs/edits.md is missing; run: cdm-audit edits docs"
    assert committed.read_text(encoding="utf-8") == render_markdown(load_edits()), (
        "docs/edits.md is stale; run: cdm-audit edits docs"
    )


def test_sources_page_has_no_cpt_descriptor_text():
    """docs/sources.md carries code numbers and our own short labels, never AMA CPT descriptor text."""
    text = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    for phrase in (
        "each additional 25 sq cm",
        "first 25 sq cm or less",
        "with or without synovial biopsy",
        "separate procedure",
    ):
        assert phrase.lower() not in text.lower()


def _cli(*args):
    from auditor.cli import main

    return CliRunner().invoke(main, list(args))


def test_explain_shows_what_why_fix_and_examples():
    result = _cli("edits", "explain", "ss004")
    assert result.exit_code == 0, result.output
    e = EDITS.get("SS004")
    out = result.stdout
    assert out.startswith("SS004 addon-without-primary")
    for heading, text in (("What it does:", e.what), ("Why it matters:", e.why), ("How to fix:", e.fix)):
        assert heading in out and text in out
    assert "Example that is flagged:" in out and "Example that passes:" in out
    assert "15272" in out and "15273" in out
    assert e.references[0].url in out


def test_explain_unknown_code_is_an_input_error():
    result = _cli("edits", "explain", "ZZ999")
    assert result.exit_code == 2
    assert "no such edit" in result.stderr


def test_list_json_lists_every_edit():
    result = _cli("edits", "list", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["edit_set_version"] == EDITS.version
    assert [r["code"] for r in doc["edits"]] == CODES
    by_code = {r["code"]: r for r in doc["edits"]}
    for e in EDITS.edits:
        row = by_code[e.code]
        assert (row["name"], row["severity"], row["family"]) == (e.name, e.severity, e.family)
        assert row["basis"] == ("verified" if e.verified else "inferred")
