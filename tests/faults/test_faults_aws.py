"""The fault matrix for AWS (moto): every read times every fault."""

from __future__ import annotations

import pytest
from faults_checks import FAULT_IDS, check_clean_run, check_down, check_fault

PROVIDER = "aws"


def test_the_clean_run_is_the_baseline(matrix):
    check_clean_run(matrix)


@pytest.mark.parametrize("fault", FAULT_IDS)
def test_one_fault_on_each_operation(matrix, fault):
    check_fault(matrix, fault)


def test_the_provider_down(matrix):
    check_down(matrix)
