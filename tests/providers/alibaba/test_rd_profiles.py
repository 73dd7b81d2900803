"""Credential profiles: two profiles of the Alibaba Cloud CLI's config file (and one of the
credentials provider's INI file) pointing at the stand-in, each scanned as the account its
keys are in; a missing profile fails that account alone; profiles as the fallback of a
directory that cannot be listed."""

from __future__ import annotations

import copy
import json

import pytest
from rd_support import (
    ANALYTICS,
    DIRECTORY_ESTATE,
    MANAGEMENT,
    PAYMENTS,
    PROFILE_KEYS,
    ROLE,
    actions,
    adapter,
    collect,
    request,
    seeded,
)

from auditor.errors import CredentialsError

SECRET = "profile-secret-never-printed"


def cli_profile(name: str, key: str) -> dict[str, str]:
    return {"name": name, "mode": "AK", "access_key_id": key, "access_key_secret": SECRET,
            "region_id": "cn-hangzhou", "output_format": "json", "language": "en"}


@pytest.fixture
def profile_file(tmp_path, monkeypatch):
    """~/.aliyun/config.json as the CLI writes it: two AK profiles; and an INI file with a
    third profile (a second name for the payments account)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"current": "pay", "profiles": [
        cli_profile("pay", PROFILE_KEYS[PAYMENTS]),
        cli_profile("lake", PROFILE_KEYS[ANALYTICS])]}))
    ini = tmp_path / "credentials.ini"
    ini.write_text(f"[pay-ini]\ntype = access_key\naccess_key_id = {PROFILE_KEYS[PAYMENTS]}\n"
                   f"access_key_secret = {SECRET}\n")
    monkeypatch.setenv("AUDITOR_ALIBABA_PROFILE_FILE", str(path))
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(ini))
    return path


@pytest.fixture
def rd_box(make_ali_sandbox, monkeypatch, profile_file):
    return seeded(make_ali_sandbox, monkeypatch)


def test_each_profile_is_scanned_as_its_own_account(rd_box):
    base = request(profile=["pay", "lake"])
    targets = adapter().accounts(base)
    assert [(t.account, t.label) for t in targets] == [(PAYMENTS, "profile pay"),
                                                       (ANALYTICS, "profile lake")]
    assert "resourcemanager:ListAccounts" not in actions(rd_box)
    buckets = {}
    for target in targets:
        collection = collect(target, base)
        assert collection.run.accounts == [target.account]
        buckets[target.account] = [r.name for r in collection.resources
                                   if r.kind == "storage.bucket"]
    assert buckets == {PAYMENTS: ["pay-ledger"], ANALYTICS: ["lake-raw"]}
    assert "sts:AssumeRole" not in actions(rd_box)  # a profile's own keys, no role


def test_a_profile_of_the_ini_file_is_found_and_one_account_is_scanned_once(rd_box):
    targets = adapter().accounts(request(profile=["pay", "pay-ini"]))
    assert [t.account for t in targets] == [PAYMENTS]
    [single] = adapter().accounts(request(profile=["pay-ini"]))
    assert single.account == PAYMENTS
    collection = collect(single, request(profile=["pay-ini"]))
    assert [r.name for r in collection.resources if r.kind == "storage.bucket"] == \
        ["pay-ledger"]


def test_a_missing_profile_fails_that_account_naming_both_files(rd_box, profile_file):
    base = request(profile=["ghost", "lake"])
    targets = adapter().accounts(base)
    assert [t.account for t in targets] == ["profile:ghost", ANALYTICS]
    with pytest.raises(CredentialsError) as failed:
        collect(targets[0], base)
    assert "'ghost'" in failed.value.reason and str(profile_file) in failed.value.reason
    assert "credentials.ini" in failed.value.reason
    assert collect(targets[1], base).run.status == "complete"


def test_a_malformed_config_file_names_the_file(rd_box, profile_file):
    profile_file.write_text("{not json")
    with pytest.raises(CredentialsError, match=str(profile_file)):
        collect(adapter().accounts(request(profile=["pay"]))[0], request(profile=["pay"]))


def test_profiles_are_the_fallback_of_an_unreadable_directory(make_ali_sandbox, monkeypatch,
                                                               profile_file):
    estate = copy.deepcopy(DIRECTORY_ESTATE)
    estate["directory"]["faults"] = {"ListAccounts": "NoPermission"}
    seeded(make_ali_sandbox, monkeypatch, estate)
    base = request(resource_directory=True, role_name=ROLE, profile=["pay", "lake"])
    targets = adapter().accounts(base)
    assert [t.account for t in targets] == [PAYMENTS, ANALYTICS]
    assert MANAGEMENT not in [t.account for t in targets]
    first = collect(targets[0], base)
    # The unreadable directory is reported (a listing gap), not silently replaced.
    [gap] = [e for e in first.run.errors if e.scope == "resource-directory"]
    assert "NoPermission" in gap.message and first.run.status == "partial"
    assert collect(targets[1], base).run.status == "complete"


def test_no_profile_secret_in_any_output(rd_box):
    base = request(profile=["pay", "lake", "ghost"])
    texts = []
    for target in adapter().accounts(base):
        try:
            collection = collect(target, base)
            texts.append(json.dumps([collection.run.to_dict(),
                                     [r.to_dict() for r in collection.resources]]))
        except CredentialsError as exc:
            texts.append(exc.reason)
    assert SECRET not in "\n".join(texts)
