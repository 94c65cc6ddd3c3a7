"""Docs are tests: every example an edit documents (`examples.fail` / `examples.pass` in edits/*.yaml,
shown by `cdm-audit edits explain` and docs/edits.md) is run through a real workbook and the real audit.

A fail example must draw at least one finding of its edit; a pass example none.
"""

from __future__ import annotations

import pytest
from edit_examples import run_example

from auditor.engine import load_edits

EDITS = load_edits()
EXAMPLES = [
    (e.code, kind, i, ex)
    for e in EDITS.edits
    for kind in ("fail", "pass")
    for i, ex in enumerate(e.examples.get(kind) or [])
]


@pytest.mark.parametrize("code,kind,index,example", EXAMPLES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in EXAMPLES])
def test_documented_example(code, kind, index, example, tmp_path):
    """The example behaves as documented."""
    findings = run_example(example, tmp_path)
    mine = [(f.row, f.code, f.message) for f in findings if f.edit == code]
    if kind == "fail":
        others = sorted({f.edit for f in findings})
        assert mine, f"{code} fail example #{index} drew no {code} finding (other edits' findings: {others})"
        # An unknown {placeholder} renders as '?': the message template names a value the check never gives.
        if "?" not in EDITS.get(code).message:
            unfilled = [m for _, _, m in mine if "?" in m]
            assert not unfilled, f"{code} message has an unfilled placeholder: {unfilled}"
    else:
        assert not mine, f"{code} pass example #{index} was flagged: {mine}"


@pytest.mark.parametrize("code", [e.code for e in EDITS.edits])
def test_every_edit_documents_both_ways(code):
    """Each edit shows at least one line that is flagged and one that passes."""
    ex = EDITS.get(code).examples
    assert ex.get("fail"), f"{code} has no examples.fail"
    assert ex.get("pass"), f"{code} has no examples.pass"
