"""Reports byte-for-byte as recorded (timestamps aside): a restructuring must not change what users get.

The fingerprints in tests/golden/fingerprints.json were recorded from the reports before the code was
restructured (`python tests/golden/outputs.py --write`); a deliberate change to a report re-records them in
the same commit, with the reason in its message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))

from outputs import STORE, cases, run_case  # noqa: E402

RECORDED = json.loads(STORE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_outputs_as_recorded(name, tmp_path):
    """Every output file of the case has the recorded fingerprint, and no file came or went."""
    args = cases().get(name)
    if args is None:
        pytest.skip("../shared/data is not beside the checkout")
    got = run_case(args, tmp_path / "out")
    assert got == RECORDED[name]
