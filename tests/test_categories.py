"""The category table: every category list of the package derives from it, and each edit's findings name their columns."""

from __future__ import annotations

import pytest

from auditor.engine import categories
from auditor.engine.categories import TABLE


def test_names_are_unique_and_queues_and_flags_known():
    assert len(categories.NAMES) == len(set(categories.NAMES))
    queues = {q.key for q in categories.QUEUES} | {categories.OTHER.key}
    for c in TABLE:
        assert c.queue in queues, c
        assert c.claim_flag is None or c.claim_flag in categories.CLAIM_FLAGS, c


def test_labels_are_what_the_reports_print():
    # Reports humanise the category key; the table's label must say the same thing.
    from auditor.report.charts import humanise

    assert [c.label for c in TABLE] == [humanise(c.name) for c in TABLE]


def test_catalogue_categories_are_the_table():
    from auditor.engine import load_edits
    from auditor.engine.catalog import CATEGORIES

    assert CATEGORIES == categories.NAMES
    assert {e.category for e in load_edits().edits} <= set(categories.NAMES)


def test_report_queues_derive_from_the_table():
    from auditor.report.context import OTHER_QUEUE, QUEUES, queue_of, queue_titles

    assert [(k, t) for k, t, _ in QUEUES] == [(q.key, q.title) for q in categories.QUEUES]
    assert OTHER_QUEUE == ("other", "Other findings")
    assert list(queue_titles()) == [q.key for q in categories.QUEUES] + ["other"]
    for key, _title, members in QUEUES:
        assert members and all(queue_of(m) == key for m in members)
    assert {m for _, _, ms in QUEUES for m in ms} == {c.name for c in TABLE if c.queue != "other"}
    assert queue_of("diagnosis_invalid") == queue_of("no_such_category") == "other"


def test_claim_flags_derive_from_the_table():
    from auditor.claims.summary import FLAGS

    assert FLAGS == categories.CLAIM_FLAGS
    assert categories.with_claim_flag("prior_auth") == tuple(
        n for n in categories.NAMES if n.startswith("prior_auth_")
    )
    assert "description_mismatch" not in categories.with_claim_flag("broken_pairs")
    assert set(categories.with_claim_flag("unspecified_dx")) == {
        "diagnosis_unspecified",
        "diagnosis_unspecified_laterality",
        "diagnosis_other",
    }


@pytest.mark.parametrize(
    "code, columns",
    [
        ("CV001", ("code",)),
        ("RC002", ("revenue_code",)),
        ("NS004", ("description", "code")),
        ("KN006", ("description", "code", "modifiers")),
        ("SS007", ("narrative", "code")),
        ("SS009", ("units",)),
        ("PR001", ("code", "price")),
        ("PR002", ("price",)),
        ("PR003", ("charge_code",)),
        ("WS001", ("utn",)),
        ("DX006", ("diagnoses", "modifiers")),
    ],
)
def test_finding_columns_come_from_the_check_kind(code, columns):
    from auditor.engine import load_edits
    from auditor.engine.checks import finding_columns

    assert finding_columns(load_edits().get(code)) == columns


def test_every_edit_names_canonical_columns():
    from auditor.claims.fields import CLAIM
    from auditor.engine import load_edits
    from auditor.engine.checks import finding_columns
    from auditor.engine.needs import FIELDS

    known = set(FIELDS) | set(CLAIM.names)
    for e in load_edits().edits:
        cols = finding_columns(e)
        assert cols and set(cols) <= known, (e.code, cols)
