"""One scan per registered adapter against its own stand-in, shared by the conformance suite.

Every adapter in the ``auditor.providers`` entry points is scanned; its stand-in comes from the
``auditor.sandboxes`` entry points, seeded with the adapter's section of the shipped demo
estate, with one operation denied (the first the stand-in lists as ``deniable``). An adapter
registered without a stand-in fails here: it does not ship.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conformance_support import AMBIENT, PROVIDERS, SANDBOXES, Scan

from auditor.providers.base import CollectRequest
from auditor.sandbox.estate import load_estate


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "provider" in metafunc.fixturenames:
        metafunc.parametrize("provider", PROVIDERS.names(), scope="session")


@pytest.fixture(scope="session")
def scan(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    adapter = PROVIDERS.get(provider)
    sandbox = SANDBOXES.create(provider)  # UnknownProviderError: registered without a stand-in
    denied = sandbox.deniable[0]
    sandbox.deny(denied)
    sandbox.start()
    try:
        sandbox.seed(load_estate()[provider])
        sandbox.reset_requests()
        seen: list[tuple[str, int, int | None]] = []
        home = tmp_path_factory.mktemp(f"home-{provider}")
        with pytest.MonkeyPatch.context() as mp:
            for name in AMBIENT:
                mp.delenv(name, raising=False)
            mp.setenv("HOME", str(home))  # no shared config or credential files
            for name, value in sandbox.environment().items():
                mp.setenv(name, value)
            collection = adapter.collect(CollectRequest(
                options=sandbox.scan_options(), max_workers=8,
                progress=lambda *a: seen.append(a)))
        yield Scan(provider, adapter, sandbox, denied, collection, sandbox.requests(), seen)
    finally:
        sandbox.stop()
