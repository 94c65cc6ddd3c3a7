"""The description word readings and the two check kinds built on them (revenue-code-needs-code,
allowed-values-if-described): what reads as an implant or drug, and how a bad edit fails at load."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest

from auditor.engine import load_edits
from auditor.engine.checks import described_values, readings, revenue_hcpcs
from auditor.engine.lists import CatalogError

REPO = Path(__file__).resolve().parents[1]
LISTS = load_edits().lists


def _reads(descriptions: list[str], reading: str) -> list[bool]:
    """Which descriptions read as the shipped word list's reading."""
    regex = readings.pattern(readings.words({"list": "implant_drug_words"}, LISTS)[reading])
    frame = pl.DataFrame({"description": descriptions}, schema={"description": pl.String})
    return frame.select(readings.reads_as(regex)).to_series().to_list()


@pytest.mark.parametrize(
    ("description", "reading"),
    [
        ("IMPL BRST 750ML STY 133FV", "implant"),
        ("ANCH 1.4MM 1 STRD 2 FRC FBR", "implant"),
        ("HC NEUROSTIM LEAD", "implant"),
        ("SCREW 2.0MM CORTEX SLF-TPNG", "implant"),
        ("MESH PARIETEX", "implant"),
        ("BUPIVACAINE 0.25% SOLN", "drug"),
        ("ENOXAPARIN 100MG/ML SOLN", "drug"),
        ("KETAMINE 100MG/ML SOLN 5 ML VIAL", "drug"),
        ("PATIENT CHARGER", "external"),
        ("DRILL BIT 2.5MM", "external"),
    ],
)
def test_words_read_as(description, reading):
    assert _reads([description], reading) == [True]


@pytest.mark.parametrize(
    "description",
    ["HC DRAPE SURGICAL", "GLOVE SURG 7.5", "Medtronic Z26SCR40", "LEADER TAPE", "", None],
)
def test_supplies_catalogue_numbers_and_blanks_read_as_nothing(description):
    """Supplies hold no implant word; a word inside a catalogue number or another word does not count."""
    assert _reads([description], "implant") == [False]


def test_need_hcpcs_default_matches_the_documented_list():
    """defaults.toml's need_hcpcs and edits/lists/revenue_codes_needing_hcpcs.csv name the same revenue codes."""
    defaults = tomllib.loads((REPO / "edits" / "defaults.toml").read_text(encoding="utf-8"))
    assert sorted(defaults["revenue_codes"]["need_hcpcs"]) == sorted(
        r["code"] for r in LISTS["revenue_codes_needing_hcpcs"]
    )


class _Edit:
    """Just enough of an Edit for prepare()."""

    def __init__(self, params: dict):
        self.params = params


@pytest.mark.parametrize(
    ("module", "params", "error"),
    [
        (revenue_hcpcs, {"readings": {"list": "revenue_codes_needing_hcpcs"}}, "needs revenue_codes"),
        (
            revenue_hcpcs,
            {
                "revenue_codes": ["0278"],
                "readings": {"list": "revenue_codes_needing_hcpcs"},
                "words": {"list": "implant_drug_words"},
                "unless_reads_as": ["nonsense"],
            },
            "no reading",
        ),
        (described_values, {"field": "revenue_code", "allowed": ["0278"]}, "needs words and reads_as"),
        (
            described_values,
            {
                "field": "revenue_code",
                "allowed": ["0278"],
                "words": {"list": "nope"},
                "reads_as": ["implant"],
            },
            "unknown code list",
        ),
    ],
)
def test_bad_params_fail_at_load(module, params, error):
    with pytest.raises(CatalogError, match=error):
        module.prepare(_Edit(params), LISTS)
