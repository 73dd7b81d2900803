"""The Google Cloud stand-in itself: read-only, recorded, shaped as the REST references show."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter

import pytest
from gcp_support import MAIN, key

from auditor.providers.gcp.sandbox import EstateError, GcpSandbox, load_demo_section
from auditor.regions import locate
from auditor.sandbox.registry import SandboxRegistry


def fetch(box: GcpSandbox, path: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(box.url + path, method=method,
                                     data=b"{}" if method != "GET" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/storage/v1/b?project=t-main"),
    ("PUT", "/storage/v1/b/gm-default/iam"),
    ("PATCH", "/storage/v1/b/gm-default"),
    ("DELETE", "/storage/v1/b/gm-default"),
    ("POST", f"/v1/{key('hsm')}:encrypt"),
    ("POST", f"/v1/{key('hsm')}:setIamPolicy"),
    ("POST", "/v2/projects/t-main/policies"),
    ("PATCH", "/v2/projects/t-main/policies/storage.publicAccessPrevention"),
])
def test_writes_are_refused_and_recorded(sandbox, method, path):
    sandbox.reset_requests()
    status, _ = fetch(sandbox, path, method)
    assert status == 405
    assert [(r.method, r.path) for r in sandbox.requests()] == [(method, path.split("?")[0])]




def test_bucket_list_pages_with_page_token(sandbox):
    seen, token, pages = [], "", 0
    while True:
        status, body = fetch(sandbox, f"/storage/v1/b?project={MAIN}&maxResults=10"
                             + (f"&pageToken={token}" if token else ""))
        assert status == 200 and body["kind"] == "storage#buckets"
        seen += [b["name"] for b in body["items"]]
        pages += 1
        token = body.get("nextPageToken", "")
        if not token:
            break
    assert pages > 1 and seen == sorted(seen) and len(seen) == len(set(seen))


def test_bucket_resource_shape(sandbox):
    status, bucket = fetch(sandbox, "/storage/v1/b/dual-custom")
    assert status == 200
    assert bucket["kind"] == "storage#bucket" and bucket["id"] == bucket["name"] == "dual-custom"
    assert bucket["location"] == "EU" and bucket["locationType"] == "dual-region"
    assert bucket["customPlacementConfig"] == {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}
    assert bucket["rpo"] == "ASYNC_TURBO"
    iam = bucket["iamConfiguration"]
    assert iam["uniformBucketLevelAccess"]["enabled"] is True
    assert iam["publicAccessPrevention"] == "inherited"
    # int64 fields are JSON strings, as in the reference.
    assert bucket["softDeletePolicy"]["retentionDurationSeconds"] == "604800"
    assert "acl" not in bucket and "owner" not in bucket  # projection=noAcl is the default
    _, locked = fetch(sandbox, "/storage/v1/b/retention-locked")
    assert locked["retentionPolicy"]["retentionPeriod"] == str(30 * 86400)
    assert locked["retentionPolicy"]["isLocked"] is True


def test_full_projection_and_acl_endpoints(sandbox):
    _, full = fetch(sandbox, "/storage/v1/b/acl-public?projection=full")
    assert {"entity": "allUsers", "role": "READER"}.items() <= full["acl"][1].items()
    assert full["owner"]["entity"].startswith("project-owners-")
    status, acl = fetch(sandbox, "/storage/v1/b/acl-public/acl")
    assert status == 200 and acl["kind"] == "storage#bucketAccessControls"
    status, error = fetch(sandbox, "/storage/v1/b/gm-default/acl")  # uniform access on
    assert status == 400 and error["error"]["errors"][0]["reason"] == "invalid"


def test_storage_errors(sandbox):
    status, body = fetch(sandbox, "/storage/v1/b/no-such-bucket")
    assert status == 404 and body["error"]["errors"][0]["reason"] == "notFound"
    status, body = fetch(sandbox, "/storage/v1/b?project=no-such-project")
    assert status == 400
    status, body = fetch(sandbox, "/storage/v1/b?project=t-nostorage")
    assert status == 403 and body["error"]["errors"][0]["reason"] == "accessNotConfigured"
    assert body["error"]["details"][0]["reason"] == "SERVICE_DISABLED"


def test_kms_enums_follow_the_requested_encoding(sandbox):
    path = f"/v1/{key('hsm')}"
    _, named = fetch(sandbox, path)
    assert named["versionTemplate"]["protectionLevel"] == "HSM"
    assert named["primary"]["state"] == "ENABLED" and named["purpose"] == "ENCRYPT_DECRYPT"
    assert named["rotationPeriod"] == f"{30 * 86400}s" and "nextRotationTime" in named
    _, ints = fetch(sandbox, path + "?%24alt=json%3Benum-encoding%3Dint")
    assert ints["versionTemplate"]["protectionLevel"] == 2
    assert ints["primary"]["state"] == 1 and ints["purpose"] == 1


def test_kms_resource_shapes(sandbox):
    _, imported = fetch(sandbox, f"/v1/{key('imported')}")
    assert imported["primary"]["importJob"].endswith("/importJobs/byok-import")
    assert imported["importOnly"] is True
    _, external = fetch(sandbox, f"/v1/{key('ext')}")
    assert external["primary"]["externalProtectionLevelOptions"]["externalKeyUri"]
    assert external["versionTemplate"]["algorithm"] == "EXTERNAL_SYMMETRIC_ENCRYPTION"
    _, vpc = fetch(sandbox, f"/v1/{key('ext-vpc')}")
    assert vpc["cryptoKeyBackend"].endswith("/ekmConnections/ekm-1")
    _, versions = fetch(sandbox, f"/v1/{key('soft-rot')}/cryptoKeyVersions")
    assert versions["totalSize"] == 2 and len(versions["cryptoKeyVersions"]) == 2
    _, policy = fetch(sandbox, f"/v1/{key('public')}:getIamPolicy")
    assert any("allUsers" in b["members"] for b in policy["bindings"]) and policy["etag"]
    _, rings = fetch(sandbox, f"/v1/projects/{MAIN}/locations/europe-west1/keyRings")
    assert [r["name"] for r in rings["keyRings"]] == [key("x").rsplit("/cryptoKeys/", 1)[0]]


def test_kms_errors(sandbox):
    status, body = fetch(sandbox, f"/v1/{key('retired')}")
    assert status == 404 and body["error"]["status"] == "NOT_FOUND"
    status, body = fetch(sandbox, "/v1/projects/t-hidden/locations/us/keyRings/r/cryptoKeys/k")
    assert status == 403 and body["error"]["status"] == "PERMISSION_DENIED"
    status, body = fetch(sandbox, "/v1/projects/t-nokms/locations")
    assert status == 403 and body["error"]["details"][0]["reason"] == "SERVICE_DISABLED"


ORG_PATH = "/v2/projects/{}/policies/storage.publicAccessPrevention:getEffectivePolicy"


def test_org_policy_answers_follow_the_reference(sandbox):
    # By project id or number; named by number; a rule only when the estate sets a value.
    status, default = fetch(sandbox, ORG_PATH.format(MAIN))
    assert status == 200
    assert default == {"name": "projects/700000000001/policies/storage.publicAccessPrevention"}
    status, enforced = fetch(sandbox, ORG_PATH.format("700000000002"))
    assert status == 200 and enforced["spec"] == {"rules": [{"enforce": True}]}
    status, denied = fetch(sandbox, ORG_PATH.format("t-nokms"))
    assert status == 403 and denied["error"]["status"] == "PERMISSION_DENIED"
    assert denied["error"]["details"][0]["metadata"]["permission"] == "orgpolicy.policies.get"
    status, _ = fetch(sandbox, ORG_PATH.format("t-hidden"))
    assert status == 403
    status, _ = fetch(sandbox, "/v2/projects/t-main/policies/gcp.resourceLocations"
                      ":getEffectivePolicy")
    assert status == 400  # only the seeded constraint


def test_org_policy_disabled_and_bad_values(make_sandbox):
    box = make_sandbox({"projects": [{"id": "p", "number": "5",
                                      "org_policy": {"public_access_prevention": "disabled"}}]})
    status, body = fetch(box, ORG_PATH.format("p"))
    assert status == 403 and body["error"]["details"][0]["reason"] == "SERVICE_DISABLED"
    assert "Organization Policy API" in body["error"]["message"]
    with pytest.raises(EstateError, match="must be true, false, denied or disabled"):
        box.seed({"projects": [{"id": "p", "org_policy": {"public_access_prevention": "yes"}}]})


def test_demo_estate_is_rich_enough():
    section = load_demo_section()
    buckets = [b for p in section["projects"] for b in p["buckets"]]
    assert 20 <= len(buckets) <= 40 and 1 <= len(section["projects"]) <= 2
    jurisdictions = {locate("gcp", b["location"]).jurisdiction for b in buckets}
    assert {"US", "EU", "TW"} <= jurisdictions
    keys = [k for p in section["projects"] for r in p.get("key_rings", []) for k in r["keys"]]
    assert {"SOFTWARE", "HSM", "EXTERNAL", "EXTERNAL_VPC"} <= {k["protection"] for k in keys}
    assert any(k.get("imported") for k in keys)
    assert any("403" in json.dumps(b.get("faults", {})) for b in buckets)
    locations = Counter(b["location"] for b in buckets)
    assert {"US", "EU", "ASIA", "NAM4", "EUR4"} <= set(locations)
    # One project's organization enforces public access prevention, the other's does not.
    org = [p["org_policy"]["public_access_prevention"] for p in section["projects"]]
    assert sorted(org) == [False, True]


def test_sandbox_contract():
    # Registered through the auditor.sandboxes entry points (pyproject.toml).
    assert isinstance(SandboxRegistry.from_entry_points().create("gcp"), GcpSandbox)
    box = GcpSandbox()
    box.start()
    try:
        box.seed({"gcp": load_demo_section()})  # a whole estate document works too
        options, env = box.scan_options(), box.environment()
        assert options["project"] == ["acme-retail-prod", "acme-data-eu"]
        assert options["gcs_endpoint"] == options["gcp_kms_endpoint"] == box.url
        assert options["gcp_orgpolicy_endpoint"] == box.url
        assert env["STORAGE_EMULATOR_HOST"] == env["AUDITOR_GCP_KMS_ENDPOINT"] == box.url
        assert env["AUDITOR_GCP_ORGPOLICY_ENDPOINT"] == box.url
        assert env["GOOGLE_CLOUD_PROJECT"] == "acme-retail-prod"
        assert box.url.startswith("http://127.0.0.1:")
    finally:
        box.stop()
