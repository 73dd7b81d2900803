"""AwsSession's S3 clients: path style behind an endpoint override, made once per region.

The other regions' S3 clients are made path-style at once after the first one showed the
override (issue 14: client creation). The clients must be what the former construction gave
(make the client, and again with path style when the endpoint is not AWS's): same endpoint,
region, addressing and answers, over moto in server mode (real HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import aws_environment
from botocore.config import Config

from auditor.providers.aws._session import AwsSession, endpoint_is_overridden

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"]


@pytest.fixture
def moto_url(tmp_path: Path) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _former(session: AwsSession, region: str) -> Any:
    """The construction before the change: made, then made again path-style."""
    client = session.session.client("s3", region_name=region, config=session.config)
    if endpoint_is_overridden(client.meta.endpoint_url):
        client = session.session.client("s3", region_name=region, config=session.config.merge(
            Config(s3={"addressing_style": "path"})))
    return client


def _created(session: AwsSession) -> list[str]:
    made: list[str] = []
    session.session.events.register("creating-client-class.s3", lambda **_: made.append("s3"))
    return made


def test_overridden_endpoint_s3_clients_path_style_once_per_region(tmp_path: Path,
                                                                   moto_url: str) -> None:
    with aws_environment(tmp_path, AWS_ENDPOINT_URL=moto_url):
        admin = {"aws_access_key_id": "seedkey", "aws_secret_access_key": "seedsecret"}
        for region in REGIONS:
            kwargs: dict[str, Any] = {"Bucket": f"b-{region}"}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            boto3.client("s3", region_name=region, endpoint_url=moto_url,
                         **admin).create_bucket(**kwargs)
        session = AwsSession()
        made = _created(session)
        clients = {r: session.client("s3", r) for r in REGIONS}
        assert session.client("s3", "eu-west-1") is clients["eu-west-1"]  # cached
        # the first region's client twice (it found the override), every other one once
        assert len(made) == len(REGIONS) + 1
        assert session.endpoint_overridden
        for region, client in clients.items():
            former = _former(session, region)
            assert client.meta.endpoint_url == former.meta.endpoint_url == moto_url
            assert client.meta.region_name == former.meta.region_name == region
            assert client.meta.config.s3 == former.meta.config.s3 == {"addressing_style": "path"}
            bucket = f"b-{region}"
            assert (client.get_bucket_location(Bucket=bucket)["LocationConstraint"]
                    == former.get_bucket_location(Bucket=bucket)["LocationConstraint"])
            assert client.list_buckets()["Buckets"] == former.list_buckets()["Buckets"]


def test_aws_endpoint_s3_clients_unchanged(tmp_path: Path) -> None:
    """No override: every region's S3 client is made once, not path-style, as before."""
    with aws_environment(tmp_path):
        session = AwsSession()
        made = _created(session)
        for region in REGIONS:
            client = session.client("s3", region)
            former = _former(session, region)
            assert not endpoint_is_overridden(client.meta.endpoint_url)
            assert client.meta.endpoint_url == former.meta.endpoint_url
            assert client.meta.config.s3 == former.meta.config.s3
            assert (client.meta.config.s3 or {}).get("addressing_style") != "path"
        assert made.count("s3") == 2 * len(REGIONS)  # ours once each, _former once each
        assert not session.endpoint_overridden


def test_service_specific_override_only_for_s3(tmp_path: Path, moto_url: str) -> None:
    """AWS_ENDPOINT_URL_S3 alone: S3 is path-style at the stand-in, KMS stays AWS's."""
    with aws_environment(tmp_path, AWS_ENDPOINT_URL_S3=moto_url):
        session = AwsSession()
        s3 = [session.client("s3", r) for r in REGIONS]
        assert {c.meta.endpoint_url for c in s3} == {moto_url}
        assert all(c.meta.config.s3 == {"addressing_style": "path"} for c in s3)
        kms = session.client("kms", "eu-west-1")
        assert not endpoint_is_overridden(kms.meta.endpoint_url)
