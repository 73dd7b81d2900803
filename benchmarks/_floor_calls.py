"""One recorded request of our scan back into the boto3 call that sends it (for the floor).

botocore's own service models say how each protocol lays parameters out: the query protocols
(EC2, RDS, STS) flatten them into form fields (``Filter.1.Name``, ``OwnerId.1``,
``Filters.member.1.Values.member.1``), rest-json (EFS) puts them in the path and the query
string, json (KMS) sends them as the body. :func:`query_params` reads the form back through
the operation's input shape and checks the result by serializing it again with botocore: a
request this module cannot reproduce exactly is an error, never a different request.
Test-harness code, not shipped.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

# signing name (the credential scope's service) -> boto3's service name
SERVICES = {"elasticfilesystem": "efs"}


@cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _name(shape: Any, default: str, ec2: bool) -> str:
    if ec2:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        if "name" in shape.serialization:
            name = shape.serialization["name"]
            return name[:1].upper() + name[1:]
        return default
    return shape.serialization.get("name", default)


def _scalar(shape: Any, text: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        return text == "true"
    return text


def _read(shape: Any, form: dict[str, str], prefix: str, ec2: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = _name(member, name, ec2)
            value = _read(member, form, f"{prefix}.{key}" if prefix else key, ec2)
            if value is not None:
                out[name] = value
        return out or None
    if kind == "list":
        flat = ec2 or shape.serialization.get("flattened")
        base = prefix if flat else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items, i = [], 1
        while any(k == f"{base}.{i}" or k.startswith(f"{base}.{i}.") for k in form):
            items.append(_read(shape.member, form, f"{base}.{i}", ec2))
            i += 1
        return items or None
    if kind == "map":
        raise ValueError(f"floor: map parameter {prefix} not handled")
    return _scalar(shape, form[prefix]) if prefix in form else None


def query_params(service: str, form: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """(Operation, boto3 parameters) of a query-protocol request's form."""
    from botocore.serialize import create_serializer

    model = _model(service)
    operation = model.operation_model(form["Action"][0])
    fields = {k: v[0] for k, v in form.items() if k not in ("Action", "Version")}
    ec2 = model.protocol == "ec2"
    params = (_read(operation.input_shape, fields, "", ec2) or {}) \
        if operation.input_shape is not None else {}
    again = create_serializer(model.protocol, include_validation=False) \
        .serialize_to_request(params, operation)["body"]
    if {k: str(v) for k, v in again.items()} != {**fields, "Action": operation.name,
                                                 "Version": form["Version"][0]}:
        raise ValueError(f"floor: {service}:{operation.name} {sorted(fields)} not reproduced")
    return operation.name, params


def rest_params(service: str, method: str, path: str,
                query: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """(Operation, boto3 parameters) of a rest-json request: the operation whose method and
    URI template match, its labels from the path, its query-string members from the query."""
    model = _model(service)
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        template = http["requestUri"].split("?", 1)[0]
        if http["method"] != method:
            continue
        pattern = re.sub(r"\\\{(\w+)(?:\\\+)?\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        found = re.fullmatch(pattern, path)
        if found is None:
            continue
        shape = operation.input_shape
        params: dict[str, Any] = {}
        for member, spec in (shape.members.items() if shape is not None else ()):
            where, wire = spec.serialization.get("location"), spec.serialization.get("name")
            if where == "uri" and wire in found.groupdict():
                params[member] = unquote(found[wire])
            elif where == "querystring" and wire in query:
                params[member] = _scalar(spec, query[wire][0])
        return name, params
    raise ValueError(f"floor: {service} {method} {path} matches no operation")


def form_of(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode(), keep_blank_values=True) if body else {}
