"""Shared adapter runtime: call outcomes, one retry policy, the ledger, progress, the pool.

Each name is imported from its module on first use: adapter packages name RetryPolicy at
import, and loading an adapter class (for ``--help``, for its data files) must not import
the model, the scrubber and the ledger that only a collection needs.

No module of this package is named like a public name: importing a submodule binds it on the
package under its own name, and a thread asking for the name in between got the module
(derive's rule lives in ``derivation``; tests/providers/aws/test_runtime_lazy_names.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.providers._runtime.calls import RetryingCaller, Translate, attempt
    from auditor.providers._runtime.derivation import derive, unobserved
    from auditor.providers._runtime.ledger import ApiLedger, utc_now
    from auditor.providers._runtime.listing_gaps import naming_gaps
    from auditor.providers._runtime.outcome import Outcome, OutcomeState, UnreadValueError
    from auditor.providers._runtime.pages import PageGuard
    from auditor.providers._runtime.placeholders import exposure_of, placeholder_facts
    from auditor.providers._runtime.pool import bounded_map
    from auditor.providers._runtime.progress import Progress
    from auditor.providers._runtime.retry import RetryPolicy
    from auditor.providers._runtime.shapes import (
        AnswerShapes,
        ItemList,
        ListedAnswer,
        OddItem,
        odd_items,
    )

# public name -> the module of this package that defines it
_HOMES = {
    "RetryingCaller": "calls", "RetryPolicy": "retry", "Translate": "calls", "attempt": "calls",
    "derive": "derivation", "unobserved": "derivation",
    "ApiLedger": "ledger", "utc_now": "ledger", "naming_gaps": "listing_gaps",
    "Outcome": "outcome", "OutcomeState": "outcome", "UnreadValueError": "outcome",
    "PageGuard": "pages", "bounded_map": "pool", "Progress": "progress",
    "exposure_of": "placeholders", "placeholder_facts": "placeholders",
    "AnswerShapes": "shapes", "ItemList": "shapes", "ListedAnswer": "shapes",
    "OddItem": "shapes", "odd_items": "shapes",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "AnswerShapes", "ApiLedger", "ItemList", "ListedAnswer", "OddItem", "Outcome",
    "OutcomeState", "PageGuard", "Progress", "RetryPolicy", "RetryingCaller", "Translate",
    "UnreadValueError", "attempt", "bounded_map", "derive", "exposure_of", "naming_gaps",
    "odd_items", "placeholder_facts", "unobserved", "utc_now",
]
