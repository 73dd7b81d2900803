"""Fixtures for the AWS adapter tests."""

from __future__ import annotations

from typing import Any

import pytest
from aws_support import demo_section


@pytest.fixture(scope="session")
def demo() -> dict[str, Any]:
    return demo_section()
