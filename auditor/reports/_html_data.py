"""The findings as one JSON document embedded in the scan page, for its script to draw.

Compact on purpose (a page of 100,000 findings must stay light): the repeated values (checks,
providers, accounts, regions, messages, evidence lists, remediation) are stored once in tables
and each finding is a row of indexes into them. The document is made safe for a
``<script type="application/json">`` element: no ``<``, ``>`` or ``&`` is left raw, so no
finding text can close the element or open a comment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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


class _Tables:
    """The payload's tables; ``row`` gives a finding's row, adding what its values are new."""

    def __init__(self) -> None:
        self.checks, self.safeguards, self.texts = _Table(), _Table(), _Table()
        self.providers, self.accounts, self.regions = _Table(), _Table(), _Table()
        self.evidence, self.kinds = _Table(), _Table()
        self._cleaned: dict[str, str] = {}  # a table value's text -> clean(text), once each

    def _clean(self, text: str) -> str:
        found = self._cleaned.get(text)
        if found is None:
            found = self._cleaned[text] = clean(text)
        return found

    def row(self, f: Any) -> list[Any]:
        check = self.checks.index((f.check_id, f.title, f.safeguard, f.severity),
                                  lambda: [clean(f.check_id), clean(f.title),
                                           self.safeguards.index(clean(f.safeguard)),
                                           _SEVERITY_INDEX.get(f.severity, 0)])
        ev_key = tuple((e.fact, e.state, value_text(e.value), tuple(e.source), e.detail)
                       for e in f.evidence)
        frameworks = "; ".join(f"{name} {', '.join(ids)}"
                               for name, ids in sorted(f.frameworks.items()))
        texts, c = self.texts, self._clean
        return [_STATUS_INDEX[f.status], check, self.kinds.index(c(f.kind)),
                self.providers.index(c(f.provider)),
                self.accounts.index(c(f.account)), self.regions.index(c(f.region)),
                clean(f.resource_name), clean(f.resource_id), texts.index(c(f.message)),
                self.evidence.index(ev_key, lambda: _evidence(f)),
                texts.index(c(f.remediation)), texts.index(c(frameworks)),
                -1 if f.muted_reason is None else texts.index(c(f.muted_reason))]

    def document(self, rows: Any) -> dict[str, Any]:
        return {"fields": list(ROW_FIELDS), "statuses": [s.value for s in STATUS_ORDER],
                "severities": list(SEVERITIES), "checks": self.checks.values,
                "safeguards": self.safeguards.values, "kinds": self.kinds.values,
                "providers": self.providers.values,
                "accounts": self.accounts.values, "regions": self.regions.values,
                "texts": self.texts.values, "evidence": self.evidence.values, "rows": rows}


_SEVERITY_INDEX = {s: i for i, s in enumerate(SEVERITIES)}
_STATUS_INDEX = {s: i for i, s in enumerate(STATUS_ORDER)}
_ROWS_MARK = "safeguard-auditor-rows"


def script_json_parts(report: Report) -> Iterator[str]:
    """``script_json(report)`` in pieces, a row at a time: the tables come from a first pass
    over the findings (most urgent first, as the rows), the rows from a second."""
    tables = _Tables()
    for f in sorted_findings(report):
        tables.row(f)
    head, tail = _dumps(tables.document(_ROWS_MARK)).split(f'"{_ROWS_MARK}"')
    yield head + "["
    for i, f in enumerate(sorted_findings(report)):
        yield ("," if i else "") + _dumps(tables.row(f))
    yield "]" + tail


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps(value: Any) -> str:
    return _COMPACT(value).translate(_SCRIPT_SAFE)


def script_json(report: Report) -> str:
    """The payload as JSON text that is safe inside a script element."""
    return "".join(script_json_parts(report))
