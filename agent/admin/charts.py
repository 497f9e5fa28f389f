"""Charts as inline SVG strings, drawn on the server (no JavaScript, nothing from a CDN)."""

from decimal import Decimal
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import mark_safe

from config.display import money, round_cents

PALETTE = ("#417690", "#e08a3c", "#5b9e4d", "#b0413e", "#7d5ba6", "#c9a227", "#3c9ea0", "#8c8c8c")


def _amount(value, unit: str) -> str:
    """A bar's amount: money when the chart has a currency, else the figure with two decimals."""
    return escape(money(value, unit)) if unit else escape(number_format(round_cents(value), 2, force_grouping=True))


def bar_chart(items, *, title: str = "", unit: str = "", width: int = 560, color: str = PALETTE[0]) -> str:
    """Horizontal bars: items = [(label, value)]. Returns safe SVG markup."""
    items = [(str(label), Decimal(value or 0)) for label, value in items]
    row, label_w, top = 26, 190, 28 if title else 6
    height = top + row * max(len(items), 1) + 8
    top_value = max([v for _, v in items if v > 0], default=Decimal(1))
    bar_space = width - label_w - 110
    parts = [f'<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    if title:
        parts.append(f'<text x="0" y="18" class="chart-title" font-weight="bold">{escape(title)}</text>')
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" fill="#888">No data</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = 0 if value <= 0 else max(1, int(bar_space * value / top_value))
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row - 8}" fill="{color}">'
                     f'<title>{escape(label)}: {_amount(value, unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 16}" font-size="11">{_amount(value, unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grouped_bar_chart(groups, series, *, title: str = "", unit: str = "", width: int = 640, height: int = 260,
                      colors=PALETTE) -> str:
    """Vertical grouped bars: groups = [(label, [value per series])], series = [name]. Negative
    values go below the zero line. Returns safe SVG markup with a legend."""
    groups = [(str(label), [Decimal(v or 0) for v in values]) for label, values in groups]
    left, right, top, bottom = 92, 10, 30 if title else 10, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in groups for v in vs] or [Decimal(0)]
    high, low = max(max(values), Decimal(0)), min(min(values), Decimal(0))
    span = (high - low) or Decimal(1)

    def y_of(v):
        return top + float((high - v) / span) * plot_h

    zero = y_of(Decimal(0))
    parts = [f'<svg class="chart grouped-bar-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    if title:
        parts.append(f'<text x="0" y="18" class="chart-title" font-weight="bold">{escape(title)}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="10">{_amount(high, unit)}</text>')
    if low < 0:
        parts.append(f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10">{_amount(low, unit)}</text>')
    parts.append(f'<line x1="{left}" y1="{zero:.1f}" x2="{width - right}" y2="{zero:.1f}" stroke="#999"/>')
    if not groups:
        parts.append(f'<text x="{left + 10}" y="{top + 20}" fill="#888">No data</text>')
    slot = plot_w / max(len(groups), 1)
    bar_w = max(2.0, (slot * 0.8) / max(len(series), 1))
    for g, (label, vs) in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        for s, value in enumerate(vs):
            y = min(y_of(value), zero)
            h = abs(y_of(value) - zero)
            name = series[s] if s < len(series) else ""
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{colors[s % len(colors)]}"><title>{escape(label)} {escape(name)}: '
                         f'{_amount(value, unit)}</title></rect>')
        parts.append(f'<text x="{left + g * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                     f'font-size="11">{escape(label)}</text>')
    legend_y = height - 8
    for s, name in enumerate(series):
        x = left + s * 130
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{colors[s % len(colors)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
