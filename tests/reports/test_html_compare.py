"""The compare page's markup: no script at all, a legend for every level, an opener per cell
with findings that targets its drill-down, hostile names escaped, charts inline."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from auditor.comparison import build_matrix
from auditor.model import Report
from auditor.reports import render_comparison
from auditor.reports.comparison import EXPOSURE_LEGEND


def _page(report: Report) -> tuple[object, str]:
    matrix = build_matrix(report)
    return matrix, render_comparison(matrix, "html")


def test_no_script_may_run(report: Report) -> None:
    _, text = _page(report)
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                                     text).group(1))
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "<script" not in text
    assert "http://" not in text.replace("http://evil.example", "") and "xmlns" not in text


def test_every_cell_with_findings_opens_its_drill_down(report: Report) -> None:
    matrix, text = _page(report)
    targets = re.findall(r'<a class="open" href="#([\w-]+)"', text)
    sections = re.findall(r'<section class="drill" id="([\w-]+)"', text)
    assert targets == sections
    assert len(targets) == sum(1 for c in matrix.cells.values() if c.findings)
    assert text.count('<td class="cell"') == len(matrix.safeguards) * len(matrix.providers)


def test_drill_down_rows_are_the_cells_findings_most_urgent_first(report: Report) -> None:
    matrix, text = _page(report)
    cell = matrix.cell("key_rotation", "gcp")
    section = re.search(r'<section class="drill"[^>]*data-safeguard="key_rotation" '
                        r'data-provider="gcp".*?</section>', text, re.S).group(0)
    statuses = re.findall(r'<span class="badge [\w-]+">(\w+)</span>', section)
    assert sorted(statuses) == sorted(f.status.value for f in cell.findings)
    assert statuses == ["FAIL"] + [s for s in statuses[1:]]  # the FAIL first
    assert "key_rotation.period_days" in section and "cloudkms.cryptoKeys.get" in section


def test_legend_explains_every_level_a_cell_shows(report: Report) -> None:
    matrix, text = _page(report)
    legend = re.search(r'<dl class="legend" id="exposure-legend">(.*?)</dl>', text, re.S).group(1)
    for level in {c.exposure for c in matrix.cells.values()} | {lvl for lvl, _ in EXPOSURE_LEGEND}:
        assert f'<span class="exp exp-{level}">{level}</span>' in legend
    assert 'id="score-legend"' in text


def test_hostile_names_stay_text(report: Report, hostile) -> None:
    _, text = _page(report)
    assert hostile.html not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_score_chart_and_stand_in_banner(report: Report) -> None:
    matrix, text = _page(report)
    chart = text.split('<svg id="chart-scores"', 1)[1].split("</svg>", 1)[0]
    for p in matrix.providers:
        assert f"<title>{p}: verifiability " in chart
    undecided = [f for f in report.findings if f.status.value == "UNVERIFIED"]
    chart = _page(replace(report, findings=undecided))[1]
    # alibaba decided nothing: its pass rate is n/a, written so and not drawn as 0 %
    assert "<title>alibaba: pass rate n/a</title>" in chart
    assert "<title>alibaba: verifiability 0%</title>" in chart
    assert 'id="stand-in-banner"' not in text
    runs = [replace(r, endpoint_overridden=True) for r in report.runs]
    assert 'id="stand-in-banner"' in _page(replace(report, runs=runs))[1]


def test_the_kinds_the_matrix_covers(report: Report) -> None:
    _, text = _page(report)
    kinds = re.search(r'<p id="kinds">(.*?)</p>', text).group(1)
    assert "<code>storage.bucket</code> 7" in kinds and "<code>account</code> 1" in kinds
    matrix = build_matrix(report, "storage.bucket")
    text = render_comparison(matrix, "html")
    line = re.search(r'<p id="kind-filter">(.*?)</p>', text).group(1)
    assert "<code>storage.bucket</code> only" in line and "7 finding(s)" in line
    assert "account: 1" in line  # what the filter leaves out is named
    assert "<th>safeguard on storage.bucket</th>" in text and 'id="custody"' in text
    assert 'id="custody"' not in render_comparison(build_matrix(report, "account"), "html")
    drilled = re.findall(r'<section class="drill".*?</section>', text, re.S)
    assert drilled and not any("111122223333</b>" in d for d in drilled)  # no account rows
