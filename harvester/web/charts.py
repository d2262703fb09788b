"""Small self-contained SVG charts of query results, for the Datasette pages.

Rendered on the server as inline SVG: no JavaScript, no fonts or scripts from
anywhere, so a chart shows on a machine with no internet access. A chart is
described by a :class:`ChartSpec` (the ``chart:`` key of a canned query in
``harvester/web/datasette/metadata.yaml``): ``x`` names the category column, ``y``
the number, ``series`` optionally splits the marks (one line or bar colour per
value). Every mark carries the class ``mark`` and a ``<title>`` tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 34, 70
MAX_SERIES = 8  # more would be unreadable: the rest is summed as "other"
MAX_X_LABELS = 14
TICKS = 4  # intervals on the y axis
MAX_BAR = 48.0  # pixels: a lone bar should not fill the plot
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: ``type`` line or bar; column names ``x``, ``y`` and optional ``series``."""

    x: str
    y: str
    type: str = "bar"
    series: str | None = None
    title: str = ""
    y_prefix: str = ""

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> ChartSpec:
        kind = spec.get("type", "bar")
        if kind not in ("bar", "line"):
            raise ValueError(f"chart type must be bar or line, not {kind!r}")
        return cls(x=spec["x"], y=spec["y"], type=kind, series=spec.get("series"),
                   title=spec.get("title", ""), y_prefix=spec.get("y_prefix", ""))  # fmt: skip


def render_svg(rows: Iterable[Mapping[str, Any]], spec: ChartSpec) -> str:
    """An ``<svg>`` drawing ``rows`` as ``spec`` says (a short message when there is nothing to draw)."""
    xs, table = _pivot(rows, spec)
    if not xs:
        return _frame(spec, f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data to chart yet.</text>')
    series = _top_series(table)
    step = _tick_step(max((v for values in series.values() for v in values.values()), default=0))
    plot = _Plot(len(xs), step * TICKS)
    parts = [_y_axis(plot, spec), _x_axis(plot, xs)]
    draw = _lines if spec.type == "line" else _bars
    parts += draw(plot, xs, series, spec)
    parts.append(_legend(series, spec))
    return _frame(spec, "".join(parts))


def _pivot(rows: Iterable[Mapping[str, Any]], spec: ChartSpec) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Categories in row order, and series -> category -> summed value."""
    xs: list[str] = []
    table: dict[str, dict[str, float]] = {}
    for row in rows:
        x = "" if row.get(spec.x) is None else str(row[spec.x])
        value = row.get(spec.y)
        if not isinstance(value, (int, float)):
            continue
        if x not in xs:
            xs.append(x)
        name = str(row.get(spec.series)) if spec.series else spec.y
        cell = table.setdefault(name, {})
        cell[x] = cell.get(x, 0) + value
    return xs, table


def _top_series(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    ranked = sorted(table, key=lambda name: -sum(table[name].values()))
    if len(ranked) <= MAX_SERIES:
        return {name: table[name] for name in ranked}
    kept = {name: table[name] for name in ranked[: MAX_SERIES - 1]}
    other: dict[str, float] = {}
    for name in ranked[MAX_SERIES - 1 :]:
        for x, value in table[name].items():
            other[x] = other.get(x, 0) + value
    kept[f"other ({len(ranked) - MAX_SERIES + 1})"] = other
    return kept


def _tick_step(value: float) -> float:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten) whose TICKS steps reach ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value / TICKS))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power * TICKS >= value)


class _Plot:
    """Pixel positions inside the plotting area."""

    def __init__(self, categories: int, top: float) -> None:
        self.width, self.height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        self.band = self.width / categories
        self.top = top

    def x(self, index: int) -> float:
        return LEFT + self.band * (index + 0.5)

    def y(self, value: float) -> float:
        return TOP + self.height * (1 - value / self.top)


def _y_axis(plot: _Plot, spec: ChartSpec) -> str:
    parts = []
    for i in range(TICKS + 1):
        value = plot.top * i / TICKS
        y = plot.y(value)
        label = f"{spec.y_prefix}{_number(value)}"
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot.width}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')  # fmt: skip
    parts.append(f'<text class="axis-title" transform="translate(14 {TOP + plot.height / 2}) rotate(-90)" '
                 f'text-anchor="middle">{escape(spec.y)}</text>')  # fmt: skip
    return "".join(parts)


def _x_axis(plot: _Plot, xs: list[str]) -> str:
    every = max(1, math.ceil(len(xs) / MAX_X_LABELS))
    base = TOP + plot.height
    parts = [f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot.width}" y1="{base}" y2="{base}"/>']
    for i, x in enumerate(xs):
        if i % every:
            continue
        px = plot.x(i)
        parts.append(f'<text transform="translate({px:.1f} {base + 12}) rotate(-40)" text-anchor="end">{escape(x)}</text>')
    return "".join(parts)


def _lines(plot: _Plot, xs: list[str], series: dict[str, dict[str, float]], spec: ChartSpec) -> list[str]:
    parts = []
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = [(plot.x(i), plot.y(values.get(x, 0)), x, values.get(x, 0)) for i, x in enumerate(xs)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py, _, _) in enumerate(points))
        parts.append(f'<path class="line" d="{path}" stroke="{colour}"/>')
        parts += [f'<circle class="mark" cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                  f"<title>{escape(_tooltip(name, x, value, spec))}</title></circle>"
                  for px, py, x, value in points]  # fmt: skip
    return parts


def _bars(plot: _Plot, xs: list[str], series: dict[str, dict[str, float]], spec: ChartSpec) -> list[str]:
    parts = []
    width = min(plot.band * 0.8 / len(series), MAX_BAR)
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        for i, x in enumerate(xs):
            value = values.get(x, 0)
            left = plot.x(i) - width * len(series) / 2 + n * width
            top = plot.y(value)
            parts.append(f'<rect class="mark" x="{left:.1f}" y="{top:.1f}" width="{max(width - 1, 1):.1f}" '
                         f'height="{TOP + plot.height - top:.1f}" fill="{colour}">'
                         f"<title>{escape(_tooltip(name, x, value, spec))}</title></rect>")  # fmt: skip
    return parts


def _legend(series: dict[str, dict[str, float]], spec: ChartSpec) -> str:
    if not spec.series:
        return ""
    left = WIDTH - RIGHT + 16
    parts = [f'<text class="axis-title" x="{left}" y="{TOP}">{escape(spec.series)}</text>']
    for n, name in enumerate(series):
        y = TOP + 18 + n * 18
        parts.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{PALETTE[n % len(PALETTE)]}"/>'
                     f'<text x="{left + 18}" y="{y}">{escape(name)}</text>')  # fmt: skip
    return "".join(parts)


def _tooltip(name: str, x: str, value: float, spec: ChartSpec) -> str:
    who = f"{name}, " if spec.series else ""
    return f"{who}{x}: {spec.y_prefix}{_number(value)}"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _frame(spec: ChartSpec, body: str) -> str:
    title = escape(spec.title or f"{spec.y} by {spec.x}")
    return (
        f'<svg class="harvester-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{title}" font-family="sans-serif" font-size="11">'
        "<style>.grid{stroke:#e3e3e3}.axis{stroke:#666}.line{fill:none;stroke-width:2}"
        ".axis-title{font-weight:bold}</style>"
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{title}</text>{body}</svg>'
    )
