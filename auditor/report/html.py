"""report.html: one self-contained page (inline CSS, JS, SVG and data) rendered from jinja2 templates."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from auditor.errors import InputError
from auditor.report.cells import where
from auditor.report.charts import bar_chart, humanise, stacked_counts, trend_chart
from auditor.report.context import QUEUES, SEVERITY_ORDER, ReportContext, queue_of, queue_titles
from auditor.report.gaps import by_reason, not_evaluable, partly_seen
from auditor.report.problems_view import (
    amount_text,
    finding_ranks,
    main_file,
    problem_counts,
    problems_of,
    subject_label,
    top_problems,
)
from auditor.report.runs import row_runs
from auditor.report.sheets import sheet_state
from auditor.resources import resource_dir

if TYPE_CHECKING:
    from jinja2 import Environment

# Findings embedded in one page; past this the page keeps the most urgent ones and says so (the JSON,
# CSV and Excel reports always hold every finding). 100k findings embed as ~25 MB and still filter smoothly.
HTML_MAX_FINDINGS = 200_000
RELATED_PER_FINDING = 20
# Findings per page of the table: with the fix-first list above it, a page stays a few screens long.
PAGE_SIZE = 100
# Lines listed under each "Fix first" problem; every line is in the Excel and JSON reports.
LINES_PER_PROBLEM = 50
HISTORY_LIST_MAX = 100  # rows of each "since last run" list in the page; the JSON report holds them all
SKIPPED_ROWS_TEXT = 400
# Field order of one embedded problem (the "All problems" tables): group is its severity, or "waived".
PROBLEM_FIELDS = ("rank", "group", "edit", "subject", "lines", "amount", "basis", "finding", "message")
# Field order of one embedded finding; the page's script reads it from the data, not from this list.
FIELDS = (
    "edit",
    "severity",
    "file",
    "sheet",
    "row",
    "charge_code",
    "code",
    "revenue_code",
    "description",
    "message",
    "expected",
    "related",
    "related_total",
    "waived",
    "waiver_reason",
    "scope",
    "problem",
)


def page_csp(style_src: str = "'unsafe-inline'", script_src: str = "'unsafe-inline'") -> str:
    """The Content-Security-Policy of a report page: its own inline style and script, data: images, nothing else."""
    return (
        f"default-src 'none'; style-src {style_src}; script-src {script_src}; img-src data:; "
        "form-action 'none'; base-uri 'none'"
    )


@functools.lru_cache(maxsize=16)
def environment(template_dirs: tuple[Path, ...] = ()) -> Environment:
    """Jinja2 environment: facility folders first, then the packaged templates (also as `default:NAME`)."""
    # On use: the registry imports every renderer, and only a run that writes a page should load jinja2.
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

    packaged = str(resource_dir("templates"))
    loader = ChoiceLoader(
        [
            FileSystemLoader([str(d) for d in template_dirs]),
            FileSystemLoader(packaged),
            PrefixLoader({"default": FileSystemLoader(packaged)}, delimiter=":"),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["sheet_state"] = sheet_state
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["human"] = humanise
    env.filters["bytes"] = _human_bytes
    return env


def embed_json(value) -> Markup:
    """JSON safe inside a <script type="application/json"> block: no `</`, `<!--`, `&` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return Markup(text)


def page_data(doc: dict, limit: int | None = None) -> dict:
    """The findings as compact rows for the page's script: repeated strings interned, most urgent first."""
    strings: dict[str, int] = {}

    def intern(s):
        return None if s is None else strings.setdefault(s, len(strings))

    # The document's findings are in fix-first order (problem by problem): the page keeps it, so a cap keeps
    # the problems that matter most. A document without problems falls back to queue, severity, row.
    ranks = finding_ranks(doc)
    if any(r is not None for r in ranks):
        ordered = list(zip(doc["findings"], ranks, strict=True))
    else:
        rank = {k: i for i, (k, _t, _c) in enumerate(QUEUES)}
        sev = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        ordered = sorted(
            zip(doc["findings"], ranks, strict=True),
            key=lambda fr: (
                rank.get(queue_of(fr[0]["category"]), len(rank)),
                sev.get(fr[0]["severity"], 9),
                fr[0]["file"],
                fr[0]["sheet"] or "",
                fr[0]["row"] or 0,
                fr[0]["edit"],
            ),
        )
    edits, rows = {}, []
    for f, problem in ordered[: HTML_MAX_FINDINGS if limit is None else limit]:
        edits.setdefault(
            f["edit"],
            {
                "name": f["name"],
                "family": f["family"],
                "category": f["category"],
                "queue": queue_of(f["category"]),
            },
        )
        rel = [
            [
                intern(r["file"]),
                intern(r["sheet"]),
                r["row"],
                r["charge_code"],
                r["code"],
                r["revenue_code"],
                r["description"],
            ]
            for r in f["related_rows"][:RELATED_PER_FINDING]
        ]
        rows.append(
            [
                f["edit"],
                f["severity"],
                intern(f["file"]),
                intern(f["sheet"]),
                f["row"],
                f["charge_code"],
                f["code"],
                f["revenue_code"],
                f["description"],
                f["message"],
                intern(f["expected"]),
                rel,
                len(f["related_rows"]),
                1 if f["waived"] else 0,
                f["waiver_reason"],
                f["scope"],
                problem,
            ]
        )
    return {
        "fields": FIELDS,
        "strings": list(strings),
        "edits": dict(sorted(edits.items())),
        "queues": [[k, t] for k, t in queue_titles().items()],
        "severities": list(SEVERITY_ORDER),
        "findings": rows,
        "total": len(doc["findings"]),
        "page_size": PAGE_SIZE,
        "problem_fields": PROBLEM_FIELDS,
        "problems": problem_rows(doc, len(rows), intern),
    }


def problem_rows(doc: dict, embedded: int, intern) -> list[list]:
    """Every problem as a compact row for the "All problems" tables the script fills (see PROBLEM_FIELDS).

    A problem's message is mostly its first finding's: `finding` then points at that finding's row in the page's
    data (findings keep the document's fix-first order there), and `message` is only sent when it is not embedded
    or says more than the finding ("...; and 21 more like it on this code").
    """
    out = []
    findings = doc["findings"]
    for p in problems_of(doc):
        first = p["findings"][0] if p["findings"] else None
        here = first is not None and first < embedded and findings[first]["message"] == p["message"]
        out.append(
            [
                p["rank"],
                "waived" if p["waived"] else p["severity"],
                p["edit"],
                subject_label(p, doc),
                p["lines"],
                amount_text(p),
                intern(p["basis"]),
                first if here else None,
                None if here else p["message"],
            ]
        )
    return out


def view(ctx: ReportContext) -> dict:
    """The template context: the document plus queue counts, charts, edit explanations and skipped groups."""
    doc = ctx.doc
    tally = {k: {"count": 0, "waived": 0, "errors": 0} for k in queue_titles()}
    for f in doc["findings"]:
        t = tally[queue_of(f["category"])]
        if f["waived"]:
            t["waived"] += 1
        else:
            t["count"] += 1
            t["errors"] += f["severity"] == "error"
    queues = [
        {"key": k, "title": title, **tally[k]}
        for k, title in queue_titles().items()
        if k != "other" or tally[k]["count"] + tally[k]["waived"]
    ]
    embedded = min(len(doc["findings"]), HTML_MAX_FINDINGS)
    chargemasters = [i for i in doc["run"]["inputs"] if i["role"] == "chargemaster"]
    edits, other_edits = ctx.scoped_edit_docs()
    return {
        "doc": doc,
        "run": doc["run"],
        "summary": doc["summary"],
        "queues": queues,
        # Facility templates may add inline styles, so the page allows inline blocks rather than listing hashes.
        "csp": page_csp(),
        "generator": f"{doc['run']['tool']} {doc['run']['tool_version']}",
        "title": "Chargemaster audit: " + ", ".join(Path(i["path"]).name for i in chargemasters),
        "chart_family": bar_chart("Findings by family", stacked_counts(doc["findings"], "family")),
        "chart_category": bar_chart("Findings by category", stacked_counts(doc["findings"], "category")),
        "edits": edits,
        "other_edits": _by_note(other_edits),
        "skipped": skipped_groups(doc["skipped_rows"]),
        "capped": embedded < len(doc["findings"]),
        "embedded": embedded,
        "page_size": PAGE_SIZE,
        "data": embed_json(page_data(doc)),
        "history": doc.get("history"),
        "blocked": not_evaluable(doc["run"]["edits"]),
        "blocked_by_reason": by_reason(doc["run"]["edits"]),  # one line per missing column, as the terminal
        "partial": partly_seen(doc["run"]["edits"]),
        "chart_trend": trend_chart(doc["history"]["trend"]) if doc.get("history") else "",
        "history_lists": history_lists(doc.get("history")),
        **problems_view(doc),
    }


def history_lists(hist: dict | None) -> dict[str, list[dict]]:
    """Each "since last run" list, errors first, cut to HISTORY_LIST_MAX rows (findings.json keeps them all)."""
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    keys = ("new", "reappeared", "resolved", "fixes_confirmed", "waived_by_ack")
    return {
        k: sorted((hist or {}).get(k) or [], key=lambda f: rank.get(f.get("severity"), 9))[:HISTORY_LIST_MAX]
        for k in keys
    }


def problems_view(doc: dict) -> dict:
    """The "Fix first" problems with their lines, and every problem grouped by severity (waived last)."""
    base = main_file(doc)
    findings = doc["findings"]

    def row(p: dict) -> dict:
        return {
            "rank": p["rank"],
            "severity": p["severity"],
            "waived": p["waived"],
            "edit": p["edit"],
            "name": p["name"],
            "subject": subject_label(p, doc),
            "lines": p["lines"],
            "amount": amount_text(p),
            "basis": p["basis"],
            "message": p["message"],
        }

    # With one sheet in the whole audit, a line is just its row number (the sheet is named once, above).
    sheets = {(f["file"], f["sheet"]) for f in findings}
    one_sheet = next(iter(sheets))[1] if len(sheets) == 1 else None
    top = []

    def at(f: dict, file: str) -> str:
        return f"row {f['row']}" if one_sheet else where(f.get("file") or file, f["sheet"], f["row"], base)

    for p in top_problems(doc):
        shown = [findings[i] for i in p["findings"][:LINES_PER_PROBLEM]]
        items = []
        for f in shown:
            items.append({**f, "where": at(f, f["file"]), "group_of": None})
            if p.get("related_lines"):
                # A duplicate group's other lines are lines of the problem: listed under the line that was flagged.
                group_of = items[-1]["where"]
                items += [
                    {
                        **r,
                        "where": at(r, f["file"]),
                        "group_of": group_of,
                        "waived": f["waived"],
                        "message": "",
                    }
                    for r in f["related_rows"]
                ]
        items = items[:LINES_PER_PROBLEM]
        # The problem's message and expectation shown once when every line says the same.
        same = all(f["message"] == p["message"] for f in shown)
        expected = {f["expected"] for f in shown}
        top.append(
            {
                **row(p),
                "entries": items,
                "more": max(len(p["findings"]) - len(shown), p["lines"] - len(items)),
                "same_message": same,
                "expected": next(iter(expected)) if same and len(expected) == 1 else None,
            }
        )
    # The "All problems" rows come from the page data (compact, filled when a group is opened): counts only here.
    groups: dict[str, int] = {s: 0 for s in (*SEVERITY_ORDER, "waived")}
    for p in problems_of(doc):
        groups["waived" if p["waived"] else p["severity"]] += 1
    return {
        "top": top,
        "problem_counts": problem_counts(doc),
        "problem_groups": [{"key": k, "count": n} for k, n in groups.items() if n],
        "one_sheet": one_sheet,
    }


def _by_note(edits: list[dict]) -> list[dict]:
    """Edits left out of the explanations, grouped by why ('applies to claim': [codes])."""
    notes: dict[str, list[str]] = {}
    for e in edits:
        notes.setdefault(e["note"] or e["status"], []).append(e["code"])
    return [{"note": n, "codes": codes} for n, codes in notes.items()]


def skipped_groups(skipped: list[dict]) -> list[dict]:
    """Skipped rows grouped by file, sheet and reason, with their row numbers as short ranges."""
    groups: dict[tuple, list[int]] = {}
    for s in skipped:
        groups.setdefault((s["file"], s["sheet"], s["reason"]), []).append(s["row"])
    out = []
    for (file, sheet, reason), rows in groups.items():
        text = _ranges(sorted(r for r in rows if r is not None))
        if len(text) > SKIPPED_ROWS_TEXT:
            text = text[:SKIPPED_ROWS_TEXT].rsplit(",", 1)[0] + ", …"
        out.append({"file": file, "sheet": sheet, "reason": reason, "count": len(rows), "rows": text})
    return out


def render_html(ctx: ReportContext | dict) -> str:
    """The whole report page as a string (what the CLI writes and a web route can serve)."""
    from jinja2 import TemplateError  # on use, as in environment()

    ctx = ReportContext.of(ctx)
    try:
        return environment(tuple(ctx.templates)).get_template("report.html").render(view(ctx))
    except TemplateError as exc:
        if not ctx.templates:
            raise
        where = f" ({exc.filename}, line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise InputError(", ".join(map(str, ctx.templates)), f"report template error{where}: {exc}") from None


def write_html(ctx: ReportContext | dict, out_dir: Path) -> Path:
    """report.html in `out_dir`."""
    path = out_dir / "report.html"
    path.write_text(render_html(ctx), encoding="utf-8")
    return path


def _ranges(rows: list[int]) -> str:
    """[1, 3, 4, 5, 9] -> '1, 3-5, 9'."""
    return ", ".join(str(first) if n == 1 else f"{first}-{last}" for first, last, n in row_runs(rows))


def _human_bytes(n: int) -> str:
    """1536 -> '1.5 KB'."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
