"""The compare page in headless Chromium (Debian's binary, driven by Playwright)."""

from __future__ import annotations

import shutil

from playwright.sync_api import sync_playwright

from auditor.checks import load_checks
from auditor.comparison import build_matrix
from auditor.config import compile_with_params
from auditor.documents import load_inventory
from auditor.pipeline import build_report
from auditor.reports import render_comparison

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert shutil.which(path), "Chromium missing: run scripts/ensure-chromium.sh (make test does)"
    return path


def test_compare_page_matrix_and_drill_down(golden, tmp_path):
    inventory = load_inventory(golden / "mixed-inventory.json")
    report = build_report(inventory, compile_with_params(load_checks(), {}, "t"), lambda p: None)
    matrix = build_matrix(report)
    page_file = tmp_path / "compare.html"
    page_file.write_text(render_comparison(matrix, "html"))
    shot = tmp_path / "compare.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(page_file.as_uri())
            rows = page.locator("#matrix tbody tr")
            assert rows.count() == len(matrix.safeguards)
            assert page.locator("#matrix thead th").all_inner_texts() == [
                "safeguard", *matrix.providers]
            cell = page.locator('tr[data-safeguard="tls_enforced"] td[data-provider="aws"]')
            evidence = cell.locator(".ev").first
            assert not evidence.is_visible()
            cell.locator("summary").click()
            assert evidence.is_visible()
            text = cell.inner_text()
            assert "bucket-tls-enforced" in text and "s3:GetBucketPolicy" in text
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
