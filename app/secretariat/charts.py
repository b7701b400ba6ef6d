"""Charts drawn on the server as SVG (no CDN, no script); every bar carries its number as text."""
from markupsafe import Markup, escape

BAR_HEIGHT = 18
ROW_GAP = 8
LABEL_WIDTH = 130
WIDTH = 440


def _nice_max(value):
    """A round axis maximum at or above value."""
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return int(top)
    return int(10 * magnitude)


def _label(text, limit=8):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def stacked_bars(rows, title, chart_id):
    """Horizontal bars for [(name, groups, teams, total)]: groups and teams stacked, total written after."""
    if not rows:
        return Markup(f'<p class="muted chart-empty" id="{escape(chart_id)}">暂无数据。</p>')
    top = _nice_max(max(r[3] for r in rows))
    plot = WIDTH - LABEL_WIDTH - 50
    height = len(rows) * (BAR_HEIGHT + ROW_GAP) + ROW_GAP
    parts = [f'<svg class="chart chart-bars" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (name, groups, teams, total) in enumerate(rows):
        y = ROW_GAP + i * (BAR_HEIGHT + ROW_GAP)
        wg = plot * groups / top
        wt = plot * teams / top
        text_y = y + BAR_HEIGHT - 4
        parts.append(f'<g class="chart-row" data-name="{escape(name)}" data-total="{total}">')
        parts.append(f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end">'
                     f"{escape(_label(name))}</text>")
        if groups:
            parts.append(f'<rect class="bar-group" x="{LABEL_WIDTH}" y="{y}" width="{wg:.1f}" '
                         f'height="{BAR_HEIGHT}"><title>{escape(name)} 小组 {groups}</title></rect>')
        if teams:
            parts.append(f'<rect class="bar-team" x="{LABEL_WIDTH + wg:.1f}" y="{y}" width="{wt:.1f}" '
                         f'height="{BAR_HEIGHT}"><title>{escape(name)} 班组 {teams}</title></rect>')
        parts.append(f'<text class="chart-value" x="{LABEL_WIDTH + wg + wt + 6:.1f}" y="{text_y}">'
                     f"{total}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def daily_columns(days, title, chart_id):
    """Vertical stacked columns for [(date, groups, teams)], one per day, with dates along the axis."""
    width, height, left, bottom, top_pad = 900, 240, 44, 36, 16
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = _nice_max(max([g + t for _, g, t in days] or [0]))
    n = max(len(days), 1)
    step = plot_w / n
    bar = max(step * 0.75, 1)
    parts = [f'<svg class="chart chart-days" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line class="chart-axis" x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" '
             f'y2="{top_pad + plot_h}"/>',
             f'<text class="chart-tick" x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{top}</text>',
             f'<text class="chart-tick" x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>',
             f'<line class="chart-grid" x1="{left}" y1="{top_pad}" x2="{width - 10}" y2="{top_pad}"/>']
    label_every = max(1, round(n / 10))
    for i, (day, groups, teams) in enumerate(days):
        x = left + i * step + (step - bar) / 2
        hg = plot_h * groups / top
        ht = plot_h * teams / top
        base = top_pad + plot_h
        parts.append(f'<g class="chart-day" data-date="{day.isoformat()}" data-total="{groups + teams}">')
        if groups:
            parts.append(f'<rect class="bar-group" x="{x:.1f}" y="{base - hg:.1f}" width="{bar:.1f}" '
                         f'height="{hg:.1f}">'
                         f"<title>{day.month}月{day.day}日 小组 {groups}</title></rect>")
        if teams:
            parts.append(f'<rect class="bar-team" x="{x:.1f}" y="{base - hg - ht:.1f}" width="{bar:.1f}" '
                         f'height="{ht:.1f}"><title>{day.month}月{day.day}日 班组 {teams}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text class="chart-tick" x="{x + bar / 2:.1f}" y="{base + 16}" '
                         'text-anchor="middle">'
                         f"{day.month}/{day.day}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
