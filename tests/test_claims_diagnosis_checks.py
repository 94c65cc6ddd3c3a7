"""Claim diagnosis check kinds (diagnosis-quality, -side, -fit) on claim frames shaped like the pipeline's."""

from __future__ import annotations

import copy
import datetime as dt

import polars as pl
import pytest

from auditor.codeset.icd10 import package_code_set
from auditor.engine import load_edits
from auditor.engine.checks import CheckContext, check_module
from auditor.engine.config import FacilityConfig
from auditor.engine.finding_rows import message_expr
from auditor.engine.lists import CatalogError

EDITS = load_edits()
DOS = dt.date(2026, 5, 4)
WISER_CODES = {"29877", "15275", "15276", "62323", "64561", "64582", "63655", "64568"}
WISER_STATES = {"TX", "OK", "NJ", "OH", "WA", "AZ"}


def claims(*lines: tuple) -> pl.DataFrame:
    """Claim lines as the pipeline hands them to the engine.

    Each line is (claim, code, modifiers, diagnoses ';'-separated, [date of service], [state]); a claim's
    diagnoses are written on its first line and shared by all its lines, as the pipeline does.
    """
    rows, dx_of = [], {}
    for line in lines:
        claim, code, mods, dx, *rest = line
        dos = rest[0] if rest else DOS
        state = rest[1] if len(rest) > 1 else "TX"
        if dx is not None:
            dx_of.setdefault(claim, [d for d in dx.split(";") if d])
        rows.append(
            {"claim_key": f"claims.csv|{claim}", "code": code, "modifiers": mods, "_dos": dos, "state": state}
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "claim_key": pl.String,
            "code": pl.String,
            "modifiers": pl.String,
            "_dos": pl.Date,
            "state": pl.String,
        },
    )
    wiser = pl.col("code").is_in(list(WISER_CODES)) & pl.col("state").is_in(list(WISER_STATES))
    return frame.with_row_index("_rid").with_columns(
        pl.col("_rid").cast(pl.Int64),
        _scope=pl.col("claim_key") + "|" + pl.col("_dos").cast(pl.String),
        dx=pl.col("claim_key").replace_strict(
            {f"claims.csv|{k}": v for k, v in dx_of.items()}, default=[], return_dtype=pl.List(pl.String)
        ),
        wiser_category=pl.when(pl.col("code").is_in(list(WISER_CODES))).then(pl.lit("service")),
        wiser_in_scope=wiser,
        wiser_state=pl.col("state"),
    )


def run(code: str, frame: pl.DataFrame, eligible: pl.Expr | None = None, edit=None) -> list[dict]:
    """The edit's hits on the frame, with the message a coder reads, in the order the engine reports them."""
    edit = edit or EDITS.get(code)
    ctx = CheckContext(frame, EDITS.lists, FacilityConfig(), "2026Q2", "claim", package_code_set())
    hits = check_module(edit.check).evaluate(ctx, edit, pl.lit(True) if eligible is None else eligible)
    if hits.height == 0:
        return []
    joined = hits.join(frame.select("_rid", "code"), on="_rid", how="left", maintain_order="left")
    joined = joined.with_columns(message=message_expr(edit.message, set(joined.columns), {}))
    return joined.to_dicts()


def flagged(code: str, frame: pl.DataFrame, **kw) -> list[tuple[int, str]]:
    """(row id, {dx}) of each hit."""
    return [(h["_rid"], h.get("v_dx")) for h in run(code, frame, **kw)]


def edit_with(code: str, **params):
    """A copy of a catalogue edit with other parameters, prepared as the catalogue would."""
    edit = copy.deepcopy(EDITS.get(code))
    edit.params = {k: v for k, v in edit.params.items() if not k.startswith("_")} | params
    check_module(edit.check).prepare(edit, EDITS.lists)
    return edit


# -- diagnosis-quality -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,dx,want",
    [
        ("DX001", "M17.99;M23.221;ABC;M54.99X", ["M17.99", "ABC", "M54.99X"]),
        ("DX001", "m23221;M17.11", []),  # lower case, no dot: valid
        ("DX002", "M54.5;M17.1;M54.50;S83.241;S83.241A", ["M54.5", "M17.1", "S83.241"]),
        ("DX003", "M17.9;M17.10;M17.11;R32;G89.29", ["M17.9", "R32"]),
        ("DX004", "M17.9;M17.10;M23.8X9;M17.12", ["M17.10", "M23.8X9"]),
        ("DX005", "G89.29;L97.522;M23.8X9;M54.59", ["G89.29", "M54.59"]),
    ],
)
def test_quality_flags_each_offending_code_once_in_claim_order(code, dx, want):
    frame = claims(("A", "29877", "RT", dx), ("A", "29881", "RT", None))
    assert flagged(code, frame) == [(0, d) for d in want]


def test_diagnosis_checks_need_the_code_set_in_their_context():
    """No process-wide fallback: the caller of run_edits chooses the ICD-10-CM set, or the check says so."""
    frame = claims(("A", "29877", "RT", "M17.9"))
    ctx = CheckContext(frame, EDITS.lists, FacilityConfig(), "2026Q2", "claim")
    with pytest.raises(ValueError, match="ICD-10-CM code set"):
        check_module("diagnosis-quality").evaluate(ctx, EDITS.get("DX003"), pl.lit(True))


def test_repeated_diagnosis_is_reported_once():
    frame = claims(("A", "29877", "RT", "M17.9;M17.9;m17.9"))
    assert flagged("DX003", frame) == [(0, "M17.9")]


def test_claim_spanning_two_dates_of_service_gives_one_finding_per_code():
    frame = claims(
        ("A", "29877", "RT", "M17.9;XYZ", dt.date(2026, 5, 4)),
        ("A", "29881", "RT", None, dt.date(2026, 5, 5)),
        ("A", "29877", "LT", None, dt.date(2026, 5, 5)),
    )
    assert flagged("DX001", frame) == [(0, "XYZ")]
    assert flagged("DX003", frame) == [(0, "M17.9")]


def test_anchor_is_the_first_line_of_a_service_we_audit():
    """DX003 anchors on the knee scope (line 2), DX001 on the claim's first line."""
    frame = claims(("A", "99213", None, "M17.9;XYZ"), ("A", "29881", "RT", None), ("A", "29877", "RT", None))
    assert flagged("DX003", frame) == [(1, "M17.9")]
    assert flagged("DX001", frame) == [(0, "XYZ")]


def test_claims_without_an_audited_service_are_not_checked_for_vagueness():
    frame = claims(
        ("A", "99213", None, "M17.9;G89.29;M17.10"),
        ("B", "J1100", None, "R32"),
        ("C", "64561", None, "R32", DOS, "CA"),
    )
    assert flagged("DX003", frame) == [(2, "R32")]  # sacral stimulation outside WISeR is still audited
    assert flagged("DX004", frame) == []
    assert flagged("DX005", frame) == []
    assert flagged("DX001", frame) == []


def test_a_wiser_service_line_counts_as_audited_through_its_category():
    """claim_has_wiser: a line the WISeR data names (here a made-up code) anchors DX003 too."""
    frame = claims(("A", "99213", None, "M17.9"), ("A", "0999T", None, None))
    frame = frame.with_columns(wiser_category=pl.when(pl.col("code") == "0999T").then(pl.lit("new-service")))
    assert flagged("DX003", frame) == [(1, "M17.9")]


def test_only_eligible_lines_anchor():
    frame = claims(
        ("A", "29877", "RT", "M17.9", dt.date(2026, 5, 4)),
        ("A", "29881", "RT", None, dt.date(2026, 5, 5)),
        ("B", "29877", "RT", "M17.9", dt.date(2026, 5, 4)),
    )
    late = pl.col("_dos") >= dt.date(2026, 5, 5)
    assert flagged("DX003", frame, eligible=late) == [(1, "M17.9")]


@pytest.mark.parametrize("dx", [None, "", ";;"])
def test_empty_diagnosis_lists_are_quiet(dx):
    frame = claims(("A", "29877", "RT", dx), ("B", "62323", None, dx))
    # DX007 is left out: an expect rule rightly fires on a claim with no diagnosis (see test_fit_rules).
    for code in ("DX001", "DX002", "DX003", "DX004", "DX005", "DX006"):
        assert flagged(code, frame) == [], code


def test_frame_with_no_diagnoses_at_all():
    frame = claims(("A", "99213", None, None)).with_columns(dx=pl.lit([], dtype=pl.List(pl.String)))
    assert run("DX001", frame) == []


def test_messages_read_well_to_a_coder():
    frame = claims(
        ("A", "29877", "RT", "M17.9;M54.5;M17.10;G89.29;M17.99"), ("B", "29877", "RT", "M17.9", DOS, "CA")
    )
    msgs = {c: [h["message"] for h in run(c, frame)] for c in ("DX001", "DX002", "DX003", "DX004", "DX005")}
    wiser = " on a claim that needs WISeR prior authorization (TX)"
    assert msgs["DX003"] == [
        f"M17.9 (Osteoarthritis of knee, unspecified) is an unspecified diagnosis{wiser}: report the "
        "specific code the record supports (for example M17.0, M17.11, M17.12, M17.2, M17.31, M17.32 and 2 "
        "more)",
        "M17.9 (Osteoarthritis of knee, unspecified) is an unspecified diagnosis: report the specific code "
        "the record supports (for example M17.0, M17.11, M17.12, M17.2, M17.31, M17.32 and 2 more)",
    ]
    assert msgs["DX002"] == [
        f"M54.5 (Low back pain) is a heading, not a billable code{wiser}: report one of "
        "M54.50, M54.51, M54.59"
    ]
    assert msgs["DX004"] == [
        "M17.10 (Unilateral primary osteoarthritis, unspecified knee) leaves the side "
        f"unspecified{wiser}: report the right, left or bilateral code (for example "
        "M17.11, M17.12)"
    ]
    assert msgs["DX005"][0].startswith(f"G89.29 (Other chronic pain) is an 'other' catch-all code{wiser}:")
    assert msgs["DX001"] == [
        f"M17.99 is not an ICD-10-CM code{wiser}: correct the diagnosis (checked "
        "against ICD-10-CM FY2026, April 1, 2026 update (simple-icd-10-cm 1.5.0))"
    ]
    assert all("?" not in m for ms in msgs.values() for m in ms)


def test_wiser_phrase_follows_the_claim_not_the_anchor_line():
    """The knee scope anchors; the WISeR line (29877) is line 2: the claim still needs prior authorization."""
    frame = claims(("A", "29881", "RT", "M17.9"), ("A", "29877", "RT", None))
    (hit,) = run("DX003", frame)
    assert hit["_rid"] == 0 and "needs WISeR prior authorization (TX)" in hit["message"]


def test_date_of_service_outside_the_code_set_is_said():
    frame = claims(("A", "99213", None, "M54.5", dt.date(2026, 2, 10)), ("B", "99213", None, "M54.5"))
    msgs = [h["message"] for h in run("DX002", frame)]
    assert msgs[0].endswith(
        "(the date of service 2026-02-10 is outside 2026-04-01 to 2026-09-30, the period "
        "of the code set used)"
    )
    assert msgs[1].endswith("report one of M54.50, M54.51, M54.59")


def test_expected_names_the_codes_to_use():
    frame = claims(("A", "29877", "RT", "S83.241;M17.10"))
    assert [h["expected"] for h in run("DX002", frame)] == ["one of S83.241A, S83.241D, S83.241S"]
    assert [h["expected"] for h in run("DX004", frame)] == ["a code with the side, such as M17.11, M17.12"]


def test_quality_needs_a_known_flag():
    with pytest.raises(CatalogError, match="flag"):
        edit_with("DX003", flag="vague")


# -- diagnosis-side ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mods,dx,hit",
    [
        ("LT", "M23.221", True),  # right-knee diagnosis, left modifier
        ("RT", "M23.222;M17.12", True),
        ("RT,59", "M17.12", True),
        ("rt", "M17.12", True),
        ("RT", "M23.221", False),
        ("LT", "M17.0", False),  # bilateral never conflicts
        ("LT", "M23.221;M23.222", False),  # a diagnosis for the line's side clears it
        ("RT,LT", "M17.12", False),  # both sides on one line: not this check
        (None, "M17.12", False),
        ("50", "M17.12", False),
        ("LT", "M17.10", False),  # no side in the diagnosis: DX004's business
        ("LT", "L97.412;Z89.411", False),  # sided, but not the knee
    ],
)
def test_side_against_the_modifier(mods, dx, hit):
    frame = claims(("A", "29881", mods, dx))
    assert bool(flagged("DX006", frame)) is hit


def test_side_finding_per_line_with_its_message():
    frame = claims(
        ("A", "29880", "RT", "M23.222;M17.12"),
        ("A", "G0289", "RT", None),
        ("A", "J1100", "RT", None),
        ("B", "29881", "LT", "M23.221"),
    )
    hits = run("DX006", frame)
    assert [h["_rid"] for h in hits] == [0, 1, 3]  # J1100 is not a knee arthroscopy code
    assert hits[0]["message"] == (
        "29880-RT is on the right knee, but M23.222 (Derangement of posterior horn of medial meniscus due to "
        "old tear or injury, left knee; also M17.12) is on the left: correct the modifier or the diagnosis"
    )
    assert hits[2]["message"].startswith("29881-LT is on the left knee, but M23.221")


def test_side_body_part_is_a_parameter():
    """The same kind checks a foot ulcer against a skin substitute line's RT/LT."""
    edit = edit_with("DX006", when={"codes": ["15275"]}, body_part="heel")
    frame = claims(("A", "15275", "LT", "L97.412;E11.621"), ("B", "15275", "RT", "L97.412;M17.12"))
    assert flagged("DX006", frame, edit=edit) == [(0, "L97.412")]


def test_side_needs_body_part_and_when():
    with pytest.raises(CatalogError, match="body_part"):
        edit_with("DX006", body_part="")


# -- diagnosis-fit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,dx,want",
    [
        ("64582", "G47.31", ["G47.31"]),  # central apnea: the flag rule speaks, the expect rule defers
        ("64582", "G47.30;E66.9", ["G47.30"]),
        ("64582", "E66.9;I10", ["E66.9, I10"]),  # no sleep apnea at all: the expect rule
        ("64582", None, ["no diagnosis"]),
        ("64582", "G47.33;E66.9", []),
        ("64582", "G47.33;G47.31", ["G47.31"]),
        ("64561", "N39.3;N39.41", ["N39.3"]),
        ("64581", "N39.3", ["N39.3"]),
        ("64561", "N39.41", []),
        ("64561", "R32", []),  # merely unspecified: DX003 covers it
        ("15275", "L97.412", ["L97.412"]),
        ("15271", "L97.212;E11.622", []),
        ("15271", "L97.212;I70.232", []),
        # The body region: a foot ulcer on a trunk/arms/legs application, a calf ulcer on a feet/hands/face one.
        ("15271", "L97.412;E11.621", ["L97.412, E11.621"]),
        ("15275", "L97.212;E11.622", ["L97.212"]),
        ("15271", "L97.412;E11.621;L97.212;E11.622", []),  # a wound on each: either code may be right
        ("15277", "L97.512;I87.313", []),
        ("15275", "L97.412;I96", []),
        ("15275", "L97.412;E11.9", ["L97.412"]),  # diabetes, but not with a foot ulcer
        ("15275", "L89.614", []),  # a pressure ulcer is not L97
        ("64568", "G40.909", ["G40.909"]),
        ("64568", "G40.919", []),
        ("64568", "G47.33", []),
        ("29877", "M17.12", ["M17.12"]),
        ("29881", "M17.11;M17.12", ["M17.11, M17.12"]),
        ("29880", "M17.11;S83.241A", []),
        ("29877", "M17.11;M23.41", []),
        ("29877", "M17.99", []),  # junk (DX001) is no evidence either way
        ("29870", "M17.11", []),  # diagnostic arthroscopy has no rule
        ("33276", "G47.37", ["G47.37"]),
        ("33277", "G47.34", []),
        ("54405", "N52.9", []),
        ("54400", "N48.6", ["N48.6"]),
        ("99213", "G47.31;N39.3", []),
    ],
)
def test_fit_rules(code, dx, want):
    frame = claims(("A", code, None, dx, DOS, "CA"))
    assert [d for _, d in flagged("DX007", frame)] == want


def test_fit_reports_once_per_claim_and_rule_with_the_other_lines_related():
    frame = claims(
        ("A", "15275", None, "L97.412"),
        ("A", "15276", None, None),
        ("A", "Q4186", None, None),
        ("A", "15276", None, None),
        ("B", "64582", None, "G47.31;N39.3"),
        ("B", "64561", None, None),
    )
    hits = run("DX007", frame)
    assert [(h["_rid"], h["related"]) for h in hits] == [(0, [1, 3]), (4, []), (5, [])]
    assert hits[0]["message"] == (
        "15275 (skin substitute application) with L97.412: the ICD-10-CM tabular says to code the underlying "
        "condition first for a non-pressure chronic ulcer (L97) and the claim has none [verified]"
    )
    assert hits[0]["expected"].startswith("the underlying condition coded first: E08-E13 .621/.622")
    assert hits[1]["message"].endswith("[inferred]") and "G47.31" in hits[1]["message"]


def test_fit_honours_eligible_lines():
    frame = claims(
        ("A", "64561", None, "N39.3", dt.date(2026, 5, 4)), ("A", "64581", None, None, dt.date(2026, 5, 6))
    )
    assert flagged("DX007", frame, eligible=pl.col("_dos") > dt.date(2026, 5, 5)) == [(1, "N39.3")]


FACILITY_RULES = [
    {
        "code": "99999|88880-88882",
        "service": "test service",
        "rule": "flag",
        "dx_pattern": "^Z",
        "description_pattern": "",
        "requires_pattern": "",
        "expected": "",
        "reason": "Z codes do not fit",
        "basis": "verified",
        "source": "test",
    },
    {
        "code": "77777",
        "service": "test expect",
        "rule": "expect",
        "dx_pattern": "",
        "description_pattern": "right knee",
        "requires_pattern": "",
        "expected": "a right knee diagnosis",
        "reason": "needs the right knee",
        "basis": "inferred",
        "source": "test",
    },
]


def test_fit_rules_are_data():
    """A facility list with its own rules: code ranges, description patterns (any case), both rule kinds."""
    lists = dict(EDITS.lists, my_rules=FACILITY_RULES)
    edit = copy.deepcopy(EDITS.get("DX007"))
    edit.params = {"list": "my_rules"}
    check_module("diagnosis-fit").prepare(edit, lists)
    frame = claims(
        ("A", "88881", None, "Z79.4;I10"),
        ("B", "77777", None, "M17.12"),
        ("C", "77777", None, "M17.11"),
        ("D", "99999", None, "I10"),
    )
    ctx = CheckContext(frame, lists, FacilityConfig(), "2026Q2", "claim", package_code_set())
    hits = check_module("diagnosis-fit").evaluate(ctx, edit, pl.lit(True))
    want = [(0, "Z79.4", "verified"), (1, "M17.12", "inferred")]
    assert hits.select("_rid", "v_dx", "v_basis").rows() == want


@pytest.mark.parametrize(
    "change,error",
    [
        ({"rule": "maybe"}, "rule 'maybe'"),
        ({"dx_pattern": "", "description_pattern": ""}, "needs dx_pattern or description_pattern"),
        ({"rule": "requires"}, "requires_pattern"),
        ({"dx_pattern": "^(?=Z)"}, "bad regex"),  # look-around: polars cannot run it
        ({"basis": "probably"}, "verified or inferred"),
    ],
)
def test_bad_fit_rows_fail_at_load(change, error):
    lists = dict(EDITS.lists, my_rules=[FACILITY_RULES[0] | change])
    edit = copy.deepcopy(EDITS.get("DX007"))
    edit.params = {"list": "my_rules"}
    with pytest.raises(CatalogError, match=error):
        check_module("diagnosis-fit").prepare(edit, lists)


def test_every_packaged_fit_row_has_an_honest_basis_and_a_source():
    rows = EDITS.lists["diagnosis_fit"]
    assert rows and all(r["basis"] in ("verified", "inferred") and r["source"].strip() for r in rows)
    verified = {r["service"] for r in rows if r["basis"] == "verified"}
    assert verified == {"sacral nerve stimulation", "skin substitute application"}


# -- scale -------------------------------------------------------------------------------------------


def test_a_hundred_thousand_lines_take_a_moment():
    """Vectorised: 100k lines over 25k claims through all seven edits in seconds (no per-line Python)."""
    import time

    pool = [
        "M17.12",
        "M17.9",
        "M23.221",
        "M54.5",
        "G47.33",
        "G47.31",
        "M17.10",
        "L97.412",
        "E11.621",
        "G89.29",
        "XYZ",
    ]
    codes = ["29881", "29877", "15275", "64582", "64561", "99213"]
    start = [(i // 4) % 9 for i in range(100_000)]
    lines = [
        (
            f"C{i // 4}",
            codes[i % 6],
            ("RT", "LT", None)[i % 3],
            ";".join(pool[start[i] : start[i] + 3]) if i % 4 == 0 else None,
        )
        for i in range(100_000)
    ]
    frame = claims(*lines)
    run("DX001", frame)  # the code set loads once per process
    started = time.perf_counter()
    counts = {c: len(run(c, frame)) for c in ("DX001", "DX002", "DX003", "DX004", "DX005", "DX006", "DX007")}
    assert time.perf_counter() - started < 10
    assert min(counts.values()) > 0, counts


def test_two_spellings_of_one_diagnosis_on_a_claim_count_once():
    """M17.11 and M1711 on one claim are one diagnosis (the first kept); other claims keep all theirs, in order."""
    from auditor.engine.checks.diagnosis import classify_claims

    long = pl.DataFrame(
        {
            "claim_key": [1, 1, 1, 2, 2],
            "input": ["M17.11", "E11.621", "M1711", "L97.522", "M17.11"],
            "_pos": [0, 1, 2, 0, 1],
        },
        schema={"claim_key": pl.UInt32, "input": pl.String, "_pos": pl.Int64},
    )
    got = classify_claims(long, package_code_set())
    assert got.select("claim_key", "dx").rows() == [
        (1, "M17.11"),
        (1, "E11.621"),
        (2, "L97.522"),
        (2, "M17.11"),
    ]
    plain = classify_claims(long.filter(pl.col("input") != "M1711"), package_code_set())
    assert plain.height == 4 and plain.get_column("valid").all()
