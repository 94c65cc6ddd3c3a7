"""requires-companion / add-on-needs-primary: a trigger code needs a companion code in the same scope.

Params: `when` (trigger selector); then either `companion` (one selector, any row matching it
satisfies the trigger) or `requires_from: {list, column, resolve: {list, column}}` (per-trigger
groups; every group must be satisfied). add-on-needs-primary takes `primary_from: {list, column}`.
Optional `companion_label` names the companion in messages; `expected` overrides the expected text;
`companion_description_not` (regex) discounts companion rows whose description says they are
something else (a PROGRAMMER coded as a generator does not supply the generator).
`evaluable_with` (selector) and `evaluable_label` (its name in notes): on a chargemaster, a file holding
no line of that kind at all (no device C-code, no skin substitute product) cannot show the pairing, so
its triggers are not judged, and the edit is reported not evaluable when no file holds one.
On a chargemaster, case-rate and package lines are never triggers: they bundle the companion.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from auditor.engine.checks.companions import (
    group_table,
    groups_missing,
    no_hits,
    related_rows,
    trigger_rows,
    triggers_missing,
)
from auditor.engine.lists import CatalogError, Selector, groups_from, resolve_selector
from auditor.engine.needs import UNSEEN

KINDS = ("requires-companion", "add-on-needs-primary")
# Case-rate and package lines price the whole episode, devices included: no companion line is expected.
CASE_RATE = r"(?i)\b(CASE RATES?|PACKAGES?|PKG|GLOBAL)\b"


def prepare(edit, lists) -> None:
    """Resolve the trigger selector and the companion groups."""
    p = edit.params
    spec = p.get("requires_from") or p.get("primary_from")
    if edit.check == "add-on-needs-primary" and not p.get("primary_from"):
        raise CatalogError("add-on-needs-primary needs primary_from: {list, column}")
    if spec:
        groups = groups_from(spec, lists)
        when = resolve_selector(p.get("when"), lists) or Selector(frozenset(groups))
        p["_group_table"] = group_table(groups, p.get("expected"))
        p["_members"] = Selector(frozenset(c for gs in groups.values() for g in gs for c in g))
        p["_static"] = None
    elif "companion" in p:
        when = resolve_selector(p.get("when"), lists)
        p["_group_table"] = None
        p["_static"] = resolve_selector(p["companion"], lists)
    else:
        raise CatalogError("requires-companion needs companion or requires_from")
    if when is None:
        raise CatalogError("requires-companion needs when")
    p["_when"] = when
    p["_evaluable"] = resolve_selector(p.get("evaluable_with"), lists)


def _scopes_with_kind(ctx, edit) -> pl.Series | None:
    """Scopes holding at least one line of the edit's `evaluable_with` kind (None: no such param or scope)."""
    selector = edit.params.get("_evaluable")
    if selector is None or ctx.scope_kind != "chargemaster":
        return None
    return ctx.memo(
        ("evaluable", selector),
        lambda: (
            ctx.frame.lazy()
            .filter(selector.expr())
            .select("_scope")
            .unique()
            .collect(engine="in-memory")["_scope"]
        ),
    )


def _not_case_rate(ctx) -> pl.Expr:
    """On a chargemaster, lines that are not case rates or packages (elsewhere every line)."""
    if ctx.scope_kind != "chargemaster" or "description" not in ctx.frame.columns:
        return pl.lit(True)
    return ~pl.col("description").str.contains(CASE_RATE).fill_null(False)


def _triggers(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The edit's trigger rows (not case rates), found once per run: the evaluation and its notes all ask."""
    return ctx.memo(
        ("triggers", edit.code),
        lambda: trigger_rows(ctx, eligible & _not_case_rate(ctx), edit.params["_when"]),
    )


def unevaluable(ctx, edit, eligible: pl.Expr) -> str | None:
    """Why the edit cannot judge this chargemaster's triggers (no line of the companion kind at all), else None.

    Without a trigger line there is nothing to judge, and the edit simply ran.
    """
    if _triggers(ctx, edit, eligible).height == 0:  # asked first: the evaluation needs them anyway
        return None
    scopes = _scopes_with_kind(ctx, edit)
    if scopes is None or scopes.len():
        return None
    label = edit.params.get("evaluable_label", "companion")
    return f"the chargemaster has no {label} line at all, so the pairing cannot be seen in it"


def unevaluated(ctx, edit, eligible: pl.Expr) -> str | None:
    """Files of a several-file chargemaster whose triggers were not judged for want of any companion-kind line."""
    scopes = _scopes_with_kind(ctx, edit)
    if scopes is None or not scopes.len():
        return None
    triggers = _triggers(ctx, edit, eligible)
    left = sorted(set(triggers.get_column("_scope").unique().to_list()) - set(scopes.to_list()))
    if not left:
        return None
    label = edit.params.get("evaluable_label", "companion")
    names = ", ".join(Path(str(s)).name for s in left)
    return f"{UNSEEN}{names}: no {label} line at all"


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Trigger rows with a group of companions missing from their scope."""
    p, frame = edit.params, ctx.frame
    triggers = _triggers(ctx, edit, eligible)
    if triggers.height == 0:
        return no_hits()
    scopes = _scopes_with_kind(ctx, edit)
    if scopes is not None:
        triggers = triggers.filter(pl.col("_scope").is_in(scopes.to_list()))
        if triggers.height == 0:
            return no_hits()
    # Discounted rows (companion_description_not) stay triggers above but cannot serve as companions.
    discount = p.get("companion_description_not")
    out = []
    if p["_static"] is not None:
        miss = triggers_missing(ctx.presence_of(p["_static"], discount), triggers, p["_static"])
        out.append(
            miss.with_columns(expected=pl.lit(p.get("expected") or p.get("companion_label") or "a companion"))
        )
    else:
        out.append(groups_missing(ctx.presence_of(p["_members"], discount), triggers, p["_group_table"]))
    result = (
        pl.concat(out)
        if out
        else pl.DataFrame(schema={"_rid": pl.Int64, "_scope": frame.schema["_scope"], "expected": pl.String})
    )
    if ctx.scope_kind != "chargemaster":
        result = related_rows(frame, result)
    return result.drop("_scope")
