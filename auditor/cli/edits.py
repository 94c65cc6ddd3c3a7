"""`cdm-audit edits`: list the pairing edits, explain one, write their reference page."""

from __future__ import annotations

import json
from pathlib import Path

import click

from auditor.cli.errors import friendly_errors
from auditor.engine.docs import explain_text, render_markdown
from auditor.engine.edit_index import load_edit_index
from auditor.errors import InputError


@click.group()
def edits():
    """List and explain the pairing edits."""


@edits.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@friendly_errors
def edits_list(as_json):
    """Every edit: code, severity, family, category, effective period and name."""
    es = load_edit_index()
    rows = [
        {
            "code": e.code,
            "name": e.name,
            "family": e.family,
            "category": e.category,
            "severity": e.severity,
            "effective": e.period(),
            "scopes": list(e.scopes),
            "basis": "verified" if e.verified else "inferred",
        }
        for e in es.edits
    ]
    if as_json:
        click.echo(json.dumps({"edit_set_version": es.version, "edits": rows}, indent=2))
        return
    click.echo(f"{len(rows)} edits (edit set {es.version})")
    for r in rows:
        click.echo(
            f"{r['code']}  {r['severity']:<7}  {r['family']:<17} {r['category']:<23} {r['name']}"
            + ("  [inferred]" if r["basis"] == "inferred" else "")
        )


@edits.command("explain")
@click.argument("code")
@friendly_errors
def edits_explain(code):
    """What an edit checks, why, how to fix it, its references and examples."""
    es = load_edit_index()
    try:
        edit = es.get(code)
    except KeyError:
        raise InputError(code, "no such edit; see `cdm-audit edits list`") from None
    click.echo(explain_text(edit))


@edits.command("docs")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/edits.md"), show_default=True
)
@friendly_errors
def edits_docs(out):
    """Write the edit reference (docs/edits.md) from the catalogue."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(load_edit_index()), encoding="utf-8")
    click.echo(f"wrote {out}")
