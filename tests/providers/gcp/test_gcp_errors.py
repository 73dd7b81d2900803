"""Failures: retries then error, unparsable answers, unreachable endpoints, credentials."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gcp_support import fast_adapter, resources

from auditor.errors import CredentialsError, EndpointError
from auditor.model import FactState, Inventory
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter

ENV_VARS = ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST", "AUDITOR_GCP_KMS_ENDPOINT",
            "GCE_METADATA_HOST", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT",
            "CLOUDSDK_CORE_PROJECT", "API_ENDPOINT_OVERRIDE")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ambient Google credentials, project or endpoint; an empty gcloud config dir."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    return monkeypatch


def one_bucket(faults: dict, name: str = "b") -> dict:
    return {"projects": [{"id": "p", "number": "9", "buckets": [
        {"name": name, "location": "us-central1", "faults": faults}]}]}


def collect(box, **options):
    return fast_adapter().collect(CollectRequest(
        options={**box.scan_options(), **options},
        facts={"storage.bucket": frozenset({"public_exposure.is_public"})}))


def actions(box) -> Counter:
    return Counter(r.action for r in box.requests())


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_failures_are_retried_then_observed(make_sandbox, status):
    box = make_sandbox(one_bucket({"storage.buckets.getIamPolicy": [status, status]}))
    collection = collect(box)
    fact = resources(collection, "storage.bucket")["b"].facts["public_exposure.is_public"]
    assert fact.state is FactState.OBSERVED and fact.value is False
    assert actions(box)["storage.buckets.getIamPolicy"] == 3
    assert collection.run.status == "complete" and not collection.run.errors


def test_persistent_5xx_becomes_error_after_the_retries(make_sandbox):
    box = make_sandbox(one_bucket({"storage.buckets.getIamPolicy": 503}))
    collection = collect(box)
    fact = resources(collection, "storage.bucket")["b"].facts["public_exposure.is_public"]
    assert fact.state is FactState.ERROR and fact.value is None
    # Derived from the IAM read: the detail names that input and its failure.
    assert "iam error (503" in fact.detail and fact.basis == "derived"
    assert actions(box)["storage.buckets.getIamPolicy"] == 4  # the first try + 3 retries
    assert collection.run.api_calls["storage:buckets.getIamPolicy"] == 4
    assert collection.run.status == "partial"


def test_403_is_not_retried(make_sandbox):
    box = make_sandbox(one_bucket({"storage.buckets.getIamPolicy": 403}))
    fact = resources(collect(box), "storage.bucket")["b"].facts["public_exposure.is_public"]
    assert fact.state is FactState.DENIED
    assert actions(box)["storage.buckets.getIamPolicy"] == 1


def test_unparsable_answer_is_error_without_retry(make_sandbox):
    box = make_sandbox(one_bucket({"storage.buckets.getIamPolicy": "garbage"}))
    fact = resources(collect(box), "storage.bucket")["b"].facts["public_exposure.is_public"]
    assert fact.state is FactState.ERROR and "UnparsableResponse" in fact.detail
    assert actions(box)["storage.buckets.getIamPolicy"] == 1


def test_kms_throttling_is_retried(make_sandbox):
    section = {"projects": [{"id": "p", "number": "9", "key_rings": [
        {"name": "r", "location": "us", "keys": [
            {"name": "k", "rotation_days": 90,
             "faults": {"cloudkms.cryptoKeys.get": [429]}}]}],
        "buckets": [{"name": "b", "location": "US", "kms_key": "us/r/k"}]}]}
    box = make_sandbox(section)
    collection = fast_adapter().collect(CollectRequest(
        options=box.scan_options(), facts={"storage.bucket": frozenset({"key_rotation.enabled"})}))
    fact = resources(collection, "storage.bucket")["b"].facts["key_rotation.enabled"]
    assert fact.state is FactState.OBSERVED and fact.value is True
    assert actions(box)["cloudkms.cryptoKeys.get"] == 2


def test_a_failed_list_page_is_retried_alone(make_sandbox):
    section = {"projects": [{"id": "p", "number": "9", "faults": {
        "storage.buckets.list": [None, 503]},  # page 1 fine, page 2 once 503
        "buckets": [{"name": f"b{i:02d}", "location": "us-central1"} for i in range(7)]}]}
    box = make_sandbox(section, page_size=3)
    collection = collect(box)
    assert len(resources(collection, "storage.bucket")) == 7
    tokens = [r.query.get("pageToken") for r in box.requests()
              if r.action == "storage.buckets.list"]
    assert tokens[0] is None and tokens[1] == tokens[2] and len(tokens) == 4


def test_unreachable_endpoint_is_one_provider_error(clean_env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(EndpointError, match="could not be reached"):
        fast_adapter().collect(CollectRequest(options={
            "project": ["p"], "gcs_endpoint": url, "gcp_kms_endpoint": url}))
    assert time.monotonic() - started < 5


def test_cloud_storage_unreachable_alone_is_a_gap_and_kms_is_still_read(make_sandbox):
    box = make_sandbox({"projects": [{"id": "p", "number": "9", "key_rings": [
        {"name": "r", "location": "us", "keys": [{"name": "k"}]}],
        "buckets": [{"name": "b", "location": "us-central1"}]}]})
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    collection = fast_adapter().collect(CollectRequest(options={
        **box.scan_options(), "gcs_endpoint": f"http://127.0.0.1:{port}"}))
    assert collection.run.status == "partial"
    assert [(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors] == [
        ("projects/p", "storage:buckets.list", "NetworkError", "listing")]
    assert resources(collection, "storage.bucket") == {}
    (key,) = resources(collection, "kms.key").values()
    assert key.facts["key.state"].state is FactState.OBSERVED


def test_no_credentials_fails_at_once_with_one_line(clean_env):
    started = time.monotonic()
    with pytest.raises(CredentialsError) as info:
        GcpAdapter().collect(CollectRequest(options={"project": ["p"]}))
    assert time.monotonic() - started < 2  # no metadata-server probe, no retry loop
    message = str(info.value)
    assert "\n" not in message and "--credentials-file" in message


@pytest.mark.parametrize(("content", "reason"), [
    (None, "not found"), ("{not json", "not a JSON credentials file"),
    ('{"type": "api_key", "secret": "s3cr3t-value"}', "type 'api_key' is not one of"),
    ('{"type": "service_account", "private_key": "s3cr3t-value"}', "credentials file")])
def test_bad_credentials_file_is_one_clear_line(clean_env, tmp_path, content, reason):
    path = tmp_path / "creds.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CredentialsError, match=reason) as info:
        GcpAdapter().collect(CollectRequest(options={"credentials_file": str(path)}))
    assert "creds.json" in str(info.value) and "s3cr3t" not in str(info.value)
    assert "\n" not in str(info.value)


def test_no_project_anywhere_is_a_clear_error(clean_env, sandbox):
    options = {k: v for k, v in sandbox.scan_options().items() if k != "project"}
    with pytest.raises(CredentialsError, match="--project"):
        GcpAdapter().collect(CollectRequest(options=options))


def test_credentials_file_gives_the_project_and_never_leaks(clean_env, make_sandbox, tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "abc123",
        "private_key": pem, "client_email": "auditor@p.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "http://127.0.0.1:9/token"}))
    box = make_sandbox(one_bucket({"storage.buckets.getIamPolicy": 403}))
    options = {k: v for k, v in box.scan_options().items() if k != "project"}
    collection = fast_adapter().collect(CollectRequest(
        options={**options, "credentials_file": str(path)}))
    assert collection.run.accounts == ["p"]
    document = json.dumps(Inventory([collection.run], collection.resources).to_dict())
    assert "PRIVATE KEY" not in document and "abc123" not in document
    # With an emulator endpoint the calls go anonymous: no token is ever sent.
    assert all("authorization" not in r.headers for r in box.requests())


def test_endpoint_from_environment_without_scheme(clean_env, make_sandbox):
    box = make_sandbox(one_bucket({}))
    clean_env.setenv("STORAGE_EMULATOR_HOST", box.url.removeprefix("http://"))
    clean_env.setenv("AUDITOR_GCP_KMS_ENDPOINT", box.url)
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "p")
    collection = GcpAdapter().collect(CollectRequest(
        facts={"storage.bucket": frozenset({"versioning.enabled"})}))
    assert list(resources(collection, "storage.bucket")) == ["b"]
    assert collection.run.endpoint_overridden
