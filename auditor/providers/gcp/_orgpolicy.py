"""The effective organization policy storage.publicAccessPrevention of a project (Org Policy v2).

No client library for the Org Policy API is a dependency, so the one read goes over the
google-auth ``AuthorizedSession`` (an unauthenticated session against an endpoint override).
HTTP errors become ``google.api_core`` exceptions, so that ``_errors.Caller`` translates and
retries them as it does for the other clients.

getEffectivePolicy answers the policy after the hierarchy is merged and conditions are
evaluated: a boolean constraint is enforced when a rule says ``enforce: true``; no spec or
no rules means the constraint's default, which for this one is "not enforced".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import MalformedAnswer
from auditor.providers.gcp._answers import check
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._rest import RestJsonClient

CONSTRAINT = "storage.publicAccessPrevention"
DEFAULT_ENDPOINT = "https://orgpolicy.googleapis.com"
OP_EFFECTIVE = "orgpolicy:policies.getEffectivePolicy"
NO_ENDPOINT = ("not called: the Cloud Storage or Cloud KMS endpoint is overridden (calls go "
               "unauthenticated) and no Org Policy endpoint was given "
               "(--gcp-orgpolicy-endpoint / AUDITOR_GCP_ORGPOLICY_ENDPOINT)")


@dataclass(frozen=True, slots=True)
class OrgPolicy:
    """The evaluated constraint for one project."""

    project: str
    enforced: bool
    name: str  # the policy name the answer gives

    @property
    def detail(self) -> str:
        state = "enforced" if self.enforced else "not enforced"
        return f"organization policy {CONSTRAINT} is {state} for project {self.project}"


class OrgPolicyClient(RestJsonClient):
    """Reads effective policies over one pooled HTTP session."""

    def fetch(self, project: str, timeout: float) -> Any:
        return self.get_json(f"/v2/projects/{project}/policies/{CONSTRAINT}"
                             ":getEffectivePolicy", timeout)


def parse(project: str, body: Any) -> OrgPolicy:
    """The enforce value of an effective Policy; a shape we cannot read is an error."""
    rules = (check(OP_EFFECTIVE, body).get("spec") or {}).get("rules") or []
    if any(rule.get("condition") for rule in rules):
        # The evaluated policy carries no conditions; one here is outside what we can judge.
        raise MalformedAnswer(OP_EFFECTIVE, "ConditionalRule",
                              "the effective policy has a conditional rule")
    enforced = any(rule.get("enforce") is True for rule in rules)
    return OrgPolicy(project, enforced, body["name"])


def effective_policy(call: Caller, client: OrgPolicyClient, project: str,
                     timeout: float) -> OrgPolicy:
    """One counted, retried getEffectivePolicy call for ``project``."""
    return call(OP_EFFECTIVE, lambda: parse(project, client.fetch(project, timeout)))
