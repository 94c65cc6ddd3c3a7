"""Precision on the hand-labelled findings: every real one raised, no wrong one, noise gone or an info problem.

The labels are the shared sample (../shared/data/real-cdm/labels) plus the ones we added the same way
(tests/data/labels/*.csv); benchmarks/precision.py prints the same outcomes as a per-edit table.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache

import pytest
from conftest import REPO, SHARED

LABELS = SHARED / "data" / "real-cdm" / "labels" / "findings-labelled.csv"

pytestmark = pytest.mark.skipif(not LABELS.is_file(), reason="the shared labelled findings are not here")


@cache
def _precision():
    """The benchmark module: one way to read and match labels, for the test and the printed table."""
    spec = importlib.util.spec_from_file_location("precision_bench", REPO / "benchmarks" / "precision.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@cache
def _outcomes() -> tuple:
    bench = _precision()
    return tuple(bench.audit_outcomes(bench.load_labels(bench.DEFAULT_LABELS), SHARED / "data"))


def _describe(outcomes) -> str:
    return "\n".join(
        f"{o.label.edit} {o.label.folder}/{o.label.sheet}!{o.label.row}: {o.label.why}" for o in outcomes
    )


def test_every_real_finding_is_still_raised():
    missed = [o for o in _outcomes() if o.label.label == "T" and not o.raised]
    assert not missed, "real problems no longer found:\n" + _describe(missed)


def test_no_wrong_finding_is_raised():
    wrong = [o for o in _outcomes() if o.label.label == "F" and o.raised]
    assert not wrong, "findings labelled wrong are raised:\n" + _describe(wrong)


def test_noise_is_gone_or_folded_into_an_info_problem():
    loud = [o for o in _outcomes() if o.label.label == "N" and o.raised and not o.folded]
    assert not loud, "noise raised above info severity:\n" + _describe(loud)


def test_the_labelled_files_are_all_found():
    # A label whose file moved would silently drop out of the measurement.
    bench = _precision()
    labels = bench.load_labels(bench.DEFAULT_LABELS)
    lost = [lab for lab in labels if bench.find_file(SHARED / "data", lab) is None]
    assert not lost, f"{len(lost)} labels point at files that are not there, e.g. {lost[0]}"
    assert len(_outcomes()) == len(labels) >= 114
