"""One self-contained HTML file: inline CSS and script, no external asset, autoescaped."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from auditor.model import Finding, Report, Status
from auditor.reports._common import (
    TOOL_NAME,
    account_runs,
    clean,
    run_problems,
    sorted_findings,
    value_text,
)

TEMPLATE = "report.html.j2"

# The status filter. Kept here so that the page's Content-Security-Policy can allow exactly
# this script by its hash and nothing else, even if some value escaped escaping.
FILTER_SCRIPT = """
document.querySelectorAll('input[data-status]').forEach(function (box) {
  box.addEventListener('change', function () {
    var rows = document.querySelectorAll('tr[data-status="' + box.dataset.status + '"]');
    rows.forEach(function (row) { row.hidden = !box.checked; });
  });
});
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src 'sha256-{digest}'")


@cache
def _environment() -> Environment:
    # PackageLoader reads through importlib.resources, so it works from a wheel too.
    env = Environment(loader=PackageLoader("auditor.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["clean"] = clean
    env.filters["value"] = lambda v: clean(value_text(v))
    return env


def _finding_view(finding: Finding) -> dict[str, Any]:
    return {"f": finding, "status": finding.status.value,
            "badge": finding.status.value.lower().replace("_", "-")}


def render(report: Report, *, color: bool = False) -> str:
    counts = report.counts()
    context = {
        "tool": TOOL_NAME,
        "report": report,
        "statuses": [(s.value, s.value.lower().replace("_", "-"), counts[s.value])
                     for s in Status],
        "findings": [_finding_view(f) for f in sorted_findings(report)],
        "problems": run_problems(report),
        "accounts": account_runs(report),
        "csp": _csp(),
        "script": FILTER_SCRIPT,
    }
    return _environment().get_template(TEMPLATE).render(context)
