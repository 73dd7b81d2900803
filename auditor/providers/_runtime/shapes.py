"""Every parsed answer is checked against the shape its API reference documents.

An adapter ships ``answers.yaml`` (schemas/answers.schema.json): per operation, a JSON Schema
of the parsed answer with the elements the reference marks as always present and their types.
:meth:`AnswerShapes.check` passes a fitting answer through and raises
:class:`~auditor.errors.MalformedAnswer` for any other, so a 200 answer that is empty, in the
wrong namespace or of the wrong type becomes an ``error`` fact instead of "not configured".
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from auditor.errors import MalformedAnswer, PluginError

_REASON_LIMIT = 160


class AnswerShapes:
    """The documented answer shapes of one adapter, loaded from its ``answers.yaml``.

    An answer is judged by a compiled jsonschema-rs validator first (every answer of a scan
    passes here); only one it does not accept (or cannot take: a datetime) is walked by
    python jsonschema, which decides and names the error, so a rejection reads as it always
    did. Each schema is checked against the meta-schema once per content of the file
    (auditor.provider_data_cache).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._python: dict[str, Any] = {}

    @cached_property
    def _schemas(self) -> Mapping[str, Any]:
        from auditor import provider_data_cache
        from auditor.provider_data import load_data_file

        document = load_data_file(self.path)
        schemas = {op: entry["schema"] for op, entry in document["operations"].items()}
        digest = provider_data_cache.file_digest("answer-schemas", self.path.read_bytes())
        if not provider_data_cache.passed(digest):
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            for operation, schema in schemas.items():
                try:
                    Draft202012Validator.check_schema(schema)
                except SchemaError as exc:
                    raise PluginError(f"{self.path}: $.operations.{operation}.schema: "
                                      f"{' '.join(exc.message.split())[:_REASON_LIMIT]}"
                                      ) from exc
            provider_data_cache.remember(digest)
        return schemas

    @cached_property
    def _fast(self) -> Mapping[str, Any]:
        import jsonschema_rs

        fast = {}
        for operation, schema in self._schemas.items():
            try:
                fast[operation] = jsonschema_rs.Draft202012Validator(schema,
                                                                     validate_formats=False)
            except (ValueError, jsonschema_rs.ValidationError):
                continue  # a schema it cannot compile: python jsonschema judges alone
        return fast

    def _validator(self, operation: str) -> Any:
        with self._lock:
            if operation not in self._python:
                from jsonschema import Draft202012Validator

                self._python[operation] = Draft202012Validator(self._schemas[operation])
            return self._python[operation]

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._schemas)

    def fits(self, operation: str, answer: Any) -> bool:
        """True when jsonschema-rs accepts ``answer``; False when it does not or cannot."""
        fast = self._fast.get(operation)
        try:
            return fast is not None and bool(fast.is_valid(answer))
        except (ValueError, OverflowError, TypeError, RecursionError):
            return False

    def check(self, operation: str, answer: Any) -> Any:
        """``answer`` when it fits the documented shape of ``operation``; else MalformedAnswer.

        The reason names the JSON path and the rule, never the value (which may be long,
        or carry what the provider echoed back).
        """
        if operation not in self._schemas or self.fits(operation, answer):
            return answer
        error = next(iter(self._validator(operation).iter_errors(answer)), None)
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
