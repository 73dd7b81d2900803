"""The fault matrix for AWS (moto), part one: every read times the faults that answer with an
error or late (the answer faults are in test_faults_aws_answers.py: botocore sessions cost
most of a case, so AWS takes two files, that is two processes under pytest-xdist)."""

from __future__ import annotations

import pytest
from faults_checks import ERROR_FAULTS, check_clean_run, check_fault

PROVIDER = "aws"


def test_the_clean_run_is_the_baseline(matrix):
    check_clean_run(matrix)


@pytest.mark.parametrize("fault", ERROR_FAULTS)
def test_one_fault_on_each_operation(matrix, fault):
    check_fault(matrix, fault)
