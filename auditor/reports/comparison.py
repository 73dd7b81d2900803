"""Render the comparison matrix: terminal table, Markdown, and an HTML page with drill-down.

The formats and file names are declared in auditor/reports/__init__.py (COMPARE_FORMATS).
"""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from auditor.comparison import Cell, Matrix
from auditor.model import Finding
from auditor.reports._common import STATUS_ORDER, clean, value_text
from auditor.reports.ledger import markdown_lines, providers, text_lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def cell_lines(cell: Cell) -> list[str]:
    f = cell.figures
    if not cell.findings:
        return [cell.exposure, "no findings"]
    lines = [cell.exposure,
             f"pass {_pct(f.get('pass_rate'))} ({f.get('pass', 0)}/{f.get('decided', 0)})",
             f"FAIL {f.get('fail', 0)} · OPAQUE {f.get('opaque', 0)} · "
             f"UNVERIFIED {f.get('unverified', 0)}"]
    if f.get("unsupported"):
        lines.append(f"no such feature: {f['unsupported']}")
    return lines


def _rows(matrix: Matrix, sep: str) -> list[list[str]]:
    rows = []
    for s in matrix.safeguards:
        mark = "" if matrix.comparable[s] else " (not comparable)"
        rows.append([s + mark] + [sep.join(cell_lines(matrix.cell(s, p)))
                                  for p in matrix.providers])
    return rows


def _score_rows(matrix: Matrix) -> list[list[str]]:
    rows = []
    for label, key in (("verifiability", "verifiability"), ("provider opacity", "provider_opacity"),
                       ("access gap", "access_gap"), ("pass rate", "pass_rate")):
        rows.append([label] + [_pct(matrix.provider_scores[p].get(key)) for p in matrix.providers])
    rows.append(["no such feature"] + [str(matrix.provider_scores[p].get("unsupported", 0))
                                       for p in matrix.providers])
    rows.append(["listing failures"] + [str(len(matrix.provider_scores[p].get("listing_failures", [])))
                                        for p in matrix.providers])
    return rows


def _row_header(matrix: Matrix) -> str:
    return "safeguard" if matrix.kind is None else f"safeguard on {matrix.kind}"


def kinds_line(matrix: Matrix) -> str:
    """Which kinds the rows cover, with their findings (so a reader knows what a row sums)."""
    counts = ", ".join(f"{kind} {n}" for kind, n in matrix.kinds.items()) or "none"
    if matrix.kind is None:
        return f"rows cover every kind: {counts} findings (one kind: compare --kind KIND)"
    return f"rows and scores cover {matrix.kind} only ({matrix.kinds.get(matrix.kind, 0)} " \
           f"findings; the reports hold {counts})"


def _custody_shown(matrix: Matrix) -> bool:
    # The custody ladder counts buckets: it belongs to the matrix of buckets or of every kind.
    return matrix.kind in (None, "storage.bucket")


def render_table(matrix: Matrix) -> str:
    headers = [_row_header(matrix), *matrix.providers]
    out = [kinds_line(matrix),
           tabulate(_rows(matrix, "\n"), headers=headers, tablefmt="grid"),
           tabulate(_score_rows(matrix), headers=["score", *matrix.providers])]
    out += [_custody_text(matrix)] if _custody_shown(matrix) else []
    out += ["\n".join(text_lines(matrix.ledger))] if providers(matrix.ledger) else []
    out += [f"{p}: not collected: {why}" for p, why in sorted(matrix.failures.items())]
    out += _account_lines(matrix)
    out += _gap_lines(matrix)
    return "\n\n".join(clean(line).replace("\ufffd", "?") for line in out)


def _account_lines(matrix: Matrix) -> list[str]:
    """Accounts not collected: their resources are missing from every figure."""
    return [f"{a.provider}: account {a.account}: not collected: {a.reason}"
            for a in matrix.account_failures]


def _gap_lines(matrix: Matrix) -> list[str]:
    """Listings that failed: their resources are missing from every figure above."""
    lines = []
    for p in matrix.providers:
        for gap in matrix.provider_scores[p].get("listing_failures", []):
            lines.append(f"{p}: {gap['operation']} failed for {gap['scope']} ({gap['code']}): "
                         "what it lists is missing from every figure")
    return lines


def _custody_text(matrix: Matrix) -> str:
    rows = []
    for p in matrix.providers:
        custody = matrix.provider_scores[p].get("custody", {})
        levels = custody.get("levels", {})
        rows.append([p, *[levels.get(level, 0) for level in levels],
                     _pct(custody.get("hsm_share"))])
    levels = list(next(iter(matrix.provider_scores.values()), {}).get("custody", {})
                  .get("levels", {}))
    return "key custody (buckets per level)\n" + tabulate(
        rows, headers=["provider", *levels, "hsm share"])


def _md_escape(text: str) -> str:
    from auditor.reports.markdown import escape

    return escape(clean(text))


def render_markdown(matrix: Matrix) -> str:
    lines = ["# Safeguard Auditor: providers side by side", ""]
    if matrix.sandbox:
        lines += ["_Collected from local stand-ins (endpoint overrides), not real clouds._", ""]
    lines += [f"_{_md_escape(kinds_line(matrix))}_", ""]
    lines += [f"| {_row_header(matrix)} | " + " | ".join(matrix.providers) + " |",
              "|---|" + "---|" * len(matrix.providers)]
    for row in _rows(matrix, "<br>"):
        lines.append("| " + " | ".join(row[:1] + [_md_escape(c).replace("&lt;br&gt;", "<br>")
                                                  for c in row[1:]]) + " |")
    lines += ["", "| score | " + " | ".join(matrix.providers) + " |",
              "|---|" + "---|" * len(matrix.providers)]
    lines += ["| " + " | ".join(row) + " |" for row in _score_rows(matrix)]
    ledger = markdown_lines(matrix.ledger, _md_escape, title="Promises you can verify")
    lines += ["", *ledger] if ledger else []
    for p, why in sorted(matrix.failures.items()):
        lines.append(f"\n**{_md_escape(p)}: not collected:** {_md_escape(why)}")
    lines += [f"\n**{_md_escape(line)}**" for line in _account_lines(matrix)]
    lines += [f"\n**{_md_escape(line)}**" for line in _gap_lines(matrix)]
    return "\n".join(lines) + "\n"


# The exposure levels a cell can show, in the order the legend lists them.
EXPOSURE_LEGEND: tuple[tuple[str, str], ...] = (
    ("api", "every fact of the safeguard is read from an API field"),
    ("derived", "some facts are derived from a policy document (say, a TLS condition); none is hidden"),
    ("partial", "some facts are not exposed, or some results in this estate were OPAQUE"),
    ("none", "no fact of the safeguard is exposed: nothing a customer can verify"),
    ("absent", "the provider has no such feature"),
    ("unknown", "no exposure profile for this provider (its report carried none)"),
)


def _charts(matrix: Matrix) -> tuple[str, str]:
    from auditor.reports._html_summary import SCORES as SCORE_ROWS
    from auditor.reports._svg_charts import (
        SCORE_COLOURS,
        Segment,
        ladder_colours,
        percent_bars,
        stacked_bars,
    )

    labels = {key: label for label, key in SCORE_ROWS}
    scores = percent_bars(
        "Scores per provider", [(p, [(key, matrix.provider_scores[p].get(key)) for _, key in SCORE_ROWS])
                                for p in matrix.providers],
        SCORE_COLOURS, labels, css_id="chart-scores")
    ladders = {p: matrix.provider_scores[p].get("custody", {}).get("levels", {})
               for p in matrix.providers}
    levels = next((list(v) for v in ladders.values() if v), [])
    colours = ladder_colours(levels)
    custody = stacked_bars(
        "Buckets per key-custody level (lowest customer control first)",
        [(p, [Segment(level, ladder.get(level, 0), colours[level]) for level in levels])
         for p, ladder in ladders.items()],
        [(level, colours[level]) for level in levels], css_id="chart-custody") if levels else ""
    return scores, custody


def render_html(matrix: Matrix) -> str:
    from auditor.reports._html_summary import SCORES
    from auditor.reports.html import _environment, script_csp

    score_chart, custody_chart = _charts(matrix)
    context: dict[str, Any] = {"m": matrix, "lines": cell_lines, "pct": _pct, "gaps": _gap_lines(matrix),
                               "accounts": _account_lines(matrix),
                               "ordered": _most_urgent_first,
                               "value": lambda v: clean(value_text(v)),
                               "csp": script_csp(), "exposure_legend": EXPOSURE_LEGEND,
                               "score_rows": SCORES, "score_chart": score_chart,
                               "custody_chart": custody_chart,
                               "custody_shown": _custody_shown(matrix),
                               "row_header": _row_header(matrix)}
    return _environment().get_template("compare.html.j2").render(**context)


def _most_urgent_first(cell: Cell) -> list[Finding]:
    """A cell's drill-down: what needs action first, as in every other report."""
    return sorted(cell.findings, key=lambda f: (STATUS_ORDER.index(f.status), f.resource_name))
