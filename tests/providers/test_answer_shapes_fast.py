"""AnswerShapes judges answers with jsonschema-rs first and python jsonschema only for what
it does not accept: both must agree on every shipped shape, and a rejection must read as
python jsonschema's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from auditor.errors import MalformedAnswer
from auditor.providers._runtime.shapes import AnswerShapes

ROOT = Path(__file__).resolve().parents[2] / "auditor" / "providers"
FILES = sorted(ROOT.glob("*/answers.yaml"))
PROBES = ({}, [], "text", None, 7, True, {"unexpected": 1}, {"Buckets": [{"Name": 3}]},
          {"KeyMetadata": {"KeyId": "k", "Enabled": "yes"}})


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_the_fast_and_the_python_validator_agree(path: Path) -> None:
    shapes = AnswerShapes(path)
    assert shapes.operations
    for operation in sorted(shapes.operations):
        python = Draft202012Validator(shapes._schemas[operation])
        for probe in PROBES:
            valid = python.is_valid(probe)
            assert shapes.fits(operation, probe) == valid, (operation, probe)
            if valid:
                assert shapes.check(operation, probe) is probe
            else:
                with pytest.raises(MalformedAnswer) as refused:
                    shapes.check(operation, probe)
                assert refused.value.code == "UnexpectedShape"


def test_an_answer_it_cannot_take_is_judged_by_python_jsonschema(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("operations:\n  x:List:\n    reference: test\n    schema:\n"
                    "      type: object\n      required: [Items]\n"
                    "      properties: {When: {type: string}, At: {not: {type: string}}}\n")
    shapes = AnswerShapes(path)
    dated = {"Items": [], "At": dt.datetime(2026, 1, 1)}  # botocore parses timestamps
    assert not shapes.fits("x:List", dated)  # jsonschema-rs cannot take a datetime
    assert shapes.check("x:List", dated) is dated  # python jsonschema accepts it
    with pytest.raises(MalformedAnswer, match=r"\$\.When: expected string, got datetime"):
        shapes.check("x:List", {"Items": [], "When": dt.datetime(2026, 1, 1)})
    with pytest.raises(MalformedAnswer, match=r"missing Items"):
        shapes.check("x:List", {})
    assert shapes.check("x:Other", {"anything": 1}) == {"anything": 1}  # no shape, no check
