"""One unit of work, what crosses the wire to a worker, and what comes back.

A :class:`WorkUnit` is small, picklable and JSON-able: the adapter's name, its option values
(the request's merged with the account's own), the facts wanted, the bounds. It never holds a
credential: :func:`work_unit` refuses an option whose name or value is a secret (option values
are names: a profile, a role ARN, a project id, an endpoint). A worker resolves its own
credentials (instance role, ADC, environment) and assumes the per-account role itself.

The worker (:func:`run_unit`) rebuilds the provider registry from the entry points, collects
the unit, and answers with the partial inventory as its schema-validated JSON document; the
coordinator (:func:`answer_outcome`) reads it back through the same validating loader.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from auditor.errors import InventoryError, ProviderError
from auditor.model import Inventory
from auditor.providers.base import CollectRequest
from auditor.run_failures import Failed, guarded

MIN_SECRET_LENGTH = 8  # shorter values are placeholders (moto's "testing"), as the scrubber says
# Environment variables whose values are secrets (their names hold one of these words).
_SECRET_ENV_WORDS = ("SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY", "PRIVATE_KEY")
# Option names that would hold a credential (no adapter declares one; a plugin might).
_SECRET_NAMES = frozenset({
    "access_key", "access_key_id", "access_key_secret", "secret", "secret_key",
    "secret_access_key", "session_token", "security_token", "token", "access_token",
    "refresh_token", "password", "private_key", "client_secret", "credentials"})


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """One collection: a provider (``account`` "") or one account of a multi-account scan."""

    provider: str
    account: str
    scope: str  # auditor.run_failures PROVIDER_SCOPE or ACCOUNT_SCOPE: what a failure fails
    options: dict[str, Any]
    facts: dict[str, list[str]] | None  # kind -> fact paths wanted; None: everything
    requested: dict[str, list[str]]  # what the run is recorded as asked for
    timeout: float
    max_workers: int
    tags: bool
    # one part of the account's collection (auditor.executors.shards), e.g. "region
    # eu-west-1"; "" when the account is collected whole
    shard: str = ""


@dataclass(frozen=True, slots=True)
class UnitAnswer:
    """A worker's answer: the partial inventory's JSON text, and the reason (and traceback)
    when the collect failed (the document then holds the failed run)."""

    document: str
    reason: str | None = None
    traceback: str = ""


def work_unit(provider: str, account: str, scope: str, request: CollectRequest,
              requested: dict[str, list[str]]) -> WorkUnit:
    """The payload of one unit (checked for secrets where it leaves the process:
    :func:`wire_ready`)."""
    facts = None if request.facts is None else {
        kind: sorted(paths) for kind, paths in request.facts.items()}
    return WorkUnit(provider, account, scope, dict(request.options), facts, requested,
                    request.timeout, request.max_workers, request.tags)


def wire_ready(unit: WorkUnit) -> None:
    """ProviderError unless the unit may be sent to another process: JSON-able, no secret."""
    refuse_secrets(unit.provider, unit.options)
    try:
        json.dumps(unit.options)
    except (TypeError, ValueError) as exc:
        raise ProviderError(unit.provider, "an option value cannot be sent to a Dask worker: "
                                           f"{exc}") from exc


def refuse_secrets(provider: str, options: Mapping[str, Any]) -> None:
    """ProviderError when an option is named like a credential, holds a credential's shape
    (a key id, a token, a private key) or a secret value of this process's environment."""
    from auditor.providers._runtime.scrub import scrub_shapes

    secrets = _environment_secrets()
    for name, value in options.items():
        texts = [str(v) for v in (value if isinstance(value, list | tuple) else [value])
                 if v is not None and not isinstance(v, bool)]
        shaped = any(scrub_shapes(t, limit=len(t) + 1) != t for t in texts)
        if name.casefold() in _SECRET_NAMES or shaped or any(
                s in t for t in texts for s in secrets):
            raise ProviderError(provider, f"option {name} holds a secret value: it is not sent "
                                          "to Dask workers (each worker uses its own "
                                          "credentials)")


def _environment_secrets() -> set[str]:
    return {value for name, value in os.environ.items()
            if any(word in name.upper() for word in _SECRET_ENV_WORDS)
            and len(value) >= MIN_SECRET_LENGTH}


def unit_request(unit: WorkUnit) -> CollectRequest:
    """The request a worker collects the unit with (no progress display, its own cancel)."""
    facts = None if unit.facts is None else {k: frozenset(v) for k, v in unit.facts.items()}
    return CollectRequest(options=dict(unit.options), facts=facts, max_workers=unit.max_workers,
                          timeout=unit.timeout, tags=unit.tags)


def collect_once(adapter: Any, request: CollectRequest,
                 requested: dict[str, list[str]]) -> Inventory:
    """One adapter collect as an inventory, its run recorded as asked for ``requested``."""
    collection = adapter.collect(request)
    collection.run.facts_requested = requested
    return Inventory([collection.run], collection.resources)


@cache
def _registry() -> Any:
    from auditor.providers.base import ProviderRegistry

    return ProviderRegistry.from_entry_points()


def run_unit(unit: WorkUnit) -> UnitAnswer:
    """A worker's task: collect the unit with this process's own credentials; the answer is
    the inventory document (validated), whether the collect worked or failed."""
    from auditor.documents import inventory_text

    result = guarded(unit.provider, unit.scope, unit.requested, lambda: collect_once(
        _registry().get(unit.provider), unit_request(unit), unit.requested))
    if isinstance(result, Failed):
        return UnitAnswer(inventory_text(Inventory([result.run])), result.reason,
                          result.traceback)
    return UnitAnswer(inventory_text(result))


def answer_outcome(answer: UnitAnswer, source: str) -> Inventory | Failed:
    """The coordinator's reading of an answer: through the inventory schema, as a file is."""
    from auditor.documents import parse_json
    from auditor.schema import validate

    document = parse_json(answer.document, source, InventoryError)
    validate("inventory", document, source, InventoryError)
    inventory = Inventory.from_dict(document)
    if answer.reason is None:
        return inventory
    if len(inventory.runs) != 1:
        raise InventoryError(source, "$.runs", "a failed unit's answer holds one run")
    return Failed(inventory.runs[0], answer.reason, answer.traceback)
