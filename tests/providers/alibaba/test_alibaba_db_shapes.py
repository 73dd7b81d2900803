"""ApsaraDB RDS answer shapes the demo estate never produces, through the real OpenAPI
client against the RDS stand-in seeded with them: each row cites the documented field it
changes and says what the fact must be. A value the reference does not name is an error
(UNVERIFIED), never a PASS or a FAIL.
"""

from __future__ import annotations

from typing import Any

import pytest
from alibaba_support import ACCOUNT, CUST, KEYS, b, scan
from storage_support import HZ, by_name

from auditor.model import FactState

OBSERVED, ERROR = FactState.OBSERVED, FactState.ERROR
DATABASE = "database.instance"


def _fact(make_ali_sandbox: Any, spec: dict[str, Any], path: str) -> Any:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "db_instances": [{"id": "rm-x", "region": HZ, **spec}]})
    collection, _ = scan(box, {DATABASE: frozenset({path})})
    return by_name(collection, DATABASE)["rm-x"].facts[path]


# (row id, the instance as seeded, state, value, words of the detail)
HBA_ROWS = [
    # DescribePGHbaConfig RunningHbaItems.HbaItem[].Type, the pg_hba.conf types: host and
    # hostnossl admit plain TCP, so does hostnogssenc (any connection not GSSAPI-encrypted);
    # hostssl, hostgssenc and local do not.
    ("hostssl-only", [("hostssl", "md5"), ("local", "trust")], OBSERVED, True,
     "no pg_hba entry admits"),
    ("host-rejected", [("hostssl", "md5"), ("host", "reject")], OBSERVED, True,
     "no pg_hba entry admits"),
    ("host-md5", [("host", "md5")], OBSERVED, False, "host"),
    ("hostnossl", [("hostssl", "md5"), ("hostnossl", "scram-sha-256")], OBSERVED, False,
     "hostnossl"),
    ("hostnogssenc-admits-plain", [("hostgssenc", "gss"), ("hostnogssenc", "md5")], OBSERVED,
     False, "hostnogssenc"),
    ("uppercase-type", [("HOSTSSL", "md5")], OBSERVED, True, "no pg_hba entry admits"),
    ("unnamed-type", [("hostssl", "md5"), ("hostany", "md5")], ERROR, None, "hostany"),
]


@pytest.mark.parametrize(("hba", "state", "value", "words"), [row[1:] for row in HBA_ROWS],
                         ids=[row[0] for row in HBA_ROWS])
def test_postgres_tls_from_every_running_hba_type(make_ali_sandbox: Any, hba: list[Any],
                                                  state: FactState, value: Any,
                                                  words: str) -> None:
    fact = _fact(make_ali_sandbox, {"engine": "PostgreSQL", "ssl": True, "hba": hba},
                 "tls_enforced.required")
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


PUBLIC_ROWS = [
    # DescribeDBInstanceIPArrayList Items.DBInstanceIPArray[].SecurityIPList: addresses and
    # CIDR blocks, comma-separated; a block of prefix length 0 admits every address.
    ("zero-route", {"whitelist": ["10.0.0.0/8", "0.0.0.0/0"]}, OBSERVED, True, "admits"),
    ("zero-prefix-other-base", {"whitelist": ["47.98.1.2/0"]}, OBSERVED, True, "admits"),
    ("ipv6-zero", {"whitelist": ["2001:db8::/0"]}, OBSERVED, True, "admits"),
    ("narrow", {"whitelist": ["203.0.113.0/24", "127.0.0.1"]}, OBSERVED, False,
     "no whitelist admits"),
    ("not-an-address", {"whitelist": ["203.0.113.0/24", "office"]}, ERROR, None, "office"),
    # DescribeDBInstanceNetInfo DBInstanceNetInfo[].IPType: Inner | Private | Public.
    ("classic-inner", {"ip_type": "Inner", "whitelist": ["0.0.0.0/0"]}, OBSERVED, False,
     "no connection string of IPType Public"),
    ("unnamed-ip-type", {"ip_type": "Internet", "whitelist": ["0.0.0.0/0"]}, ERROR, None,
     "IPType Internet"),
    ("lowercase-public", {"ip_type": "public", "whitelist": ["0.0.0.0/0"]}, ERROR, None,
     "IPType public"),
]


@pytest.mark.parametrize(("spec", "state", "value", "words"), [row[1:] for row in PUBLIC_ROWS],
                         ids=[row[0] for row in PUBLIC_ROWS])
def test_exposure_from_named_endpoint_types_and_addresses(
        make_ali_sandbox: Any, spec: dict[str, Any], state: FactState, value: Any,
        words: str) -> None:
    fact = _fact(make_ali_sandbox, {"engine": "MySQL", "public": True, **spec},
                 "public_exposure.is_public")
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


ENCRYPTION_ROWS = [
    # DescribeDBInstanceEncryptionKey EncryptionKey / EncryptionKeyStatus (Enabled |
    # Disabled): a disk written under a key stays encrypted when the key is disabled.
    ("key-enabled", {"disk_key": CUST}, True, CUST),
    ("key-disabled", {"disk_key": CUST, "disk_key_status": "Disabled"}, True, CUST),
    ("key-status-absent", {"disk_key": CUST, "disk_key_status": ""}, True, CUST),
    ("no-key-no-tde", {}, False, None),
]


@pytest.mark.parametrize(("spec", "enabled", "key"), [row[1:] for row in ENCRYPTION_ROWS],
                         ids=[row[0] for row in ENCRYPTION_ROWS])
def test_a_disk_key_in_any_status_is_encryption(make_ali_sandbox: Any, spec: dict[str, Any],
                                                enabled: bool, key: str | None) -> None:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "db_instances": [{"id": "rm-x", "region": HZ, "engine": "MySQL",
                                              **spec}]})
    collection, _ = scan(box, {DATABASE: frozenset({"encryption.enabled",
                                                    "encryption.key_id"})})
    facts = by_name(collection, DATABASE)["rm-x"].facts
    assert (facts["encryption.enabled"].state, facts["encryption.enabled"].value) == (
        OBSERVED, enabled)
    assert facts["encryption.key_id"].value == key


IMAGE_ROWS = [
    # DescribeImages Images.Image[].DiskDeviceMappings.DiskDeviceMapping[].Encrypted: the
    # image is encrypted when every mapping is; a mapping without the flag says nothing.
    ("flag-true", {"encrypted": True}, {}, OBSERVED, True),
    ("flag-false", {}, {}, OBSERVED, False),
    ("flag-absent", {"encrypted": True}, {"mapping_omits": ["Encrypted"]}, ERROR, None),
]


@pytest.mark.parametrize(("snapshot", "image", "state", "value"),
                         [row[1:] for row in IMAGE_ROWS], ids=[row[0] for row in IMAGE_ROWS])
def test_an_image_is_unencrypted_only_when_its_mappings_say_so(
        make_ali_sandbox: Any, snapshot: dict[str, Any], image: dict[str, Any],
        state: FactState, value: Any) -> None:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "snapshots": [{"id": "s-x", "region": HZ, **snapshot}],
                            "images": [{"id": "m-x", "region": HZ, "snapshots": ["s-x"],
                                        **image}]})
    collection, _ = scan(box, {"storage.snapshot": frozenset({"encryption.enabled"})})
    fact = by_name(collection, "storage.snapshot")["m-x"].facts["encryption.enabled"]
    assert (fact.state, fact.value) == (state, value)


OTHER = "2233445566778899"
SHARE_ROWS = [
    # DescribeImages Image[].IsSelfShared ("True" | "False", a string) and IsPublic (a
    # boolean): only both saying no make an image private without reading its permissions.
    ("both-no", {}, OBSERVED, (False, []), 0),
    ("shared-true", {"shared_with": [OTHER]}, OBSERVED, (False, [OTHER]), 1),
    ("self-shared-unnamed", {"shared_with": [OTHER], "is_self_shared": "Unknown"}, OBSERVED,
     (False, [OTHER]), 1),
    ("is-public-absent", {"share_all": True, "is_self_shared": "False",
                          "omits": ["IsPublic"]}, OBSERVED, (True, []), 1),
]


@pytest.mark.parametrize(("image", "state", "value", "reads"), [row[1:] for row in SHARE_ROWS],
                         ids=[row[0] for row in SHARE_ROWS])
def test_an_image_is_private_unread_only_when_both_flags_say_so(
        make_ali_sandbox: Any, image: dict[str, Any], state: FactState,
        value: tuple[bool, list[str]], reads: int) -> None:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "snapshots": [{"id": "s-x", "region": HZ}],
                            "images": [{"id": "m-x", "region": HZ, "snapshots": ["s-x"],
                                        **image}]})
    collection, requests = scan(box, {"storage.snapshot": frozenset({
        "public_exposure.is_public", "sharing.accounts"})})
    facts = by_name(collection, "storage.snapshot")["m-x"].facts
    public, accounts = facts["public_exposure.is_public"], facts["sharing.accounts"]
    assert {public.state, accounts.state} == {state}
    assert (public.value, accounts.value) == value
    assert sum(r.action == "ecs:DescribeImageSharePermission" for r in requests) == reads


NAS_ROWS = [
    # DescribeFileSystems FileSystem[].EncryptType (0 none, 1 NAS-managed key, 2 a KMS key of
    # the customer) and KMSKeyId: a customer key the entry does not name is no custody.
    ("customer-key", {"encrypt_type": 2, "key": CUST}, True, (OBSERVED, "customer_kms")),
    ("nas-managed", {"encrypt_type": 1}, True, (OBSERVED, "provider_kms")),
    ("customer-key-unnamed", {"encrypt_type": 2}, True, (ERROR, None)),
    ("none", {"encrypt_type": 0}, False, (OBSERVED, "none")),
]


@pytest.mark.parametrize(("fs", "enabled", "custody"), [row[1:] for row in NAS_ROWS],
                         ids=[row[0] for row in NAS_ROWS])
def test_nas_custody_only_from_a_named_key(make_ali_sandbox: Any, fs: dict[str, Any],
                                           enabled: bool, custody: tuple[Any, Any]) -> None:
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "file_systems": [{"id": "fs-x", "region": HZ, **fs}]})
    collection, _ = scan(box, {"storage.filesystem": frozenset({"encryption.enabled",
                                                                "key_custody.level"})})
    facts = by_name(collection, "storage.filesystem")["fs-x"].facts
    assert (facts["encryption.enabled"].state, facts["encryption.enabled"].value) == (
        OBSERVED, enabled)
    level = facts["key_custody.level"]
    assert (level.state, level.value) == custody


TRANSPORT_ROWS = [
    # DescribeParameters RunningParameters.DBInstanceParameter[] require_secure_transport:
    # a MySQL boolean system variable, whose value MySQL documents as ON/TRUE/1 or
    # OFF/FALSE/0 in any case; anything else says neither.
    ("on", "ON", OBSERVED, True),
    ("off", "OFF", OBSERVED, False),
    ("one", "1", OBSERVED, True),
    ("zero", "0", OBSERVED, False),
    ("lowercase-on", "on", OBSERVED, True),
    ("true", "TRUE", OBSERVED, True),
    ("false", "false", OBSERVED, False),
    ("yes-is-not-documented", "yes", ERROR, None),
    ("two", "2", ERROR, None),
]


@pytest.mark.parametrize(("value", "state", "required"), [row[1:] for row in TRANSPORT_ROWS],
                         ids=[row[0] for row in TRANSPORT_ROWS])
def test_mysql_tls_from_each_documented_boolean_form(make_ali_sandbox: Any, value: str,
                                                     state: FactState,
                                                     required: bool | None) -> None:
    fact = _fact(make_ali_sandbox, {"engine": "MySQL", "ssl": True, "secure_transport": value},
                 "tls_enforced.required")
    assert (fact.state, fact.value) == (state, required)
    assert value in fact.detail


# (row id, DBInstanceType as listed, its backup cycle, the backup checks' statuses)
ROLE_ROWS = [
    # DescribeDBInstances DBInstance[].DBInstanceType Primary: both checks decide.
    ("primary", "Primary", "Monday,Thursday", ["PASS", "FAIL"]),
    ("primary-backups-off", "Primary", "", ["FAIL", "FAIL"]),
    # Readonly (a read-only instance) and Guard (a disaster-recovery instance) replicate
    # their primary and keep no automated backups of their own: no FAIL, no PASS.
    ("read-only", "Readonly", "", ["NOT_APPLICABLE", "NOT_APPLICABLE"]),
    ("guard", "Guard", "", ["NOT_APPLICABLE", "NOT_APPLICABLE"]),
]


@pytest.mark.parametrize(("instance_type", "period", "statuses"),
                         [row[1:] for row in ROLE_ROWS], ids=[row[0] for row in ROLE_ROWS])
def test_a_read_only_or_guard_instance_is_no_backup_failure(
        make_ali_sandbox: Any, instance_type: str, period: str, statuses: list[str]) -> None:
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks()
              if c.id in ("database-backup-retention", "database-backups-encrypted")]
    box = make_ali_sandbox({"account": ACCOUNT, "keys": KEYS, "buckets": [b("anchor")],
                            "db_instances": [{"id": "rm-x", "region": HZ, "engine": "MySQL",
                                              "instance_type": instance_type,
                                              "backup_period": period}]})
    collection, _ = scan(box, {DATABASE: frozenset(p for c in checks for p in c.check.reads)})
    resource = by_name(collection, DATABASE)["rm-x"]
    assert [evaluate_one(c, resource)[0].value for c in checks] == statuses
