"""The compliance summary PDF: one to three pages, the run's hashes, versions and counts, "—" for what is missing."""

from __future__ import annotations

import pypdf

from auditor.report.compliance_pdf import write_compliance_pdf

SHA_A = "3f" * 32
SHA_B = "0123456789abcdef" * 4


def record(**changes) -> dict:
    """A chargemaster-audit record shaped as the lead builds it."""
    rec = {
        "title": "Chargemaster audit, St. Mary <Main> campus",
        "kind": "chargemaster",
        "run": {
            "generated_at": "2026-06-30T10:15:00+00:00",
            "tool_version": "0.1.0",
            "edit_set_version": "2026.2",
            "as_of": "2026-06-30",
            "inputs": [
                {"path": "cdm/chargemaster export 2026-06.xlsx", "sha256": SHA_A, "rows": 12034},
                {"path": "cdm/" + "very_long_folder_name_" * 8 + "prices.csv", "sha256": SHA_B, "rows": 7},
            ],
        },
        "counts": [
            {"severity": "error", "problems": 41, "lines": 310},
            {"severity": "warning", "problems": 17, "lines": 55},
            {"severity": "info", "problems": 3},
        ],
        "top_problems": [
            {
                "edit": f"NS{i:03d}",
                "severity": "error",
                "message": "device C1820 has no paired procedure " * 4,
                "count": 50 - i,
            }
            for i in range(10)
        ],
        "waivers": [
            {
                "edit": "SS005",
                "charge_code": "278-1001",
                "reason": "bundled by contract",
                "until": "2026-12-31",
            }
        ],
    }
    rec.update(changes)
    return rec


def text_and_pages(path) -> tuple[str, int]:
    """All text (whitespace collapsed) and the page count of a PDF."""
    reader = pypdf.PdfReader(str(path))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split()), len(reader.pages)


def test_summary_has_hashes_versions_and_counts(tmp_path):
    path = write_compliance_pdf(record(), tmp_path / "compliance-summary.pdf")
    text, pages = text_and_pages(path)
    assert 1 <= pages <= 3
    for expected in (
        SHA_A,
        SHA_B,
        "0.1.0",
        "2026.2",
        "2026-06-30T10:15:00+00:00",
        "Chargemaster audit, St. Mary <Main> campus",
        "12,034 rows",
        "error 41 310",
        "warning 17 55",
        "NS009",
        "278-1001",
        "bundled by contract",
    ):
        assert expected in text, expected
    assert "info 3 —" in text  # a count row without "lines"


def test_missing_keys_show_a_dash(tmp_path):
    rec = record(title=None, counts=[{"queue": "coding"}], waivers=[{"edit": "RC002"}])
    del rec["run"]["edit_set_version"], rec["run"]["inputs"][0]["sha256"], rec["kind"]
    text, pages = text_and_pages(write_compliance_pdf(rec, tmp_path / "c.pdf"))
    assert pages >= 1
    assert "Edit set version —" in text
    assert "SHA-256 —" in text
    assert "coding —" in text
    assert "RC002 — — —" in text

    text, pages = text_and_pages(write_compliance_pdf({}, tmp_path / "empty.pdf"))
    assert pages == 1
    assert "Generated at — Tool version — Edit set version — As of —" in text


def test_a_large_record_stays_within_three_pages(tmp_path):
    long = "a pasted paragraph of explanation that goes on " * 40
    rec = record(
        counts=[{"queue": f"queue {i}", "problems": i, "note": long} for i in range(40)],
        top_problems=[{"edit": "E1", "severity": "error", "message": long, "count": 1}] * 25,
        waivers=[{"edit": "E1", "charge_code": "X" * 80, "reason": long, "until": "2027-01-01"}] * 60,
    )
    rec["run"]["inputs"] *= 20
    text, pages = text_and_pages(write_compliance_pdf(rec, tmp_path / "big.pdf"))
    assert 1 <= pages <= 3
    assert "more, listed in the full report" in text


def test_text_outside_latin1_and_kinds(tmp_path):
    rec = record(kind="claims", title="Claims run 東京 Łódź")
    text, _ = text_and_pages(write_compliance_pdf(rec, tmp_path / "c.pdf"))
    assert "Claims run ?? Lódz" in text and "Claims run" in text
