"""report.html parsed with the stdlib html.parser: summary numbers, escaping, self-containment, overrides."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_fixtures import (
    AS_OF,
    HOSTILE,
    audit_reports,
    hostile_cdm,
    load_doc,
)


class Page(HTMLParser):
    """Every element's tag and attributes, the text of each script, and all text outside scripts and styles."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: tuple[str, dict] | None = None
        self._buf: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in ("script", "style"):
            self._in, self._buf = (tag, a), []

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            body = "".join(self._buf)
            (self.scripts.append((self._in[1], body)) if tag == "script" else self.styles.append(body))
            self._in = None

    def handle_data(self, data):
        (self._buf if self._in else self.text).append(data)

    def find(self, tag=None, **attrs) -> list[dict]:
        """Attributes of elements matching the tag and attribute values (None = attribute present)."""
        out = []
        for t, a in self.elements:
            if tag and t != tag:
                continue
            if all((k in a) if v is None else a.get(k) == v for k, v in attrs.items()):
                out.append(a)
        return out

    def data(self) -> dict:
        """The embedded findings data."""
        (body,) = [b for a, b in self.scripts if a.get("type") == "application/json"]
        return json.loads(body)


def page(out: Path) -> Page:
    """report.html of a report folder, parsed."""
    return Page((out / "report.html").read_text(encoding="utf-8"))


def metric(p: Page, name: str) -> int:
    """The data-value of one summary metric."""
    (a,) = p.find(**{"data-metric": name})
    return int(a["data-value"])


def test_summary_numbers_match_the_json(sample_reports):
    doc, p = load_doc(sample_reports), page(sample_reports)
    s = doc["summary"]
    for key in ("rows_audited", "rows_skipped", "findings", "waived"):
        assert metric(p, key) == s[key], key
    for sev in ("error", "warning", "info"):
        assert metric(p, f"severity.{sev}") == s["by_severity"][sev]
    for key, attr in (("by_category", "data-category"), ("by_family", "data-family")):
        rows = p.find("tr", **{attr: None})
        assert {r[attr] for r in rows} == set(s[key])
    text = " ".join(p.text)
    for i in doc["run"]["inputs"]:
        assert p.find("code", **{"data-input-sha": i["sha256"]}) and i["path"] in text
    assert doc["run"]["edit_set_version"] in text and AS_OF in text and doc["run"]["quarter"] in text
    queues = {a["data-queue-count"]: int(a["data-value"]) for a in p.find(**{"data-queue-count": None})}
    assert sum(queues.values()) == s["findings"] - s["waived"]


def test_findings_embedded_with_edit_explanations(sample_reports):
    doc, p = load_doc(sample_reports), page(sample_reports)
    data = p.data()
    assert data["total"] == len(data["findings"]) == len(doc["findings"])
    X = {k: i for i, k in enumerate(data["fields"])}
    got = sorted(
        (r[X["edit"]], data["strings"][r[X["sheet"]]], r[X["row"]], r[X["waived"]]) for r in data["findings"]
    )
    want = sorted((f["edit"], f["sheet"], f["row"], int(f["waived"])) for f in doc["findings"])
    assert got == want
    related = [r for r in data["findings"] if r[X["related_total"]]]
    assert related and all(len(r[X["related"]]) == min(r[X["related_total"]], 20) for r in related)
    for code in {f["edit"] for f in doc["findings"]}:
        assert p.find("article", id=f"edit-{code}"), f"no explanation section for {code}"
    text = " ".join(p.text)
    assert "What" in text and "Why" in text and "Fix" in text


def test_waived_and_skipped_rows_are_shown(sample_reports):
    doc, p = load_doc(sample_reports), page(sample_reports)
    assert doc["summary"]["waived"] >= 1
    text = " ".join(p.text)
    assert "Payer contract <b>ACME</b> allows it" in text  # shown as text, not markup
    assert not p.find("b")
    assert p.find("table", id="waivers-table")
    assert p.find("table", id="skipped-table")
    for s in doc["skipped_rows"][:3]:
        assert s["reason"] in text


def test_script_payloads_are_escaped(hostile_reports):
    html = (hostile_reports / "report.html").read_text(encoding="utf-8")
    p = Page(html)
    assert "<script>alert(1)</script>" not in html
    assert "<img" not in html.lower()
    assert len(p.scripts) == 2 and [a.get("type") for a, _ in p.scripts] == ["application/json", None]
    assert not p.find("img")
    data = p.data()
    X = {k: i for i, k in enumerate(data["fields"])}
    assert {r[X["description"]] for r in data["findings"]} >= {
        HOSTILE["30000006"],
        HOSTILE["30000007"],
        '=HYPERLINK("http://x","y")',
    }


def test_nothing_outside_the_file_is_referenced(sample_reports, hostile_reports):
    for out in (sample_reports, hostile_reports):
        p = page(out)
        for tag, attrs in p.elements:
            for name in ("src", "href", "srcset", "action", "data", "poster", "background", "xlink:href"):
                if name in attrs:
                    value = attrs[name] or ""
                    assert value.startswith(("#", "data:")), f"<{tag} {name}={value!r}>"
        assert not p.find("link") and not p.find("iframe") and not p.find("object") and not p.find("embed")
        for css in p.styles:
            assert "@import" not in css
            assert all(u.strip("'\" ").startswith(("data:", "#")) for u in re.findall(r"url\(([^)]*)\)", css))
        for attrs, js in p.scripts:
            assert "src" not in attrs
            if attrs.get("type") != "application/json":
                assert not re.search(r"\b(fetch|XMLHttpRequest|import\(|WebSocket|innerHTML|outerHTML)", js)
        (csp,) = p.find("meta", **{"http-equiv": "Content-Security-Policy"})
        assert "default-src 'none'" in csp["content"]


def test_print_stylesheet_and_sticky_filters(sample_reports):
    p = page(sample_reports)
    css = "".join(p.styles)
    assert "@media print" in css and "@page" in css
    assert re.search(r"\.filters\s*\{[^}]*position:\s*sticky", css)
    for control in ("f-text", "f-category", "f-severity", "f-family", "f-edit", "f-sort"):
        assert p.find(id=control), control


def test_stale_quarter_message_is_prominent(tmp_path):
    out = audit_reports(tmp_path / "out", hostile_cdm(tmp_path / "h.xlsx"), [], "--as-of", "2031-06-01")
    doc, p = load_doc(out), page(out)
    assert doc["run"]["quarter_stale"] and doc["run"]["quarter_message"]
    (alert,) = p.find("div", id="quarter-warning")
    assert alert["role"] == "alert"
    assert doc["run"]["quarter_message"] in " ".join(p.text)


def test_facility_letterhead_override(tmp_path):
    tdir = tmp_path / "facility"
    tdir.mkdir()
    (tdir / "report.html").write_text(
        '{% extends "default:report.html" %}{% block letterhead %}'
        '<div class="facility-letterhead">St. Example Compliance Office {{ run.as_of }}</div>{% endblock %}',
        encoding="utf-8",
    )
    out = audit_reports(tmp_path / "out", hostile_cdm(tmp_path / "h.xlsx"), [], "--templates", tdir)
    p = page(out)
    assert p.find("div", **{"class": "facility-letterhead"})
    assert f"St. Example Compliance Office {AS_OF}" in " ".join(p.text)
    assert not p.find("div", **{"class": "letterhead"})  # the packaged letterhead was replaced
    assert p.find("section", id="findings")  # everything else still comes from the packaged template


def test_partial_override(tmp_path):
    from auditor.report.context import ReportContext
    from auditor.report.html import render_html

    tdir = tmp_path / "facility"
    tdir.mkdir()
    (tdir / "_letterhead.html").write_text('<p class="lh">Mercy &amp; Co. {{ "<i>" }}</p>', encoding="utf-8")
    doc = load_doc(audit_reports(tmp_path / "out", hostile_cdm(tmp_path / "h.xlsx"), []))
    p = Page(render_html(ReportContext(doc, templates=(tdir,))))
    assert p.find("p", **{"class": "lh"}) and "Mercy & Co. <i>" in " ".join(p.text)  # autoescape still on
    assert not p.find("i")


def test_cap_is_announced(tmp_path, monkeypatch):
    from auditor.report import html
    from auditor.report.context import ReportContext

    doc = load_doc(audit_reports(tmp_path / "out", hostile_cdm(tmp_path / "h.xlsx"), []))
    monkeypatch.setattr(html, "HTML_MAX_FINDINGS", 3)
    p = Page(html.render_html(ReportContext(doc)))
    assert len(p.data()["findings"]) == 3 and p.data()["total"] == len(doc["findings"])
    assert p.find("div", id="cap-note")
    assert f"3 most urgent of {len(doc['findings'])}" in " ".join(p.text)


def test_embed_json_cannot_close_the_script():
    from auditor.report.html import embed_json

    value = {"a": "</script><script>alert(1)</script>", "b": "<!-- x -->", "c": "\u2028&"}
    text = str(embed_json(value))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


@pytest.mark.parametrize("rows, want", [([1, 3, 4, 5, 9], "1, 3-5, 9"), ([], ""), ([7], "7")])
def test_skipped_row_ranges(rows, want):
    from auditor.report.html import _ranges

    assert _ranges(rows) == want


def test_broken_facility_template_is_a_clear_error(tmp_path):
    from conftest import run_cli

    tdir = tmp_path / "facility"
    tdir.mkdir()
    (tdir / "_letterhead.html").write_text("{{ no_such_variable }}", encoding="utf-8")
    res = run_cli(
        "audit",
        hostile_cdm(tmp_path / "h.xlsx"),
        "--as-of",
        AS_OF,
        "--format",
        "html",
        "--out",
        tmp_path / "out",
        "--templates",
        tdir,
    )
    assert res.exit_code == 2
    assert (
        str(tdir) in res.stderr and "report template error" in res.stderr and "no_such_variable" in res.stderr
    )
