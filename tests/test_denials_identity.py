"""A claim is its own claims file and id, settled per payer: claims sharing an id, secondary payers,
superseded adjudications in the reports, the claims read with the audit's size cap, drafts linked by claim."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
from docx import Document

from auditor.claims import pipeline as claims_pipeline
from auditor.claims.pipeline import run_claims
from auditor.claims.read import DEFAULT_MAX_BYTES
from auditor.denials import run as denials_run
from auditor.denials.model import REMIT_SCHEMA
from auditor.denials.remit import read_835
from auditor.denials.run import DenialsRequest, run_denials
from auditor.denials.settle import settle
from auditor.report.denials_outputs import write_denials

HEADER = "Claim ID,Line,Date of Service,State,Payer,Bill Type,Revenue Code,HCPCS,Modifiers,Units,Diagnosis Codes,UTN\n"
WORKLIST = "Claim ID,Line,HCPCS,Service Date,Billed,Paid,Reason Code,Denial Date,Payer,Claim Status\n"
TODAY = dt.date(2026, 12, 5)


def claim_row(cid: str, dos: str, code: str, line: str = "1") -> str:
    return f"{cid},{line},{dos},NJ,MEDICARE,131,0360,{code},,1,L97.522;E11.621,A1B2C3D4E5F6G7"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def seg(*elements: str) -> str:
    return "*".join(elements).rstrip("*")


def transaction(n: int, payer: list[str], paid: str, claims: list[list[str]]) -> list[str]:
    """One 835 transaction from `payer` (N1*PR elements after PR) paid on `paid`, holding `claims`."""
    body = [
        seg("ST", "835", f"{n:04d}"),
        seg("BPR", "I", "10.00", "C", "ACH", "CCP", "01", "011000015", "DA", "1", "1512345678")
        + f"**01*011000015*DA*2*{paid}",
        seg("TRN", "1", f"T{n}", "1512345678"),
        seg("N1", "PR", *payer),
        seg("N1", "PE", "EXAMPLE HOSPITAL", "XX", "1234567893"),
        seg("LX", "1"),
    ]
    for claim in claims:
        body += claim
    return [*body, seg("SE", str(len(body) + 1), f"{n:04d}")]


def remit(transactions: list[list[str]]) -> str:
    """A whole 835 interchange around `transactions`."""
    isa = f"ISA*00*{'':10}*00*{'':10}*ZZ*{'PAYER':15}*ZZ*{'HOSP':15}*260415*1200*^*00501*000000001*0*T*:"
    gs = seg("GS", "HP", "PAYER", "HOSP", "20260415", "1200", "1", "X", "005010X221A1")
    body = [s for t in transactions for s in t]
    tail = [seg("GE", str(len(transactions)), "1"), seg("IEA", "1", "000000001")]
    return "~\n".join([isa, gs, *body, *tail]) + "~\n"


def clp(cid: str, status: str, code: str, dos: str, paid: str, icn: str) -> list[str]:
    """A one-line claim: paid in full, or paid nothing with CO-50 when `paid` is 0."""
    cas = seg("CAS", "CO", "50", "100.00") if paid in ("0", "-0") else seg("CAS", "CO", "45", "0")
    return [
        seg("CLP", cid, status, "100.00", paid, "", "MA", icn, "13", "1"),
        seg("NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", "X1"),
        seg("SVC", f"HC:{code}", "100.00", paid, "", "1"),
        seg("DTM", "472", dos),
        cas,
        seg("REF", "6R", "1"),
    ]


def denials(tmp_path: Path, remits: list[Path], claims: list[Path], out: str = "out"):
    result = run_denials(remits, DenialsRequest(claims=claims, today=TODAY))
    write_denials(result, tmp_path / out)
    return result, json.loads((tmp_path / out / "denials.json").read_text(encoding="utf-8"))


def shared_id(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two claims files reusing NJ1 for two visits, and a worklist denying both: (march, june, worklist)."""
    march = write(tmp_path, "march.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    june = write(tmp_path, "june.csv", HEADER + claim_row("NJ1", "2026-06-10", "15275") + "\n")
    worklist = write(
        tmp_path,
        "denials.csv",
        WORKLIST
        + "NJ1,1,15271,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4\n"
        + "NJ1,1,15275,06/10/2026,100,0,CO-50,07/15/2026,MEDICARE,4\n",
    )
    return march, june, worklist


def test_claims_sharing_an_id_are_counted_and_drafted_apart(tmp_path):
    """Two claims files reuse NJ1 for two visits, both denied: two claims in the rates, two drafts."""
    march, june, worklist = shared_id(tmp_path)
    result, doc = denials(tmp_path, [worklist], [march, june])
    assert doc["totals"]["claims"] == 2 and doc["totals"]["denied_claims"] == 2
    assert next(r for r in doc["rates"]["carc"] if r["key"] == "50")["claims"] == 2
    rows = {d["claim_file"]: d for d in doc["denied_claims"]}
    assert {f: d["denied_codes"] for f, d in rows.items()} == {str(march): ["15271"], str(june): ["15275"]}
    assert len(result.drafts) == 2 and rows[str(march)]["draft"] != rows[str(june)]["draft"]
    html = (tmp_path / "out" / "denials.html").read_text(encoding="utf-8")
    assert str(march) in html.split('id="denied"')[1]  # a shared id shows which claims file it is
    for d in rows.values():
        tables = Document(tmp_path / "out" / d["draft"]).tables
        codes = {c.text for t in tables for r in t.rows for c in r.cells}
        assert set(d["denied_codes"]) <= codes and not ({"15271", "15275"} - set(d["denied_codes"])) & codes


def test_settlement_keeps_claims_sharing_an_id_apart(tmp_path):
    """The June visit's payment is not a later adjudication of the March visit's denial."""
    march = write(tmp_path, "march.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    june = write(tmp_path, "june.csv", HEADER + claim_row("NJ1", "2026-06-10", "15275") + "\n")
    text = remit(
        [
            transaction(1, ["MEDICARE"], "20260415", [clp("NJ1", "1", "15271", "20260302", "0", "A1")]),
            transaction(2, ["MEDICARE"], "20260715", [clp("NJ1", "1", "15275", "20260610", "100", "A2")]),
        ]
    )
    result, doc = denials(tmp_path, [write(tmp_path, "r.835", text)], [march, june])
    assert doc["superseded"] == []
    assert doc["totals"]["claims"] == 2 and doc["totals"]["denied_claims"] == 1
    assert [d["claim_file"] for d in doc["denied_claims"]] == [str(march)]


def test_a_secondary_payment_does_not_erase_the_primary_denial(tmp_path):
    """Medicare denies a line, the supplemental plan pays as secondary: the denial stays Medicare's."""
    claims = write(tmp_path, "claims.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    text = remit(
        [
            transaction(1, ["MEDICARE"], "20260415", [clp("NJ1", "1", "15271", "20260302", "0", "A1")]),
            transaction(2, ["MEDIGAP PLAN"], "20260501", [clp("NJ1", "2", "15271", "20260302", "100", "B1")]),
        ]
    )
    result, doc = denials(tmp_path, [write(tmp_path, "r.835", text)], [claims])
    assert doc["superseded"] == []
    assert doc["totals"]["denied_claims"] == 1 and doc["totals"]["denied_lines"] == 1
    (denied,) = doc["denied_claims"]
    assert denied["payer"] == "MEDICARE"
    (draft,) = result.drafts
    assert draft.payer == "MEDICARE" and [(ln.paid, ln.denied) for ln in draft.lines] == [(0.0, True)]


def test_payer_id_tells_payers_apart_and_is_read(tmp_path):
    """Two payers with one name but different N1*PR ids (N104) are two payers."""
    text = remit(
        [
            transaction(
                1, ["BCBS", "PI", "11111"], "20260415", [clp("NJ1", "1", "15271", "20260302", "0", "A")]
            ),
            transaction(
                2, ["BCBS", "PI", "22222"], "20260501", [clp("NJ1", "1", "15271", "20260302", "100", "B")]
            ),
        ]
    )
    frame = read_835(write(tmp_path, "r.835", text))
    assert frame.get_column("payer_id").to_list() == ["11111", "22222"]
    standing, superseded = settle(frame)
    assert standing.height == 2 and superseded.height == 0


def _remit(rows: list[dict]) -> pl.DataFrame:
    base = {
        "file": "r.835",
        "source": "835",
        "claim_id": "NJ1",
        "line": "1",
        "line_ordinal": 1,
        "code": "15271",
        "dos": dt.date(2026, 3, 2),
        "charge": 100.0,
    }
    out = [{**base, "row": i, **r, "reversal": r["claim_status"] == "22"} for i, r in enumerate(rows)]
    return pl.DataFrame(out, schema=REMIT_SCHEMA)


def test_reversals_and_corrections_stay_within_one_payer():
    """Medicare's reversal and correction replace Medicare's denial; a secondary's reversal leaves it alone."""
    day = dt.date
    rows = [
        {"payer": "MEDICARE", "claim_status": "1", "paid": 0.0, "carcs": "50", "paid_date": day(2026, 4, 1)},
        {"payer": "MEDIGAP", "claim_status": "2", "paid": 20.0, "paid_date": day(2026, 4, 10)},
        {"payer": "MEDICARE", "claim_status": "22", "paid": 0.0, "paid_date": day(2026, 5, 1)},
        {"payer": "MEDICARE", "claim_status": "1", "paid": 80.0, "paid_date": day(2026, 6, 1)},
    ]
    standing, superseded = settle(_remit(rows))
    assert sorted(standing.get_column("paid").to_list()) == [20.0, 80.0]
    assert superseded.select("payer", "superseded", "superseded_on").rows() == [
        ("MEDICARE", "reversed", day(2026, 5, 1)),
        ("MEDICARE", "reversal", day(2026, 5, 1)),
    ]
    secondary_reversal = [rows[0], rows[1], {**rows[2], "payer": "MEDIGAP"}]
    standing, superseded = settle(_remit(secondary_reversal))
    assert standing.get_column("payer").to_list() == ["MEDICARE"]
    assert superseded.get_column("payer").to_list() == ["MEDIGAP", "MEDIGAP"]


def test_claims_file_is_read_once_in_a_denials_run(tmp_path, monkeypatch):
    """The claims run keeps the lines the remittances are joined to: the file is not read a second time."""
    claims = write(tmp_path, "claims.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    worklist = write(
        tmp_path, "w.csv", WORKLIST + "NJ1,1,15271,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4\n"
    )
    reads: list[str] = []
    for module in (claims_pipeline, denials_run):
        real = module.claim_chunks

        def spy(path, *args, real=real, **kwargs):
            reads.append(Path(path).name)
            return real(path, *args, **kwargs)

        monkeypatch.setattr(module, "claim_chunks", spy)
    result = run_denials([worklist], DenialsRequest(claims=[claims], today=TODAY))
    assert reads == ["claims.csv"]
    assert result.lines.filter(pl.col("joined")).height == 1


def test_claims_lines_read_with_the_audits_size_cap(tmp_path, monkeypatch):
    """Given a claims result without its lines, the denials run reads them at the claims run's 20 GiB cap."""
    claims = write(tmp_path, "claims.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    worklist = write(
        tmp_path, "w.csv", WORKLIST + "NJ1,1,15271,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4\n"
    )
    audited = run_claims([claims])
    assert audited.lines is None
    caps: list[int] = []
    real = denials_run.claim_chunks

    def spy(path, options, *args, **kwargs):
        caps.append(options.max_bytes)
        return real(path, options, *args, **kwargs)

    monkeypatch.setattr(denials_run, "claim_chunks", spy)
    result = run_denials([worklist], DenialsRequest(claims=[claims], today=TODAY, claims_result=audited))
    assert caps == [DEFAULT_MAX_BYTES]
    assert result.lines.filter(pl.col("joined")).height == 1


def test_ids_that_clean_alike_link_their_own_drafts(tmp_path):
    """NJ/1 and NJ 1 both clean to NJ_1: each denied claim links the draft written for it."""
    rows = [claim_row("NJ/1", "2026-03-02", "15271"), claim_row("NJ 1", "2026-03-02", "15275")]
    claims = write(tmp_path, "claims.csv", HEADER + "\n".join(rows) + "\n")
    worklist = write(
        tmp_path,
        "w.csv",
        WORKLIST
        + "NJ/1,1,15271,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4\n"
        + "NJ 1,1,15275,03/02/2026,100,0,CO-50,04/15/2026,MEDICARE,4\n",
    )
    _, doc = denials(tmp_path, [worklist], [claims])
    links = {d["claim_id"]: d["draft"] for d in doc["denied_claims"]}
    assert len(links) == 2 and len(set(links.values())) == 2
    for claim_id, link in links.items():
        body = "\n".join(p.text for p in Document(tmp_path / "out" / link).paragraphs)
        assert claim_id in body


def test_superseded_adjudications_are_listed_in_html_and_excel(tmp_path):
    """Medicare's denial, reversed and paid on correction: a table in the page, a sheet in the workbook."""
    claims = write(tmp_path, "claims.csv", HEADER + claim_row("NJ1", "2026-03-02", "15271") + "\n")
    text = remit(
        [
            transaction(1, ["MEDICARE"], "20260415", [clp("NJ1", "1", "15271", "20260302", "0", "A1")]),
            transaction(2, ["MEDICARE"], "20260515", [clp("NJ1", "22", "15271", "20260302", "-0", "A1")]),
            transaction(3, ["MEDICARE"], "20260601", [clp("NJ1", "1", "15271", "20260302", "100", "A2")]),
        ]
    )
    _, doc = denials(tmp_path, [write(tmp_path, "r.835", text)], [claims])
    assert [s["superseded"] for s in doc["superseded"]] == ["reversed", "reversal"]
    html = (tmp_path / "out" / "denials.html").read_text(encoding="utf-8")
    section = html.split('id="superseded"')[1].split("</section>")[0]
    assert "NJ1" in section and "reversed" in section and "2026-05-15" in section
    sheet = openpyxl.load_workbook(tmp_path / "out" / "denials.xlsx")["Superseded"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("claim_id", "payer")
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        ("NJ1", "MEDICARE", "reversed"),
        ("NJ1", "MEDICARE", "reversal"),
    ]


def test_history_records_claims_sharing_an_id_apart_and_migrates_old_files(tmp_path):
    """Two denied claims with one id in two claims files are two history rows; a history file from before
    (denied claims keyed by id alone) is rebuilt with the file in the key and keeps its rows."""
    import sqlite3

    from auditor.history.denials import ensure_tables, record_denials

    db = tmp_path / "history.sqlite"
    old = sqlite3.connect(db)
    old.execute(
        "CREATE TABLE denial_claims (run_id INTEGER NOT NULL, facility_slug TEXT NOT NULL, claim_id TEXT NOT NULL,"
        " month TEXT, state TEXT, participant TEXT, service TEXT, reasons TEXT, predicted_by TEXT,"
        " PRIMARY KEY (run_id, claim_id))"
    )
    old.execute(
        "INSERT INTO denial_claims VALUES (999, 'h', 'OLD1', '2026-01', 'NJ', 'Genzeon', 'x', 'CO-50', NULL)"
    )
    old.commit()
    old.close()
    march, june, worklist = shared_id(tmp_path)
    result, doc = denials(tmp_path, [worklist], [march, june])
    conn = sqlite3.connect(db)
    ensure_tables(conn)
    run_id = record_denials(conn, "Hospital", doc, result.claims)
    rows = conn.execute(
        "SELECT claim_id, claim_file, reasons FROM denial_claims WHERE run_id = ? ORDER BY claim_file",
        (run_id,),
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("NJ1", str(june)), ("NJ1", str(march))]
    assert all(r[2] for r in rows)  # each claim's own reasons
    assert conn.execute("SELECT claim_id, claim_file FROM denial_claims WHERE run_id = 999").fetchall() == [
        ("OLD1", "")
    ]
