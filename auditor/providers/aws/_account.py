"""Account-level calls: caller identity, enabled regions, account Block Public Access, EBS."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.errors import CallError, EndpointError
from auditor.providers._runtime import Outcome
from auditor.providers.aws._answers import checked
from auditor.providers.aws._errors import Caller, provider_failure
from auditor.providers.aws._name import PROVIDER
from auditor.providers.aws._session import AwsSession


@dataclass(frozen=True, slots=True)
class Identity:
    account: str
    partition: str


def identity(session: AwsSession, caller: Caller) -> Identity:
    """sts:GetCallerIdentity (with the shared retries); its failure is a failure of the whole
    provider."""
    client = session.client("sts")
    try:
        # A malformed answer (MalformedAnswer, a CallError) fails the provider like any other.
        answer = checked("sts:GetCallerIdentity",
                         caller.retrying("sts:GetCallerIdentity", client.get_caller_identity))
    except CallError as err:
        sdk_error = err.__cause__ if isinstance(err.__cause__, Exception) else err
        failure = provider_failure(sdk_error, "sts:GetCallerIdentity", session.scrubber.line)
        if failure is not None:
            raise failure from sdk_error
        raise EndpointError(PROVIDER, f"sts:GetCallerIdentity: "
                                      f"{session.scrubber.line(sdk_error)}") from sdk_error
    arn = str(answer.get("Arn", ""))
    partition = arn.split(":")[1] if arn.count(":") >= 2 else "aws"
    return Identity(str(answer["Account"]), partition or "aws")


def enabled_regions(session: AwsSession, caller: Caller) -> list[str] | None:
    """Every region enabled for the account; None when they cannot be listed (recorded as a
    listing failure)."""
    answer = caller.call(session.client("ec2"), "describe_regions", "ec2:DescribeRegions",
                         "account", listing=True, AllRegions=False)
    if not answer.ok:
        return None
    regions = sorted(r["RegionName"] for r in (answer.value or {}).get("Regions", [])
                     if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")
    return regions or [session.region]


def account_public_access_block(session: AwsSession, caller: Caller, account: str) -> Outcome:
    return caller.call(session.client("s3control"), "get_public_access_block",
                       "s3control:GetPublicAccessBlock", "account", AccountId=account)


@dataclass(slots=True)
class EbsDefaults:
    region: str
    encryption: Outcome | None = None
    key: Outcome | None = None


def ebs_defaults(session: AwsSession, caller: Caller, region: str, encryption: bool,
                 key: bool) -> EbsDefaults:
    client = session.client("ec2", region)
    out = EbsDefaults(region)
    scope = f"ec2/{region}"
    if encryption:
        out.encryption = caller.call(client, "get_ebs_encryption_by_default",
                                     "ec2:GetEbsEncryptionByDefault", scope)
    if key:
        out.key = caller.call(client, "get_ebs_default_kms_key_id",
                              "ec2:GetEbsDefaultKmsKeyId", scope)
    return out
