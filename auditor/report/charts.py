"""Inline SVG charts for the HTML report: horizontal bars stacked by severity, no external assets."""

from __future__ import annotations

from markupsafe import Markup, escape

SEVERITY_COLOURS = {"error": "#c0362c", "warning": "#d08a12", "info": "#2f6fba"}
ROW_H, BAR_H, LABEL_W, COUNT_W = 24, 15, 190, 48


def humanise(key: str) -> str:
    """'revenue_code_mismatch' / 'skin-substitute' -> 'Revenue code mismatch' / 'Skin substitute'."""
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def stacked_counts(findings: list[dict], key: str) -> list[tuple[str, dict[str, int]]]:
    """(value of `key`, {severity: count}) over unwaived findings, largest total first, then by name."""
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        if not f["waived"]:
            sev = out.setdefault(f[key], {s: 0 for s in SEVERITY_COLOURS})
            sev[f["severity"]] = sev.get(f["severity"], 0) + 1
    return sorted(out.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))


def bar_chart(title: str, rows: list[tuple[str, dict[str, int]]], width: int = 560) -> Markup:
    """An accessible SVG bar chart (one bar per row, segments by severity, count at the end)."""
    if not rows:
        return Markup("")
    top = max(sum(c.values()) for _, c in rows) or 1
    bar_w = width - LABEL_W - COUNT_W
    height = ROW_H * len(rows) + 8
    parts = [(f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
              f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'),
             f"<title>{escape(title)}</title>"]
    for i, (label, counts) in enumerate(rows):
        y = 4 + i * ROW_H
        total = sum(counts.values())
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 3}" text-anchor="end" class="chart-label">'
                     f"{escape(humanise(label))}</text>")
        x = float(LABEL_W)
        for sev, colour in SEVERITY_COLOURS.items():
            n = counts.get(sev, 0)
            if not n:
                continue
            w = max(bar_w * n / top, 2.0)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" rx="2" fill="{colour}">'
                         f"<title>{escape(humanise(label))}: {n} {sev}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + BAR_H - 3}" class="chart-count">{total:,}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
