"""Credentials from the alibabacloud-credentials default chain, and lazy SDK imports.

The chain reads its environment when the SDK is imported, so these run in a fresh
interpreter each, against the stand-ins of this process (127.0.0.1 only; the ECS metadata
provider is switched off so that nothing else is ever tried).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from alibaba_support import ESTATE

from auditor.providers.alibaba.sandbox import ACCESS_KEY_ID, ACCESS_KEY_SECRET

SCRIPT = textwrap.dedent("""
    import json, sys
    from auditor.errors import ProviderError
    from auditor.providers.alibaba import AlibabaAdapter
    from auditor.providers.base import CollectRequest
    options = json.loads(sys.argv[1])
    try:
        collection = AlibabaAdapter().collect(CollectRequest(
            options=options, facts={"storage.bucket": frozenset({"versioning.enabled"})}))
    except ProviderError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
    else:
        print(json.dumps({"buckets": len(collection.resources)}))
""")


def run(options: dict, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(HOME=str(home), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(options)], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_default_chain_reads_the_cli_profile(make_ali_sandbox, tmp_path):
    box = make_ali_sandbox(ESTATE)
    config = tmp_path / ".aliyun" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"current": "audit", "profiles": [{
        "name": "audit", "mode": "AK", "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET, "region_id": "cn-hangzhou"}]}))
    result = run(box.scan_options(), tmp_path)
    assert result == {"buckets": len(ESTATE["buckets"])}
    assert box.requests() and all(ACCESS_KEY_ID in r.headers.get("authorization", "")
                                  for r in box.requests())


def test_no_credentials_anywhere(make_ali_sandbox, tmp_path):
    box = make_ali_sandbox(ESTATE)
    result = run(box.scan_options(), tmp_path)
    assert result["error"] == "CredentialsError"
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result["message"]
    assert box.requests() == []


def test_importing_the_adapter_loads_no_sdk():
    code = ("import sys, auditor.providers.alibaba as a; a.AlibabaAdapter().exposure_profile();"
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('alibabacloud_oss_v2', 'alibabacloud_kms20160120', 'alibabacloud_credentials',"
            " 'alibabacloud_tea_openapi', 'Tea', 'darabonba')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"
