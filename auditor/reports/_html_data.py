"""The findings as one JSON document embedded in the scan page, for its script to draw.

Compact on purpose (a page of 100,000 findings must stay light): the repeated values (checks,
providers, accounts, regions, messages, evidence lists, remediation) are stored once in tables
and each finding is a row of indexes into them. The document is made safe for a
``<script type="application/json">`` element: no ``<``, ``>`` or ``&`` is left raw, so no
finding text can close the element or open a comment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from auditor.model import SEVERITIES, Report
from auditor.reports._common import STATUS_ORDER, clean, sorted_findings, value_text

# Row layout, shared with the page script (templates/report.js reads the same names).
ROW_FIELDS = ("status", "check", "kind", "provider", "account", "region", "name", "id",
              "message", "evidence", "remediation", "frameworks", "muted")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


class _Table:
    """Distinct values in first-seen order; ``index`` gives a value's position."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._seen: dict[Any, int] = {}

    def index(self, key: Any, make: Callable[[], Any] | None = None) -> int:
        """The position of ``key``'s value; a new key's value is ``make()`` (or the key)."""
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = len(self.values)
            self.values.append(key if make is None else make())
        return found


def _evidence(finding: Any) -> list[list[str]]:
    return [[clean(e.fact), clean(e.state), clean(value_text(e.value)),
             ", ".join(clean(s) for s in e.source), clean(e.detail or "")]
            for e in finding.evidence]


def payload(report: Report) -> dict[str, Any]:
    """The findings, most urgent first, as tables and index rows."""
    checks, safeguards, texts = _Table(), _Table(), _Table()
    providers, accounts, regions, evidence, kinds = (_Table(), _Table(), _Table(), _Table(),
                                                     _Table())
    severity_index = {s: i for i, s in enumerate(SEVERITIES)}
    status_index = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows = []
    for f in sorted_findings(report):
        check = checks.index((f.check_id, f.title, f.safeguard, f.severity),
                             lambda f=f: [clean(f.check_id), clean(f.title),
                                          safeguards.index(clean(f.safeguard)),
                                          severity_index.get(f.severity, 0)])
        ev_key = tuple((e.fact, e.state, value_text(e.value), tuple(e.source), e.detail)
                       for e in f.evidence)
        frameworks = "; ".join(f"{name} {', '.join(ids)}"
                               for name, ids in sorted(f.frameworks.items()))
        rows.append([status_index[f.status], check, kinds.index(clean(f.kind)),
                     providers.index(clean(f.provider)),
                     accounts.index(clean(f.account)), regions.index(clean(f.region)),
                     clean(f.resource_name), clean(f.resource_id), texts.index(clean(f.message)),
                     evidence.index(ev_key, lambda f=f: _evidence(f)),
                     texts.index(clean(f.remediation)), texts.index(clean(frameworks)),
                     -1 if f.muted_reason is None else texts.index(clean(f.muted_reason))])
    return {"fields": list(ROW_FIELDS), "statuses": [s.value for s in STATUS_ORDER],
            "severities": list(SEVERITIES), "checks": checks.values,
            "safeguards": safeguards.values, "kinds": kinds.values,
            "providers": providers.values,
            "accounts": accounts.values, "regions": regions.values, "texts": texts.values,
            "evidence": evidence.values, "rows": rows}


def script_json(report: Report) -> str:
    """The payload as JSON text that is safe inside a script element."""
    text = json.dumps(payload(report), ensure_ascii=False, separators=(",", ":"))
    return text.translate(_SCRIPT_SAFE)
