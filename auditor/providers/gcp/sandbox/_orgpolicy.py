"""Org Policy API v2 of the Google Cloud stand-in: projects.policies.getEffectivePolicy.

The project's ``org_policy.public_access_prevention`` (estate) decides the answer: true or
false give a Policy with one rule ``{enforce: ...}``, absent gives the constraint's default
(a Policy without spec: not enforced), ``denied`` a 403 and ``disabled`` SERVICE_DISABLED.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.providers.gcp.sandbox._estate import Estate
from auditor.providers.gcp.sandbox._replies import disabled, fault_reply, json_reply, rpc_error
from auditor.sandbox.base import Reply

ROUTE = re.compile(r"^/v2/projects/([^/]+)/policies/([^/:]+):getEffectivePolicy$")
ACTION = "orgpolicy.policies.getEffectivePolicy"
KNOWN_CONSTRAINTS = frozenset({"storage.publicAccessPrevention"})  # the one the estate seeds


def effective_policy(estate: Estate, path: str) -> Reply:
    """GET /v2/projects/P/policies/CONSTRAINT:getEffectivePolicy (a project id or number)."""
    found = ROUTE.match(path)
    if found is None:
        return rpc_error(404, f"Resource {path[len('/v2/'):]} not found.", "orgpolicy.unknown")
    ref, constraint = found.groups()
    project = estate.projects.get(ref) or next(
        (p for p in estate.projects.values() if p.number == ref), None)
    if project is None or project.org_policy == "denied":
        # getEffectivePolicy needs orgpolicy.policies.get on the project.
        info = {"reason": "IAM_PERMISSION_DENIED", "domain": "iam.googleapis.com",
                "metadata": {"permission": "orgpolicy.policies.get",
                             "resource": f"projects/{ref}"}}
        return rpc_error(403, "Permission 'orgpolicy.policies.get' denied on resource "
                         f"'//cloudresourcemanager.googleapis.com/projects/{ref}' (or it may "
                         "not exist).", ACTION, info)
    if "orgpolicy" in project.disabled:
        return disabled("orgpolicy", project, ACTION)
    fault = fault_reply(estate, f"projects/{project.id}", ACTION, "orgpolicy")
    if fault:
        return fault
    if constraint not in KNOWN_CONSTRAINTS:
        return rpc_error(400, f"Constraint constraints/{constraint} is not seeded in this "
                         "stand-in.", ACTION)
    # The evaluated policy is named by project number and has no etag and no conditions.
    body: dict[str, Any] = {"name": f"projects/{project.number}/policies/{constraint}"}
    if isinstance(project.org_policy, bool):
        body["spec"] = {"rules": [{"enforce": project.org_policy}]}
    return json_reply(200, body, ACTION)
