"""What crosses the wire to a Dask worker carries no credential: units built for every
registered adapter (every option given) and for the GCP demo organization's real account
targets pickle without any stand-in credential in their bytes; an option named like a
credential, shaped like one, or holding a secret of the environment is refused before any
task is submitted."""

from __future__ import annotations

import pickle

import pytest

from auditor.errors import ProviderError
from auditor.executors.unit import WorkUnit, answer_outcome, wire_ready, work_unit
from auditor.providers.alibaba.sandbox import ACCESS_KEY_ID, ACCESS_KEY_SECRET
from auditor.providers.base import CollectRequest, ProviderRegistry
from auditor.run_failures import ACCOUNT_SCOPE, PROVIDER_SCOPE

AWS_KEY, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GCP_TOKEN = "ya29.sandbox-access-token-not-real"
CREDENTIALS = (ACCESS_KEY_ID, ACCESS_KEY_SECRET, AWS_KEY, AWS_SECRET, GCP_TOKEN)


@pytest.fixture
def credentials(monkeypatch):
    """The stand-ins' credentials in the environment, where each chain would read them."""
    for name, value in {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
                        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
                        "AWS_ACCESS_KEY_ID": AWS_KEY, "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
                        "GOOGLE_OAUTH_ACCESS_TOKEN": GCP_TOKEN}.items():
        monkeypatch.setenv(name, value)


def _every_option(adapter) -> dict:
    values = {}
    for opt in adapter.options:
        value = True if opt.flag else f"{opt.name.replace('_', '-')}-value"
        values[opt.name] = [value] if opt.multiple else value
    return values


def _shipped(unit: WorkUnit) -> bytes:
    wire_ready(unit)
    return pickle.dumps(unit)


def test_every_adapter_s_unit_carries_no_credential(credentials):
    registry = ProviderRegistry.from_entry_points()
    assert {"aws", "gcp", "alibaba"} <= set(registry.names())
    for name in registry.names():
        adapter = registry.get(name)
        request = CollectRequest(options=_every_option(adapter), max_workers=4, timeout=7.0)
        unit = work_unit(name, "", PROVIDER_SCOPE, request, {"storage.bucket": ["x"]})
        data = _shipped(unit)
        assert pickle.loads(data) == unit  # picklable, and JSON-able (wire_ready)
        for secret in CREDENTIALS:
            assert secret.encode() not in data, (name, secret)
        assert unit.options["region" if name != "gcp" else "project"]  # options travel


def test_the_organization_s_account_units_carry_no_credential(credentials, tmp_path):
    from dask_support import IN_ORG, ORG, gcp_organization

    with gcp_organization(tmp_path) as box:
        adapter = ProviderRegistry.from_entry_points().get("gcp")
        request = CollectRequest(options={"organization_id": ORG}, timeout=10.0)
        targets = adapter.accounts(request)
        assert box.requests()  # listed on the stand-in, by the coordinator
    assert sorted(t.account for t in targets) == IN_ORG
    for target in targets:
        unit = work_unit("gcp", target.account, ACCOUNT_SCOPE, CollectRequest(
            options={**request.options, **target.options}), {})
        data = _shipped(unit)
        assert unit.options["project"] == [target.account]
        assert not any(secret.encode() in data for secret in CREDENTIALS)


@pytest.mark.parametrize("options", [
    {"role_arn": f"arn:aws:iam::123456789012:role/{AWS_SECRET}"},  # an environment secret
    {"profile": ["ok", ACCESS_KEY_SECRET]},
    {"note": "AKIAABCDEFGHIJKLMNOP"},  # an access key id's shape, whoever's it is
    {"note": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"},
    {"secret_key": "x"},  # named like a credential
    {"Password": "x"},
])
def test_a_secret_option_is_refused_before_it_travels(credentials, options):
    unit = work_unit("aws", "111111111111", ACCOUNT_SCOPE, CollectRequest(options=options), {})
    with pytest.raises(ProviderError, match="holds a secret value: it is not sent"):
        wire_ready(unit)


def test_an_option_that_is_not_json_is_refused():
    unit = work_unit("aws", "", PROVIDER_SCOPE, CollectRequest(options={"x": object()}), {})
    with pytest.raises(ProviderError, match="cannot be sent to a Dask worker"):
        wire_ready(unit)


def test_a_worker_answer_is_read_through_the_inventory_schema():
    from auditor.errors import InventoryError
    from auditor.executors.unit import UnitAnswer

    with pytest.raises(InventoryError, match="dask task k"):
        answer_outcome(UnitAnswer('{"schema_version": "x", "runs": 3}'), "<dask task k>")
    with pytest.raises(InventoryError):
        answer_outcome(UnitAnswer("not json"), "<dask task k>")
