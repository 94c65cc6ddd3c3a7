"""Route each row's code by its type: CPT/HCPCS are audited, NDC, DRG, EAPG and local codes are kept aside."""

from __future__ import annotations

import polars as pl

from auditor.ingest import shapes as sh


def declared_type(col: str) -> pl.Expr:
    """A code-type cell ('CPT', 'ms-drg', 'NDC') as the type name; unknown labels become 'OTHER'."""
    s = pl.col(col).str.strip_chars().str.to_uppercase()
    named = s.replace_strict(sh.CODE_TYPES, default="OTHER", return_dtype=pl.String)
    return pl.when(s.is_null() | (s == "")).then(None).otherwise(named)


def shape_type(code: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The type a code's shape gives when no column says it: NDC, CPT, HCPCS, LOCAL, or null (malformed)."""
    plain = raw.str.strip_chars().str.to_uppercase().str.replace(r"\.0+$", "")
    return (
        pl.when(plain.str.contains(sh.NDC))
        .then(pl.lit("NDC"))
        .when(code.str.contains(rf"^{sh.CPT}$"))
        .then(pl.lit("CPT"))
        .when(code.str.contains(rf"^{sh.LEVEL2}$"))
        .then(pl.lit("HCPCS"))
        .when(code.str.contains(sh.LOCAL))
        .then(pl.lit("LOCAL"))
        .otherwise(None)
    )


def code_kind(code: pl.Expr, raw: pl.Expr, declared: pl.Expr | None) -> pl.Expr:
    """A row's code type: what a code-type column declares, else what the code's shape gives."""
    found = shape_type(code, raw)
    return pl.coalesce(declared, found) if declared is not None else found


def route(code: pl.Expr, raw: pl.Expr, kind: pl.Expr) -> dict[str, pl.Expr]:
    """code (CPT/HCPCS only), code_type, and other_code (the value of any other type, as written).

    `kind` is read several times: pass a column computed beforehand (code_kind), not the expression itself.
    """
    audited = kind.is_null() | kind.is_in(sh.AUDITED_TYPES)
    return {
        "code": pl.when(audited).then(code).otherwise(None),
        "code_type": pl.when(code.is_not_null() | raw.is_not_null()).then(kind).otherwise(None),
        "other_code": pl.when(~audited).then(raw.str.strip_chars()).otherwise(None),
    }


def code_type_counts(frame: pl.DataFrame) -> dict[str, int]:
    """How many audited lines carry each code type (lines without a code are not counted)."""
    if "code_type" not in frame.columns or frame.height == 0:
        return {}
    counts = frame.get_column("code_type").drop_nulls().value_counts(sort=True)
    return {k: int(v) for k, v in counts.iter_rows()}
