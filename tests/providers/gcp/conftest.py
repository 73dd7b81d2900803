"""Fixtures for the Google Cloud adapter tests: the stand-in seeded with gcp_support.ESTATE
and one full scan of it shared by the read-only tests.

The real google-cloud-storage and google-cloud-kms clients talk HTTP to the stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gcp_support import ESTATE, PAGE_SIZE, fast_adapter

from auditor.providers.base import Collection, CollectRequest
from auditor.providers.gcp.sandbox import GcpSandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[GcpSandbox]:
    box = GcpSandbox(page_size=PAGE_SIZE)
    box.start()
    box.seed(ESTATE)
    yield box
    box.stop()


@pytest.fixture(scope="session")
def full_scan(sandbox: GcpSandbox) -> tuple[Collection, list[Any]]:
    """One scan of every project and every fact, with the requests it made."""
    sandbox.reset_requests()
    collection = fast_adapter().collect(
        CollectRequest(options=sandbox.scan_options(), max_workers=8))
    return collection, sandbox.requests()


@pytest.fixture(scope="session")
def _spare_sandboxes() -> Iterator[dict[tuple[Any, ...], GcpSandbox]]:
    boxes: dict[tuple[Any, ...], GcpSandbox] = {}
    yield boxes
    for box in boxes.values():
        box.stop()


@pytest.fixture
def make_sandbox(_spare_sandboxes) -> Callable[..., GcpSandbox]:
    """A stand-in freshly seeded for one test (fault sequences and request record reset).

    Servers are reused across tests (one per constructor setting): stopping one costs the
    server's half-second poll interval.
    """

    def make(section: dict[str, Any], **kwargs: Any) -> GcpSandbox:
        settings = tuple(sorted(kwargs.items()))
        box = _spare_sandboxes.get(settings)
        if box is None:
            box = _spare_sandboxes[settings] = GcpSandbox(**kwargs)
            box.start()
        box.seed(section)
        box.reset_requests()
        return box

    return make
