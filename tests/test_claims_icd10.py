"""ICD-10-CM code sets: normalising diagnoses, validity, billability, vagueness, side, loading CMS files."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from auditor.codeset import icd10
from auditor.errors import InputError

PACKAGE = icd10.package_code_set()


def _one(code: str) -> dict:
    rows = PACKAGE.classify([code]).to_dicts()
    assert len(rows) == 1
    return rows[0]


# -- normalising ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,want",
    [
        ("M17.11", "M17.11"),
        ("m1711", "M17.11"),
        (" M17.11 ", "M17.11"),
        ("m17.11", "M17.11"),
        ("M 17.11", "M17.11"),
        ("r32", "R32"),
        ("S83241A", "S83.241A"),
        ("M54.99x", "M54.99X"),
        ("abc", "ABC"),
        ("hello world", "HELLO WORLD"),
        ("", ""),
        (None, ""),
        ("M15-M19", "M15-M19"),
        (12, "12"),
    ],
)
def test_normalise_is_lenient_and_never_raises(raw, want):
    assert icd10.normalise(raw) == want


def test_spellings_of_one_code_classify_alike():
    """'m1711', 'M17.11' and ' M17.11 ' are three inputs (one row each) for the same billable code."""
    df = PACKAGE.classify(["m1711", "M17.11", " M17.11 ", "M17.11", None])
    assert df.get_column("input").to_list() == ["m1711", "M17.11", " M17.11 "]
    assert set(df.get_column("dx")) == {"M17.11"}
    assert df.get_column("billable").all()
    assert df.schema == pl.Schema(icd10.SCHEMA)


def test_empty_input_gives_an_empty_typed_frame():
    df = PACKAGE.classify([])
    assert df.height == 0 and df.schema == pl.Schema(icd10.SCHEMA)


# -- classification rules ----------------------------------------------------------------------------

# code: (valid, billable, unspecified, unspecified_laterality, other, side)
RULES = {
    # the word "unspecified" outside a side phrase
    "M17.9": (True, True, True, False, False, None),
    "R32": (True, True, True, False, False, None),
    "M54.50": (True, True, True, False, False, None),
    "G47.30": (True, True, True, False, False, None),
    # ... even when the side is unspecified too
    "M23.209": (True, True, True, False, False, None),
    "M23.202": (True, True, True, False, False, None),
    "L97.909": (True, True, True, False, False, None),
    "S83.209A": (True, True, True, False, False, None),
    "L97.529": (True, True, True, False, False, "L"),
    # every "unspecified" is a side phrase: knee, side, lower limb, heel ...
    "M17.10": (True, True, False, True, False, None),
    "M54.30": (True, True, False, True, False, None),
    "G90.529": (True, True, False, True, False, None),
    "L97.401": (True, True, False, True, False, None),
    "S83.279A": (True, True, False, True, False, None),
    "M23.8X9": (True, True, False, True, False, None),
    # "Other ..." codes: specified but vague
    "G89.29": (True, True, False, False, True, None),
    "M54.59": (True, True, False, False, True, None),
    "N39.498": (True, True, False, False, True, None),
    # "other" inside the description is no catch-all
    "L97.522": (True, True, False, False, False, "L"),
    # specific codes and their side
    "M17.11": (True, True, False, False, False, "R"),
    "M23.222": (True, True, False, False, False, "L"),
    "M17.0": (True, True, False, False, False, "B"),
    "E11.621": (True, True, False, False, False, None),
    "G47.33": (True, True, False, False, False, None),
    # headers: valid but not billable, never "unspecified" (DX002 reports them)
    "M54.5": (True, False, False, False, False, None),
    "M17.1": (True, False, False, False, False, None),
    "S83.241": (True, False, False, False, False, "R"),
    "M17": (True, False, False, False, False, None),
    # not codes at all
    "M54.99X": (False, False, False, False, False, None),
    "M17.99": (False, False, False, False, False, None),
    "ABC": (False, False, False, False, False, None),
    "13": (False, False, False, False, False, None),  # a chapter of the tabular, not a code
    "M15-M19": (False, False, False, False, False, None),  # a block
    "": (False, False, False, False, False, None),
}


@pytest.mark.parametrize("code", list(RULES))
def test_classification_rule(code):
    got = _one(code)
    fields = ("valid", "billable", "unspecified", "unspecified_laterality", "other", "side")
    assert tuple(got[f] for f in fields) == RULES[code], got["description"]
    assert (got["description"] is None) == (not RULES[code][0])


def test_descriptions_are_the_official_ones():
    assert _one("M17.9")["description"] == "Osteoarthritis of knee, unspecified"
    assert _one("m1711")["description"] == "Unilateral primary osteoarthritis, right knee"


@pytest.mark.parametrize(
    "code,children",
    [
        ("M54.5", "M54.50, M54.51, M54.59"),
        ("M17.1", "M17.10, M17.11, M17.12"),
        ("S83.241", "S83.241A, S83.241D, S83.241S"),
    ],
)
def test_headers_list_their_billable_codes(code, children):
    assert _one(code)["billable_children"] == children


def test_long_lists_of_billable_codes_are_capped_at_six():
    text = _one("M17")["billable_children"]
    shown, more = re.fullmatch(r"(.*) and (\d+) more", text).groups()
    assert len(shown.split(", ")) == 6 and int(more) > 0


@pytest.mark.parametrize(
    "code,alternatives",
    [
        ("M17.10", "M17.11, M17.12"),  # the same code with the side named
        ("L97.401", "L97.411, L97.421"),
        ("S83.279A", "S83.271A, S83.272A"),  # same 7th character
        ("M23.8X9", "M23.8X1, M23.8X2"),
        ("M54.50", "M54.51, M54.59"),  # unspecified: specific codes of the same parent
    ],
)
def test_vague_codes_suggest_specific_ones(code, alternatives):
    assert _one(code)["alternatives"] == alternatives


def test_specific_codes_suggest_nothing():
    assert _one("M17.11")["alternatives"] is None and _one("G89.29")["alternatives"] is None


@pytest.mark.parametrize("category", ["M17", "M23", "S83", "L97", "M54", "G47", "N39"])
def test_every_unspecified_description_lands_in_exactly_one_class(category):
    """Across whole categories: a billable code whose description says 'unspecified' is either unspecified or
    side-unspecified, never both; codes that do not say it are neither; a side-only code offers its sided
    twins."""
    import simple_icd_10_cm as cm

    codes = [c for c in cm.get_descendants(category) if cm.is_leaf(c)]
    df = PACKAGE.classify(codes)
    says = df.get_column("description").str.contains(r"(?i)\bunspecified\b")
    unspec, side = df.get_column("unspecified"), df.get_column("unspecified_laterality")
    assert (unspec ^ side).to_list() == says.to_list()
    assert not df.filter(pl.col("other") & (pl.col("unspecified") | pl.col("unspecified_laterality"))).height
    assert df.filter(pl.col("unspecified_laterality") & pl.col("alternatives").is_null()).height == 0


def test_repeated_classification_is_served_from_the_cache():
    """A claims file of a million lines has a few thousand distinct codes; asking again costs nothing."""
    import time

    import simple_icd_10_cm as cm

    codes = [c for c in cm.get_descendants("S82") if cm.is_leaf(c)][:3000]
    first = PACKAGE.classify(codes)
    started = time.perf_counter()
    again = PACKAGE.classify(codes)
    assert time.perf_counter() - started < 0.5
    assert again.equals(first)


# -- the code set and its period -----------------------------------------------------------------------


def test_package_code_set_is_fy2026_april_update():
    assert PACKAGE.label == "ICD-10-CM FY2026, April 1, 2026 update (simple-icd-10-cm 1.5.0)"
    assert (PACKAGE.valid_from, PACKAGE.valid_to) == (dt.date(2026, 4, 1), dt.date(2026, 9, 30))


@pytest.mark.parametrize(
    "day,inside",
    [
        (dt.date(2026, 4, 1), True),
        (dt.date(2026, 9, 30), True),
        (dt.date(2026, 3, 31), False),
        (dt.date(2026, 10, 1), False),
        (dt.date(2026, 1, 15), False),
    ],
)
def test_covers_dates_of_service(day, inside):
    assert PACKAGE.covers(day) is inside


def test_the_package_code_set_is_loaded_once_per_process():
    """Every run that asks for the package's set shares one instance, and with it the classification cache."""
    assert icd10.package_code_set() is PACKAGE


@pytest.mark.parametrize(
    "name,period",
    [
        ("icd10cm-codes-2027.txt", (dt.date(2026, 10, 1), dt.date(2027, 9, 30), "ICD-10-CM FY2027")),
        ("icd10cm_tabular_2026.xml", (dt.date(2025, 10, 1), dt.date(2026, 9, 30), "ICD-10-CM FY2026")),
        (
            "icd10cm-codes-April-2026.txt",
            (dt.date(2026, 4, 1), dt.date(2026, 9, 30), "ICD-10-CM FY2026, April 1, 2026 update"),
        ),
        (
            "icd10c-tabular-April-1-2026.xml",
            (dt.date(2026, 4, 1), dt.date(2026, 9, 30), "ICD-10-CM FY2026, April 1, 2026 update"),
        ),
        (
            "codes-October-2026.txt",
            (dt.date(2026, 10, 1), dt.date(2027, 9, 30), "ICD-10-CM FY2027, October 1, 2026 update"),
        ),
        ("codes.txt", None),
    ],
)
def test_period_from_cms_file_names(name, period):
    assert icd10.period_from_name(name) == period


TINY_TABULAR = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>{version}</version>
  <introduction><introSection type="title"><title>test</title></introSection></introduction>
  <chapter><name>1</name><desc>Test chapter (U00-U99)</desc>
    <section id="U98-U98"><desc>Test block (U98-U98)</desc>
      <diag><name>U98</name><desc>Test category</desc>
        <diag><name>U98.1</name><desc>Test condition, right knee</desc></diag>
        <diag><name>U98.9</name><desc>Test condition, unspecified</desc></diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


def _tiny_files(folder, codes_name="codes.txt", tabular_name="tabular.xml", version="2027"):
    folder.mkdir(parents=True, exist_ok=True)
    codes = folder / codes_name
    codes.write_text("1\nU98-U98\nU98\nU981\nU989\n", encoding="utf-8")
    tabular = folder / tabular_name
    tabular.write_text(TINY_TABULAR.format(version=version), encoding="utf-8")
    return codes, tabular


def test_cms_files_replace_the_package_data_and_the_package_set_still_works(tmp_path):
    """A loaded set classifies by its own data; the package's set switches the package back when asked."""
    codes, tabular = _tiny_files(tmp_path)
    mine = icd10.load_code_set(codes, tabular)
    assert (mine.valid_from, mine.valid_to) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))  # <version>2027
    assert mine.label == "ICD-10-CM FY2027 (codes.txt)"
    got = {r["dx"]: r for r in mine.classify(["U98.1", "u989", "M17.11", "U98"]).to_dicts()}
    assert got["U98.1"]["billable"] and got["U98.1"]["side"] == "R"
    assert got["U98.9"]["unspecified"]
    assert not got["M17.11"]["valid"]
    assert got["U98"]["billable_children"] == "U98.1, U98.9"
    # A code the package set has not cached yet: it must be answered from the package's own data.
    assert PACKAGE.classify(["M17.12"]).row(0, named=True)["billable"] is True
    assert not PACKAGE.classify(["U98.1"]).row(0, named=True)["valid"]


def test_file_names_win_over_the_xml_version_and_given_dates_win_over_both(tmp_path):
    codes, tabular = _tiny_files(tmp_path, "icd10cm-codes-April-2026.txt", "icd10cm-tabular-April-2026.xml")
    april = icd10.load_code_set(codes, tabular)
    assert (april.valid_from, april.valid_to) == (dt.date(2026, 4, 1), dt.date(2026, 9, 30))
    given = icd10.load_code_set(codes, tabular, valid_from=dt.date(2026, 1, 1))
    assert (given.valid_from, given.valid_to) == (dt.date(2026, 1, 1), dt.date(2026, 9, 30))


def test_files_of_unknown_year_need_dates(tmp_path):
    codes, tabular = _tiny_files(tmp_path, version="")
    with pytest.raises(InputError, match="give the first and last date of service"):
        icd10.load_code_set(codes, tabular)
    dated = icd10.load_code_set(codes, tabular, dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    assert dated.covers(dt.date(2027, 1, 4)) and dated.label == "ICD-10-CM (codes.txt)"


def test_bad_files_are_input_errors(tmp_path):
    codes, tabular = _tiny_files(tmp_path)
    with pytest.raises(InputError, match="not found"):
        icd10.load_code_set(tmp_path / "missing-2026.txt", tabular)
    broken = tmp_path / "broken-2026.xml"
    broken.write_text("<ICD10CM.tabular><version>2026", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable ICD-10-CM"):
        icd10.load_code_set(codes, broken)
    with pytest.raises(InputError, match="after it ends"):
        icd10.load_code_set(codes, tabular, dt.date(2027, 1, 1), dt.date(2026, 1, 1))
    # After a failed load the package set still answers from the package's data.
    assert PACKAGE.classify(["M17.31"]).row(0, named=True)["billable"] is True


def test_package_files_load_as_a_user_code_set(tmp_path):
    """CMS-style copies of the package's own files give the same answers as the package set."""
    src_codes, src_tabular = icd10._package_data()
    codes = shutil.copy(src_codes, tmp_path / "icd10cm-codes-April-2026.txt")
    tabular = shutil.copy(src_tabular, tmp_path / "icd10cm-tabular-April-2026.xml")
    mine = icd10.load_code_set(codes, tabular)
    sample = ["M17.9", "M17.10", "M54.5", "G89.29", "XYZ", "S83.241A"]
    assert mine.classify(sample).drop("input").equals(PACKAGE.classify(sample).drop("input"))


def test_each_claims_run_uses_its_own_code_set(tmp_path):
    """CMS files given to one run check that run only; the next run without them is back on the package's."""
    from edit_examples import CLAIM_HEADERS, claim_rows, write_rows

    from auditor.claims.pipeline import ClaimsRequest, run_claims

    codes, tabular = _tiny_files(tmp_path / "cms")
    rows = claim_rows([{"code": "29881", "modifiers": "RT", "diagnoses": "M17.11"}], dt.date(2026, 10, 5))
    path = write_rows(tmp_path / "claims.xlsx", rows, CLAIM_HEADERS, sheet="Claims")

    def invalid(result) -> list[str]:
        return result.findings.filter(pl.col("edit") == "DX001").get_column("message").to_list()

    mine = run_claims([path], ClaimsRequest(icd10_codes=codes, icd10_tabular=tabular))
    assert mine.meta["icd_code_set"] == "ICD-10-CM FY2027 (codes.txt)"
    assert invalid(mine) == [
        "M17.11 is not an ICD-10-CM code: correct the diagnosis (checked against "
        "ICD-10-CM FY2027 (codes.txt))"
    ]
    package = run_claims([path])
    assert package.meta["icd_code_set"] == PACKAGE.label
    assert invalid(package) == []


def test_a_chargemaster_audit_does_not_load_the_icd10_package(tmp_path):
    """simple-icd-10-cm costs ~2 s and ~190 MB: only claims with diagnoses to check may load it."""
    import subprocess
    import sys

    script = (
        "import sys; from click.testing import CliRunner; from auditor.cli import main; "
        f"r = CliRunner().invoke(main, ['audit', 'samples/chargemaster.xlsx', '--as-of', '2026-04-01', "
        f"'--no-history', '--format', 'json', '--out', {str(tmp_path)!r}]); "
        "print(r.exit_code, 'simple_icd_10_cm' in sys.modules)"
    )
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert out.stdout.split() == ["1", "False"], out.stderr[-500:]


def test_the_first_claims_run_of_a_release_says_it_builds_its_table(tmp_path, monkeypatch):
    """Building a release's diagnosis table takes seconds (the package's: ~10 s on a small machine), once: the run
    that builds it says so on stderr before the wait, and the next run, which reads it from the cache, does not."""
    from conftest import run_cli
    from edit_examples import CLAIM_HEADERS, claim_rows, write_rows

    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    codes, tabular = _tiny_files(tmp_path / "cms")
    rows = claim_rows([{"code": "29881", "modifiers": "RT", "diagnoses": "U98.1"}], dt.date(2026, 10, 5))
    path = write_rows(tmp_path / "claims.xlsx", rows, CLAIM_HEADERS, sheet="Claims")
    args = ("claims", path, "--icd10-codes", codes, "--icd10-tabular", tabular, "--format", "json")
    first = run_cli(*args, "--out", tmp_path / "a")
    second = run_cli(*args, "--out", tmp_path / "b")
    assert first.stderr.splitlines()[0] == (
        "note: building the ICD-10-CM FY2027 (codes.txt) diagnosis table (once for this release, several seconds; "
        "later runs read it from the cache)"
    )
    assert "building" not in second.stderr
    assert (tmp_path / "b" / "claims.json").is_file() and first.exit_code == second.exit_code
