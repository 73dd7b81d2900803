"""A check file cannot reach out: no ref is fetched or read, no always-true assert loads.

Each rejected row is run through ``load_check_file``; the rows that point at the local HTTP
server or at a FIFO also run through the CLI (``checks list`` and ``evaluate``), and the server
must have seen no request. A FIFO with no writer blocks whoever opens it, so a test that
returns at all shows the file was never opened.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from referencing.exceptions import Unresolvable

from auditor._data_dirs import data_dir
from auditor.checks import compile_check, load_check_file, schema_validator
from auditor.errors import CheckDefinitionError, ConfigError

CHECK_ID = "custom-refs"
ENABLED = {"properties": {"versioning": {"properties": {"enabled": {"const": True}}}}}

# Documented sources the rows cite.
CORE = "JSON Schema Core 2020-12 (draft-bhutton-json-schema-01)"
REFS = (f"{CORE} §8.2.3 Schema References: implementations SHOULD NOT assume they should "
        "perform a network operation for a network-addressable URI")
ID = f"{CORE} §8.2.1 The $id keyword: it sets the base URI that '#...' refs resolve against"
BOOLEAN = f"{CORE} §4.3.2 Boolean JSON Schemas: true and {{}} always pass"
ANYOF = f"{CORE} §10.2.1.2 anyOf: valid when any one subschema is valid"
NAN = ("Python reference, Value comparisons: any ordered comparison with NaN is false; "
       "RFC 8259 §6: Infinity and NaN are not JSON numbers; YAML float type (yaml.org/type/"
       "float.html): .nan .inf -.inf")


@dataclass(frozen=True)
class Env:
    url: str    # base URL of the counting HTTP server
    fifo: Path  # a named pipe nobody writes to


@dataclass(frozen=True)
class Row:
    name: str
    mutate: Callable[[dict[str, Any], Env], None]
    where: str
    reason: str
    source: str
    cli: bool = False  # also run through `checks list` and `evaluate`


def _assert(schema: Any) -> Callable[[dict[str, Any], Env], None]:
    return lambda doc, env: doc.update({"assert": schema})


def _param(default: Any, schema: Any) -> Callable[[dict[str, Any], Env], None]:
    return lambda doc, env: doc.update(
        params={"limit": {"default": default, "description": "a limit", "schema": schema}})


REJECTED = [
    Row("http-ref-in-assert",
        lambda doc, env: doc.update({"assert": {"$ref": f"{env.url}/x.json"}}),
        "$.assert.$ref", "points outside this check", REFS, cli=True),
    Row("https-ref-in-applies-if",
        lambda doc, env: doc.update(applies_if={"$ref": "https://127.0.0.1:9/a.json"}),
        "$.applies_if.$ref", "points outside this check", REFS),
    Row("file-ref-to-fifo",
        lambda doc, env: doc.update({"assert": {"allOf": [ENABLED,
                                                          {"$ref": env.fifo.as_uri()}]}}),
        "$.assert.allOf[1].$ref", "points outside this check", REFS, cli=True),
    Row("relative-file-ref",  # resolves against the check file's own location
        _assert({"properties": {"versioning": {"properties": {
            "enabled": {"$ref": "other.json#/$defs/t"}}}}}),
        "$.assert.properties.versioning.properties.enabled.$ref", "points outside", REFS),
    Row("urn-dynamic-ref", _assert({"allOf": [ENABLED, {"$dynamicRef": "urn:x:meta"}]}),
        "$.assert.allOf[1].$dynamicRef", "points outside this check", REFS),
    Row("http-ref-in-param-schema",
        lambda doc, env: doc.update(params={"limit": {
            "default": 1, "description": "a limit", "schema": {"$ref": f"{env.url}/p.json"}}}),
        "$.params.limit.schema.$ref", "points outside this check", REFS, cli=True),
    Row("id-moving-refs-outside",  # "x.json" would resolve to the server under this $id
        lambda doc, env: doc.update({"assert": {
            "$defs": {"t": {"$id": f"{env.url}/dir/", "$ref": "x.json"}},
            "allOf": [ENABLED, {"$ref": "#/$defs/t"}]}}),
        "$.assert.$defs.t.$id", "$id is not allowed", ID, cli=True),
    Row("remote-dollar-schema",
        lambda doc, env: doc.update({"assert": {**ENABLED, "$schema": f"{env.url}/meta"}}),
        "$.assert.$schema", "$schema must be", f"{CORE} §8.1.1 The $schema keyword"),
    Row("dangling-local-ref", _assert({"allOf": [ENABLED, {"$ref": "#/$defs/missing"}]}),
        "$.assert.allOf[1].$ref", "resolves to nothing", f"{CORE} §8.2.3.1 $ref"),
    Row("self-ref-loops", _assert({"allOf": [ENABLED, {"$ref": "#"}]}),
        "$.assert", "$ref loop", f"{CORE} §8.2.3.1 $ref (a ref to '#' re-enters the root)"),
    Row("empty-assert", _assert({}), "$.assert", "constrains no fact", BOOLEAN),
    Row("assert-true", _assert(True), "$.assert", "is not of type 'object'", BOOLEAN),
    Row("fact-schema-true",
        _assert({"properties": {"versioning": {"properties": {"enabled": True}}}}),
        "$.assert", "constrains no fact", BOOLEAN),
    Row("fact-schema-annotation-only",
        _assert({"properties": {"versioning": {"properties": {"enabled": {"title": "x"}}}}}),
        "$.assert", "constrains no fact", f"{CORE} §7.7 Annotations (they never fail)"),
    Row("anyof-with-true-branch", _assert({"anyOf": [True, ENABLED]}),
        "$.assert", "constrains no fact", ANYOF),
    Row("typo-behind-local-ref",
        _assert({"$ref": "#/$defs/v", "$defs": {"v": {"properties": {
            "versoning": {"properties": {"enabled": {"const": True}}}}}}}),
        "$.assert", "'versoning.enabled', which is not in reads", f"{CORE} §8.2.3.1 $ref"),
    Row("nan-maximum",
        _assert({"properties": {"versioning": {"properties": {
            "enabled": {"maximum": float("nan")}}}}}),
        "$.assert.properties.versioning.properties.enabled.maximum", "not a finite number", NAN),
    Row("inf-param-default", _param(float("inf"), {"type": "number"}),
        "$.params.limit.default", "inf is not a finite number", NAN),
    Row("minus-inf-param-schema", _param(1, {"type": "number", "minimum": float("-inf")}),
        "$.params.limit.schema.minimum", "-inf is not a finite number", NAN),
]


class _CountingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the name http.server calls
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        body = b"{}"  # a schema that accepts everything, were it ever fetched
        self.send_response(200)
        self.send_header("Content-Type", "application/schema+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fifo = tmp_path / "schema.fifo"
    os.mkfifo(fifo)
    try:
        yield Env(f"http://127.0.0.1:{server.server_address[1]}", fifo)
    finally:
        server.shutdown()
        server.server_close()
        assert server.requests == [], "a check file made the auditor fetch a URL"  # type: ignore[attr-defined]


def _write_check(directory: Path, mutate: Callable[[dict[str, Any], Env], None],
                 env: Env) -> Path:
    doc = copy.deepcopy(yaml.safe_load((data_dir("checks") / "bucket-versioning.yaml")
                                       .read_text()))
    doc["id"] = CHECK_ID
    mutate(doc, env)
    directory.mkdir(exist_ok=True)
    path = directory / f"{CHECK_ID}.yaml"
    path.write_text(yaml.safe_dump(doc))  # NaN and infinities dump as .nan / .inf / -.inf
    return path


@pytest.mark.parametrize("row", REJECTED, ids=lambda r: r.name)
def test_check_is_rejected_with_its_json_path(row: Row, env: Env, tmp_path: Path):
    path = _write_check(tmp_path / "checks", row.mutate, env)
    with pytest.raises(CheckDefinitionError) as info:
        load_check_file(path)
    assert (info.value.source, info.value.path) == (str(path), row.where), row.source
    assert row.reason in info.value.reason, row.source


@pytest.mark.parametrize("row", [r for r in REJECTED if r.cli], ids=lambda r: r.name)
@pytest.mark.parametrize("command", ["list", "evaluate"])
def test_cli_rejects_with_exit_2_and_reaches_nothing(row: Row, command: str, env: Env,
                                                     tmp_path: Path, auditor, golden):
    path = _write_check(tmp_path / "checks", row.mutate, env)
    args = (["checks", "list"] if command == "list" else
            ["evaluate", str(golden / "mixed-inventory.json"), "-o", str(tmp_path / "out")])
    out = auditor(*args, "--checks-dir", str(path.parent), timeout=60)
    assert out.returncode == 2, (row.source, out.stdout[-500:], out.stderr)
    line = f"auditor: error: {path}: {row.where}: "
    assert out.stderr.startswith(line) and out.stderr.count("\n") == 1, out.stderr
    assert not (tmp_path / "out").exists(), "no report is written on an input error"


def test_validators_refuse_retrieval_even_without_the_lint(env: Env):
    # The registry is the second wall: a schema the lint never saw still fetches nothing.
    # Source: python-jsonschema 4.18.0 changelog (automatic retrieval of remote refs is a
    # security risk; a registry given explicitly retrieves only what it is told to).
    for ref in (f"{env.url}/x.json", env.fifo.as_uri(), "other.json", "urn:x:y"):
        with pytest.raises(Unresolvable) as info:
            schema_validator({"$ref": ref}).is_valid({})
        assert info.value.ref == ref


LOCAL = [  # (name, assert schema, source): each must judge exactly as bucket-versioning does
    ("root-ref-into-defs", {"$ref": "#/$defs/versioned", "$defs": {"versioned": ENABLED}},
     f"{CORE} §8.2.3.1 $ref and §8.2.4 $defs"),
    ("fact-ref-into-defs", {"$defs": {"yes": {"const": True}}, "properties": {"versioning": {
        "properties": {"enabled": {"$ref": "#/$defs/yes"}}}}},
     f"{CORE} §8.2.3.1 $ref, JSON Pointer fragment (RFC 6901)"),
    ("anchor-ref", {"$ref": "#on", "$defs": {"v": {"$anchor": "on", **ENABLED}}},
     f"{CORE} §8.2.2 Defining location-independent identifiers ($anchor)"),
]


@pytest.mark.parametrize("name, schema, source", LOCAL, ids=[r[0] for r in LOCAL])
def test_local_refs_load_and_judge_like_the_shipped_check(name, schema, source, env: Env,
                                                           tmp_path: Path, auditor, golden):
    path = _write_check(tmp_path / "checks", _assert(schema), env)
    load_check_file(path)
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "--checks-dir",
                  str(path.parent), "--checks", f"bucket-versioning,{CHECK_ID}", "-q",
                  "-f", "json", "-o", str(tmp_path / "out"))
    assert out.returncode in (0, 1, 3), (source, out.stderr)
    report = json.loads((tmp_path / "out" / "auditor-report.json").read_text())
    verdicts: dict[str, dict[str, str]] = {"bucket-versioning": {}, CHECK_ID: {}}
    for finding in report["findings"]:
        verdicts[finding["check_id"]][finding["resource_id"]] = finding["status"]
    assert verdicts[CHECK_ID] == verdicts["bucket-versioning"], source
    assert {"PASS", "FAIL"} <= set(verdicts[CHECK_ID].values()), "both verdicts exercised"


@pytest.mark.parametrize("value, where, reason", [
    (float("nan"), "$.params.custom-refs.limit", "nan is not a finite number"),
    ({"$ref": "http://127.0.0.1:9/x"}, "$.params.custom-refs.limit.$ref", "not allowed"),
])
def test_param_override_cannot_bring_nan_or_refs(value, where, reason, env: Env,
                                                  tmp_path: Path):
    # Sources: NAN above; REFS above (an override is substituted into assert).
    schema = {"properties": {"versioning": {"properties": {"enabled": {"const": {
        "$param": "limit"}}}}}}

    def mutate(doc: dict[str, Any], e: Env) -> None:
        doc.update({"assert": schema, "params": {"limit": {
            "default": True, "description": "expected value", "schema": {}}}})

    check = load_check_file(_write_check(tmp_path / "checks", mutate, env))
    assert compile_check(check, {"limit": False}).validator.is_valid(
        {"versioning": {"enabled": False}})
    with pytest.raises(ConfigError) as info:
        compile_check(check, {"limit": value}, "auditor.toml")
    assert (info.value.source, info.value.path) == ("auditor.toml", where)
    assert reason in info.value.reason


def test_empty_applies_if_applies_always(env: Env, tmp_path: Path):
    # Source: BOOLEAN above ({} accepts every instance), so the check is never NOT_APPLICABLE
    # by its condition; the rule against always-true schemas is for assert only.
    check = load_check_file(_write_check(tmp_path / "checks",
                                         lambda doc, e: doc.update(applies_if={}), env))
    compiled = compile_check(check)
    assert compiled.applies is not None
    for enabled in (True, False):
        instance = {"versioning": {"enabled": enabled}}
        assert compiled.applies.is_valid(instance)
        assert compiled.validator.is_valid(instance) is enabled
