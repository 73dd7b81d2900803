"""ECS disks and snapshots (with custom images), NAS file systems and ApsaraDB RDS instances
through the real OpenAPI client against the stand-ins: facts, key join, sharing, paging,
faults, what is asked for, and that only reads are sent."""

from __future__ import annotations

import copy
import urllib.error
import urllib.request
from collections import Counter

import pytest
from alibaba_support import CUST, HSM, scan
from rd_support import DIRECTORY_ESTATE, PAYMENTS, ROLE, adapter, collect, request, seeded
from storage_support import HZ, PAGE, SH, SHARED_WITH, by_name, storage_section

from auditor.model import FactState, Inventory
from auditor.providers.alibaba.sandbox import EstateError
from auditor.schema import validate

VOLUME, SNAPSHOT = "storage.volume", "storage.snapshot"
FILESYSTEM, DATABASE = "storage.filesystem", "database.instance"
NEW_SERVICES = ("ecs:DescribeDisks", "ecs:DescribeSnapshots", "ecs:DescribeImages",
                "ecs:DescribeImageSharePermission", "nas:", "rds:")


@pytest.fixture(scope="module")
def storage_scan(_scratch_sandbox):
    _scratch_sandbox.seed(storage_section())
    return scan(_scratch_sandbox)


def value(resource, path):
    fact = resource.facts[path]
    assert fact.state is FactState.OBSERVED, (resource.id, path, fact)
    return fact.value


def state(resource, path):
    return resource.facts[path].state


def calls(requests, action):
    return [r for r in requests if r.action == action]


def test_the_inventory_fits_the_catalog(storage_scan):
    collection, _ = storage_scan
    validate("inventory", Inventory([collection.run], collection.resources).to_dict(), "scan",
             ValueError)
    kinds = Counter(r.kind for r in collection.resources)
    assert kinds[VOLUME] == 7 and kinds[SNAPSHOT] == 9 and kinds[FILESYSTEM] == 6
    assert kinds[DATABASE] == 9


def test_volumes(storage_scan):
    disks = by_name(storage_scan[0], VOLUME)
    plain, cmk, service = disks["d-plain"], disks["d-cmk"], disks["d-service"]
    assert value(plain, "encryption.enabled") is False
    assert value(plain, "key_custody.level") == "none"
    assert "key_rotation.enabled" not in plain.facts  # no key: rotation does not apply
    assert value(cmk, "encryption.key_id") == CUST
    assert value(cmk, "key_custody.level") == "customer_kms"
    assert value(cmk, "key_rotation.enabled") is True
    assert value(cmk, "key_rotation.period_days") == 180
    assert cmk.facts["key_custody.level"].source == ("ecs:DescribeDisks", "kms:DescribeKey")
    assert value(service, "key_custody.level") == "provider_kms"
    assert state(service, "key_rotation.enabled") is FactState.OPAQUE
    assert value(disks["d-hsm"], "key_custody.hsm") is True
    assert state(disks["d-key-denied"], "key_custody.level") is FactState.DENIED
    assert value(disks["d-key-denied"], "encryption.enabled") is True
    assert value(cmk, "attachment.attached") is True
    assert value(disks["d-detached"], "attachment.attached") is False
    assert value(disks["d-detached"], "key_rotation.enabled") is False
    attaching = disks["d-attaching"].facts["attachment.attached"]
    assert attaching.state is FactState.ERROR and "Attaching" in attaching.detail
    assert value(disks["d-hsm"], "data_residency.country") == "CN"
    assert disks["d-hsm"].region == SH
    assert disks["d-cmk"].id.startswith(f"acs:ecs:{HZ}:")


def test_listings_are_paged(storage_scan):
    _, requests = storage_scan
    pages = [r.query["PageNumber"][0] for r in calls(requests, "ecs:DescribeDisks")
             if r.query["RegionId"] == [HZ]]
    assert pages == ["1", "2", "3"]  # five disks in pages of two
    assert all(r.query["PageSize"] == ["100"] for r in calls(requests, "ecs:DescribeDisks"))
    assert PAGE == 2


def test_images_and_the_snapshots_they_share(storage_scan):
    snaps = by_name(storage_scan[0], SNAPSHOT)
    assert value(snaps["m-public"], "public_exposure.is_public") is True
    assert value(snaps["m-shared"], "sharing.accounts") == [SHARED_WITH]
    assert value(snaps["m-shared"], "public_exposure.is_public") is False
    assert value(snaps["m-private"], "sharing.accounts") == []
    # A snapshot reaches others only through an image made from it: derived.
    public_snap = snaps["s-plain"].facts["public_exposure.is_public"]
    assert public_snap.value is True and public_snap.basis == "derived"
    assert value(snaps["s-cmk"], "sharing.accounts") == [SHARED_WITH]
    assert value(snaps["s-private"], "public_exposure.is_public") is False
    assert value(snaps["s-lonely"], "sharing.accounts") == []
    for name in ("m-share-denied", "s-share-denied"):
        assert state(snaps[name], "sharing.accounts") is FactState.DENIED, name
        assert state(snaps[name], "public_exposure.is_public") is FactState.DENIED, name
    # The image's key is its snapshots' key.
    assert value(snaps["m-shared"], "encryption.key_id") == CUST
    assert value(snaps["m-shared"], "key_custody.level") == "customer_kms"
    assert value(snaps["m-public"], "encryption.enabled") is False


def test_sharing_is_read_only_for_images_the_listing_says_are_shared(storage_scan):
    _, requests = storage_scan
    asked = Counter(r.query["ImageId"][0] for r in calls(requests,
                                                         "ecs:DescribeImageSharePermission"))
    assert asked == Counter({"m-public": 1, "m-shared": 1, "m-share-denied": 1})
    images = calls(requests, "ecs:DescribeImages")
    assert images and all(r.query["ImageOwnerAlias"] == ["self"] for r in images)


def test_file_systems(storage_scan):
    found = by_name(storage_scan[0], FILESYSTEM)
    assert value(found["fs-nfs-plain"], "encryption.enabled") is False
    assert value(found["fs-nfs-cmk"], "key_custody.level") == "customer_kms"
    assert value(found["fs-smb-strict"], "key_custody.level") == "provider_kms"
    nfs = found["fs-nfs-plain"].facts["tls_enforced.required"]
    assert nfs.state is FactState.OPAQUE and "mount option" in nfs.detail
    assert value(found["fs-smb-strict"], "tls_enforced.required") is True
    assert value(found["fs-smb-lax"], "tls_enforced.required") is False
    assert state(found["fs-smb-denied"], "tls_enforced.required") is FactState.DENIED
    assert value(found["fs-smb-denied"], "key_custody.hsm") is True
    odd = found["fs-odd"].facts["encryption.enabled"]
    assert odd.state is FactState.ERROR and "EncryptType" in odd.detail
    assert len(calls(storage_scan[1], "nas:DescribeSmbAcl")) == 3  # SMB ones only


def test_databases(storage_scan):
    dbs = by_name(storage_scan[0], DATABASE)
    opened, hardened = dbs["rm-open"], dbs["rm-hardened"]
    assert value(opened, "public_exposure.is_public") is True
    assert opened.facts["public_exposure.is_public"].basis == "derived"
    assert value(hardened, "public_exposure.is_public") is False
    assert value(dbs["rm-ssl-optional"], "public_exposure.is_public") is False
    assert value(opened, "tls_enforced.required") is False
    assert value(hardened, "tls_enforced.required") is True
    assert value(dbs["rm-ssl-optional"], "tls_enforced.required") is False
    assert value(dbs["rm-sqlserver"], "tls_enforced.required") is True
    postgres = dbs["rm-postgres"].facts["tls_enforced.required"]
    assert postgres.value is False and "host" in postgres.detail  # pg_hba admits plain
    assert postgres.source == ("rds:DescribeDBInstanceSSL", "rds:DescribePGHbaConfig")
    assert value(dbs["rm-postgres-strict"], "tls_enforced.required") is True
    mariadb = dbs["rm-mariadb"].facts["tls_enforced.required"]
    assert mariadb.state is FactState.ERROR and "MariaDB" in mariadb.detail
    assert value(opened, "deletion_protection.enabled") is False
    assert value(hardened, "deletion_protection.enabled") is True
    assert state(dbs["rm-odd"], "deletion_protection.enabled") is FactState.ERROR
    assert value(opened, "encryption.enabled") is False
    assert value(opened, "backup.encrypted") is False
    assert value(hardened, "encryption.key_id") == CUST
    assert value(hardened, "key_custody.level") == "customer_kms"
    assert value(hardened, "backup.encrypted") is True
    assert value(dbs["rm-ssl-optional"], "key_custody.level") == "provider_kms"  # TDE, no key
    assert value(dbs["rm-sqlserver"], "encryption.key_id") == HSM
    assert value(dbs["rm-sqlserver"], "key_custody.hsm") is True
    # TDE refused and disk encryption off: not "unencrypted", unverified.
    for path in ("encryption.enabled", "backup.encrypted"):
        assert state(dbs["rm-postgres"], path) is FactState.DENIED, path
    odd_tde = dbs["rm-odd"].facts["encryption.enabled"]
    assert odd_tde.state is FactState.ERROR and "TDEStatus" in odd_tde.detail
    assert value(opened, "backup.retention_days") == 3
    assert value(opened, "backup.enabled") is False  # no backup cycle
    assert value(hardened, "backup.retention_days") == 30
    assert value(hardened, "backup.enabled") is True


def test_per_instance_reads_only_where_the_answer_is_not_implied(storage_scan):
    _, requests = storage_scan
    whitelists = {r.query["DBInstanceId"][0] for r in calls(requests,
                                                            "rds:DescribeDBInstanceIPArrayList")}
    assert whitelists == {"rm-open", "rm-hardened"}  # the two with a public endpoint
    parameters = {r.query["DBInstanceId"][0] for r in calls(requests, "rds:DescribeParameters")}
    assert parameters == {"rm-hardened", "rm-ssl-optional"}  # MySQL with SSL on
    hba = {r.query["DBInstanceId"][0] for r in calls(requests, "rds:DescribePGHbaConfig")}
    assert hba == {"rm-postgres", "rm-postgres-strict"}  # PostgreSQL with SSL on
    tde = {r.query["DBInstanceId"][0] for r in calls(requests, "rds:DescribeDBInstanceTDE")}
    assert "rm-hardened" not in tde and "rm-open" in tde  # not read for an encrypted disk


def test_transient_failures_are_retried_and_lasting_ones_are_errors(storage_scan):
    collection, requests = storage_scan
    flaky = by_name(collection, DATABASE)["rm-flaky"]
    assert value(flaky, "public_exposure.is_public") is False  # two 503s, then an answer
    net = [r for r in calls(requests, "rds:DescribeDBInstanceNetInfo")
           if r.query["DBInstanceId"] == ["rm-flaky"]]
    assert len(net) == 3
    assert state(flaky, "backup.retention_days") is FactState.ERROR
    errors = {(e.scope, e.operation, e.code) for e in collection.run.errors}
    assert ("rm-flaky", "rds:DescribeBackupPolicy", "InternalError") in errors
    assert ("m-share-denied", "ecs:DescribeImageSharePermission", "Forbidden.RAM") in errors


def test_a_refused_listing_is_a_coverage_gap(make_ali_sandbox):
    box = make_ali_sandbox(storage_section(faults={"DescribeDisks": 403,
                                                    "DescribeDBInstances": 503}))
    collection, requests = scan(box)
    gaps = {(e.operation, e.code) for e in collection.run.errors if e.kind == "listing"}
    assert ("ecs:DescribeDisks", "Forbidden.RAM") in gaps
    assert ("rds:DescribeDBInstances", "ServiceUnavailable") in gaps
    assert not by_name(collection, VOLUME) and not by_name(collection, DATABASE)
    assert by_name(collection, FILESYSTEM)  # the other kinds are still collected
    assert collection.run.status == "partial"
    assert len(calls(requests, "ecs:DescribeDisks")) == 2  # a region each, refused: not retried
    assert not calls(requests, "rds:DescribeDBInstanceSSL")


def test_a_malformed_listing_page_is_an_error_not_an_empty_region(make_ali_sandbox):
    disks = [{"id": "d-odd", "region": HZ, "omits": ["Encrypted"]}]
    box = make_ali_sandbox(storage_section(disks=disks))
    collection, _ = scan(box, facts={VOLUME: frozenset({"encryption.enabled"})})
    failed = {(e.operation, e.code, e.kind) for e in collection.run.errors}
    assert ("ecs:DescribeDisks", "UnexpectedShape", "call") in failed
    # The odd entry spoils only itself: the disk it names is reported, its fact an error.
    fact = by_name(collection, VOLUME)["d-odd"].facts["encryption.enabled"]
    assert fact.state is FactState.ERROR and "missing Encrypted" in fact.detail


def test_a_bucket_only_scan_sends_no_storage_call(make_ali_sandbox):
    box = make_ali_sandbox(storage_section())
    _, requests = scan(box, facts={"storage.bucket": frozenset({"encryption.enabled"})})
    assert not [r.action for r in requests if r.action.startswith(NEW_SERVICES)]


def test_only_the_wanted_facts_are_read(make_ali_sandbox):
    box = make_ali_sandbox(storage_section())
    collection, requests = scan(box, facts={DATABASE: frozenset({"deletion_protection.enabled"}),
                                            VOLUME: frozenset({"attachment.attached"})})
    actions = Counter(r.action for r in requests if r.action.startswith(NEW_SERVICES))
    assert set(actions) == {"rds:DescribeDBInstances", "ecs:DescribeDisks"}
    assert "kms:DescribeKey" not in {r.action for r in requests}
    assert {p for r in by_name(collection, DATABASE).values() for p in r.facts} == {
        "deletion_protection.enabled"}


def test_only_reads_are_sent_and_writes_are_refused(storage_scan, _scratch_sandbox):
    _, requests = storage_scan
    sent = {r.action for r in requests if r.action.startswith(NEW_SERVICES)}
    assert sent and all(a.split(":")[1].startswith("Describe") for a in sent)
    assert all(r.method == "POST" for r in requests if r.action.startswith(NEW_SERVICES))
    for url, action in ((_scratch_sandbox.ecs_url, "DeleteDisk"),
                        (_scratch_sandbox.rpc_url("rds"), "ModifyDBInstanceSSL"),
                        (_scratch_sandbox.rpc_url("nas"), "DeleteFileSystem")):
        request = urllib.request.Request(url + "/", data=b"", method="POST",
                                         headers={"x-acs-action": action})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 405


def test_without_regions_given_every_region_ecs_names_is_listed(make_ali_sandbox):
    disks = [{"id": "d-far", "region": "ap-southeast-1", "encrypted": True}]
    box = make_ali_sandbox(storage_section(disks=disks))
    options = {k: v for k, v in box.scan_options().items() if k != "region"}
    collection, requests = scan(box, facts={VOLUME: frozenset({"encryption.enabled"})},
                                options=options)
    assert set(by_name(collection, VOLUME)) == {"d-far"}  # no bucket in that region
    assert len(calls(requests, "ecs:DescribeRegions")) == 1
    assert "ap-southeast-1" in collection.run.regions
    # Named regions are the scope: no discovery.
    _, requests = scan(box, facts={VOLUME: frozenset({"encryption.enabled"})})
    assert not calls(requests, "ecs:DescribeRegions")


def test_a_refused_region_listing_is_a_gap_and_the_bucket_regions_are_still_listed(
        make_ali_sandbox):
    box = make_ali_sandbox(storage_section(faults={"DescribeRegions": 403}))
    options = {k: v for k, v in box.scan_options().items() if k != "region"}
    collection, requests = scan(box, facts={VOLUME: frozenset({"encryption.enabled"})},
                                options=options)
    gaps = {(e.operation, e.code) for e in collection.run.errors if e.kind == "listing"}
    assert ("ecs:DescribeRegions", "Forbidden.RAM") in gaps
    assert {r.query["RegionId"][0] for r in calls(requests, "ecs:DescribeDisks")} == {HZ}


def test_a_member_account_is_listed_as_its_own_through_the_assumed_role(
        make_ali_sandbox, monkeypatch):
    estate = copy.deepcopy(DIRECTORY_ESTATE)
    estate["disks"] = [{"id": "d-management", "region": HZ}]
    payments = estate["directory"]["members"][0]["estate"]
    payments["disks"] = [{"id": "d-payments", "region": SH, "encrypted": True,
                          "key": "key-pay-1"}]
    payments["db_instances"] = [{"id": "rm-payments", "region": SH, "deletion_protection": True}]
    box = seeded(make_ali_sandbox, monkeypatch, estate)
    base = request(resource_directory=True, role_name=ROLE)
    target = next(t for t in adapter().accounts(base) if t.account == PAYMENTS)
    collection = collect(target, base)
    disks, dbs = by_name(collection, VOLUME), by_name(collection, DATABASE)
    assert set(disks) == {"d-payments"} and set(dbs) == {"rm-payments"}
    assert disks["d-payments"].account == PAYMENTS
    assert disks["d-payments"].id == f"acs:ecs:{SH}:{PAYMENTS}:disk/d-payments"
    assert value(disks["d-payments"], "key_custody.level") == "customer_kms"
    assert value(dbs["rm-payments"], "deletion_protection.enabled") is True
    issued = set(box.directory.issued)
    storage_calls = [r for r in box.requests() if r.action.startswith(NEW_SERVICES)]
    assert storage_calls and all(any(k in r.headers.get("authorization", "") for k in issued)
                                 for r in storage_calls)


@pytest.mark.parametrize("kind", ["disks", "snapshots", "images", "file_systems",
                                  "db_instances"])
def test_an_estate_entry_without_id_or_region_is_refused_in_one_line(_scratch_sandbox, kind):
    with pytest.raises(EstateError) as refused:
        _scratch_sandbox.seed(storage_section(**{kind: [{"id": "x-1"}]}))
    assert str(refused.value) == f"{kind} entry {{'id': 'x-1'}}: id and region are required"
