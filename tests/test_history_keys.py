"""Finding identity: default facility names from file names, keys that ignore rows, numbered repeats."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from auditor.history.keys import default_facility, finding_keys, short_id, slug


@pytest.mark.parametrize(
    "names, facility",
    [
        (["106190422_CDM_2018.xlsx"], "106190422-cdm"),  # the OSHPD facility number stays: it is identity
        (["HMC_Fees_20211001.xlsx"], "hmc-fees"),  # yyyymmdd extract date dropped
        (["cdm_2026Q2_final.xlsx"], "cdm"),  # quarter and version words dropped
        (["CDM Q2 2026.csv"], "cdm"),
        (["cdm-2026-04-01.xlsx"], "cdm"),
        (["Mercy CDM April 2026.xlsx"], "mercy-cdm"),
        (["2026.xlsx"], "chargemaster"),
        (["b_2026.xlsx", "a.csv", "b.xlsx"], "a+b"),  # several files: each stem once, sorted
    ],
)
def test_default_facility(names, facility):
    assert default_facility(names) == facility


def test_slug_makes_names_comparable():
    assert slug("Torrance Memorial / CDM") == slug("torrance memorial cdm") == "torrance-memorial-cdm"


def f(
    edit="NS003", row=10, charge_code="27801300", code="L8680", description="HC LEAD", scope="chargemaster"
):
    """A finding-like object with the fields keys use."""
    return SimpleNamespace(
        edit=edit,
        row=row,
        charge_code=charge_code,
        code=code,
        description=description,
        scope=scope,
        file="cdm.xlsx",
        sheet="CDM",
    )


def test_key_ignores_row_file_and_description_spacing():
    a = finding_keys("mercy", [f(row=10)])
    b = finding_keys("mercy", [f(row=900)])
    assert a == b
    assert json.loads(a[0]) == ["mercy/chargemaster", "NS003", "cc:27801300", "L8680", 1]
    no_charge = finding_keys("mercy", [f(charge_code=None, description="HC  lead ")])
    assert no_charge == finding_keys("mercy", [f(charge_code=" ", description="hc lead")])
    assert json.loads(no_charge[0])[2] == "desc:HC LEAD"


def test_key_changes_with_code_edit_scope_and_facility():
    base = finding_keys("mercy", [f()])[0]
    for other in (
        finding_keys("mercy", [f(code="C1778")]),
        finding_keys("mercy", [f(edit="CV001")]),
        finding_keys("mercy", [f(scope="pairing")]),
        finding_keys("stmary", [f()]),
    ):
        assert other[0] != base


def test_repeated_key_is_numbered_in_row_order():
    keys = finding_keys("mercy", [f(row=50), f(row=7)])
    assert [json.loads(k)[-1] for k in keys] == [2, 1]


def test_group_findings_are_keyed_by_their_group():
    checks = {"PR001": "duplicate-price", "PR003": "duplicate-charge-code"}
    first = finding_keys("m", [f(edit="PR001", charge_code="1", code="C1713")], checks)
    other_line = finding_keys("m", [f(edit="PR001", charge_code="2", code="C1713")], checks)
    assert first == other_line and json.loads(first[0])[2:4] == ["group", "C1713"]
    dup = finding_keys("m", [f(edit="PR003", charge_code="9", code="A")], checks)
    assert dup == finding_keys("m", [f(edit="PR003", charge_code="9", code="B")], checks)


def test_short_id_is_stable_hex():
    key = finding_keys("mercy", [f()])[0]
    assert short_id(key) == short_id(key) and len(short_id(key)) == 12 and int(short_id(key), 16) >= 0
