"""The claims findings are exactly those recorded before the claims speed work (tests/golden/claims_findings.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "golden"
spec = importlib.util.spec_from_file_location("claims_findings", HERE / "claims_findings.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)
RECORDED = json.loads(golden.STORE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return golden.cases(tmp_path_factory.mktemp("claims"))


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_claims_findings_as_recorded(files, case):
    assert golden.fingerprint(files[case]) == RECORDED[case]
