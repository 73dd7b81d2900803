"""The README's screenshots, from the demo estate: runs ``auditor demo`` (local stand-ins only,
nothing leaves this machine), opens its scan and compare pages in Debian's Chromium at 1400 px
and saves them under docs/images/:

- scan-report.png: the top of the scan page (the run, counts, scores, charts, worst failures);
- scan-findings.png: the findings, filtered to FAIL, the first check's group and evidence open;
- compare.png: the compare matrix with a cell of a few findings open.

    python scripts/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH = 1400


def run_demo(directory: Path) -> Path:
    out = directory / "auditor-demo"
    auditor = [sys.executable, "-c", "import sys; from auditor.cli import main; sys.exit(main())"]
    proc = subprocess.run([*auditor, "demo", "-q", "-o", str(out)], cwd=directory,
                          env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True,
                          check=False)
    if not (out / "auditor-report.html").is_file():
        raise SystemExit(f"auditor demo wrote no report (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-500:]}")
    return out


def shoot(pages: Path, images: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    images.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                     args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1500})
            page.goto((pages / "auditor-report.html").as_uri())
            page.wait_for_selector("body[data-ready=true]")
            saved.append(images / "scan-report.png")
            page.screenshot(path=str(saved[-1]))
            page.select_option("#filter-status", label="FAIL")
            page.locator("details.group > summary").first.click()
            page.locator("button.ev-toggle").first.click()
            page.locator("#findings").scroll_into_view_if_needed()
            page.set_viewport_size({"width": WIDTH, "height": 1000})
            page.evaluate("document.getElementById('findings').scrollIntoView()")
            saved.append(images / "scan-findings.png")
            page.screenshot(path=str(saved[-1]))
            page.close()
            page = browser.new_page(viewport={"width": WIDTH, "height": 1400})
            page.goto((pages / "auditor-compare.html").as_uri())
            # a cell with a few findings, so that the matrix stays in view around it
            openers = page.locator("#matrix a.open")
            counts = [int(t.split()[1]) for t in openers.all_inner_texts()]
            few = next((i for i, n in enumerate(counts) if 2 <= n <= 4), 0)
            openers.nth(few).click()
            page.evaluate("window.scrollTo(0, 0)")
            saved.append(images / "compare.png")
            page.screenshot(path=str(saved[-1]))
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for path in shoot(run_demo(Path(tmp)), args.out):
            print(f"{path}: {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
