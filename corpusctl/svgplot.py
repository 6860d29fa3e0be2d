"""The report's charts as SVG written directly: grouped bars, histogram small multiples, and bands with
error bars. No plotting library: matplotlib's import, text layout and tight_layout cost ~4 CPU-s for the
report's ~15 figures; these take milliseconds.

Sizes are in points (72 per inch, like matplotlib's SVG), text is kept as <text> (the page's CSS gives it the
embedded CJK font), and labels are placed with estimated widths (a wide CJK character one em, Latin ~0.55 em).
Output is deterministic: no ids, no timestamps.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Callable, Sequence

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
AXIS = "#333"
NARROW = set("il.,:;'|!()[]{} ")


def text_width(text: str, size: float) -> float:
    """Estimated width in points of `text` at `size` points (Noto Sans CJK SC metrics, roughly)."""
    em = 0.0
    for c in str(text):
        if unicodedata.east_asian_width(c) in "WF":
            em += 1.0
        elif c in NARROW:
            em += 0.27
        elif c.isupper() or c in "%mwMW—–":
            em += 0.66
        else:
            em += 0.55
    return em * size


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class Canvas:
    def __init__(self, width: float, height: float):
        self.width, self.height = width, height
        self.items: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        if w < 0:
            x, w = x + w, -w
        if h < 0:
            y, h = y + h, -h
        self.items.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS, width: float = 0.8) -> None:
        self.items.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
                          f'stroke-width="{width}"/>')

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        self.items.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"/>')

    def text(self, x: float, y: float, text: str, size: float, anchor: str = "start", middle: bool = False,
             fill: str = "#000", rotate: bool = False, bold: bool = False) -> None:
        attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if middle:
            attrs += ' dominant-baseline="central"'
        if fill != "#000":
            attrs += f' fill="{fill}"'
        if bold:
            attrs += ' font-weight="bold"'
        if rotate:
            attrs += f' transform="rotate(-90 {_n(x)} {_n(y)})"'
        self.items.append(f"<text {attrs}>{html.escape(str(text), quote=False)}</text>")

    def svg(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}pt" height="{_n(self.height)}pt" '
                f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" font-family="sans-serif">'
                + "".join(self.items) + "</svg>")


def nice_ticks(high: float, low: float = 0.0, most: int = 6) -> list[float]:
    """Round tick values from `low` up to at least `high` (steps 1, 2, 2.5, 5 × 10^k)."""
    span = high - low
    if span <= 0 or not math.isfinite(span):
        return [low, low + 1.0]
    raw = span / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks, value = [], first
    while value < high - 1e-9 * step:
        ticks.append(value)
        value = first + len(ticks) * step
    ticks.append(value)
    return [round(t, 12) for t in ticks]


def tick_formatter(ticks: Sequence[float], percent: bool) -> Callable[[float], str]:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    if percent:
        return (lambda v: f"{v:.0%}") if step >= 0.01 - 1e-12 else (lambda v: f"{v:.1%}")
    top = max(abs(t) for t in ticks)
    if top >= 1e6:
        return lambda v: f"{v / 1e6:g}M" if v else "0"
    if top >= 1e4:
        return lambda v: f"{v / 1e3:g}k" if v else "0"
    return (lambda v: f"{v:,.0f}") if step >= 1 else (lambda v: f"{v:g}")


def _legend(canvas: Canvas, x_right: float, y: float, entries: list[tuple[str, str, str]], size: float = 8) -> None:
    """Legend entries (label, color, marker 'rect'|'dot') in one row ending at x_right, centred on y."""
    widths = [12 + text_width(label, size) + 10 for label, _, _ in entries]
    x = x_right - sum(widths)
    for (label, color, marker), width in zip(entries, widths, strict=True):
        if marker == "dot":
            canvas.circle(x + 4, y, 3, color)
        else:
            canvas.rect(x, y - 3.5, 9, 7, color)
        canvas.text(x + 12, y, label, size, middle=True)
        x += width


def bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]], *, width: float, height: float,
         horizontal: bool, percent: bool, annotate: bool, value_label: Callable[[float], str],
         colors: Sequence[str] | None, axis_label: str = "") -> str:
    """Grouped bars: one group per label, one bar per series (colours from `colors` or the palette)."""
    labels = [str(label) for label in labels]
    count, groups = len(labels), max(1, len(series))
    colors = list(colors or PALETTE)
    values = [v for vs in series.values() for v in vs] or [0]
    top = max(0.0, max(values))
    ticks = nice_ticks(top * 1.05 if top > 0 else 1.0)
    if percent and top <= 1.0 < ticks[-1]:  # shares: the axis ends at 100 %
        ticks = [t for t in ticks if t < 1.0] + [1.0]
    fmt = tick_formatter(ticks, percent)
    limit = ticks[-1]
    canvas = Canvas(width, height)
    header = 26 + (16 if len(series) > 1 else 0)
    canvas.text(width / 2, 17, title, 12, anchor="middle")
    if len(series) > 1:
        _legend(canvas, width - 8, 33, [(name, colors[i % len(colors)], "rect") for i, name in enumerate(series)])
    bar_share = 0.8 / groups
    if horizontal:
        left = 8 + max((text_width(label, 10) for label in labels), default=0) + 6
        left = min(left, width * 0.55)
        right = 10 + (max(text_width(value_label(v), 7) for v in values) if annotate else 0)
        bottom = 22 + (14 if axis_label else 0)
        plot_w, plot_h = width - left - right, height - header - bottom
        band = plot_h / max(1, count)
        scale = plot_w / limit

        for number, vals in enumerate(series.values()):
            color = colors[number % len(colors)]
            for index, value in enumerate(vals):
                centre = header + (index + 0.5) * band + (number - (groups - 1) / 2) * bar_share * band
                canvas.rect(left, centre - bar_share * band / 2, max(0.0, value) * scale, bar_share * band, color)
                if annotate:
                    canvas.text(left + max(0.0, value) * scale + 2, centre, value_label(value), 7, middle=True)
        for index, label in enumerate(labels):
            canvas.text(left - 5, header + (index + 0.5) * band, label, 10, anchor="end", middle=True)
        base = header + plot_h
        canvas.line(left, header, left, base)
        canvas.line(left, base, left + plot_w, base)
        for tick in ticks:
            x = left + tick * scale
            canvas.line(x, base, x, base + 3.5)
            canvas.text(x, base + 14, fmt(tick), 9, anchor="middle")
        if axis_label:
            canvas.text(left + plot_w / 2, height - 5, axis_label, 10, anchor="middle")
    else:
        left = 10 + max(text_width(fmt(t), 9) for t in ticks) + 6 + (16 if axis_label else 0)
        bottom, right = 22, 10
        plot_w, plot_h = width - left - right, height - header - bottom - (10 if annotate else 0)
        top_y = header + (10 if annotate else 0)
        band = plot_w / max(1, count)
        scale = plot_h / limit
        base = top_y + plot_h
        for number, vals in enumerate(series.values()):
            color = colors[number % len(colors)]
            for index, value in enumerate(vals):
                centre = left + (index + 0.5) * band + (number - (groups - 1) / 2) * bar_share * band
                canvas.rect(centre - bar_share * band / 2, base, bar_share * band, -max(0.0, value) * scale, color)
                if annotate:
                    canvas.text(centre, base - max(0.0, value) * scale - 3, value_label(value), 7, anchor="middle")
        for index, label in enumerate(labels):
            canvas.text(left + (index + 0.5) * band, base + 14, label, 10, anchor="middle")
        _value_axis(canvas, left, top_y, base, plot_w, ticks, scale, fmt)
        if axis_label:
            canvas.text(12, top_y + plot_h / 2, axis_label, 10, anchor="middle", middle=True, rotate=True)
    return canvas.svg()



def _value_axis(canvas, left: float, top: float, base: float, width: float, ticks, scale: float, fmt) -> None:
    """The vertical value axis with its ticks and labels, and the baseline."""
    canvas.line(left, top, left, base)
    canvas.line(left, base, left + width, base)
    for tick in ticks:
        y = base - tick * scale
        canvas.line(left - 3.5, y, left, y)
        canvas.text(left - 6, y, fmt(tick), 9, anchor="end", middle=True)

def histograms(title: str, panels: list[tuple[str, Sequence[int]]], edges: Sequence[float], *, width: float,
               ncols: int, xlabel: str, color: str) -> str:
    """Small multiples: one histogram per panel (counts per bin of the shared `edges`), shared x axis."""
    nrows = math.ceil(len(panels) / ncols)
    height = 72 * (0.6 + 1.9 * nrows)
    canvas = Canvas(width, height)
    canvas.text(width / 2, 15, title, 10, anchor="middle")
    canvas.text(width / 2, height - 6, xlabel, 8, anchor="middle")
    top, bottom, gap_x = 26, 30, 18
    cell_w, cell_h = (width - 10) / ncols, (height - top - bottom) / nrows
    low, high = edges[0], edges[-1]
    xticks = [t for t in nice_ticks(high, low, most=5) if low - 1e-9 <= t <= high + 1e-9]
    xfmt = tick_formatter(xticks, False)
    for index, (name, counts) in enumerate(panels):
        row, col = divmod(index, ncols)
        yticks = nice_ticks(max(max(counts, default=0) * 1.05, 1), most=4)
        yfmt = tick_formatter(yticks, False)
        left_pad = 8 + max(text_width(yfmt(t), 7) for t in yticks)
        x0 = 5 + col * cell_w + left_pad
        w = cell_w - left_pad - gap_x
        y0 = top + row * cell_h + 14
        h = cell_h - 14 - 16
        canvas.text(x0 + w / 2, y0 - 4, name, 8, anchor="middle")
        xscale = w / ((high - low) or 1)
        yscale = h / yticks[-1]
        for left_edge, right_edge, value in zip(edges[:-1], edges[1:], counts, strict=False):
            if value:
                canvas.rect(x0 + (left_edge - low) * xscale, y0 + h, (right_edge - left_edge) * xscale,
                            -value * yscale, color)
        canvas.line(x0, y0, x0, y0 + h)
        canvas.line(x0, y0 + h, x0 + w, y0 + h)
        for tick in yticks:
            y = y0 + h - tick * yscale
            canvas.line(x0 - 3, y, x0, y)
            canvas.text(x0 - 5, y, yfmt(tick), 7, anchor="end", middle=True)
        last_in_column = index + ncols >= len(panels)
        for tick in xticks:
            x = x0 + (tick - low) * xscale
            canvas.line(x, y0 + h, x, y0 + h + 3)
            if last_in_column:
                canvas.text(x, y0 + h + 11, xfmt(tick), 7, anchor="middle")
    return canvas.svg()


def bands(title: str, labels: list[list[str]], items: list[dict], *, width: float, height: float,
          band_color: str, point_color: str) -> str:
    """Per label: a target band (`low`..`high`, may be None) and a point `mean` with an error bar `min`..`max`
    (None: the `note` text instead). Percent axis from 0 to 1.15 × the largest value."""
    top_value = max([i.get("max") or 0 for i in items] + [i.get("high") or 0 for i in items]) * 1.15 or 1.0
    ticks = [t for t in nice_ticks(top_value, most=6) if t <= top_value + 1e-12]
    fmt = tick_formatter(ticks if len(ticks) > 1 else [0, 0.1], True)
    canvas = Canvas(width, height)
    canvas.text(width / 2, 17, title, 12, anchor="middle")
    header, bottom = 26, 34
    left = 10 + max(text_width(fmt(t), 9) for t in ticks) + 6
    plot_w, plot_h = width - left - 10, height - header - bottom
    base = header + plot_h
    band = plot_w / max(1, len(items))
    scale = plot_h / top_value
    for index, item in enumerate(items):
        centre = left + (index + 0.5) * band
        low, high = item.get("low"), item.get("high")
        if low is not None and high is not None:
            canvas.rect(centre - 0.3 * band, base - high * scale, 0.6 * band, (high - low) * scale, band_color)
        if item.get("mean") is not None:
            mean, lo, hi = item["mean"], item["min"], item["max"]
            canvas.line(centre, base - lo * scale, centre, base - hi * scale, point_color, 1.2)
            for value in (lo, hi):
                canvas.line(centre - 5, base - value * scale, centre + 5, base - value * scale, point_color, 1.2)
            canvas.circle(centre, base - mean * scale, 3.5, point_color)
            canvas.text(centre + 10, base - mean * scale, f"{mean:.1%}", 8, middle=True)
        else:
            middle = (low or 0) + ((high or 0) - (low or 0)) / 2
            canvas.text(centre, base - middle * scale, item.get("note", ""), 8, anchor="middle", fill="#555")
        for line_number, text in enumerate(labels[index]):
            canvas.text(centre, base + 12 + 10 * line_number, text, 8, anchor="middle")
    _value_axis(canvas, left, header, base, plot_w, ticks, scale, fmt)
    entries = [("target band", band_color, "rect")]
    if any(item.get("mean") is not None for item in items):
        entries.append(("realized mean (min–max)", point_color, "dot"))
    x = left + 8
    for number, (label, color, marker) in enumerate(entries):
        y = header + 8 + 13 * number
        if marker == "dot":
            canvas.circle(x + 4, y, 3, color)
        else:
            canvas.rect(x, y - 3.5, 9, 7, color)
        canvas.text(x + 14, y, label, 8, middle=True)
    return canvas.svg()
