"""Charts drawn as inline SVG by the renderer: no script, no network, readable without JS.

Every label goes through html.escape, so a hostile provider or check name stays text; the
templates insert the returned markup as it is.
Each chart carries a <title> and an aria-label, and its figures are also in a table nearby.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# One colour per status, as on the badges; ladder colours run from no customer control (grey)
# to the most (deep blue).
STATUS_COLOURS = {"FAIL": "#c62828", "UNVERIFIED": "#b26a00", "OPAQUE": "#6a1b9a",
                  "PASS": "#2e7d32", "NOT_APPLICABLE": "#757575", "MUTED": "#9e9e9e"}
_LADDER_COLOURS = ("#d9d9d9", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
SCORE_COLOURS = {"verifiability": "#2e7d32", "provider_opacity": "#6a1b9a",
                 "access_gap": "#b26a00", "pass_rate": "#1565c0"}

_ROW = 22  # px per bar
_LABEL = 170  # px for the row labels
_BAR = 420  # px for the longest bar
_COUNT = 60  # px after the bar for its total
_LEGEND_LINE = 16  # px per line of the legend


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    value: float
    colour: str


def ladder_colours(levels: Sequence[str]) -> dict[str, str]:
    """A colour per custody level, lowest control first (a longer ladder reuses the last)."""
    return {level: _LADDER_COLOURS[min(i, len(_LADDER_COLOURS) - 1)]
            for i, level in enumerate(levels)}


def _legend_lines(names: Sequence[tuple[str, str]]) -> list[list[tuple[str, str, int]]]:
    """The legend's entries laid out in lines that fit the chart: (name, colour, x)."""
    lines: list[list[tuple[str, str, int]]] = [[]]
    x = _LABEL
    for name, colour in names:
        step = 22 + 7 * len(name)
        if lines[-1] and x + step > _LABEL + _BAR + _COUNT:
            lines.append([])
            x = _LABEL
        lines[-1].append((name, colour, x))
        x += step
    return lines


def _legend(lines: list[list[tuple[str, str, int]]], y: int) -> list[str]:
    parts = []
    for row, entries in enumerate(lines):
        top = y + row * _LEGEND_LINE
        parts += [f'<rect x="{x}" y="{top}" width="11" height="11" fill="{colour}"/>'
                  f'<text x="{x + 15}" y="{top + 10}">{escape(name)}</text>'
                  for name, colour, x in entries]
    return parts


def stacked_bars(title: str, rows: Sequence[tuple[str, Sequence[Segment]]],
                 legend: Sequence[tuple[str, str]], *, css_id: str) -> str:
    """Horizontal stacked bars, one per row, scaled to the largest row total."""
    if not rows:
        return ""
    biggest = max(sum(s.value for s in segs) for _, segs in rows) or 1
    legend_lines = _legend_lines(legend)
    height = 30 + _ROW * len(rows) + 8 + _LEGEND_LINE * len(legend_lines)
    width = _LABEL + _BAR + _COUNT
    out = [f'<svg id="{escape(css_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<text class="chart-title" x="0" y="14">{escape(title)}</text>']
    for i, (label, segments) in enumerate(rows):
        y = 26 + i * _ROW
        out.append(f'<text x="{_LABEL - 6}" y="{y + 13}" text-anchor="end">'
                   f"{escape(label)}</text>")
        x = float(_LABEL)
        for seg in segments:
            if seg.value <= 0:
                continue
            w = _BAR * seg.value / biggest
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_ROW - 6}" '
                       f'fill="{seg.colour}" data-segment="{escape(seg.name)}">'
                       f"<title>{escape(label)}: {escape(seg.name)} {seg.value:g}</title></rect>")
            x += w
        total = sum(s.value for s in segments)
        out.append(f'<text x="{x + 6:.1f}" y="{y + 13}">{total:g}</text>')
    out += _legend(legend_lines, 26 + _ROW * len(rows) + 6)
    out.append("</svg>")
    return "".join(out)


def percent_bars(title: str, groups: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
                 colours: dict[str, str], labels: dict[str, str], *, css_id: str) -> str:
    """Grouped horizontal bars on a 0-100 % scale: one group per provider, one bar per score;
    a score with no value (nothing to divide by) is written n/a, never drawn as 0."""
    if not groups:
        return ""
    bars = sum(len(scores) for _, scores in groups)
    legend_lines = _legend_lines([(labels[k], colours[k]) for k in colours])
    body = 26 + bars * (_ROW - 4) + len(groups) * 10
    height = body + 8 + _LEGEND_LINE * len(legend_lines)
    width = _LABEL + _BAR + _COUNT
    out = [f'<svg id="{escape(css_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<text class="chart-title" x="0" y="14">{escape(title)}</text>']
    y = 26
    for group, scores in groups:
        out.append(f'<text x="{_LABEL - 6}" y="{y + 12}" text-anchor="end" '
                   f'font-weight="600">{escape(group)}</text>')
        for key, value in scores:
            shown = "n/a" if value is None else f"{value * 100:.0f}%"
            w = 0.0 if value is None else _BAR * value
            out.append(f'<rect x="{_LABEL}" y="{y}" width="{w:.1f}" height="{_ROW - 8}" '
                       f'fill="{colours[key]}" data-score="{escape(key)}">'
                       f"<title>{escape(group)}: {escape(labels[key])} {shown}</title></rect>"
                       f'<text x="{_LABEL + w + 6:.1f}" y="{y + 11}">{shown}</text>')
            y += _ROW - 4
        y += 10
    out += _legend(legend_lines, body + 2)
    out.append("</svg>")
    return "".join(out)
