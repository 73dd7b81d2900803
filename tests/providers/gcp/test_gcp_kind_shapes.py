"""Cloud SQL and Filestore answer shapes the stand-in's estate never produces, through the
real clients over HTTP (the stand-in seeded with the shape, or the answer proxy rewriting
one item): each row cites the documented field it changes and says what the fact must be.
A value the reference does not name is an error (UNVERIFIED), never a PASS or a FAIL.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_proxy import AnswerProxy, in_item
from gcp_support import fast_adapter, resources

from auditor.model import FactState
from auditor.providers.base import CollectRequest

OBSERVED, ERROR = FactState.OBSERVED, FactState.ERROR
SQL, FILES = "sqladmin.instances.list", "file.instances.list"


def _project(**kinds: Any) -> dict[str, Any]:
    return {"projects": [{
        "id": "k", "number": "5",
        "key_rings": [{"name": "r", "location": "us", "keys": [{"name": "k",
                                                                "rotation_days": 90}]}],
        **kinds}]}


def _collect(box: Any, kind: str, path: str, options: dict[str, Any] | None = None) -> Any:
    collection = fast_adapter().collect(CollectRequest(
        options=options or box.scan_options(), facts={kind: frozenset({path})}))
    return {name: r.facts[path] for name, r in resources(collection, kind).items()}


# (row id, the instance's IpConfiguration as seeded, state, value, words of the detail)
TLS_ROWS = [
    # IpConfiguration.sslMode: ENCRYPTED_ONLY and TRUSTED_CLIENT_CERTIFICATE_REQUIRED refuse
    # plain connections, ALLOW_UNENCRYPTED_AND_ENCRYPTED admits them.
    ("encrypted-only", {"ssl_mode": "ENCRYPTED_ONLY"}, OBSERVED, True, "ENCRYPTED_ONLY"),
    ("trusted-client-certificate", {"ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"},
     OBSERVED, True, "TRUSTED_CLIENT"),
    ("allow-unencrypted", {"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}, OBSERVED, False,
     "ALLOW_UNENCRYPTED"),
    # A mode the reference does not name (newer than this adapter, or misspelt).
    ("unnamed-mode", {"ssl_mode": "ENCRYPTED_ONLY_V2"}, ERROR, None, "unrecognised sslMode"),
    ("lowercase-mode", {"ssl_mode": "encrypted_only"}, ERROR, None, "unrecognised sslMode"),
    # SSL_MODE_UNSPECIFIED says nothing: the older requireSsl decides.
    ("unspecified-require-ssl", {"ssl_mode": "SSL_MODE_UNSPECIFIED", "require_ssl": True},
     OBSERVED, True, "requireSsl true"),
    ("unspecified-plain", {"ssl_mode": "SSL_MODE_UNSPECIFIED", "require_ssl": False},
     OBSERVED, False, "requireSsl false"),
]


@pytest.mark.parametrize(("spec", "state", "value", "words"), [row[1:] for row in TLS_ROWS],
                         ids=[row[0] for row in TLS_ROWS])
def test_sql_tls_only_from_a_named_ssl_mode(make_sandbox, spec: dict[str, Any],
                                            state: FactState, value: Any, words: str) -> None:
    box = make_sandbox(_project(sql_instances=[{"name": "db0", **spec}]))
    fact = _collect(box, "database.instance", "tls_enforced.required")["db0"]
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


NETWORK_ROWS = [
    # AclEntry.value: an address in CIDR notation (or one address). Any prefix length 0
    # admits every address, however the network part is written.
    ("zero-route", ["0.0.0.0/0"], OBSERVED, True, "0.0.0.0/0"),
    ("zero-prefix-other-base", ["203.0.113.7/0"], OBSERVED, True, "203.0.113.7/0"),
    ("ipv6-zero", ["2001:db8::/0"], OBSERVED, True, "2001:db8::/0"),
    ("one-host", ["203.0.113.7"], OBSERVED, False, "none open"),
    ("office-range", ["198.51.100.0/24", "203.0.113.7/32"], OBSERVED, False, "2 authorized"),
    ("not-an-address", ["198.51.100.0/24", "office-vpn"], ERROR, None, "office-vpn"),
    ("open-beside-unreadable", ["office-vpn", "0.0.0.0/0"], OBSERVED, True, "0.0.0.0/0"),
]


@pytest.mark.parametrize(("networks", "state", "value", "words"),
                         [row[1:] for row in NETWORK_ROWS], ids=[row[0] for row in NETWORK_ROWS])
def test_sql_exposure_reads_authorized_networks_as_addresses(
        make_sandbox, networks: list[str], state: FactState, value: Any, words: str) -> None:
    box = make_sandbox(_project(sql_instances=[
        {"name": "db0", "public_ip": True, "authorized_networks": networks}]))
    fact = _collect(box, "database.instance", "public_exposure.is_public")["db0"]
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail


def _version(field: str, member: str = "kmsKeyName") -> Any:
    def change(item: dict[str, Any]) -> None:
        holder = item.setdefault(field, {}) if field else item
        holder[member] = f"{holder[member]}/cryptoKeyVersions/3"
    return change


KEY = "projects/k/locations/us/keyRings/r/cryptoKeys/k"
VERSION_ROWS = [
    # DatabaseInstance.diskEncryptionConfiguration.kmsKeyName and Instance.kmsKeyName name a
    # CryptoKey; an answer naming one of its versions is still that key's custody.
    ("sql", SQL, "database.instance", "db0", "diskEncryptionConfiguration",
     {"sql_instances": [{"name": "db0", "kms_key": "us/r/k"}]}),
    ("filestore", FILES, "storage.filesystem", "fs0", "",
     {"filestore_instances": [{"name": "fs0", "kms_key": "us/r/k"}]}),
]


@pytest.mark.parametrize(("action", "kind", "name", "field", "estate"),
                         [row[1:] for row in VERSION_ROWS], ids=[row[0] for row in VERSION_ROWS])
def test_a_key_version_name_is_joined_to_its_key(make_sandbox, action: str, kind: str,
                                                 name: str, field: str,
                                                 estate: dict[str, Any]) -> None:
    box = make_sandbox(_project(**estate))
    items = "instances" if action == FILES else "items"
    proxy = AnswerProxy(box).on(action, in_item(name, _version(field), key=items))
    try:
        options = proxy.scan_options()
        custody = _collect(box, kind, "key_custody.level", options)[name]
        key_id = _collect(box, kind, "encryption.key_id", options)[name]
    finally:
        proxy.stop()
    assert (custody.state, custody.value) == (OBSERVED, "customer_kms")
    assert (key_id.state, key_id.value) == (OBSERVED, KEY)


def _external(item: dict[str, Any]) -> None:
    item["instanceType"] = "ON_PREMISES_INSTANCE"


# (row id, the change to db0's listing entry, fact path, state, value, words of the detail)
SETTINGS_ROWS = [
    # Settings.ipConfiguration and Settings.backupConfiguration: their false booleans are
    # left out of the JSON, but an absent object says nothing of them.
    ("ip-present", lambda item: None, "public_exposure.is_public", OBSERVED, False,
     "ipv4Enabled false"),
    ("ip-absent", lambda item: item["settings"].pop("ipConfiguration"),
     "public_exposure.is_public", ERROR, None, "no ipConfiguration"),
    ("ip-absent-tls", lambda item: item["settings"].pop("ipConfiguration"),
     "tls_enforced.required", ERROR, None, "no ipConfiguration"),
    ("backup-absent", lambda item: item["settings"].pop("backupConfiguration"),
     "backup.enabled", ERROR, None, "no backupConfiguration"),
    # DatabaseInstance.instanceType ON_PREMISES_INSTANCE: an external primary's stand-in
    # entry, whose settings Cloud SQL does not hold.
    ("external-server", _external, "backup.enabled", ERROR, None, "ON_PREMISES_INSTANCE"),
    ("external-server-exposure", _external, "public_exposure.is_public", ERROR, None,
     "ON_PREMISES_INSTANCE"),
]


@pytest.mark.parametrize(("change", "path", "state", "value", "words"),
                         [row[1:] for row in SETTINGS_ROWS],
                         ids=[row[0] for row in SETTINGS_ROWS])
def test_sql_settings_absent_from_the_answer_are_not_false(
        make_sandbox, change: Any, path: str, state: FactState, value: Any,
        words: str) -> None:
    box = make_sandbox(_project(sql_instances=[{"name": "db0", "backups": {"enabled": True}},
                                               {"name": "db1"}]))
    proxy = AnswerProxy(box).on(SQL, in_item("db0", change))
    try:
        facts = _collect(box, "database.instance", path, proxy.scan_options())
    finally:
        proxy.stop()
    assert (facts["db0"].state, facts["db0"].value) == (state, value)
    assert words in facts["db0"].detail
    assert facts["db1"].state is OBSERVED  # the other instance is read as ever


DISKS = "compute.disks.aggregatedList"


def _unreachables(document: dict[str, Any]) -> None:
    document["unreachables"] = ["zones/us-east1-b"]


def _scope_unreachable(document: dict[str, Any]) -> None:
    document["items"]["zones/us-west1-a"] = {"warning": {
        "code": "UNREACHABLE", "message": "zone unreachable", "data": []}}


def _no_results(document: dict[str, Any]) -> None:
    document["items"]["zones/us-west1-a"] = {"warning": {
        "code": "NO_RESULTS_ON_PAGE", "message": "none", "data": []}}


UNREACHABLE_ROWS = [
    # DiskAggregatedList.unreachables[] and a DisksScopedList.warning.code UNREACHABLE name
    # scopes whose disks the answer does not hold: a gap of the listing, never "no disks".
    ("unreachables", _unreachables, {("compute:disks.aggregatedList", "Unreachable",
                                      "listing")}),
    ("scope-warning", _scope_unreachable, {("compute:disks.aggregatedList", "Unreachable",
                                            "listing")}),
    ("no-results-is-no-gap", _no_results, set()),
]


@pytest.mark.parametrize(("change", "expected"), [row[1:] for row in UNREACHABLE_ROWS],
                         ids=[row[0] for row in UNREACHABLE_ROWS])
def test_an_unreachable_disk_scope_is_a_gap(make_sandbox, change: Any,
                                            expected: set[tuple[str, str, str]]) -> None:
    from answer_proxy import edit

    box = make_sandbox(_project(disks=[{"name": "d0", "zone": "us-central1-a"}]))
    proxy = AnswerProxy(box).on(DISKS, edit(change))
    try:
        collection = fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(),
            facts={"storage.volume": frozenset({"attachment.attached"})}))
    finally:
        proxy.stop()
    assert set(resources(collection, "storage.volume")) == {"d0"}  # what was listed is kept
    assert {(e.operation, e.code, e.kind) for e in collection.run.errors} == expected
    assert collection.run.status == ("partial" if expected else "complete")


def _backup(**fields: Any) -> Any:
    def change(item: dict[str, Any]) -> None:
        backup = item["settings"]["backupConfiguration"]
        for name, value in fields.items():
            if name == "retention":
                backup["backupRetentionSettings"].update(value)
            elif value is None:
                backup.pop(name, None)
            else:
                backup[name] = value
    return change


# (row id, the change to db0's backupConfiguration, state, value, words of the detail)
RETENTION_ROWS = [
    # BackupRetentionSettings.retainedBackups is a count ("retain the most recent N
    # backups", retentionUnit COUNT); standard backups are daily (startTime: "the daily
    # backup configuration"), so N kept reach back N days.
    ("standard-count", _backup(backupTier="STANDARD"), OBSERVED, 7, "7 days"),
    ("tier-absent", _backup(backupTier=None), OBSERVED, 7, "once a day"),
    ("tier-unspecified", _backup(backupTier="BACKUP_TIER_UNSPECIFIED"), OBSERVED, 7, "7 days"),
    # RetentionUnit RETENTION_UNIT_UNSPECIFIED "will be treated as COUNT".
    ("unit-unspecified", _backup(retention={"retentionUnit": "RETENTION_UNIT_UNSPECIFIED",
                                            "retainedBackups": 30}), OBSERVED, 30, "30 days"),
    ("unit-unnamed", _backup(retention={"retentionUnit": "DAYS"}), ERROR, None, "DAYS"),
    # BackupTier ENHANCED (ADVANCED, its deprecated name): Backup and DR Service manages the
    # backups and its backup plan sets retention; retainedBackups does not say it.
    ("enhanced", _backup(backupTier="ENHANCED"), ERROR, None, "Backup and DR"),
    ("advanced", _backup(backupTier="ADVANCED"), ERROR, None, "Backup and DR"),
    ("tier-unnamed", _backup(backupTier="PREMIUM"), ERROR, None, "unrecognised backupTier"),
]


@pytest.mark.parametrize(("change", "state", "value", "words"),
                         [row[1:] for row in RETENTION_ROWS],
                         ids=[row[0] for row in RETENTION_ROWS])
def test_sql_retention_days_only_from_daily_backups_counted(
        make_sandbox, change: Any, state: FactState, value: Any, words: str) -> None:
    box = make_sandbox(_project(sql_instances=[{"name": "db0", "backups": {"enabled": True}}]))
    proxy = AnswerProxy(box).on(SQL, in_item("db0", change))
    try:
        fact = _collect(box, "database.instance", "backup.retention_days",
                        proxy.scan_options())["db0"]
    finally:
        proxy.stop()
    assert (fact.state, fact.value) == (state, value)
    assert words in fact.detail
    if state is OBSERVED:
        assert fact.basis == "derived"  # a count of daily backups, not a stated period


def _replica(item: dict[str, Any]) -> None:
    item.update(instanceType="READ_REPLICA_INSTANCE", masterInstanceName="k:db1")
    item["settings"]["backupConfiguration"]["enabled"] = False


# (row id, the change to db0's listing entry, the backup checks' statuses on db0)
REPLICA_ROWS = [
    # DatabaseInstance.instanceType CLOUD_SQL_INSTANCE, automated backups on: both decide.
    ("primary", lambda item: None, ["PASS", "PASS"]),
    # READ_REPLICA_INSTANCE (of masterInstanceName): Cloud SQL takes no automated backups of
    # a replica; its backups off are no FAIL.
    ("read-replica", _replica, ["NOT_APPLICABLE", "NOT_APPLICABLE"]),
]


@pytest.mark.parametrize(("change", "statuses"), [row[1:] for row in REPLICA_ROWS],
                         ids=[row[0] for row in REPLICA_ROWS])
def test_a_sql_read_replica_is_no_backup_failure(make_sandbox, change: Any,
                                                 statuses: list[str]) -> None:
    from auditor.checks import compile_check, load_checks
    from auditor.engine import evaluate_one

    checks = [compile_check(c) for c in load_checks()
              if c.id in ("database-backup-retention", "database-backups-encrypted")]
    box = make_sandbox(_project(sql_instances=[{"name": "db0", "backups": {"enabled": True}},
                                               {"name": "db1", "backups": {"enabled": True}}]))
    proxy = AnswerProxy(box).on(SQL, in_item("db0", change))
    try:
        collection = fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(),
            facts={"database.instance": frozenset(p for c in checks for p in c.check.reads)}))
    finally:
        proxy.stop()
    found = resources(collection, "database.instance")
    assert [evaluate_one(c, found["db0"])[0].value for c in checks] == statuses
    assert [evaluate_one(c, found["db1"])[0].value for c in checks] == ["PASS", "PASS"]
