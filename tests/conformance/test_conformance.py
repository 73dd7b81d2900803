"""The contract every provider adapter keeps, asserted the same way for each one.

Run over every registered adapter against its own stand-in (conftest.py). The rules are the
project's (README "Statuses" and "How the engine decides"): a fact no API reveals is OPAQUE,
never guessed; a fact we were not allowed to read is denied and its checks UNVERIFIED, never
PASS or FAIL; the scan only reads; failures are recorded in the run; progress is reported;
no credential reaches the output.
"""

from __future__ import annotations

import json
import re

import pytest
from conformance_support import PROVIDERS, SANDBOXES, Scan

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.errors import UnknownProviderError
from auditor.model import FactState, Status
from auditor.sandbox.base import READ_METHODS
from auditor.sandbox.registry import SandboxRegistry
from auditor.schema import fact_catalog

READ_VERBS = ("get", "list", "describe", "head")  # every read API of the three providers


def test_every_adapter_has_a_stand_in():
    # An adapter without one cannot pass this suite, so it does not ship.
    assert set(PROVIDERS.names()) <= set(SANDBOXES.names())
    assert {"aws", "gcp", "alibaba"} <= set(PROVIDERS.names())


def test_an_adapter_without_a_stand_in_cannot_be_scanned():
    # What the scan fixture meets for such an adapter: a clear error, so its tests fail.
    with pytest.raises(UnknownProviderError, match="no stand-in registered for provider"):
        SandboxRegistry().create("azure")


def test_a_stand_in_refuses_an_operation_it_cannot_deny(provider: str):
    sandbox = SANDBOXES.create(provider)
    with pytest.raises(ValueError, match="cannot deny"):
        sandbox.deny(f"{provider}:NoSuchOperation")


def test_the_scan_found_every_kind(scan: Scan):
    kinds = {r.kind for r in scan.collection.resources}
    assert kinds == set(fact_catalog()), scan.name


def test_facts_are_the_catalog_and_sources_are_declared(scan: Scan):
    profile = scan.adapter.exposure_profile()
    catalog = fact_catalog()
    for resource in scan.collection.resources:
        assert set(resource.facts) <= set(catalog[resource.kind]), resource.name
        for path, fact in resource.facts.items():
            declared = set(profile[resource.kind][path].operations)
            assert set(fact.source) <= declared, (resource.name, path, fact.source)


def test_opaque_exactly_where_the_profile_says(scan: Scan):
    profile = scan.adapter.exposure_profile()
    seen_none = 0
    for resource in scan.collection.resources:
        for path, fact in resource.facts.items():
            entry = profile[resource.kind][path]
            if entry.level == "none":
                seen_none += 1
                assert fact.state is FactState.OPAQUE and fact.detail, (resource.name, path)
            elif fact.state is FactState.OPAQUE:
                # An API-backed fact is opaque only in the cases the profile declares.
                assert entry.opaque_when, (resource.name, path, fact.detail)
    has_none = any(e.level == "none" for facts in profile.values() for e in facts.values())
    assert bool(seen_none) == has_none


def test_derived_facts_carry_the_basis(scan: Scan):
    profile = scan.adapter.exposure_profile()
    for resource in scan.collection.resources:
        for path, fact in resource.facts.items():
            if fact.state is FactState.OBSERVED:
                derived = profile[resource.kind][path].level == "derived"
                assert (fact.basis == "derived") is derived, (resource.name, path)


def test_only_reads_are_sent(scan: Scan):
    assert scan.requests, "the stand-in recorded no request"
    for request in scan.requests:
        if request.method in READ_METHODS:
            continue
        # RPC-style APIs (AWS query/JSON, KMS, ECS) POST their reads: the action must be one.
        verb = request.action.rsplit(":", 1)[-1].rsplit(".", 1)[-1].lower()
        assert verb.startswith(READ_VERBS), (request.method, request.path, request.action)


def _denied_facts(scan: Scan):
    return [(resource, path, fact) for resource in scan.collection.resources
            for path, fact in resource.facts.items() if scan.denied in fact.source]


def test_a_denied_operation_is_denied_never_observed(scan: Scan):
    touched = _denied_facts(scan)
    assert touched, f"no fact names the denied {scan.denied}"
    assert any(fact.state is FactState.DENIED for _, _, fact in touched)
    for resource, path, fact in touched:
        if fact.state is FactState.DENIED:
            # The denial is named: the fact says which call was refused, never a guess.
            assert fact.source[0] == scan.denied and fact.detail, (resource.name, path, fact)
    # The denial reached the stand-in and was recorded as a failed call of the run.
    assert any(e.operation == scan.denied and e.kind == "call"
               for e in scan.collection.run.errors), scan.collection.run.errors


def test_denied_facts_make_checks_unverified(scan: Scan):
    denied_paths = {(r.name, p) for r, p, f in _denied_facts(scan) if f.state is FactState.DENIED}
    checks = [compile_check(c) for c in load_checks()]
    unverified = 0
    for resource in scan.collection.resources:
        for compiled in checks:
            check = compiled.check
            if resource.kind not in check.kinds:
                continue
            reads_denied = [p for p in check.reads if (resource.name, p) in denied_paths]
            if not reads_denied:
                continue
            status, message = evaluate_one(compiled, resource)
            # Absent and opaque facts decide first (README: how the engine decides); a denied
            # fact is never turned into PASS or FAIL.
            assert status in (Status.UNVERIFIED, Status.NOT_APPLICABLE, Status.OPAQUE), (
                resource.name, check.id, status, message)
            unverified += status is Status.UNVERIFIED
    assert unverified, f"no check became UNVERIFIED from the denied {scan.denied}"


def test_the_run_is_partial_and_counts_its_calls(scan: Scan):
    run = scan.collection.run
    assert run.provider == scan.name
    assert run.status == "partial"  # a call was denied
    assert sum(run.api_calls.values()) >= len(scan.collection.resources) > 0
    assert run.endpoint_overridden


def test_progress_is_reported(scan: Scan):
    assert scan.progress, "no progress reported"
    assert {p for p, _, _ in scan.progress} == {scan.name}
    # One tick per work item (a resource's reads), counted 1..n once each, against one total (a 0 may open).
    done = sorted(d for _, d, _ in scan.progress if d)
    assert done == list(range(1, len(done) + 1)), done
    assert {t for _, _, t in scan.progress} == {len(done)}


def test_no_credential_in_the_output(scan: Scan):
    output = json.dumps([r.to_dict() for r in scan.collection.resources]) + json.dumps(
        scan.collection.run.to_dict())
    # What the stand-in hands out as credentials (none for an unauthenticated emulator).
    secrets = [v for k, v in scan.sandbox.environment().items()
               if any(word in k for word in ("SECRET", "ACCESS_KEY", "TOKEN")) and len(v) >= 8]
    for secret in secrets:
        assert secret not in output
    # And nothing shaped like a credential, whoever's it is.
    for marker in ("PRIVATE KEY", "Bearer ", "Authorization", "Signature=", "X-Amz-Credential"):
        assert marker not in output, marker
    assert not re.search(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", output)
