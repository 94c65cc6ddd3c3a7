"""Claim diagnosis checks: ICD-10-CM quality, side against RT/LT, and fit with the procedure.

diagnosis-quality: params `flag` (invalid | not_billable | unspecified | unspecified_laterality | other),
optional `claim_has` (a selector, or a list of selectors any of which counts) and `claim_has_wiser: true`
(a line whose code is a WISeR service counts too). Diagnoses belong to the claim, so each offending code
is reported once per claim, on the claim's first eligible line that `claim_has` picks (its first eligible
line without `claim_has`); claims with no such line are not checked. Placeholders: {dx}, {description},
{children} (billable codes under a header), {alternatives} (" (for example M17.11, M17.12)" or ""),
{wiser} (" on a claim that needs WISeR prior authorization (TX)" or ""), {codeset} and {dos_note}
(set when the line's date of service is outside the code set's period).

diagnosis-side: params `when` (line selector) and `body_part` (a word such as "knee"). A line carrying
RT or LT (not both) is flagged when the claim's diagnoses that name the body part name only the other
side; a bilateral diagnosis, or one naming the line's side, clears it. One finding per line.
Placeholders: {dx}, {description}, {side} (RT/LT), {line_side}, {dx_side}, {body_part}.

diagnosis-fit: param `list` (default diagnosis_fit) with columns code ('|'-separated codes or ranges),
service, rule, dx_pattern, description_pattern, requires_pattern, expected, reason, basis, source.
Rules: `flag` (a claim diagnosis matching dx_pattern and/or description_pattern does not fit),
`expect` (no claim diagnosis matches: does not fit), `requires` (a diagnosis matching dx_pattern needs
another matching requires_pattern). Patterns are regexes on the dotted code / the description (case-
insensitive). One finding per (claim, rule), on the claim's first eligible line with a code of the rule,
with the claim's other lines of that rule as related rows; an `expect` rule stays quiet where another
rule of the same service already flagged the claim. Placeholders: {dx}, {service}, {reason}, {basis}.
"""

from __future__ import annotations

import polars as pl

from auditor.codeset.icd10 import DiagnosisCodeSet
from auditor.engine.conditions import laterality
from auditor.engine.lists import CatalogError, Selector, expand_codes, resolve_selector

KINDS = ("diagnosis-quality", "diagnosis-side", "diagnosis-fit")
FLAGS = {
    "invalid": ~pl.col("valid"),
    "not_billable": pl.col("valid") & ~pl.col("billable"),
    "unspecified": pl.col("unspecified"),
    "unspecified_laterality": pl.col("unspecified_laterality"),
    "other": pl.col("other"),
}
RULES = ("flag", "expect", "requires")
FIT_COLUMNS = (
    "code",
    "service",
    "rule",
    "dx_pattern",
    "description_pattern",
    "requires_pattern",
    "reason",
    "basis",
)
SIDE_WORD = {"R": "right", "L": "left"}
_EMPTY = {"_rid": pl.Int64}
_MAX_RELATED = 25
CLAIM_DX = "dx_claim"  # the context cache key of the classified claim diagnoses


def prepare(edit, lists) -> None:
    """Resolve selectors and, for diagnosis-fit, the rule rows; bad params fail at load."""
    p = edit.params
    if edit.check == "diagnosis-quality":
        if p.get("flag") not in FLAGS:
            raise CatalogError(f"diagnosis-quality needs flag: one of {', '.join(FLAGS)}")
        p["_claim_has"] = _claim_has(p, lists)
    elif edit.check == "diagnosis-side":
        if not str(p.get("body_part", "")).strip():
            raise CatalogError("diagnosis-side needs body_part (e.g. knee)")
        when = resolve_selector(p.get("when"), lists)
        if when is None:
            raise CatalogError("diagnosis-side needs when")
        p["_when"] = when
    else:
        p["_rules"] = _fit_rules(lists, p.get("list", "diagnosis_fit"))
        p["_codes"] = Selector(frozenset(c for r in p["_rules"] for c in r["codes"]))


def columns(edit) -> tuple[str, ...]:
    """The claim's diagnoses, and what they are held against: side modifiers (diagnosis-side), the code (fit)."""
    return {"diagnosis-side": ("diagnoses", "modifiers"), "diagnosis-fit": ("diagnoses", "code")}.get(
        edit.check, ("diagnoses",)
    )


def _claim_has(p: dict, lists) -> tuple[list[Selector], bool] | None:
    """The `claim_has` selectors (one or a list) and whether WISeR service lines count; None = every claim."""
    spec = p.get("claim_has")
    specs = spec if isinstance(spec, list) else [spec] if spec is not None else []
    selectors = [resolve_selector(s, lists) for s in specs]
    wiser = bool(p.get("claim_has_wiser"))
    return (selectors, wiser) if selectors or wiser else None


def _regex_ok(pattern: str, where: str) -> None:
    """Refuse a pattern polars' regex engine cannot compile (it has no look-around)."""
    try:
        pl.Series([""]).str.contains(pattern)
    except Exception as exc:  # polars raises ComputeError with the regex parser's message
        raise CatalogError(f"{where}: bad regex {pattern!r}: {exc}") from None


def _fit_rules(lists, name: str) -> list[dict]:
    """Rule rows of the fit list, validated, with their codes expanded."""
    if name not in lists:
        raise CatalogError(f"unknown code list {name!r}; lists are: {', '.join(sorted(lists))}")
    rows = lists[name]
    if rows and (missing := [c for c in FIT_COLUMNS if c not in rows[0]]):
        raise CatalogError(f"list {name!r} lacks column(s) {', '.join(missing)}")
    rules = []
    for i, r in enumerate(rows, start=2):
        where = f"list {name!r} row {i}"
        kind = r["rule"].strip()
        if kind not in RULES:
            raise CatalogError(f"{where}: rule {kind!r} is not one of {', '.join(RULES)}")
        dx_pat, desc_pat, req_pat = (
            r[k].strip() for k in ("dx_pattern", "description_pattern", "requires_pattern")
        )
        if not (dx_pat or desc_pat):
            raise CatalogError(f"{where}: needs dx_pattern or description_pattern")
        if kind == "requires" and not req_pat:
            raise CatalogError(f"{where}: a requires rule needs requires_pattern")
        if r["basis"].strip() not in ("verified", "inferred"):
            raise CatalogError(f"{where}: basis must be verified or inferred")
        for pat in (dx_pat, desc_pat, req_pat):
            if pat:
                _regex_ok(pat, where)
        codes = expand_codes([c for c in r["code"].split("|") if c.strip()])
        rules.append(
            {
                "id": len(rules),
                "codes": sorted(codes),
                "rule": kind,
                "service": r["service"].strip(),
                "dx_pattern": dx_pat,
                "description_pattern": f"(?i){desc_pat}" if desc_pat else "",
                "requires_pattern": req_pat,
                "expected": (r.get("expected") or "").strip() or None,
                "reason": r["reason"].strip(),
                "basis": r["basis"].strip(),
            }
        )
    return rules


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Hit rows of the edit's diagnosis check (claim scope only)."""
    frame = ctx.frame
    if (
        ctx.scope_kind != "claim"
        or frame.height == 0
        or "claim_key" not in frame.columns
        or not has_diagnoses(ctx)
    ):
        return pl.DataFrame(schema=_EMPTY)
    if edit.check == "diagnosis-quality":
        return _quality(ctx, edit, eligible)
    if edit.check == "diagnosis-side":
        return _side(ctx, edit, eligible)
    return _fit(ctx, edit, eligible)


# -- shared: each claim's diagnoses, classified once per run ----------------------------------------


def code_set(ctx) -> DiagnosisCodeSet:
    """The ICD-10-CM code set the run was given (the caller chooses it: package data or CMS files)."""
    if ctx.diagnoses is None:
        raise ValueError("diagnosis checks need an ICD-10-CM code set: pass diagnoses= to run_edits")
    return ctx.diagnoses


def claim_diagnoses(ctx) -> pl.DataFrame:
    """One row per (claim, distinct diagnosis), in claim order (`_pos`), with its ICD-10-CM classification."""

    def build() -> pl.DataFrame:
        # Every line of a claim carries the same list, so one line per claim is enough.
        per_claim = (
            ctx.frame.lazy()
            .group_by("claim_key")
            .agg(pl.col("dx").first().list.unique(maintain_order=True))
            .collect(engine="in-memory")
        )
        long = (
            per_claim.with_columns(_pos=pl.int_ranges(0, pl.col("dx").list.len()))
            .explode("dx", "_pos")
            .rename({"dx": "input"})
        )
        return classify_claims(long, code_set(ctx))

    return ctx.memo(CLAIM_DX, build)


def classify_claims(long: pl.DataFrame, codes: DiagnosisCodeSet) -> pl.DataFrame:
    """(claim_key, _pos, input) rows, each input once per claim -> one classified row per (claim, distinct
    diagnosis), in claim order."""
    long = long.filter(pl.col("input").is_not_null() & (pl.col("input").str.strip_chars() != ""))
    classes = codes.classify(long.get_column("input").unique().to_list())
    joined = long.join(classes, on="input", how="left").sort("claim_key", "_pos")
    # Each input is once per claim already: two rows of a claim share a code only where two spellings read as one
    # code (M1711, M17.11). Without such a pair in the distinct inputs there is nothing to drop.
    if not classes.get_column("dx").is_duplicated().any():
        return joined
    return joined.unique(["claim_key", "dx"], keep="first", maintain_order=True)


def has_diagnoses(ctx) -> bool:
    """Whether the claims carry diagnoses: a per-line list, or a claim table the caller classified."""
    return "dx" in ctx.frame.columns or CLAIM_DX in ctx.cache


def _wiser_claims(ctx) -> pl.DataFrame:
    """Claims with a line that needs WISeR prior authorization, and that line's state."""

    def build() -> pl.DataFrame:
        frame = ctx.frame
        if "wiser_in_scope" not in frame.columns:
            key = frame.schema["claim_key"]
            return pl.DataFrame(schema={"claim_key": key, "_state": pl.String, "_wiser": pl.Boolean})
        state = pl.col("wiser_state") if "wiser_state" in frame.columns else pl.lit(None, pl.String)
        return (
            frame.lazy()
            .filter(pl.col("wiser_in_scope").fill_null(False))
            .group_by("claim_key")
            .agg(_state=state.drop_nulls().first(), _wiser=pl.lit(True))
            .collect(engine="in-memory")
        )

    return ctx.memo("dx_wiser", build)


# -- diagnosis-quality -------------------------------------------------------------------------------


def _anchor_expr(p: dict, frame: pl.DataFrame) -> pl.Expr:
    """Lines that may anchor a claim's diagnosis findings (besides `eligible`)."""
    spec = p.get("_claim_has")
    if spec is None:
        return pl.lit(True)
    selectors, wiser = spec
    hit = pl.lit(False)
    for s in selectors:
        hit = hit | s.expr()
    if wiser and "wiser_category" in frame.columns:
        hit = hit | pl.col("wiser_category").is_not_null()
    return hit


def _quality(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """One hit per (claim, diagnosis with the flagged quality), on the claim's anchor line."""
    p = edit.params
    frame = ctx.frame
    dated = "_dos" in frame.columns
    bad = claim_diagnoses(ctx).filter(FLAGS[p["flag"]])
    if bad.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    # Anchor lines are looked for only on the claims with such a diagnosis.
    anchors = (
        frame.lazy()
        .filter(pl.col("claim_key").is_in(bad.get_column("claim_key").unique().implode()))
        .filter(eligible & _anchor_expr(p, frame))
        .group_by("claim_key")
        .agg(pl.col("_rid").min())
        .collect(engine="in-memory")
    )
    if anchors.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    if dated:  # _rid is the row's position in the frame
        anchors = anchors.hstack([frame.get_column("_dos").gather(anchors.get_column("_rid"))])
    hits = (
        anchors.lazy()
        .join(bad.lazy(), on="claim_key")
        .join(_wiser_claims(ctx).lazy(), on="claim_key", how="left")
        .sort("_rid", "_pos")
    )
    codes = code_set(ctx)
    dos_note = pl.lit("")
    if dated:
        outside = ~pl.col("_dos").is_between(codes.valid_from, codes.valid_to).fill_null(True)
        note = pl.format(
            " (the date of service {} is outside {}, the period of the code set used)",
            pl.col("_dos"),
            pl.lit(codes.period()),
        )
        dos_note = pl.when(outside).then(note).otherwise(pl.lit(""))
    alternatives = pl.col("alternatives")
    expected = {
        "not_billable": pl.lit("one of ") + pl.col("billable_children"),
        "unspecified": pl.lit("a specific code such as ") + alternatives,
        "unspecified_laterality": pl.lit("a code with the side, such as ") + alternatives,
    }
    return hits.select(
        "_rid",
        expected=expected.get(p["flag"], pl.lit(None, pl.String)),
        v_dx=pl.col("dx"),
        v_description=pl.col("description").fill_null(""),
        v_children=pl.col("billable_children").fill_null(""),
        v_alternatives=pl.when(alternatives.is_not_null())
        .then(pl.lit(" (for example ") + alternatives + pl.lit(")"))
        .otherwise(pl.lit("")),
        v_wiser=pl.when(pl.col("_wiser").fill_null(False))
        .then(
            pl.lit(" on a claim that needs WISeR prior authorization")
            + pl.when(pl.col("_state").is_not_null())
            .then(pl.format(" ({})", pl.col("_state")))
            .otherwise(pl.lit(""))
        )
        .otherwise(pl.lit("")),
        v_codeset=pl.lit(codes.label),
        v_dos_note=dos_note,
    ).collect(engine="in-memory")


# -- diagnosis-side ----------------------------------------------------------------------------------


def _side(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines whose RT/LT disagrees with every side the claim's diagnoses give the body part."""
    p = edit.params
    frame = ctx.frame
    if "modifiers" not in frame.columns:
        return pl.DataFrame(schema=_EMPTY)
    side = laterality(pl.col("modifiers").str.to_uppercase().str.replace_all(" ", ""))
    # The side is read only on the lines the edit looks at (a filter would compute it on every line).
    lines = (
        ctx.picked(p["_when"])
        .filter(eligible)
        .select("_rid", "claim_key", "code", _side=side.str.slice(0, 1))
        .filter(pl.col("_side").is_not_null())
        .collect(engine="in-memory")
    )
    if lines.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    body = str(p["body_part"]).strip()
    part = f"(?i)\\b{body}\\b"
    # The body part is looked for in each distinct description once, on the lines' claims only.
    dx = (
        claim_diagnoses(ctx)
        .lazy()
        .join(lines.lazy().select("claim_key").unique(), on="claim_key", how="semi")
    )
    sided = dx.filter(pl.col("valid") & pl.col("side").is_not_null())
    wording = sided.select("description").unique().filter(pl.col("description").str.contains(part))
    named = sided.join(wording, on="description", how="semi")
    joined = lines.lazy().join(named, on="claim_key").sort("_rid", "_pos")
    conflict = (pl.col("side") != pl.col("_side")) & (pl.col("side") != "B")
    per_line = (
        joined.group_by("_rid", maintain_order=True)
        .agg(
            pl.col("_side").first(),
            _ok=(~conflict).any(),
            v_dx=pl.col("dx").filter(conflict).first(),
            v_description=pl.col("description").filter(conflict).first(),
            _more=pl.col("dx").filter(conflict).slice(1),
            _dx_side=pl.col("side").filter(conflict).first(),
        )
        .filter(~pl.col("_ok"))
        .with_columns(pl.col("_more").list.join(", "))
    )
    line_side = pl.col("_side").replace_strict(SIDE_WORD, return_dtype=pl.String)
    return per_line.select(
        "_rid",
        "v_dx",
        v_description=pl.col("v_description")
        + pl.when(pl.col("_more") != "").then(pl.lit("; also ") + pl.col("_more")).otherwise(pl.lit("")),
        expected=pl.format("a {} {} diagnosis, or the other side's modifier", line_side, pl.lit(body)),
        v_side=pl.col("_side") + pl.lit("T"),
        v_line_side=line_side,
        v_dx_side=pl.col("_dx_side").replace_strict(SIDE_WORD, return_dtype=pl.String),
        v_body_part=pl.lit(body),
    ).collect(engine="in-memory")


# -- diagnosis-fit -----------------------------------------------------------------------------------


def _matches(rule: dict, pattern_key: str = "") -> pl.Expr:
    """A valid claim diagnosis matches the rule's dx/description patterns (or, given a key, that pattern)."""
    # Junk that happens to start like a code (M17.99) is DX001's business, not evidence for or against a fit.
    if pattern_key:
        return pl.col("valid") & pl.col("dx").str.contains(rule[pattern_key]).fill_null(False)
    hit = pl.col("valid")
    if rule["dx_pattern"]:
        hit = hit & pl.col("dx").str.contains(rule["dx_pattern"]).fill_null(False)
    if rule["description_pattern"]:
        hit = hit & pl.col("description").str.contains(rule["description_pattern"]).fill_null(False)
    return hit


def _fit(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Per (claim, broken rule): a hit on the claim's first line with a code of the rule."""
    rules = edit.params["_rules"]
    by_code = pl.DataFrame(
        [(r["id"], c) for r in rules for c in r["codes"]],
        schema={"_rule": pl.Int32, "code": pl.String},
        orient="row",
    )
    lines = (
        ctx.picked(edit.params["_codes"])
        .filter(eligible)
        .select("_rid", "claim_key", "code")
        .join(by_code.lazy(), on="code")
        .sort("_rid")
        .collect(engine="in-memory")
    )
    if lines.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    # Every rule at once: one anchor per (claim, rule), each rule's patterns asked of the distinct diagnoses.
    anchors = lines.group_by("claim_key", "_rule", maintain_order=True).agg(
        pl.col("_rid").first(), _others=pl.col("_rid").slice(1).head(_MAX_RELATED)
    )
    dx = claim_diagnoses(ctx).join(lines.select("claim_key").unique(), on="claim_key", how="semi")
    matched, required = _rule_matches(dx, rules)
    text = {k: {r["id"]: r[k] for r in rules} for k in ("rule", "service", "expected", "reason", "basis")}

    def of_rule(key: str) -> pl.Expr:
        return pl.col("_rule").replace_strict(text[key], return_dtype=pl.String)

    anchors = anchors.with_columns(_kind=of_rule("rule"), _service=of_rule("service"))
    firm = pl.concat(
        [
            anchors.filter(pl.col("_kind") == "flag").join(matched, on=["claim_key", "_rule"]),
            anchors.filter(pl.col("_kind") == "requires")
            .join(matched, on=["claim_key", "_rule"])
            .join(required, on=["claim_key", "_rule"], how="anti"),
        ]
    )
    # An expect rule stays quiet where a flag or requires rule of its service flagged the claim, and of two
    # expect rules of one service only the first speaks.
    expect = (
        anchors.filter(pl.col("_kind") == "expect")
        .join(matched, on=["claim_key", "_rule"], how="anti")
        .join(firm.select("_service", "claim_key"), on=["_service", "claim_key"], how="anti")
        .sort("_rule")
        .unique(["_service", "claim_key"], keep="first", maintain_order=True)
    )
    claim_list = (
        dx.join(expect.select("claim_key").unique(), on="claim_key", how="semi")
        .group_by("claim_key")
        .agg(_all=pl.col("dx"))
        .with_columns(pl.col("_all").list.join(", "))
    )
    expect = (
        expect.join(claim_list, on="claim_key", how="left")
        .with_columns(v_dx=pl.col("_all").fill_null("no diagnosis"))
        .drop("_all")
    )
    hits = pl.concat([firm, expect.select(firm.columns)])
    if hits.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    return hits.sort("_rid", "_rule").select(
        "_rid",
        "v_dx",
        related=pl.col("_others"),
        expected=of_rule("expected"),
        v_service=pl.col("_service"),
        v_reason=of_rule("reason"),
        v_basis=of_rule("basis"),
    )


def _rule_matches(dx: pl.DataFrame, rules: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(claim, rule, matching diagnoses in claim order) and (claim, rule) whose requires_pattern a diagnosis meets."""
    key = ["dx", "description", "valid"]
    distinct = dx.select(key).unique()
    flags = distinct.with_columns(
        *(_matches(r).alias(f"m{r['id']}") for r in rules),
        *(_matches(r, "requires_pattern").alias(f"q{r['id']}") for r in rules if r["rule"] == "requires"),
    )
    long = (
        flags.unpivot(index=key, variable_name="_flag")
        .filter(pl.col("value"))
        .select(
            *key,
            _rule=pl.col("_flag").str.slice(1).cast(pl.Int32),
            _required=pl.col("_flag").str.starts_with("q"),
        )
    )
    hit = dx.select("claim_key", "_pos", *key).join(long, on=key, nulls_equal=True)
    matched = (
        hit.filter(~pl.col("_required"))
        .sort("claim_key", "_pos")
        .group_by("claim_key", "_rule", maintain_order=True)
        .agg(v_dx=pl.col("dx"))
        .with_columns(pl.col("v_dx").list.join(", "))
    )
    required = hit.filter(pl.col("_required")).select("claim_key", "_rule").unique()
    return matched, required
