"""Appeal and resubmission drafts: the text, the DOCX and PDF files, the zip and user template overrides."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
import yaml

from auditor.denials.appeals import ZIP_NAME, packaged_templates, render_text, safe_name, write_drafts
from auditor.denials.model import ChecklistItem, DraftClaim, DraftLine
from auditor.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SCOPE = yaml.safe_load((REPO / "edits" / "wiser" / "scope.yaml").read_text(encoding="utf-8"))
UNTICKED, TICKED = "\u2610", "\u2611"
NON_LATIN = "Łódź 東京 Ωmega"


def service_claim(service: str, kind: str, **changes) -> DraftClaim:
    """A claim for `service` from scope.yaml: its title, policy and checklist, nothing confirmed."""
    svc = SCOPE["services"][service]
    claim = DraftClaim(
        claim_id="C-100",
        kind=kind,
        service=service,
        service_title=svc["title"],
        policy=svc["policy"],
        policy_url=svc["policy_url"],
        state="TX",
        participant="Cohere Health",
        mac="Novitas",
        payer="MEDICARE PART B",
        utn=None,
        determination_date=dt.date(2026, 3, 2) if kind == "redetermination" else None,
        deadline=dt.date(2026, 6, 30) if kind == "redetermination" else None,
        deadline_text="request by 2026-06-30 (120 days from 2026-03-02)"
        if kind == "redetermination"
        else "no limit: a non-affirmed request may be resubmitted",
        send_to="Novitas Solutions (MAC), redeterminations" if kind == "redetermination" else "Cohere Health",
        checklist=[ChecklistItem(text) for text in svc["checklist"]],
    )
    for key, value in changes.items():
        setattr(claim, key, value)
    return claim


@pytest.fixture
def skin() -> DraftClaim:
    """A skin-substitute redetermination with a UTN: one line denied CO-50, one paid; one item confirmed."""
    claim = service_claim(
        "skin-substitutes", "redetermination", claim_id="SKN 2026/001", utn="TXA12345678901"
    )
    claim.lines = [
        DraftLine(
            "1",
            "15275",
            "RT",
            "1",
            dt.date(2026, 2, 20),
            1200.0,
            0.0,
            True,
            ["CO-50"],
            ["not medically necessary"],
            ["N115"],
        ),
        DraftLine("2", "Q4100", "JW", "4", dt.date(2026, 2, 20), 310.0, 120.5, False),
    ]
    claim.findings_fixed = ["UTN was missing from REF G1"]
    claim.checklist[0].confirmed = True
    return claim


@pytest.fixture
def knee() -> DraftClaim:
    """A knee-arthroscopy prior authorization resubmission: no UTN, nothing confirmed."""
    claim = service_claim("knee-arthroscopy", "pa_resubmission", claim_id="KNEE-7")
    claim.lines = [
        DraftLine(
            "1", "29877", "RT", "1", dt.date(2026, 4, 1), 2400.0, 0.0, True, ["CO-15"], ["unknown code"]
        )
    ]
    claim.findings_open = ["laterality modifier missing on line 2"]
    return claim


@pytest.fixture
def hostile() -> DraftClaim:
    """Input-file text that must print as written: markup, a formula, characters outside latin-1, line breaks."""
    claim = service_claim("cervical-fusion", "redetermination", claim_id="X/1 <script>alert(1)</script>")
    claim.payer = f"=CMD() {NON_LATIN}"
    claim.utn = "U\x00TN\n# not a heading"
    claim.lines = [DraftLine("1", "22554", "a|b", "1", None, None, None, True, ["CO-50"], ["=CMD()"], [])]
    claim.findings_open = ["<script>alert('x')</script>\n| injected | row |"]
    claim.checklist = [ChecklistItem(f"{NON_LATIN} \U0001f600 item", True)]
    return claim


def docx_text(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """(paragraph texts, table cell texts per row, heading texts) of a Word file."""
    doc = docx.Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    return paragraphs, rows, headings


def pdf_text(path: Path) -> str:
    """All text of a PDF, whitespace collapsed so wrapped lines read as one."""
    reader = pypdf.PdfReader(str(path))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_every_scope_service_has_a_template_for_both_kinds():
    for service in SCOPE["services"]:
        assert (packaged_templates() / f"{service}.j2").is_file(), service
        for kind in ("redetermination", "pa_resubmission"):
            text = render_text(service_claim(service, kind))
            assert "# " in text and "Deadline:" in text
            assert SCOPE["services"][service]["policy"] in text
    assert (packaged_templates() / "default.j2").is_file()


def test_unknown_service_uses_the_default_template(skin):
    skin.service = "../../etc/passwd"
    assert "Request for redetermination" in render_text(skin)


def test_text_addresses_and_placeholders(skin, knee):
    text = render_text(skin)
    assert "To: Novitas Solutions (MAC), redeterminations" in text
    assert "UTN: TXA12345678901" in text
    assert "42 CFR 405.942" in text
    assert (
        "| 1 | 15275 | RT | 1 | 2026-02-20 | 1,200.00 | 0.00 | denied | CO-50 (not medically necessary); RARC N115 |"
        in text
    )
    assert "[physician or authorized representative signature]" in text
    assert "record shows" not in text.lower()
    resubmission = render_text(knee)
    assert "To: Cohere Health" in resubmission
    assert "UTN: not on the claim" in resubmission
    assert "peer-to-peer" in resubmission.lower()
    assert "- [x]" not in resubmission.split("## Documentation checklist")[1]


def test_drafts_open_in_word_and_pdf_with_the_facts(tmp_path, skin, knee):
    files = write_drafts([skin, knee], tmp_path / "drafts")
    assert list(files) == ["SKN 2026/001", "KNEE-7"]  # by claim: each report links its own claim's draft
    written = [p for f in files.values() for p in f]
    names = [p.name for p in written]
    assert names == [
        "SKN_2026_001-redetermination.docx",
        "SKN_2026_001-redetermination.pdf",
        "KNEE-7-pa_resubmission.docx",
        "KNEE-7-pa_resubmission.pdf",
    ]

    paragraphs, rows, headings = docx_text(written[0])
    assert "Request for redetermination (Level 1 Medicare appeal)" in headings
    assert "Documentation checklist" in headings
    assert rows[0][:3] == ["Line", "Code", "Modifiers"]
    assert ["1", "15275", "RT", "1", "2026-02-20"] == rows[1][
        :5
    ] and "CO-50 (not medically necessary)" in rows[1][8]
    assert rows[2][1] == "Q4100" and rows[2][7] == "not denied"
    body = "\n".join(paragraphs)
    assert "UTN: TXA12345678901" in body and "request by 2026-06-30 (120 days from 2026-03-02)" in body
    checks = [p for p in paragraphs if p[:1] in (TICKED, UNTICKED)]
    assert checks[0] == f"{TICKED} {skin.checklist[0].text}"
    assert all(c.startswith(UNTICKED) for c in checks[1:]) and len(checks) == len(skin.checklist)
    assert "UTN was missing from REF G1" in body

    text = pdf_text(written[1])
    for expected in (
        "15275",
        "Q4100",
        "CO-50",
        "UTN: TXA12345678901",
        "request by 2026-06-30 (120 days from 2026-03-02)",
    ):
        assert expected in text
    assert f"[x] {skin.checklist[0].text}" in text
    assert all(f"[ ] {item.text}" in text for item in skin.checklist[1:])

    paragraphs, rows, _ = docx_text(written[2])
    body = "\n".join(paragraphs)
    assert "UTN: not on the claim" in body and "no limit: a non-affirmed request may be resubmitted" in body
    assert rows[1][1] == "29877" and "CO-15 (unknown code)" in rows[1][8]
    checks = [p for p in paragraphs if p[:1] in (TICKED, UNTICKED)]
    # Peer-to-peer request line plus every documentation item: all unticked.
    assert len(checks) == len(knee.checklist) + 1 and not any(c.startswith(TICKED) for c in checks)
    text = pdf_text(written[3])
    assert "29877" in text and "UTN: not on the claim" in text and "[x]" not in text
    assert all(f"[ ] {item.text}" in text for item in knee.checklist)

    with zipfile.ZipFile(tmp_path / "drafts" / ZIP_NAME) as zf:
        assert sorted(zf.namelist()) == sorted(names)
        assert all(zf.read(n) == (tmp_path / "drafts" / n).read_bytes() for n in zf.namelist())


def test_hostile_text_prints_as_written(tmp_path, hostile):
    text = render_text(hostile)
    assert "\n# not a heading" not in text and "\n| injected" not in text  # input text stays on its line
    ((docx_path, pdf_path),) = write_drafts([hostile], tmp_path).values()
    assert docx_path.name == "X_1_script_alert_1_script-redetermination.docx"
    paragraphs, rows, headings = docx_text(docx_path)
    body = "\n".join(paragraphs)
    assert "Claim: X/1 <script>alert(1)</script>" in body
    assert f"Payer: =CMD() {NON_LATIN}" in body
    assert not any("not a heading" in h for h in headings)
    assert rows[1][2] == "a|b" and rows[1][4] == "—"
    assert f"{TICKED} {NON_LATIN} \U0001f600 item" in paragraphs
    pdf = pdf_text(pdf_path)
    assert "Claim: X/1 <script>alert(1)</script>" in pdf
    assert "Payer: =CMD() Lódz ?? ?mega" in pdf  # core fonts: accents kept where Windows-1252 has them
    assert "[x] Lódz ?? ?mega ? item" in pdf


def test_safe_names_and_collisions(tmp_path, knee):
    assert safe_name("../..") == "claim" and safe_name("a b/c") == "a_b_c"
    twin = service_claim("knee-arthroscopy", "pa_resubmission", claim_id="KNEE 7")
    knee.claim_id = "KNEE/7"
    written = write_drafts([knee, twin], tmp_path)
    assert {k: f.docx.name for k, f in written.items()} == {
        "KNEE/7": "KNEE_7-pa_resubmission.docx",
        "KNEE 7": "KNEE_7-2-pa_resubmission.docx",
    }


def test_user_template_wins_file_by_file(tmp_path, skin, knee):
    (tmp_path / "skin-substitutes.j2").write_text(
        '{% extends "_base.j2" %}\n{% block title %}\n# Facility skin substitute appeal\n{% endblock %}\n',
        encoding="utf-8",
    )
    assert render_text(skin, tmp_path).startswith("# Facility skin substitute appeal")
    assert "UTN: TXA12345678901" in render_text(skin, tmp_path)  # the shared body still comes from ours
    assert render_text(knee, tmp_path).startswith("# Prior authorization resubmission")
    docx_path = write_drafts([skin], tmp_path / "out", templates=tmp_path)[skin.claim_id].docx
    assert "Facility skin substitute appeal" in docx_text(docx_path)[2]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("# ok\n{% if %}\n", 2),
        ("# ok\n\n\n{{ claim.no_such_field }}\n", 4),
        ("{{ claim.utn | nosuchfilter }}", 1),
    ],
)
def test_broken_user_template_names_file_and_line(tmp_path, skin, body, line):
    (tmp_path / "skin-substitutes.j2").write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_drafts([skin], tmp_path / "out", templates=tmp_path)
    assert "skin-substitutes.j2" in str(err.value) and f"line {line}" in str(err.value)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_unknown_kind_is_refused(skin):
    skin.kind = "reopening"
    with pytest.raises(ValueError, match="reopening"):
        render_text(skin)
