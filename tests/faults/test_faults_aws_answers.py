"""The fault matrix for AWS (moto), part two: every read times the faults that spoil the
answer or the connection, and the provider down (part one: test_faults_aws.py)."""

from __future__ import annotations

import pytest
from faults_checks import ANSWER_FAULTS, check_clean_run, check_down, check_fault

PROVIDER = "aws"


def test_the_clean_run_is_the_baseline(matrix):
    check_clean_run(matrix)


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_one_fault_on_each_operation(matrix, fault):
    check_fault(matrix, fault)


def test_the_provider_down(matrix):
    check_down(matrix)
