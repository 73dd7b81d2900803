"""Per provider: how a request names its operation, which protocol it speaks, and how a scan
is aimed at the proxies in front of the provider's stand-in.

Operation names are the adapter's own (its facts' ``source``): ``s3:GetBucketPolicy``,
``storage:buckets.getIamPolicy``, ``oss:GetBucketInfo``. The classifiers follow the
providers' API references (REST paths and subresources, X-Amz-Target, Action, x-acs-action).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import yaml
from faults_proxy import Classifier, Seen

from auditor.providers.alibaba.sandbox._oss import SUBRESOURCES as OSS_SUBRESOURCES
from auditor.providers.aws.sandbox._seed import S3_SUBRESOURCES

ESTATES = yaml.safe_load((Path(__file__).with_name("faults_estates.yaml")).read_text())


def _header(seen: Seen, name: str) -> str:
    return next((v for k, v in seen.headers.items() if k.lower() == name), "")


# --- AWS: X-Amz-Target (json), Action (query, ec2), REST paths (S3, S3 Control) ----------
_TARGET_SERVICE = {"TrentService": "kms"}
_EFS_PATH = re.compile(r"/2015-02-01/file-systems(?:/[^/]+(/policy))?/?$")  # EFS rest-json


def aws_operation(seen: Seen) -> str:
    target = _header(seen, "x-amz-target")
    if target:
        prefix, _, op = target.partition(".")
        return f"{_TARGET_SERVICE.get(prefix, prefix.lower())}:{op}"
    form = parse_qs(seen.body.decode("utf-8", "replace")) if seen.body else {}
    if "Action" in form:
        scope = _header(seen, "authorization").split("Credential=", 1)[-1].split("/")
        return f"{scope[3] if len(scope) > 3 else '?'}:{form['Action'][0]}"
    efs = _EFS_PATH.match(seen.path)
    if efs and seen.method == "GET":
        return ("elasticfilesystem:DescribeFileSystemPolicy" if efs.group(1)
                else "elasticfilesystem:DescribeFileSystems")
    if seen.path.startswith("/v20180820/configuration/publicAccessBlock"):
        return f"s3control:{seen.method.title()}PublicAccessBlock"
    query = parse_qs(seen.query, keep_blank_values=True)
    if seen.path in ("", "/"):
        return "s3:ListBuckets" if seen.method == "GET" else ""
    if seen.method == "GET" and seen.path.strip("/").count("/") == 0:
        subs = [S3_SUBRESOURCES[k] for k in query if k in S3_SUBRESOURCES]
        return f"s3:{subs[0]}" if len(subs) == 1 else "s3:ListObjects"
    return ""


# --- Google Cloud: JSON API, Cloud KMS REST v1, Org Policy v2 ------------------------------
_RING = r"/v1/projects/[^/]+/locations/[^/]+/keyRings/[^/:]+"
_KEY = _RING + r"/cryptoKeys/[^/:]+"
_GCP_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + "$"), op) for pattern, op in (
        (r"/storage/v1/b", "storage:buckets.list"),
        (r"/storage/v1/b/[^/]+", "storage:buckets.get"),
        (r"/storage/v1/b/[^/]+/iam", "storage:buckets.getIamPolicy"),
        (r"/storage/v1/b/[^/]+/acl", "storage:bucketAccessControls.list"),
        (r"/storage/v1/b/[^/]+/defaultObjectAcl", "storage:defaultObjectAccessControls.list"),
        (r"/v1/projects/[^/]+/locations", "cloudkms:locations.list"),
        (r"/v1/projects/[^/]+/locations/[^/]+/keyRings", "cloudkms:keyRings.list"),
        (_RING + r":getIamPolicy", "cloudkms:keyRings.getIamPolicy"),
        (_RING + r"/cryptoKeys", "cloudkms:cryptoKeys.list"),
        (_KEY, "cloudkms:cryptoKeys.get"),
        (_KEY + r":getIamPolicy", "cloudkms:cryptoKeys.getIamPolicy"),
        (_KEY + r"/cryptoKeyVersions", "cloudkms:cryptoKeyVersions.list"),
        (r"/v2/(projects|folders|organizations)/[^/]+/policies/[^/:]+:getEffectivePolicy",
         "orgpolicy:policies.getEffectivePolicy"),
        (r"/compute/v1/projects/[^/]+/aggregated/disks", "compute:disks.aggregatedList"),
        (r"/compute/v1/projects/[^/]+/global/snapshots", "compute:snapshots.list"),
        (r"/compute/v1/projects/[^/]+/global/images", "compute:images.list"),
        (r"/compute/v1/projects/[^/]+/global/snapshots/[^/]+/getIamPolicy",
         "compute:snapshots.getIamPolicy"),
        (r"/compute/v1/projects/[^/]+/global/images/[^/]+/getIamPolicy",
         "compute:images.getIamPolicy"),
        (r"/v1/projects/[^/]+/instances", "sqladmin:instances.list"),
        (r"/v1/projects/[^/]+/locations/[^/]+/instances", "file:instances.list"),
    ))


def gcp_operation(seen: Seen) -> str:
    path = unquote(seen.path)
    return next((op for pattern, op in _GCP_ROUTES if pattern.match(path)), "")


# --- Alibaba Cloud: OSS path-style subresources; KMS and ECS RPC by x-acs-action ----------
# The stand-in records OSS reads by these names; the proxy must name them alike.
_OSS_SUBRESOURCES = OSS_SUBRESOURCES


def oss_operation(seen: Seen) -> str:
    query = parse_qs(seen.query, keep_blank_values=True)
    if seen.path.strip("/") == "":
        return "oss:GetPublicAccessBlock" if "publicAccessBlock" in query else "oss:ListBuckets"
    subs = [_OSS_SUBRESOURCES[k] for k in query if k in _OSS_SUBRESOURCES]
    return f"oss:{subs[0]}" if len(subs) == 1 else ""


def rpc_operation(service: str) -> Classifier:
    def classify(seen: Seen) -> str:
        action = _header(seen, "x-acs-action")
        return f"{service}:{action}" if action else ""
    return classify


@dataclass(frozen=True)
class Target:
    """One provider as the matrix drives it."""

    provider: str
    classifiers: dict[str, Classifier]  # upstream name -> classifier
    protocols: dict[str, str]  # service prefix -> faults_table.PROTOCOLS key
    upstreams: Callable[[Any], dict[str, str]]  # sandbox -> upstream name -> URL
    aim: Callable[[Any, list[dict[str, str]], Path], tuple[list[dict[str, Any]], dict]]
    stand_in_action: Callable[[str], str] = lambda action: action
    # Operations without which nothing can be attributed: their failure may fail the
    # provider as a whole (AWS: the caller's identity names the account of every resource).
    gates: tuple[str, ...] = ()

    @property
    def estate(self) -> dict[str, Any]:
        return ESTATES[self.provider]

    def protocol(self, operation: str) -> str:
        return self.protocols[operation.split(":", 1)[0]]


def _by_options(sandbox: Any) -> dict[str, str]:
    """The stand-in's endpoint options (their values are its 127.0.0.1 URLs)."""
    return {k: v for k, v in sandbox.scan_options().items()
            if isinstance(v, str) and v.startswith("http://127.0.0.1:")}


def _aim_by_options(sandbox: Any, slots: list[dict[str, str]], _: Path):
    """Endpoint options pointing at each slot's proxies; the environment without endpoints."""
    base = sandbox.scan_options()
    env = {k: v for k, v in sandbox.environment().items() if "127.0.0.1" not in v}
    return [{**base, **urls} for urls in slots], env


def _aim_aws(sandbox: Any, slots: list[dict[str, str]], home: Path):
    """One named profile per slot whose endpoint_url is the slot's proxy (botocore reads a
    profile's endpoint_url as it reads AWS_ENDPOINT_URL), so slots run side by side."""
    env = sandbox.environment()
    lines = []
    for i, urls in enumerate(slots):
        lines += [f"[profile fault-{i}]", "region = us-east-1",
                  f"endpoint_url = {urls['endpoint']}",
                  f"aws_access_key_id = {env['AWS_ACCESS_KEY_ID']}",
                  f"aws_secret_access_key = {env['AWS_SECRET_ACCESS_KEY']}", ""]
    config = home / "aws-config"
    config.write_text("\n".join(lines))
    (home / "aws-credentials").write_text("")
    options = [{"region": list(sandbox.regions), "profile": f"fault-{i}"}
               for i in range(len(slots))]
    return options, {"AWS_CONFIG_FILE": str(config),
                     "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
                     "AWS_EC2_METADATA_DISABLED": "true"}


TARGETS: dict[str, Target] = {
    "aws": Target("aws", {"endpoint": aws_operation},
                  {"s3": "s3", "s3control": "s3control", "kms": "kms", "sts": "sts",
                   "ec2": "ec2", "rds": "rds", "elasticfilesystem": "elasticfilesystem"},
                  lambda sandbox: {"endpoint": sandbox.url}, _aim_aws,
                  gates=("sts:GetCallerIdentity",)),
    "gcp": Target("gcp", {"gcs_endpoint": gcp_operation, "gcp_kms_endpoint": gcp_operation,
                          "gcp_orgpolicy_endpoint": gcp_operation,
                          "gcp_compute_endpoint": gcp_operation,
                          "gcp_sqladmin_endpoint": gcp_operation,
                          "gcp_filestore_endpoint": gcp_operation},
                  # Compute Engine and Cloud SQL Admin answer errors in Cloud Storage's legacy
                  # shape, Filestore as google.rpc.Status like Cloud KMS.
                  {"storage": "storage", "cloudkms": "cloudkms", "orgpolicy": "orgpolicy",
                   "compute": "storage", "sqladmin": "storage", "file": "cloudkms"},
                  _by_options, _aim_by_options,
                  stand_in_action=lambda action: action.replace(".", ":", 1)),
    "alibaba": Target("alibaba", {"oss_endpoint": oss_operation,
                                  "alibaba_kms_endpoint": rpc_operation("kms"),
                                  "alibaba_ecs_endpoint": rpc_operation("ecs"),
                                  "alibaba_nas_endpoint": rpc_operation("nas"),
                                  "alibaba_rds_endpoint": rpc_operation("rds")},
                      # NAS and RDS answer errors as ECS does (RPC JSON, Code/Message).
                      {"oss": "oss", "kms": "alikms", "ecs": "ecs", "nas": "ecs", "rds": "ecs"},
                      _by_options, _aim_by_options),
}
