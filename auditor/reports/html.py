"""One self-contained HTML file: inline CSS, SVG and script, no external asset, autoescaped.

The page opens with a summary rendered here (it reads with scripts off), then the findings,
drawn by templates/report.js from a JSON block. The Content-Security-Policy allows exactly that
script, by its hash, and nothing else: no other script runs even if some value escaped
escaping.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import IO

from jinja2 import Environment, PackageLoader, StrictUndefined

from auditor.model import Report, Status
from auditor.reports._common import TOOL_NAME, account_runs, clean, value_text
from auditor.reports._html_data import script_json_parts
from auditor.reports._html_summary import summary_context
from auditor.reports._stream import to_text

TEMPLATE = "report.html.j2"


@cache
def page_script() -> str:
    """The findings script, as shipped in the package (templates/report.js)."""
    return (files("auditor.reports") / "templates" / "report.js").read_text(encoding="utf-8")


def script_csp(*scripts: str) -> str:
    """A policy with no source but inline styles, data: images and ``scripts`` by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts)
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return f"{policy}; script-src {hashes}" if scripts else policy


@cache
def _environment() -> Environment:
    # PackageLoader reads through importlib.resources, so it works from a wheel too.
    env = Environment(loader=PackageLoader("auditor.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["clean"] = clean
    env.filters["value"] = lambda v: clean(value_text(v))
    env.filters["css"] = lambda status: str(status).lower().replace("_", "-")
    return env


def write(report: Report, out: IO[str], *, color: bool = False) -> None:
    """The page as the template generates it, piece by piece; the findings' JSON block a
    row at a time (``script_json_parts``)."""
    counts = report.counts()
    script = page_script()
    context = {
        "tool": TOOL_NAME,
        "report": report,
        "statuses": [(s.value, counts[s.value]) for s in Status],
        "accounts": account_runs(report),
        "csp": script_csp(script),
        "script": script,
        "data": script_json_parts(report),
        **summary_context(report),
    }
    for piece in _environment().get_template(TEMPLATE).generate(context):
        out.write(piece)


def render(report: Report, *, color: bool = False) -> str:
    return to_text(write, report, color=color)
