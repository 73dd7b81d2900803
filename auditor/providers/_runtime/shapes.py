"""Every parsed answer is checked against the shape its API reference documents.

An adapter ships ``answers.yaml`` (schemas/answers.schema.json): per operation, a JSON Schema
of the parsed answer with the elements the reference marks as always present and their types.
:meth:`AnswerShapes.check` passes a fitting answer through and raises
:class:`~auditor.errors.MalformedAnswer` for any other, so a 200 answer that is empty, in the
wrong namespace or of the wrong type becomes an ``error`` fact instead of "not configured".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from auditor.errors import MalformedAnswer, PluginError

_REASON_LIMIT = 160


class AnswerShapes:
    """The documented answer shapes of one adapter, loaded from its ``answers.yaml``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def _validators(self) -> Mapping[str, Any]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        from auditor.provider_data import load_data_file

        document = load_data_file(self.path)
        validators = {}
        for operation, entry in document["operations"].items():
            try:
                Draft202012Validator.check_schema(entry["schema"])
            except SchemaError as exc:
                raise PluginError(f"{self.path}: $.operations.{operation}.schema: "
                                  f"{' '.join(exc.message.split())[:_REASON_LIMIT]}") from exc
            validators[operation] = Draft202012Validator(entry["schema"])
        return validators

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._validators)

    def check(self, operation: str, answer: Any) -> Any:
        """``answer`` when it fits the documented shape of ``operation``; else MalformedAnswer.

        The reason names the JSON path and the rule, never the value (which may be long,
        or carry what the provider echoed back).
        """
        validator = self._validators.get(operation)
        if validator is None:
            return answer
        error = next(iter(validator.iter_errors(answer)), None)
        if error is None:
            return answer
        from auditor.schema import json_path

        rule = error.validator
        expected = error.validator_value
        if rule == "required":
            missing = [name for name in expected
                       if not isinstance(error.instance, Mapping) or name not in error.instance]
            reason = f"missing {', '.join(missing) or 'a required element'}"
        elif rule == "type":
            reason = f"expected {expected}, got {type(error.instance).__name__}"
        else:
            reason = f"does not satisfy {rule}"
        raise MalformedAnswer(operation, "UnexpectedShape",
                              f"{json_path(error)}: {reason}"[:_REASON_LIMIT])
