"""Descriptions read like an analyst: on 314 hand-labelled real device lines, every contradiction is found with
the code it should be, and no correct line (98 tricky-wording controls among them) is flagged.

The labels are tests/data/descriptions/device-lines.csv (see its README); benchmarks/descriptions.py prints the
same outcomes as a per-family table. The reader's own rules are pinned on small cases below.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache

import pytest
from conftest import REPO, SHARED

from auditor.engine.catalog import load_edits
from auditor.engine.item_reading import Lexicon
from auditor.engine.wording import Abbreviations, main_clause, tokens

DATA = SHARED / "data"


@cache
def _bench():
    """The benchmark module: one way to read and match labels, for the test and the printed table."""
    spec = importlib.util.spec_from_file_location(
        "descriptions_bench", REPO / "benchmarks" / "descriptions.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def _outcomes() -> tuple:
    bench = _bench()
    return tuple(bench.audit_outcomes(bench.load_labels(), DATA))


def _lines(outcomes) -> str:
    return "\n".join(
        f"  {o.label['code']} {o.label['description']!r}: {o.label['why']} (said: {o.mismatch})"
        for o in outcomes
    )


real_files = pytest.mark.skipif(
    not (DATA / "real-cdm").is_dir(), reason="the shared real chargemasters are not here"
)


@real_files
def test_every_contradiction_is_found_with_the_code_it_should_be():
    outcomes = _outcomes()
    wrong = [o for o in outcomes if o.kind == "contradicts"]
    missed = [o for o in wrong if not o.found]
    print(f"\ncontradictions found: {len(wrong) - len(missed)}/{len(wrong)}")
    assert len(wrong) >= 100, "the labelled contradictions were not all audited (files missing?)"
    assert not missed, "contradictions missed or with the wrong code:\n" + _lines(missed)


@real_files
def test_no_correct_line_is_flagged():
    outcomes = _outcomes()
    right = [o for o in outcomes if o.kind in ("supports", "control")]
    flagged = [o for o in right if o.false_flag]
    print(
        f"\nfalse flags: {len(flagged)}/{len(right)} correct lines ({sum(o.kind == 'control' for o in right)} controls)"
    )
    assert sum(o.kind == "control" for o in right) >= 90
    assert not flagged, "correct lines flagged:\n" + _lines(flagged)


@cache
def _lexicon() -> Lexicon:
    return Lexicon(load_edits().lists)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("GNTR NRSTM EON MN", ["GENERATOR", "NEUROSTIMULATOR", "EON", "MN"]),
        ("KIT XTN 25CM", ["KIT", "EXTENSION", "25CM"]),
        ("DFBR CRD ITREVIA 7 DR-T", ["DEFIBRILLATOR", "CARDIAC", "ITREVIA", "7", "DR", "T"]),
        ("DRSG 2X2IN ADH BL MX", ["DRESSING", "2X2IN", "ADH", "BILAYER", "MATRIX"]),
    ],
)
def test_cdm_shorthand_is_expanded_on_whole_words(raw, words):
    abbreviations = Abbreviations(load_edits().lists["cdm_abbreviations"])
    assert [w.text for w in abbreviations.expand(tokens(raw))] == words


def test_the_second_item_and_what_is_left_out_are_not_the_billed_item():
    abbreviations = Abbreviations(load_edits().lists["cdm_abbreviations"])

    def clause(raw):
        return [w.text for w in main_clause(abbreviations.expand(tokens(raw)))]

    assert clause("IMPLANT NEUROSTIMULATOR W/CHARGER") == ["IMPLANT", "NEUROSTIMULATOR"]
    assert clause("KIT GENERATOR IPG & CHARGER") == ["KIT", "GENERATOR", "IPG"]
    assert clause("KIT LEAD OCTAD WITHOUT EXT 60") == ["KIT", "LEAD", "OCTAD"]
    assert clause("HC LEAD PACEMKR OTH THAN TRNS VDD SINGLE PASS") == ["HC", "LEAD", "PACEMAKER"]


@pytest.mark.parametrize(
    ("code", "description", "outcome", "codes", "decided"),
    [
        ("C1820", "CHARGING SYSTEM EON MINI", "contradicts", (), "'CHARGING SYSTEM'"),
        ("C1778", "LEAD TRIAL 585T", "contradicts", ("C1897",), "'LEAD' + 'TRIAL'"),
        ("C1767", "IPG RESTORE 37711", "contradicts", ("C1820", "C1822"), "'IPG' + 'RESTORE'"),
        ("C1785", "Pacemaker Advisa SR MRI A3SR01", "contradicts", ("C1786",), "'ADVISA' + 'SR'"),
        ("Q4100", "GRAFT FLEX HD THICK 10X16CM", "noc_brand", ("Q4128",), "'FLEX HD'"),
        ("C1721", "PACEMAKER EVERA XT DR D1", "supports", ("C1721",), "'EVERA' + 'DR'"),
        ("C1898", "Medtronic 5076-52", "no_evidence", (), ""),
        ("C1713", "ANCHOR SUTURE 5.5MM", "not_judged", (), ""),
    ],
)
def test_the_reader_says_what_the_item_is_and_which_words_decided(code, description, outcome, codes, decided):
    verdict = _lexicon().judge(code, description)
    assert (verdict.outcome, verdict.codes, verdict.decided) == (outcome, codes, decided)


def test_a_facility_can_teach_the_reader_its_own_shorthand(tmp_path):
    # Facility lists replace the packaged ones of the same name: a house abbreviation turns a bare line readable.
    lists = dict(load_edits().lists)
    before = Lexicon(lists).judge("C1820", "CHRGNG UNIT EON")
    lists["cdm_abbreviations"] = [
        *lists["cdm_abbreviations"],
        {"short": "CHRGNG", "word": "CHARGING", "note": ""},
    ]
    after = Lexicon(lists).judge("C1820", "CHRGNG UNIT EON")
    assert (before.outcome, after.outcome, after.means) == ("no_evidence", "contradicts", "external charger")
