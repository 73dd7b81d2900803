"""A fourth provider edits no core file and no check file (docs/architecture.md, "Add a provider").

A throw-away ``toy_azure`` package is written to a temporary folder on sys.path with what the
checklist asks of a provider: the adapter with its data files (every required one, plus
checks.yaml with its remediation and benchmark ids), and its stand-in package with its own
estate section. It is registered once through the registries' own ``register`` API and once
as an installed distribution (a ``.dist-info`` with entry points, as pip would leave it): the
checks load with its remediation, the remediation lint passes for it, ``load_estate``
includes it, and the layering test covers it. Nothing of the repository is edited.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_layers import provider_import_violations, provider_packages

from auditor import provider_data, regions
from auditor.checks import CCM_FRAMEWORK, compile_check, load_checks
from auditor.engine import finding_for
from auditor.errors import PluginError
from auditor.model import Fact, Resource
from auditor.provider_checks import missing_remediation
from auditor.providers.base import ProviderRegistry
from auditor.sandbox import estate
from auditor.sandbox.estate import load_estate
from auditor.sandbox.registry import SandboxRegistry
from auditor.schema import fact_catalog

PACKAGE = "toy_azure"
AZURE_CIS = "CIS Microsoft Azure Foundations Benchmark v3.0.0"

ADAPTER = '''
from pathlib import Path

from auditor.errors import ProviderError
from auditor.providers.base import load_exposure_profile


class AzureAdapter:
    name = "azure"
    title = "Microsoft Azure (toy)"
    options = ()
    data_dir = Path(__file__).resolve().parent

    def exposure_profile(self):
        return load_exposure_profile(self.data_dir / "exposure.yaml")

    def collect(self, request):
        raise ProviderError("azure", "the toy adapter collects nothing")
'''

STAND_IN = '''
from pathlib import Path


class AzureSandbox:
    provider = "azure"
    estate_file = Path(__file__).with_name("estate.yaml")
    deniable = ("storage:GetContainerProperties",)

    def __init__(self):
        self.seeded = None

    def start(self): pass
    def seed(self, estate): self.seeded = estate
    def deny(self, operation): pass
    def scan_options(self): return {}
    def environment(self): return {}
    def requests(self): return []
    def reset_requests(self): pass
    def stop(self): pass
'''

ESTATE = """\
# Demo estate, Azure section (toy): one subscription, one storage account, one vault key.
azure:
  subscriptions:
    - id: 00000000-0000-0000-0000-000000000001
      storage_accounts: [{name: toydemo, location: westeurope}]
      vaults: [{name: toy-vault, keys: [{name: toy-key, rotation_days: 90}]}]
"""

ENTRY_POINTS = f"""\
[auditor.providers]
azure = {PACKAGE}:AzureAdapter

[auditor.sandboxes]
azure = {PACKAGE}.sandbox:AzureSandbox
"""


def data_files() -> dict[str, object]:
    """A minimal document for every required data file, each fitting its schema."""
    exposure = {kind: {path: {"level": "none", "note": "the toy reads nothing"} for path in facts}
                for kind, facts in fact_catalog().items()}
    return {
        "exposure.yaml": exposure,
        "regions.yaml": {
            "schema_version": 1,
            "sources": {"toy": "Azure geographies page, as a placeholder for the toy provider"},
            "regions": {"westeurope": {"country": "NL", "jurisdiction": "EU",
                                       "multi_region": False, "name": "West Europe",
                                       "source": "toy"}}},
        "not_configured.yaml": {},
        "answers.yaml": {"operations": {}},
        "permissions.yaml": {
            "document": {"format": "custom-role", "title": "Toy auditor reader", "stage": "GA"},
            "run": [],
            "operations": {"storage:GetContainerProperties": {
                "actions": ["storage.containers.read"], "reference": "Azure built-in roles"}}},
    }


def checks_file() -> dict[str, object]:
    entries: dict[str, dict[str, object]] = {
        c.id: {"remediation": f"Azure: fix {c.id} on the storage account or vault."}
        for c in load_checks()}
    entries["bucket-tls-enforced"]["frameworks"] = {AZURE_CIS: ["3.1"]}
    return {"checks": entries}


def write_package(site: Path, checks: dict[str, object] | None) -> Path:
    root = site / PACKAGE
    (root / "sandbox").mkdir(parents=True)
    (root / "__init__.py").write_text(ADAPTER)
    (root / "sandbox" / "__init__.py").write_text(STAND_IN)
    (root / "sandbox" / "estate.yaml").write_text(ESTATE)
    files = data_files()
    # A data file the core starts requiring must be added above, as a provider would ship it.
    assert set(files) == set(provider_data.DATA_FILES)
    for name, document in files.items():
        (root / name).write_text(yaml.safe_dump(document))
    if checks is not None:
        (root / "checks.yaml").write_text(yaml.safe_dump(checks))
    return root


def forget() -> None:
    """Drop what was read through the entry points, and the toy's modules."""
    provider_data.registered_data_files.cache_clear()
    regions._table.cache_clear()
    estate._registered_estate.cache_clear()
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The toy package importable from sys.path (not installed); yields its folder."""
    root = write_package(tmp_path, checks_file())
    monkeypatch.syspath_prepend(str(tmp_path))
    forget()
    yield root
    forget()


@pytest.fixture
def installed(toy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The toy as an installed distribution: its entry points are found like any other's."""
    info = toy.parent / "toy_azure-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-azure\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    importlib.invalidate_caches()
    forget()
    yield toy
    forget()


def registries() -> tuple[ProviderRegistry, SandboxRegistry]:
    providers, sandboxes = ProviderRegistry.from_entry_points(), SandboxRegistry.from_entry_points()
    providers.register("azure", lambda: importlib.import_module(PACKAGE).AzureAdapter)
    sandboxes.register("azure", lambda: importlib.import_module(f"{PACKAGE}.sandbox").AzureSandbox)
    return providers, sandboxes


def checks_files(providers: ProviderRegistry) -> dict[str, Path]:
    found = {n: providers.get(n).data_dir / "checks.yaml" for n in providers.names()}
    return {n: path for n, path in found.items() if path.is_file()}


def test_registered_through_the_registry_api(toy: Path) -> None:
    providers, sandboxes = registries()
    assert providers.names() == ["alibaba", "aws", "azure", "gcp"]
    assert providers.get("azure").title == "Microsoft Azure (toy)"  # data files validated
    checks = load_checks(provider_files=checks_files(providers))
    assert missing_remediation(checks, providers.names()) == []
    tls = next(c for c in checks if c.id == "bucket-tls-enforced")
    assert tls.remediation["azure"] == "Azure: fix bucket-tls-enforced on the storage account or vault."
    ccm = {CCM_FRAMEWORK: list(tls.ccm)}  # provider-neutral: the same for Azure
    assert tls.frameworks_for("azure") == {**ccm, AZURE_CIS: ["3.1"]}
    assert set(tls.frameworks) == {"aws", "alibaba", "azure"}  # the check file's kept
    # A finding on an Azure resource carries Azure's text and benchmark, and only those.
    container = Resource("storage.bucket", "azure", "sub-1", "westeurope", "toydemo/logs",
                         "logs", {"tls_enforced.required": Fact.observed(False, "storage:GetProperties")})
    finding = finding_for(compile_check(tls), container)
    assert finding.status.value == "FAIL"
    assert finding.remediation == tls.remediation["azure"]
    assert finding.frameworks == {**ccm, AZURE_CIS: ["3.1"]}
    # Its estate section, next to the three shipped ones, unchanged.
    assembled = load_estate(sandboxes)
    assert assembled["azure"] == yaml.safe_load(ESTATE)["azure"]
    assert {p: assembled[p] for p in ("aws", "gcp", "alibaba")} == {
        p: load_estate()[p] for p in ("aws", "gcp", "alibaba")}
    stand_in = sandboxes.create("azure")
    stand_in.seed(assembled["azure"])
    assert stand_in.seeded["subscriptions"][0]["storage_accounts"][0]["name"] == "toydemo"


def test_installed_through_its_entry_points(installed: Path) -> None:
    # The same calls the CLI, the demo and the lint make, with no argument naming the toy.
    names = ProviderRegistry.from_entry_points().names()
    assert names == ["alibaba", "aws", "azure", "gcp"]
    assert SandboxRegistry.from_entry_points().names() == names
    checks = load_checks()
    assert missing_remediation(checks, names) == []
    assert all(c.remediation["azure"].startswith("Azure: fix ") for c in checks)
    assert load_estate()["azure"]["subscriptions"][0]["vaults"][0]["name"] == "toy-vault"
    packages = provider_packages()
    assert packages["azure"] == PACKAGE
    assert provider_import_violations(packages) == []
    # Had the toy reached into another provider, the same test would say so.
    (installed / "_shared.py").write_text("from auditor.providers.aws import _name\n")
    assert provider_import_violations(packages) == ["toy_azure._shared -> auditor.providers.aws._name"]


def test_without_checks_yaml_the_lint_names_every_check(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_package(tmp_path, checks=None)  # optional: registration still passes
    monkeypatch.syspath_prepend(str(tmp_path))
    forget()
    try:
        providers, _ = registries()
        providers.get("azure")
        checks = load_checks(provider_files=checks_files(providers))
        assert missing_remediation(checks, providers.names()) == [
            f"{c.id}: azure" for c in checks]
    finally:
        forget()


@pytest.mark.parametrize("entry, where", [
    ({"remediation": "no"}, "$.checks.bucket-versioning.remediation"),
    ({"frameworks": {AZURE_CIS: "3.1"}}, f"$.checks.bucket-versioning.frameworks[\"{AZURE_CIS}\"]"),
])
def test_an_ill_shaped_checks_yaml_fails_registration(toy: Path, entry, where) -> None:
    (toy / "checks.yaml").write_text(yaml.safe_dump({"checks": {"bucket-versioning": entry}}))
    providers, _ = registries()
    with pytest.raises(PluginError) as info:
        providers.get("azure")
    assert str(info.value).startswith(f"{toy / 'checks.yaml'}: {where}: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.replace('    estate_file = Path(__file__).with_name("estate.yaml")\n', ""),
     "stand-in 'azure' declares no estate_file"),
    (lambda s: s.replace('"estate.yaml"', '"missing.yaml"'), "missing.yaml not found"),
])
def test_a_stand_in_without_its_estate_file_is_refused(toy: Path, change, message) -> None:
    module = toy / "sandbox" / "__init__.py"
    module.write_text(change(module.read_text()))
    _, sandboxes = registries()
    for attempt in (lambda: sandboxes.create("azure"), lambda: load_estate(sandboxes)):
        with pytest.raises(PluginError, match=message) as info:
            attempt()
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("text, found", [
    ("aws:\n  regions: [us-east-1]\n", "found ['aws']"),
    ("azure: {}\ngcp: {}\n", "found ['azure', 'gcp']"),
    ("- azure\n", "found list"),
    ("azure: [unclosed\n", "not valid YAML"),
])
def test_an_estate_file_holds_its_own_section_only(toy: Path, text, found) -> None:
    (toy / "sandbox" / "estate.yaml").write_text(text)
    _, sandboxes = registries()
    with pytest.raises(PluginError, match=r"estate.yaml: (not valid YAML|an estate file)") as info:
        load_estate(sandboxes)
    assert found in str(info.value) and "\n" not in str(info.value)
