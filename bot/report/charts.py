"""Server-side SVG charts for the report (no script, no CDN): the monthly trend and comparisons by
station and by department. Colours and text are presentation attributes, so the console's strict
Content-Security-Policy (no inline styles) allows them."""

from __future__ import annotations

from xml.sax.saxutils import escape

FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif"
BLUE, GREEN, ORANGE, GREY, INK = "#2f6fb3", "#3a9b5c", "#d9822b", "#c9d1d9", "#24292f"


def _text(
    x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = INK, weight: str = "normal"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{FONT}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}">{escape(str(text))}</text>'
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000):
        if value <= step * 5:
            return step * 5
    return value


def trend_chart(trend: list[dict], title: str = "月度接件与办结") -> str:
    """Bars of bookings received and completed per month, a line of the on-time rate (right axis, %)."""
    width, height, left, right, top, bottom = 760, 300, 48, 48, 40, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([max(r["received"], r["completed"]) for r in trend] + [0]))
    n = max(len(trend), 1)
    slot = plot_w / n
    bar = min(slot * 0.35, 28)
    body = [_text(left, 20, title, size=15, weight="bold")]
    for i in range(6):  # grid and left axis
        y = top + plot_h - plot_h * i / 5
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GREY}" stroke-width="0.6"/>')
        body.append(_text(left - 6, y + 4, f"{peak * i / 5:g}", size=10, anchor="end"))
        body.append(_text(left + plot_w + 6, y + 4, f"{20 * i}%", size=10))
    points = []
    for i, row in enumerate(trend):
        x = left + slot * i + slot / 2
        for offset, value, colour in ((-bar, row["received"], BLUE), (0, row["completed"], GREEN)):
            h = plot_h * value / peak
            body.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(row['month'])} {'接件' if colour == BLUE else '办结'} {value}</title></rect>"
            )
        body.append(_text(x, top + plot_h + 16, row["month"][5:] + "月", size=11, anchor="middle"))
        rate = row["on_time"].value
        if rate is not None:
            points.append((x, top + plot_h - plot_h * rate / 100, rate))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{ORANGE}" stroke-width="2"/>')
        for x, y, rate in points:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ORANGE}"><title>按时办结率 {rate:.1f}%</title></circle>')
    legend_y = height - 12
    for i, (colour, label) in enumerate(((BLUE, "接件"), (GREEN, "办结"), (ORANGE, "按时办结率（右轴）"))):
        x = left + i * 120
        body.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, legend_y, label, size=11))
    return _svg(width, height, title, body)


def comparison_chart(rows: list, title: str, limit: int = 12) -> str:
    """Horizontal bars of bookings received per station (or department), with the on-time rate at the end."""
    rows = [r for r in rows if r.received or r.completed][:limit]
    label_w, bar_w, row_h, top = 150, 220, 26, 34
    width, height = label_w + bar_w + 170, top + row_h * max(len(rows), 1) + 16
    peak = max([r.received for r in rows] + [1])
    body = [_text(0, 20, title, size=15, weight="bold")]
    if not rows:
        body.append(_text(0, top + 16, "本期没有数据", size=12, fill="#57606a"))
    for i, r in enumerate(rows):
        y = top + i * row_h
        label = r.label if len(r.label) <= 10 else r.label[:9] + "…"
        body.append(_text(label_w - 8, y + 15, label, size=12, anchor="end"))
        w = bar_w * r.received / peak
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{BLUE}">'
            f"<title>{escape(r.label)} 接件 {r.received}</title></rect>"
        )
        body.append(_text(label_w + w + 6, y + 15, f"{r.received} 件 · 按时 {r.on_time.text}", size=11))
    return _svg(width, height, title, body)
