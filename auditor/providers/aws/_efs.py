"""EFS file systems: DescribeFileSystems carries encryption and key; whether clients must use
TLS is derived from the file system policy (DescribeFileSystemPolicy, one per file system:
no listing carries it), as the bucket TLS rule is from the bucket policy.

Amazon EFS User Guide, "Encrypting data in transit" and "Using IAM to enforce creating
encrypted file systems": a Deny of the client actions when aws:SecureTransport is false makes
every NFS client mount over TLS. PolicyNotFound (EFS API Reference, DescribeFileSystemPolicy)
means the default policy is in effect: any client with network access may mount without TLS.
"""

from __future__ import annotations

from auditor.model import Fact
from auditor.providers.aws import _iam_conditions as conditions
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._iam_policy import PolicyParseError, Statement, action_covers, matches, parse
from auditor.providers.aws._kms import KeyInfo
from auditor.providers.aws._listing import EFS, list_raws
from auditor.providers.aws._session import AwsSession
from auditor.providers.aws._storage_facts import Facts, Raw, at_rest

FILESYSTEM = "storage.filesystem"
DESCRIBE_FILE_SYSTEMS = "elasticfilesystem:DescribeFileSystems"
DESCRIBE_POLICY = "elasticfilesystem:DescribeFileSystemPolicy"
# Mounting is the gate: a client refused ClientMount without TLS cannot reach the data.
_MOUNT = "elasticfilesystem:ClientMount"


def file_systems(session: AwsSession, caller: Caller, region: str) -> list[Raw]:
    return list_raws(caller, session.client("efs", region), "describe_file_systems",
                     DESCRIBE_FILE_SYSTEMS, "FileSystems", EFS, FILESYSTEM, region)


def read_policy(session: AwsSession, caller: Caller, raw: Raw) -> Raw:
    fs_id = raw.item["FileSystemId"]
    raw.calls["policy"] = caller.call(session.client("efs", raw.region),
                                      "describe_file_system_policy", DESCRIBE_POLICY, fs_id,
                                      FileSystemId=fs_id)
    return raw


def _full_deny(statement: Statement, fs_arn: str) -> str | None:
    """None when ``statement`` refuses every insecure mount of the file system; else why not."""
    found = [(op, key, values) for op, block in statement.condition.items()
             for key, values in block.items()]
    insecure = [c for c in found if conditions.is_insecure_transport(*c)]
    if not insecure:
        return "no aws:SecureTransport=false condition"
    if len(insecure) != len(found):
        return "extra conditions exempt requests they do not match"
    if not statement.everyone:
        return "not every principal"
    covered = action_covers(statement.actions, _MOUNT)
    if covered == statement.negated_actions:
        return f"{_MOUNT} not covered"
    named = any(matches(r, fs_arn) for r in statement.resources)
    if named == statement.negated_resources:
        return "the file system ARN not covered"
    return None


def tls_required(raw: Raw, fs_arn: str) -> Fact:
    answer = raw.calls["policy"]
    if not answer.ok:
        return answer.failure()
    if answer.absent:
        return Fact.observed(False, answer.source, basis="derived",
                             detail=f"no file system policy ({answer.code}): clients may mount "
                                    "without TLS")
    try:
        statements = parse((answer.value or {}).get("Policy") or "")
        for name in {op for s in statements for op in s.condition}:
            conditions.operator(name)  # an unknown operator: no verdict
    except (PolicyParseError, ValueError) as exc:
        return Fact.error(f"unparsable file system policy: {exc}", answer.source)
    reasons = []
    for statement in statements:
        if statement.effect != "Deny":
            continue
        why = _full_deny(statement, fs_arn)
        if why is None:
            return Fact.observed(True, answer.source, basis="derived",
                                 detail=f"{statement.label} denies {_MOUNT} without TLS to "
                                        "every principal")
        reasons.append(f"{statement.label}: {why}")
    return Fact.observed(False, answer.source, basis="derived",
                         detail="; ".join(reasons) or "no Deny on aws:SecureTransport=false")


def file_system_facts(raw: Raw, keys: dict[tuple[str, str], KeyInfo], facts: Facts) -> None:
    at_rest(raw, DESCRIBE_FILE_SYSTEMS, keys, facts)
    if "policy" in raw.calls:
        facts.put("tls_enforced.required",
                  tls_required(raw, str(raw.item.get("FileSystemArn") or "")))
