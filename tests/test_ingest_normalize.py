"""Cell normalisation rules (auditor.ingest.normalize) on the values hospitals actually write."""

from __future__ import annotations

import polars as pl
import pytest

from auditor.ingest import normalize as nz


def apply(expr: pl.Expr, **cols: list) -> list:
    """Evaluate one expression over string columns."""
    frame = pl.DataFrame({k: pl.Series(v, dtype=pl.String) for k, v in cols.items()})
    return frame.select(expr.alias("out"))["out"].to_list()


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("278", "0278"),
        ("278.0", "0278"),
        ("0278", "0278"),
        (" 0278 ", "0278"),
        ("OTHER IMPLANT [0278]", "0278"),
        ("MEDICAL/SURGICAL SUPPLIES - OTHER IMPLANT (0278)", "0278"),
        ("360", "0360"),
        ("0636", "0636"),
        ("278 - IMPLANTS", "0278"),
        ("PHARMACY 0250", "0250"),
        ("", None),
        (None, None),
        ("N/A", "N/A"),
        ("REV 360", "0360"),  # a report's label before the code
        ("Rev Code: 0278", "0278"),
        # Two codes in one cell: the first was taken silently; as written, RC001 says it is no revenue code.
        ("0360/0361", "0360/0361"),
        ("0360, 0361", "0360, 0361"),
        ("ROOM 101 [0120]", "0120"),  # a bracketed code still wins over a number in the words
    ],
)
def test_revenue_code(raw, want):
    assert apply(nz.revenue_code("c"), c=[raw]) == [want]


@pytest.mark.parametrize(
    ("raw", "code", "glued"),
    [
        ("15271", "15271", None),
        ("15271.0", "15271", None),
        (" q4101 ", "Q4101", None),
        ("C1713", "C1713", None),
        ("15271-RT", "15271", "RT"),
        ("63650 52", "63650", "52"),
        ("27447-RT-59", "27447", "RT,59"),
        ("100", "00100", None),
        ("1996", "01996", None),  # anesthesia codes 00100-01999 stored as numbers
        ("862.0", "00862", None),
        ("0278", "0278", None),  # a leading zero kept is no lost one: a revenue code, not CPT 00278
        ("2780", "2780", None),  # no anesthesia code has this number
        ("0042T", "0042T", None),
        # A report's label, words or marks around the code (each line flagged as a malformed code before).
        ("CPT 80048", "80048", None),
        ("HCPCS: A6212", "A6212", None),
        ("CPT® 99213", "99213", None),
        ("CPT-4 Code 15271-RT", "15271", "RT"),
        ("15271 - Skin sub graft trunk", "15271", None),
        ("64561 – PERC IMPL NEUROELECT", "64561", None),
        ("80048 (BMP)", "80048", None),
        ("27447 RT LT", "27447", "RT,LT"),  # two letters: modifiers, not words
        ("Q4101*", "Q4101", None),
        ("29881#", "29881", None),
        ("80011665", "80011665", None),  # a charge number in the code column stays what it is
        ("", None, None),
        (None, None, None),
    ],
)
def test_code_parts(raw, code, glued):
    c, g = nz.code_parts("c")
    assert apply(c, c=[raw]) == [code]
    assert apply(g, c=[raw]) == [glued]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("$1,351.73 ", 1351.73),
        ("1234.56", 1234.56),
        ("(12.00)", -12.0),
        ("-5", -5.0),
        ("USD 20", 20.0),
        ("1,250", 1250.0),
        ("1,250,000.5", 1250000.5),
        # Decimal commas (a European-locale export): thousands groups have three digits, so these are cents.
        ("45,10", 45.1),
        ("1250,00", 1250.0),
        ("1.250,00", 1250.0),
        ("$ 1.250.000,5", 1250000.5),
        ("(12,50)", -12.5),
        ("$(12.00)", -12.0),
        ("12.00-", -12.0),  # a mainframe report's trailing minus
        ("$-5", -5.0),
        ("$100 - $200", None),  # a range is no one price
        ("12-15", None),
        ("N/A", None),
        ("", None),
        (None, None),
    ],
)
def test_money(raw, want):
    assert apply(nz.money("c"), c=[raw]) == [want]


def test_modifiers_keep_values_when_another_modifier_cell_is_empty():
    """Regression: one empty MOD cell used to blank the whole row's modifiers (concat_list of a null)."""
    got = apply(
        nz.modifiers(["m1", "m2"]),
        m1=["RT", None, "59", None, "50.0", "rt lt"],
        m2=[None, "LT", "XS", None, "RT", "RT"],
    )
    assert got == ["RT", "LT", "59,XS", None, "50,RT", "RT,LT"]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("RT, 59", "RT,59"),
        ("59RT", "59,RT"),  # glued pairs
        ("RT/LT", "RT,LT"),
        # Words are no modifiers: each was split into two-letter 'modifiers' (NONE -> NO,NE; LEFT -> LE,FT).
        ("NONE", None),
        ("LEFT", None),
        ("Mod: RT", "RT"),
        ("Right (RT)", "RT"),
        ("Modifier 59", "59"),
    ],
)
def test_modifier_cells(raw, want):
    assert apply(nz.modifiers(["c"]), c=[raw]) == [want]


def test_merge_modifiers_keeps_either_side():
    """Regression: a glued '-RT' used to vanish when the modifier column was empty, and vice versa."""
    got = apply(
        nz.merge_modifiers(pl.col("a"), pl.col("b")),
        a=["RT", None, "59", None, "RT,59"],
        b=[None, "52", "59", None, "LT"],
    )
    assert got == ["RT", "52", "59", None, "RT,59,LT"]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("2025-11-26 00:00:00", "2025-11-26"),
        ("11/26/2025", "2025-11-26"),
        ("2025-11-26", "2025-11-26"),
        ("20251126", "2025-11-26"),
        # Excel's short date saved as CSV: read as the year 25 before, dating every claim 2,000 years early.
        ("11/26/25", "2025-11-26"),
        ("1/5/26", "2026-01-05"),
        ("26-NOV-25", "2025-11-26"),  # Oracle's default
        ("26-Nov-2025", "2025-11-26"),
        ("Nov 26, 2025", "2025-11-26"),
        ("2025/11/26", "2025-11-26"),
        ("11-26-2025", "2025-11-26"),
        ("11/26/2025 12:00:00 AM", "2025-11-26"),
        ("2025-11-26T08:30:00", "2025-11-26"),
        ("26/11/2025", "26/11/2025"),  # day first: not guessed, stays as written
        ("2/30/2026", "2/30/2026"),  # no such day
        ("until further notice", "until further notice"),
        ("", None),
    ],
)
def test_iso_date(raw, want):
    assert apply(nz.iso_date("c"), c=[raw]) == [want]


@pytest.mark.parametrize(
    ("column", "want"),
    [
        # Days above 12 come first, never second: the column is day first, its 05/03/2026 is 5 March.
        (["13/02/2026", "05/03/2026", "28/02/26"], ["2026-02-13", "2026-03-05", "2026-02-28"]),
        (
            ["16-03-2026", "02-03-2026", "20-03-2026", "2026-03-01"],
            ["2026-03-16", "2026-03-02", "2026-03-20", "2026-03-01"],
        ),
        # A day above 12 second: month first, as US exports write.
        (["02/13/2026", "05/03/2026"], ["2026-02-13", "2026-05-03"]),
        # Nothing tells (every number 12 or less): month first.
        (["05/03/2026", "01/02/2026"], ["2026-05-03", "2026-01-02"]),
        # Both orders in one column: month first, the day-first cells stay text (the line says so).
        (["13/02/2026", "14/02/2026", "02/15/2026"], ["13/02/2026", "14/02/2026", "2026-02-15"]),
    ],
)
def test_iso_date_reads_a_column_day_first_on_its_own_evidence(column, want):
    assert apply(nz.iso_date("c"), c=column) == want


def test_one_stray_day_first_date_does_not_turn_a_month_first_column():
    column = [f"{m:02d}/{m:02d}/2026" for m in range(1, 13)] + ["13/01/2026"]
    got = apply(nz.iso_date("c"), c=column)
    assert got[:12] == [f"2026-{m:02d}-{m:02d}" for m in range(1, 13)] and got[12] == "13/01/2026"


def test_inferred_code_from_description():
    got = apply(
        nz.inferred_code("d"),
        d=["HC OPTIME SHELL 278 C1820", "SKIN SUB Q4101/SQCM", "ROOM 0120", "LEADC1778X"],
    )
    assert got == ["C1820", "Q4101", None, None]
