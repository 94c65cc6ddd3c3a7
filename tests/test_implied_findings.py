"""One gap, one problem on top: a finding that follows from a stronger edit's finding on the same line is info."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.engine.catalog import CatalogError, load_edits

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def _audit(tmp_path: Path, rows: list[str], config: str | None = None):
    """Audit a small chargemaster CSV written from `rows` (header first), with an optional auditor.toml."""
    cdm = tmp_path / "cdm.csv"
    cdm.write_text("\n".join(rows) + "\n", encoding="utf-8")
    request = AuditRequest(as_of=dt.date(2026, 4, 1))
    if config is not None:
        (tmp_path / "auditor.toml").write_text(config, encoding="utf-8")
        request = AuditRequest(as_of=dt.date(2026, 4, 1), config_path=tmp_path / "auditor.toml")
    return run_audit([cdm], request)


# A sacral neurostimulator generator procedure in a chargemaster that bills device C-codes, but none for it.
NO_DEVICE = [
    "Charge Code,Description,Revenue Code,CPT/HCPCS,Price",
    "36064590,HC NEUROSTIM GEN SACRAL INSERT,0360,64590,9000",
    "27801713,HC ANCHOR SUTURE,0278,C1713,300",
]


def _on(result, code: str) -> dict[str, object]:
    """Edit code -> finding, for the findings on the line of procedure `code`."""
    return {f.edit: f for f in result.findings if f.code == code}


def test_device_type_gap_follows_from_no_device_at_all(tmp_path):
    result = _audit(tmp_path, NO_DEVICE)
    found = _on(result, "64590")
    assert found["NS001"].severity == "error"
    lowered = found["NS002"]
    assert lowered.severity == "info"
    assert lowered.message.endswith("(follows from NS001 on this line)")
    assert lowered.extra["implied_by"] == "NS001"
    assert "C1767" in (lowered.expected or "")  # the detail that helps the fix is kept
    summary = next(s for r in result.runs for s in r.summaries if s.code == "NS002")
    assert "1 finding(s) lowered to info: NS001 flags the same line" in summary.note
    # The top problem of that line is NS001's; NS002's problem ranks with the info ones.
    by_edit = {p.edit: p for p in result.problems if p.subject == "36064590"}
    assert by_edit["NS001"].severity == "error" and by_edit["NS002"].severity == "info"


# A sheet skin substitute priced for the whole sheet beside two per-sq-cm lines of the same product.
WHOLE_SHEET = [
    "Charge Code,Description,Revenue Code,CPT/HCPCS,Price",
    "1,HC ALLODERM 8X16 128SQCM THICK*,0278,Q4116,160",
    "2,HC ALLODERM 4X4 16SQCM THICK*,0278,Q4116,170",
    "3,HC ALLODERM 16X20 320SQCM THICK RTU*,0278,Q4116,56024",
]


def test_an_info_finding_says_it_follows_from_the_warning_on_its_line(tmp_path):
    result = _audit(tmp_path, WHOLE_SHEET)
    on_line = {f.edit: f for f in result.findings if f.charge_code == "3"}
    assert on_line["SS015"].severity == "warning"
    outlier = on_line["PR002"]
    assert outlier.severity == "info"
    assert outlier.message.endswith("(follows from SS015 on this line)")
    assert outlier.extra["implied_by"] == "SS015"
    summary = next(s for r in result.runs for s in r.summaries if s.code == "PR002")
    assert "1 finding(s) marked as following: SS015 flags the same line" in summary.note
    assert "lowered to info" not in summary.note


def test_a_waived_implying_finding_does_not_lower(tmp_path):
    config = (
        '[[waivers]]\ncharge_code = "36064590"\nedit = "NS001"\n'
        'reason = "device billed from the implant log"\nuntil = 2026-12-31\n'
    )
    found = _on(_audit(tmp_path, NO_DEVICE, config), "64590")
    assert found["NS001"].waived
    assert found["NS002"].severity == "warning"
    assert "follows from" not in found["NS002"].message


def test_without_the_stronger_finding_the_edit_keeps_its_severity(tmp_path):
    # A lead is there, so NS001 is quiet; the generator is still missing, so NS002 stands as a warning.
    rows = [*NO_DEVICE, "27801778,HC NEUROSTIM LEAD,0278,C1778,1200"]
    found = _on(_audit(tmp_path, rows), "64590")
    assert "NS001" not in found
    assert found["NS002"].severity == "warning"


def test_sample_pairing_row_without_links_is_one_error():
    result = run_audit(
        [SAMPLES / "chargemaster.xlsx"],
        AuditRequest(as_of=dt.date(2026, 4, 1), pairing_tables=[SAMPLES / "pairing_table.csv"]),
    )
    row16 = {
        f.edit: f.severity for f in result.findings if f.file.endswith("pairing_table.csv") and f.row == 16
    }
    assert row16 == {"NS001": "error", "NS002": "info", "PT001": "info"}
    top = [
        p
        for p in result.problems
        if p.severity != "info" and p.subject.endswith("INSERT") and "64590" in p.message
    ]
    assert [p.edit for p in top] == ["NS001"]


def test_implied_by_must_name_known_edits(tmp_path):
    folder = tmp_path / "edits"
    (folder / "lists").mkdir(parents=True)
    source = (REPO / "edits" / "pairing-table.yaml").read_text(encoding="utf-8")
    (folder / "pairing-table.yaml").write_text(
        source.replace("[NS001, SS001]", "[NS001, ZZ999]"), encoding="utf-8"
    )
    for path in (REPO / "edits" / "lists").glob("*.csv"):
        (folder / "lists" / path.name).write_bytes(path.read_bytes())
    with pytest.raises(CatalogError, match="implied_by names unknown edit"):
        load_edits(folder)


def test_acknowledging_the_implying_finding_raises_the_lowered_one_again(tmp_path):
    """NS001 waived by an acknowledgement recorded after the first run: on the next run NS002 is no longer
    lowered by it and speaks at its own severity, with its own message."""
    import json

    from conftest import run_cli

    cdm = tmp_path / "cdm.csv"
    cdm.write_text("\n".join(NO_DEVICE) + "\n", encoding="utf-8")
    db, out = tmp_path / "history.sqlite", tmp_path / "out"

    def audit() -> dict[str, dict]:
        run_cli("audit", cdm, "--as-of", "2026-04-01", "--history", db, "--format", "json", "--out", out)
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        notes["NS002"] = next(e["note"] for e in doc["run"]["edits"] if e["code"] == "NS002")
        return {f["edit"]: f for f in doc["findings"] if f["code"] == "64590"}

    notes: dict[str, str] = {}
    first = audit()
    assert first["NS002"]["severity"] == "info" and first["NS001"]["severity"] == "error"
    assert "1 finding(s) lowered to info: NS001 flags the same line" in notes["NS002"]
    fid = first["NS001"]["history_id"]
    acked = run_cli("ack", fid, "--waive", "--by", "Compliance", "--reason", "implant log", "--history", db)
    assert acked.exit_code == 0, acked.stderr
    again = audit()
    assert again["NS001"]["waived"] is True
    raised = again["NS002"]
    assert raised["severity"] == load_edits().get("NS002").severity != "info"
    assert "follows from" not in raised["message"]
    # The edit's summary no longer counts it as lowered.
    assert "lowered to info" not in notes["NS002"]
