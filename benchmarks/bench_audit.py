"""End-to-end audit (read + every edit + findings.json) against a bare fastexcel read of the same file."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ingest  # noqa: E402
import gen_cdm  # noqa: E402
import harness  # noqa: E402


def audit(path: str) -> int:
    """Audit as of 2026-04-01 and write findings.json to a temporary folder, as `cdm-audit audit --format json`."""
    import datetime as dt
    import tempfile

    from auditor.audit import AuditRequest, run_audit
    from auditor.report.document import build_document
    from auditor.report.json_report import write_json

    result = run_audit([Path(path)], AuditRequest(as_of=dt.date(2026, 4, 1)))
    with tempfile.TemporaryDirectory() as out:
        write_json(build_document(result), Path(out))
    return result.runs[0].rows_audited


TASKS = {**bench_ingest.TASKS, "audit": audit}
MEASURES = [
    harness.Measure(
        "audit/fastexcel",
        "audit",
        "fastexcel",
        "xlsx",
        a_base="import_auditor",
        b_base="import_fastexcel",
        target=2.0,
    )
]

if __name__ == "__main__":
    sys.exit(
        harness.suite_main(
            __file__,
            TASKS,
            MEASURES,
            bench_ingest.inputs_for,
            description="audit benchmark: read + all edits + JSON vs bare fastexcel",
            default_data=gen_cdm.DATA_DIR,
        )
    )
