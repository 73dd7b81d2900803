"""The fault matrix (docs/faults.md): one module-scoped Matrix per provider test file.

Each test file names its provider; the stand-in is started and seeded once per module, the
clean run made once, and each fault's cases run (side by side on a few proxy slots) the
first time a test asks for that fault.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faults_matrix import Matrix


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> Iterator[Matrix]:
    built = Matrix(request.module.PROVIDER)
    try:
        yield built.start()
    finally:
        built.stop()
