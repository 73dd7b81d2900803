"""The compare page in headless Chromium (Debian's binary, driven by Playwright): the matrix,
the legend, cells that open by mouse and by keyboard, the drill-down table, the score chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.checks import load_checks
from auditor.comparison import build_matrix
from auditor.config import compile_with_params
from auditor.documents import load_inventory
from auditor.pipeline import build_report
from auditor.reports import render_comparison
from auditor.reports.comparison import EXPOSURE_LEGEND

GOLDEN = Path(__file__).parents[1] / "golden"
CELL = 'tr[data-safeguard="{}"] td[data-provider="{}"]'


@pytest.fixture(scope="module")
def compare(browser, tmp_path_factory):
    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    report = build_report(inventory, compile_with_params(load_checks(), {}, "t"), lambda p: None)
    m = build_matrix(report)
    page_file = tmp_path_factory.mktemp("compare") / "compare.html"
    page_file.write_text(render_comparison(m, "html"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    yield m, page, page_file, requests
    page.close()


def test_matrix_has_every_safeguard_and_provider(compare):
    m, page, _, requests = compare
    assert page.locator("#matrix > tbody > tr[data-safeguard]").count() == len(m.safeguards)
    assert page.locator("#matrix > thead th").all_inner_texts() == ["safeguard", *m.providers]
    assert all(url.startswith("file://") for url in requests), requests


def test_legend_names_every_exposure_level_and_score(compare):
    m, page, _, _ = compare
    legend = page.locator("#exposure-legend dt").all_inner_texts()
    assert [t.lower() for t in legend[:len(EXPOSURE_LEGEND)]] == [lvl for lvl, _ in EXPOSURE_LEGEND]
    shown = {c.exposure for c in m.cells.values()}
    assert shown <= {lvl for lvl, _ in EXPOSURE_LEGEND}  # every level a cell shows is explained
    scores = page.locator("#score-legend dt").all_inner_texts()
    for label in ("verifiability", "provider opacity", "access gap", "pass rate",
                  "no such feature", "listing failures"):
        assert label in scores


def test_a_cell_opens_by_mouse_into_a_drill_down_table(compare, tmp_path):
    m, page, _, _ = compare
    cell = page.locator(CELL.format("tls_enforced", "aws"))
    opener = cell.locator("a.open")
    assert opener.is_visible() and "open" in opener.inner_text()
    assert opener.evaluate("e => getComputedStyle(e).cursor") == "pointer"
    drill = page.locator('section.drill[data-safeguard="tls_enforced"][data-provider="aws"]')
    assert not drill.is_visible()
    opener.click()
    assert drill.is_visible()
    rows = drill.locator("tbody tr")
    findings = m.cell("tls_enforced", "aws").findings
    assert rows.count() == len(findings)
    assert drill.locator("thead th").all_inner_texts() == [
        "Status", "Check", "Resource", "Message", "Evidence"]
    text = drill.inner_text()
    assert "bucket-tls-enforced" in text and "s3:GetBucketPolicy" in text
    assert rows.first.locator(".badge").inner_text() == "FAIL"  # most urgent first
    for width in (1400, 800):
        page.set_viewport_size({"width": width, "height": 900})
        shot = tmp_path / f"compare-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    page.set_viewport_size({"width": 1400, "height": 900})
    drill.locator("a.close").click()
    assert not drill.is_visible()


def test_a_cell_opens_from_the_keyboard(compare):
    m, page, _, _ = compare
    opener = page.locator(CELL.format("versioning", "gcp")).locator("a.open")
    opener.focus()
    page.keyboard.press("Enter")
    drill = page.locator('section.drill[data-safeguard="versioning"][data-provider="gcp"]')
    assert drill.is_visible()
    assert drill.locator("tbody tr").count() == len(m.cell("versioning", "gcp").findings)
    # a cell without findings offers nothing to open
    empty = [(s, p) for (s, p), c in m.cells.items() if not c.findings]
    if empty:
        assert page.locator(CELL.format(*empty[0])).locator("a.open").count() == 0


def test_score_chart_draws_each_provider(compare):
    m, page, _, _ = compare
    chart = page.locator("svg#chart-scores")
    assert chart.is_visible()
    titles = chart.locator("rect > title").evaluate_all("els => els.map(e => e.textContent)")
    for p in m.providers:
        score = m.provider_scores[p].get("verifiability")
        shown = "n/a" if score is None else f"{score * 100:.0f}%"
        assert f"{p}: verifiability {shown}" in titles
