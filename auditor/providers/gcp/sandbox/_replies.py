"""Answers shared by the Google Cloud stand-in's routes: JSON bodies, the two error shapes
(Cloud Storage's legacy ``errors[]`` and google.rpc.Status), disabled APIs, injected faults.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from auditor.providers.gcp.sandbox._estate import Estate, Project
from auditor.sandbox.base import Reply

STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
GCS_REASONS = {400: "invalid", 403: "forbidden", 404: "notFound", 429: "rateLimitExceeded",
               500: "backendError", 503: "backendError"}
SERVICE_TITLES = {"storage": "Cloud Storage JSON API",
                  "cloudkms": "Cloud Key Management Service (KMS) API",
                  "orgpolicy": "Organization Policy API",
                  "cloudresourcemanager": "Cloud Resource Manager API",
                  "compute": "Compute Engine API", "sqladmin": "Cloud SQL Admin API",
                  "file": "Cloud Filestore API"}
# Services that answer errors in the legacy JSON shape (errors[] with a reason).
LEGACY_ERRORS = frozenset({"storage", "compute", "sqladmin"})


def json_reply(status: int, body: Any, action: str) -> Reply:
    return Reply(status, json.dumps(body).encode(), headers={"x-recorded-action": action})


def gcs_error(status: int, message: str, action: str, reason: str | None = None) -> Reply:
    reason = reason or GCS_REASONS.get(status, "backendError")
    return json_reply(status, {"error": {"code": status, "message": message, "errors": [
        {"message": message, "domain": "global", "reason": reason}]}}, action)


def rpc_error(status: int, message: str, action: str,
              info: dict[str, Any] | None = None) -> Reply:
    error: dict[str, Any] = {"code": status, "message": message,
                             "status": STATUS_NAMES.get(status, "UNKNOWN")}
    if info:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", **info}]
    return json_reply(status, {"error": error}, action)


def disabled(service: str, project: Project, action: str) -> Reply:
    title = SERVICE_TITLES[service]
    message = (f"{title} has not been used in project {project.number} before or it is "
               f"disabled. Enable it by visiting https://console.developers.google.com/apis/"
               f"api/{service}.googleapis.com/overview?project={project.number} then retry.")
    info = {"reason": "SERVICE_DISABLED", "domain": "googleapis.com",
            "metadata": {"service": f"{service}.googleapis.com",
                         "consumer": f"projects/{project.number}"}}
    reply = rpc_error(403, message, action, info)
    if service in LEGACY_ERRORS:
        body = json.loads(reply.body)
        body["error"]["errors"] = [{"message": message, "domain": "usageLimits",
                                    "reason": "accessNotConfigured"}]
        reply = json_reply(403, body, action)
    return reply


def fault_reply(estate: Estate, scope: str, action: str, service: str) -> Reply | None:
    status = estate.faults.take(scope, action)
    if status is None:
        return None
    if status == "garbage":  # a 200 whose body is not JSON (a broken proxy, say)
        return Reply(200, b"<html>gateway says hello</html>", "text/html",
                     {"x-recorded-action": action})
    if status == "disabled":
        project = estate.project_of(scope) or next(iter(estate.projects.values()))
        return disabled(service, project, action)
    status = int(status)
    message = (f"Permission '{action}' denied on resource '{scope}' (or it may not exist)."
               if status == 403 else f"injected {status} for {action}")
    if service in LEGACY_ERRORS:
        return gcs_error(status, message, action)
    info = ({"reason": "IAM_PERMISSION_DENIED", "domain": f"{service}.googleapis.com",
             "metadata": {"permission": action, "resource": scope}} if status == 403 else None)
    return rpc_error(status, message, action, info)


def page_of(items: list[Any], query: dict[str, list[str]], size_param: str,
          limit: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` (at most ``limit``, or the request's ``size_param``) and the
    opaque token of the next one."""
    size = limit
    if query.get(size_param) and query[size_param][0].isdigit() and int(query[size_param][0]):
        size = min(limit, int(query[size_param][0]))
    token = (query.get("pageToken") or [""])[0]
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_token
