"""The facts of a listed item that does not fit its documented shape, for every adapter.

An odd or malformed item that still names itself is reported as a resource, never dropped
and never read from the rest of the item. Its facts follow the adapter's exposure profile
(exposure.yaml), kind by kind:

- a fact the provider shows (level ``api``, or ``derived`` by the adapter from what it
  reads) is the item's error: UNVERIFIED, as every value read from the item would be;
- a fact the provider never shows (level ``none``) stays OPAQUE with the profile's note: no
  answer, documented or not, would have revealed it (transparency, not a failed read);
- a fact the core derives (``CORE_DERIVED``, auditor.derived_facts) is not set here: the core
  derives it from its inputs, which are the error above.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.model import Fact

if TYPE_CHECKING:
    from auditor.errors import CallError
    from auditor.providers.base import ExposureProfile

# The fact paths the core derives (auditor.derived_facts.PATHS, which the providers may not
# import: tests/providers/test_h3_placeholders.py holds the two equal).
CORE_DERIVED = frozenset({"legal_reach.jurisdictions", "legal_reach.key_external"})
EXPOSURE_FILE = "exposure.yaml"


def placeholder_facts(kind: str, error: CallError, profile: ExposureProfile,
                      wanted: Callable[[str], bool]) -> dict[str, Fact]:
    """The wanted facts of an item of ``kind`` that ``error`` says is not the documented one:
    the error where the provider exposes the fact, opaque (the profile's note) where it never
    does, nothing for a fact the core derives. In the profile's order."""
    failed = Fact.from_call_error(error)
    return {path: Fact.opaque(entry.note) if entry.level == "none" else failed
            for path, entry in profile[kind].items()
            if path not in CORE_DERIVED and wanted(path)}


@cache
def exposure_of(data_dir: Path) -> ExposureProfile:
    """The exposure profile in an adapter's data folder (read once per folder)."""
    from auditor.providers.base import load_exposure_profile

    return load_exposure_profile(data_dir / EXPOSURE_FILE)
