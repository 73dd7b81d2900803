"""Lint over every registered provider plugin, as Cloud Custodian lints its resources."""

from __future__ import annotations

import subprocess
import sys

import pytest

from auditor.errors import PluginError, UnknownProviderError
from auditor.providers.base import ProviderRegistry, validate_adapter
from auditor.schema import fact_catalog

REGISTRY = ProviderRegistry.from_entry_points()
SDK_ROOTS = ("boto3", "botocore", "google.cloud", "alibabacloud_oss_v2",
             "alibabacloud_kms20160120", "moto")


def test_three_providers_registered():
    assert {"aws", "gcp", "alibaba"} <= set(REGISTRY.names())


@pytest.mark.parametrize("name", REGISTRY.names())
def test_plugin_contract(name):
    adapter = REGISTRY.get(name)  # validated on registration
    validate_adapter(adapter, name)
    profile = adapter.exposure_profile()
    for kind, facts in fact_catalog().items():
        assert set(profile[kind]) == set(facts)
        for path, entry in profile[kind].items():
            if entry.level != "none":
                assert entry.operations, f"{name} {kind} {path}: name the API operation"
    names = [opt.name for opt in adapter.options]
    assert len(names) == len(set(names))
    assert all(opt.help for opt in adapter.options)


@pytest.mark.parametrize("name", REGISTRY.names())
def test_loading_a_plugin_imports_no_sdk(name):
    code = (f"import sys; from auditor.providers.base import ProviderRegistry;"
            f"ProviderRegistry.from_entry_points().get({name!r}).exposure_profile();"
            f"print(','.join(sorted(m for m in sys.modules if m.startswith({SDK_ROOTS!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_and_broken_plugins_are_clear_errors():
    registry = ProviderRegistry()
    with pytest.raises(UnknownProviderError):
        registry.get("azure")
    registry.register("broken", lambda: object)
    with pytest.raises(PluginError, match="does not implement"):
        registry.get("broken")
    registry.register("missing", lambda: __import__("auditor.providers.nope"))
    with pytest.raises(PluginError, match="could not be loaded"):
        registry.get("missing")
