"""One RPC-style read (KMS, ECS) through the OpenAPI client, its JSON body checked here.

The body is asked for as a string and parsed by _answers, not by the Tea models: a 200
answer that is not JSON, or not of the documented shape, is a MalformedAnswer (an ``error``
fact for that call, not retried), never a model field left None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.models import OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from auditor.providers.alibaba._answers import json_answer
from auditor.providers.alibaba._errors import Caller


def rpc(client: OpenApiClient, call: Caller, operation: str, version: str,
        query: Mapping[str, str]) -> dict[str, Any]:
    """The checked JSON answer of ``operation`` (``service:Action``)."""
    params = Params(action=operation.split(":", 1)[1], version=version, protocol="HTTPS",
                    method="POST", auth_type="AK", style="RPC", pathname="/",
                    req_body_type="formData", body_type="string")
    response = call(operation, lambda: client.call_api(
        params, OpenApiRequest(query=dict(query)), RuntimeOptions()))
    body = response.get("body") if isinstance(response, dict) else None
    return json_answer(operation, body)
