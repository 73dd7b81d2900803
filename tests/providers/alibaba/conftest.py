"""Fixtures for the Alibaba Cloud adapter tests: the OSS and KMS stand-ins seeded with
alibaba_support.ESTATE, and one full scan of it shared by the read-only tests.

The real alibabacloud-oss-v2 and alibabacloud-kms20160120 clients talk HTTP to the stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alibaba_support import ESTATE, scan

from auditor.providers.alibaba.sandbox import AlibabaSandbox, load_demo_section
from auditor.providers.base import Collection
from auditor.sandbox.base import RecordedRequest


@pytest.fixture(scope="session")
def ali_sandbox() -> Iterator[AlibabaSandbox]:
    box = AlibabaSandbox()
    box.start()
    box.seed(ESTATE)
    yield box
    box.stop()


@pytest.fixture(scope="session")
def ali_scan(ali_sandbox: AlibabaSandbox) -> tuple[Collection, list[RecordedRequest]]:
    """One scan of every region and every fact, with the requests it made."""
    ali_sandbox.seed(ESTATE)  # fresh fault counters
    return scan(ali_sandbox)


@pytest.fixture(scope="session")
def demo_scan() -> Iterator[tuple[Collection, list[RecordedRequest]]]:
    """The shipped demo estate, scanned whole, on a stand-in of its own."""
    box = AlibabaSandbox()
    box.start()
    box.seed(load_demo_section())
    yield scan(box)
    box.stop()


@pytest.fixture(scope="session")
def _scratch_sandbox() -> Iterator[AlibabaSandbox]:
    box = AlibabaSandbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def make_ali_sandbox(_scratch_sandbox: AlibabaSandbox) -> Callable[..., AlibabaSandbox]:
    """The scratch stand-in, reseeded for one test (fresh estate and fault sequences).

    Reseeding instead of restarting keeps tests fast: stopping a server waits out its poll.
    """

    def make(section: dict[str, Any], latency: float = 0.0) -> AlibabaSandbox:
        _scratch_sandbox.latency = latency
        _scratch_sandbox.seed(section)
        _scratch_sandbox.reset_requests()
        return _scratch_sandbox

    return make
