"""Inline SVG charts for the HTML reports: stacked horizontal bars and a quarter trend, no external assets."""

from __future__ import annotations

from markupsafe import Markup, escape

SEVERITY_COLOURS = {"error": "#c0362c", "warning": "#d08a12", "info": "#2f6fba"}
ROW_H, BAR_H, LABEL_W, COUNT_W = 24, 15, 190, 48


def humanise(key: str) -> str:
    """'revenue_code_mismatch' / 'skin-substitute' -> 'Revenue code mismatch' / 'Skin substitute'."""
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def stacked_counts(findings: list[dict], key: str) -> list[tuple[str, dict[str, int]]]:
    """(humanised value of `key`, {severity: count}) over unwaived findings, largest total first, then by value."""
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        if not f["waived"]:
            sev = out.setdefault(f[key], {s: 0 for s in SEVERITY_COLOURS})
            sev[f["severity"]] = sev.get(f["severity"], 0) + 1
    ordered = sorted(out.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [(humanise(k), counts) for k, counts in ordered]


def bar_chart(
    title: str,
    rows: list[tuple[str, dict[str, int]]],
    width: int = 560,
    *,
    colours: dict[str, str] = SEVERITY_COLOURS,
    names: dict[str, str] | None = None,
    label_w: int = LABEL_W,
    label_chars: int | None = None,
) -> Markup:
    """An accessible SVG bar chart: one bar per (label, {segment: count}) row, segments in `colours` order."""
    # `names`: each segment's word in the hover text; `label_chars`: longer labels are cut, whole on hover.
    if not rows:
        return Markup("")
    top = max(sum(c.values()) for _, c in rows) or 1
    bar_w = width - label_w - COUNT_W
    height = ROW_H * len(rows) + 8
    parts = [
        (
            f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, counts) in enumerate(rows):
        y = 4 + i * ROW_H
        parts.append(
            f'<text x="{label_w - 8}" y="{y + BAR_H - 3}" text-anchor="end" class="chart-label">'
            f"{_label(label, label_chars)}</text>"
        )
        x = float(label_w)
        for key, colour in colours.items():
            n = counts.get(key, 0)
            if not n:
                continue
            w = max(bar_w * n / top, 2.0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" rx="2" fill="{colour}">'
                f"<title>{escape(label)}: {n:,} {escape((names or {}).get(key, key))}</title></rect>"
            )
            x += w
        total = sum(counts.values())
        parts.append(f'<text x="{x + 6:.1f}" y="{y + BAR_H - 3}" class="chart-count">{total:,}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _label(label: str, chars: int | None) -> Markup:
    """A bar's label, cut to `chars` (the whole label then in its hover title) when a limit is given."""
    if chars is None:
        return escape(label)
    short = label if len(label) <= chars else label[: chars - 1].rstrip() + "…"
    return Markup(f"<title>{escape(label)}</title>{escape(short)}")


def trend_chart(points: list[dict], title: str = "Findings per quarter", width: int = 640) -> Markup:
    """Vertical columns, one per quarter (errors, warnings, info stacked), for the 'since last run' section."""
    if not points:
        return Markup("")
    keys = {"error": "errors", "warning": "warnings", "info": "infos"}
    totals = [sum(p[k] or 0 for k in keys.values()) for p in points]
    top = max(totals) or 1
    plot_h, base_y, left = 170, 190, 44
    step = (width - left - 10) / len(points)
    col_w = min(56.0, step * 0.6)
    parts = [
        (
            f'<svg class="chart chart-trend" role="img" viewBox="0 0 {width} {base_y + 34}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0.0, 0.5, 1.0):  # light gridlines with their values, so heights can be read off
        y = base_y - plot_h * frac
        parts.append(
            f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e8ee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-count">'
            f"{round(top * frac):,}</text>"
        )
    for i, (p, total) in enumerate(zip(points, totals, strict=False)):
        x = left + step * i + (step - col_w) / 2
        y = float(base_y)
        for sev, key in keys.items():
            n = p[key] or 0
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
                f'fill="{SEVERITY_COLOURS[sev]}"><title>{escape(p["quarter"])}: {n} {sev}</title></rect>'
            )
        parts.append(
            f'<text x="{x + col_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" class="chart-count">'
            f"{total:,}</text>"
            f'<text x="{x + col_w / 2:.1f}" y="{base_y + 16}" text-anchor="middle" class="chart-label">'
            f"{escape(p['quarter'])}</text>"
            f'<text x="{x + col_w / 2:.1f}" y="{base_y + 29}" text-anchor="middle" class="chart-count">'
            f"run {p.get('id') or 'now'}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
