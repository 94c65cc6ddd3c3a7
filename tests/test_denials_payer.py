"""One payer is one payer across a run's 835s: an id sent in one file and left out of another, or a name
spelt in another case or spacing, settles together; a name carrying two ids is kept apart and noted."""

from __future__ import annotations

from pathlib import Path

from test_denials_identity import HEADER, WORKLIST, claim_row, clp, denials, remit, transaction, write

from auditor.denials.remit import read_835
from auditor.denials.settle import settle

DENIED = ("NJ1", "1", "15271", "20260302", "0", "A1")  # CO-50, paid nothing
PAID = ("NJ1", "1", "15271", "20260302", "100", "A2")  # the same line paid in full, later
OTHER = ("NJ2", "1", "15275", "20260302", "100", "B1")  # another claim paid: it only brings the payer's id


def _claims(tmp_path: Path) -> Path:
    rows = [claim_row("NJ1", "2026-03-02", "15271"), claim_row("NJ2", "2026-03-02", "15275")]
    return write(tmp_path, "claims.csv", HEADER + "\n".join(rows) + "\n")


def _file(tmp_path: Path, name: str, payer: list[str], paid: str, claim: tuple) -> Path:
    """One 835 file with one transaction from `payer` (N1*PR elements after PR) holding one claim."""
    return write(tmp_path, name, remit([transaction(1, payer, paid, [clp(*claim)])]))


def test_payment_without_the_id_settles_the_denial_sent_with_it(tmp_path):
    """Medicare denies with its id in April's 835 and pays in June's 835 without it, in another spelling:
    one payer, so the denial is replaced and no longer open."""
    first = _file(tmp_path, "april.835", ["Medicare  Part B", "PI", "MCR01"], "20260415", DENIED)
    later = _file(tmp_path, "june.835", ["medicare part b"], "20260601", PAID)
    result, doc = denials(tmp_path, [first, later], [_claims(tmp_path)])
    assert doc["denied_claims"] == [] and doc["totals"]["denied_claims"] == 0
    (gone,) = doc["superseded"]
    assert (gone["file"], gone["payer"], gone["superseded"]) == (
        str(first),
        "Medicare  Part B",  # the name as read
        "replaced by a later adjudication",
    )
    assert gone["superseded_on"] == "2026-06-01" and str(later) in gone["superseded_by"]
    assert not [n for n in doc["notes"] if "different ids" in n]


def test_denial_without_the_id_is_settled_by_a_payment_with_it(tmp_path):
    """The other way round: the id-less file comes first, the id arrives with the payment."""
    first = _file(tmp_path, "april.835", ["X"], "20260415", DENIED)
    later = _file(tmp_path, "june.835", ["x ", "PI", "X-77"], "20260601", PAID)
    _, doc = denials(tmp_path, [first, later], [_claims(tmp_path)])
    assert doc["denied_claims"] == []
    assert [(s["payer"], s["superseded"]) for s in doc["superseded"]] == [
        ("X", "replaced by a later adjudication")
    ]


def test_ids_compare_trimmed_and_case_folded(tmp_path):
    """MCR01 and mcr01 are one id: the name is not ambiguous, the id-less payment settles the denial."""
    first = _file(tmp_path, "april.835", ["MEDICARE", "PI", "MCR01"], "20260415", DENIED)
    other = _file(tmp_path, "may.835", ["MEDICARE", "PI", "mcr01"], "20260501", OTHER)
    later = _file(tmp_path, "june.835", ["MEDICARE"], "20260601", PAID)
    _, doc = denials(tmp_path, [first, other, later], [_claims(tmp_path)])
    assert doc["denied_claims"] == [] and len(doc["superseded"]) == 1
    assert not [n for n in doc["notes"] if "different ids" in n]


def test_a_name_with_two_ids_is_not_merged_and_is_noted(tmp_path):
    """BCBS comes with 11111 and with 22222: an id-less BCBS payment may be either, so it settles nothing
    of 11111's, the denial stays open and a note names the payer."""
    first = _file(tmp_path, "april.835", ["BCBS", "PI", "11111"], "20260415", DENIED)
    other = _file(tmp_path, "may.835", ["BCBS", "PI", "22222"], "20260501", OTHER)
    later = _file(tmp_path, "june.835", ["bcbs "], "20260601", PAID)
    result, doc = denials(tmp_path, [first, other, later], [_claims(tmp_path)])
    assert doc["superseded"] == []
    assert [(d["claim_id"], d["payer"]) for d in doc["denied_claims"]] == [("NJ1", "BCBS")]
    (note,) = [n for n in doc["notes"] if "different ids" in n]
    assert note == (
        'Payer "BCBS" came with 2 different ids (11111, 22222): its 1 adjudication(s) without an id were'
        " settled by name, apart from those with an id."
    )
    assert note in result.notes


def test_id_less_adjudications_of_an_ambiguous_name_settle_each_other_by_name(tmp_path):
    """With BCBS ambiguous, its id-less denial and id-less payment (spelt differently) are still one payer."""
    ids = [
        _file(tmp_path, "a.835", ["BCBS", "PI", "11111"], "20260401", OTHER),
        _file(tmp_path, "b.835", ["BCBS", "PI", "22222"], "20260402", (*OTHER[:5], "B2")),
    ]
    first = _file(tmp_path, "april.835", ["Bcbs"], "20260415", DENIED)
    later = _file(tmp_path, "june.835", ["BCBS "], "20260601", PAID)
    _, doc = denials(tmp_path, [*ids, first, later], [_claims(tmp_path)])
    assert doc["denied_claims"] == []
    assert [(s["file"], s["superseded"]) for s in doc["superseded"]] == [
        (str(first), "replaced by a later adjudication")
    ]
    (note,) = [n for n in doc["notes"] if "different ids" in n]
    assert note.startswith('Payer "BCBS" came with 2 different ids (11111, 22222): its 2 adjudication(s)')


def test_reported_payer_columns_stay_as_read_and_the_key_is_resolved(tmp_path):
    """settle keeps `payer` and `payer_id` as the 835 has them and adds the key it settled by."""
    text = remit(
        [
            transaction(1, ["Medicare  Part B", "PI", "MCR01"], "20260415", [clp(*DENIED)]),
            transaction(2, ["medicare part b"], "20260601", [clp(*PAID)]),
            transaction(3, ["MEDIGAP"], "20260610", [clp("NJ2", "2", "15275", "20260302", "10", "C1")]),
        ]
    )
    standing, superseded = settle(read_835(write(tmp_path, "r.835", text)))
    assert standing.select("payer", "payer_id", "payer_key").rows() == [
        ("medicare part b", None, "id:mcr01"),
        ("MEDIGAP", None, "name:medigap"),
    ]
    assert superseded.select("payer", "payer_id", "payer_key").rows() == [
        ("Medicare  Part B", "MCR01", "id:mcr01")
    ]


def _worklist_run(tmp_path: Path, codes: list[str], rows: list[str]):
    """Claim NJ1 of 2026-03-02 with one line per code, and a worklist of `rows` about it: (result, denials.json)."""
    lines = [claim_row("NJ1", "2026-03-02", code, line=str(i)) for i, code in enumerate(codes, start=1)]
    claims = write(tmp_path, "claims.csv", HEADER + "\n".join(lines) + "\n")
    worklist = write(tmp_path, "w.csv", WORKLIST + "".join(f"{r}\n" for r in rows))
    return denials(tmp_path, [worklist], [claims])


def test_worklist_lines_spelling_the_payer_differently_stay_one_denial(tmp_path):
    """A worklist writes MEDICARE on one line and Medicare on the next: one payer, one adjudication, so
    neither line replaces the other; the claim's draft holds both denied lines; the key is in denials.json."""
    result, doc = _worklist_run(
        tmp_path,
        ["15271", "15275"],
        [
            "NJ1,1,15271,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4",
            "NJ1,2,15275,03/02/2026,100,0,CO-50,04/15/2026,Medicare,4",
        ],
    )
    assert doc["superseded"] == []
    (claim,) = doc["denied_claims"]
    assert claim["denied_codes"] == ["15271", "15275"] and claim["payer_key"] == "name:medicare"
    assert {d["payer_key"] for d in doc["denied_lines"]} == {"name:medicare"}
    (draft,) = result.drafts
    assert [(d.line, d.code, d.denied) for d in draft.lines] == [("1", "15271", True), ("2", "15275", True)]


def test_worklist_lines_of_one_claim_with_different_statuses_are_one_adjudication(tmp_path):
    """A worklist carries each line's outcome: line 1 paid (status 1), line 2 denied (status 4). They are one
    adjudication of the claim, so the paid line does not replace the denied one: the denial stays open."""
    _, doc = _worklist_run(
        tmp_path,
        ["15271", "15275"],
        [
            "NJ1,1,15271,03/02/2026,100,100,,04/15/2026,MEDICARE,1",
            "NJ1,2,15275,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4",
        ],
    )
    assert doc["superseded"] == []
    (claim,) = doc["denied_claims"]
    assert claim["denied_codes"] == ["15275"]
    assert [(d["line"], d["code"]) for d in doc["denied_lines"]] == [("2", "15275")]


def test_a_reversal_row_in_a_worklist_is_its_own_adjudication(tmp_path):
    """A worklist listing a payment, then its reversal (status 22) on a later date: the reversal takes the
    payment back, as in an 835, rather than joining it as one more line."""
    _, doc = _worklist_run(
        tmp_path,
        ["15271"],
        [
            "NJ1,1,15271,03/02/2026,100,100,,04/15/2026,MEDICARE,1",
            "NJ1,1,15271,03/02/2026,-100,-100,,05/20/2026,MEDICARE,22",
        ],
    )
    assert sorted(s["superseded"] for s in doc["superseded"]) == ["reversal", "reversed"]
    assert doc["denied_lines"] == []
