"""Side by side with the peers: Cloud Custodian, ScoutSuite and Prowler against ours.

One moto server process on 127.0.0.1 (benchmarks/_moto_harness.py), re-seeded before each
tool with the same estate (the demo estate's AWS section grown to N buckets, its KMS keys with
and without rotation). Each tool runs in its own process under a wrapper that reports wall
time, peak RSS and user+sys CPU of its process tree; moto's request recorder counts the
requests it sent. In the same run, the floor (benchmarks/floor.py) replays our requests.

    python benchmarks/peers.py --install            # the peers' virtual environments
    python benchmarks/peers.py --buckets 200 1000 [--repeat 1] [--tools ours custodian ...]

The peers get the same admin keys and AWS_ENDPOINT_URL (botocore honours it), and
benchmarks/sitecustomize/ on their PYTHONPATH: names ending in .127.0.0.1 resolve to 127.0.0.1
(S3 Control's ``<account>.host``), every other non-loopback name fails to resolve, so no peer
sends anything off this machine. Writes benchmarks/results/peers.json (and floor.json) and
prints the Markdown sections for benchmarks/RESULTS.md. Test-harness code, not shipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _floor_report  # noqa: E402
import _moto_harness as h  # noqa: E402
import floor  # noqa: E402

VENVS = HERE / ".venvs"
RESULTS = HERE / "results" / "peers.json"
PACKAGES = {"custodian": ["c7n"], "scoutsuite": ["scoutsuite"], "prowler": ["prowler"]}

# aws.s3 lists every bucket of the account from any region: the S3 policies run in us-east-1
# only (a policy condition), as a user would, or each region would read every bucket again.
CUSTODIAN_POLICIES = """\
policies:
  - name: s3-bucket-not-encrypted
    resource: aws.s3
    conditions: &global [{type: value, key: region, value: us-east-1}]
    filters:
      - type: bucket-encryption
        state: false
  - name: s3-public-access-block-off
    resource: aws.s3
    conditions: *global
    filters:
      - type: check-public-block
        BlockPublicAcls: false
        BlockPublicPolicy: false
        IgnorePublicAcls: false
        RestrictPublicBuckets: false
  - name: kms-key-rotation-off
    resource: aws.kms-key
    filters:
      - type: key-rotation-status
        key: KeyRotationEnabled
        value: false
"""
# Prowler's KMS checks that read CloudTrail LookupEvents, which moto does not implement.
PROWLER_EXCLUDED = ["kms_key_enclave_attestation_unknown_image",
                    "kms_key_enclave_debug_attestation_detected"]


def install() -> None:
    for tool, packages in PACKAGES.items():
        venv = VENVS / tool
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *packages],
                              capture_output=True, text=True)
        print(f"{tool}: {'installed' if done.returncode == 0 else done.stderr[-2000:]}")


def version(tool: str) -> str:
    pip = VENVS / tool / "bin" / "pip"
    if not pip.exists():
        return "not installed"
    done = subprocess.run([str(pip), "show", PACKAGES[tool][0]], capture_output=True, text=True)
    return next((line.split()[-1] for line in done.stdout.splitlines()
                 if line.startswith("Version:")), "unknown")


def command(tool: str, work: Path) -> list[str]:
    bin_ = VENVS / tool / "bin"
    out = work / tool
    if tool == "ours":
        return floor.ours_cmd(out)
    if tool == "custodian":
        policy = work / "custodian.yml"
        policy.write_text(CUSTODIAN_POLICIES)
        regions = [arg for r in h.REGIONS for arg in ("--region", r)]
        return [str(bin_ / "custodian"), "run", "--cache-period", "0", "-s", str(out),
                *regions, str(policy)]
    if tool == "scoutsuite":
        return [str(bin_ / "scout"), "aws", "--services", "s3", "kms", "--regions",
                *h.REGIONS, "--no-browser", "--force", "--report-dir", str(out)]
    if tool == "prowler":
        return [str(bin_ / "prowler"), "aws", "--service", "s3", "kms", "-f", *h.REGIONS,
                "--excluded-check", *PROWLER_EXCLUDED, "--no-banner", "-M", "json-ocsf",
                "-o", str(out)]
    raise ValueError(tool)


def run_tool(server: h.MotoServer, tool: str, n: int, work: Path) -> dict[str, Any]:
    seed_s = server.seed(n)
    env = h.base_env(server.url)
    if tool != "ours":
        env["PYTHONPATH"] = str(HERE / "sitecustomize")
        env["HOME"] = str(work / "home")  # no peer config or cache from elsewhere
        (work / "home").mkdir(exist_ok=True)
    log = work / f"{tool}-{n}.log"
    figures = h.measure(command(tool, work), env, cwd=str(work), log=log)
    entries = server.requests()
    figures.update(tool=tool, buckets=n, requests=len(entries),
                   requests_per_bucket=round(len(entries) / n, 2), seed_s=round(seed_s, 1),
                   moto_rss_mib=server.rss_mib(),
                   load=[round(x, 2) for x in os.getloadavg()],
                   actions=h.count_actions(entries))
    if figures.get("rc") not in (0, 1, 3):  # 1, 3: findings / partial run, both finished
        figures["error"] = log.read_text(errors="replace")[-1500:]
    print(f"{n} {tool}: {figures['seconds']} s, {figures.get('peak_rss_mib')} MiB, "
          f"{figures['requests']} requests, rc {figures.get('rc')}", flush=True)
    return figures


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ours = rows.get("ours")
    out: dict[str, Any] = {}
    if not ours:
        return out
    for tool, row in rows.items():
        if tool == "ours" or not row.get("seconds") or row.get("error"):
            continue
        out[tool] = {"wall": round(ours["seconds"] / row["seconds"], 2),
                     "rss": round(ours["peak_rss_mib"] / row["peak_rss_mib"], 2),
                     "requests": round(ours["requests"] / max(row["requests"], 1), 2)}
    done = [r for t, r in rows.items() if t != "ours" and r.get("seconds") and not r.get("error")]
    if done:
        fastest = min(done, key=lambda r: r["seconds"])
        out["vs_fastest_peer"] = {"peer": fastest["tool"],
                                  "wall": round(ours["seconds"] / fastest["seconds"], 2),
                                  "target": 0.5}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--buckets", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tools", nargs="+",
                        default=["ours", "custodian", "scoutsuite", "prowler"])
    parser.add_argument("--floor-repeat", type=int, default=2,
                        help="ours vs the floor, repeated (0: no floor)")
    args = parser.parse_args()
    if args.install:
        install()
        return
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    server = h.MotoServer()
    server.start()
    result: dict[str, Any] = {
        "machine": h.machine(), "versions": {t: version(t) for t in PACKAGES},
        "regions": h.REGIONS, "sizes": {}}
    try:
        for n in args.buckets:
            rows: dict[str, dict[str, Any]] = {}
            for tool in args.tools:
                if tool != "ours" and version(tool) == "not installed":
                    rows[tool] = {"tool": tool, "error": "not installed (--install)"}
                    continue
                runs = [run_tool(server, tool, n, work) for _ in range(args.repeat)]
                row = floor.median_run(runs)
                row.update(tool=tool, actions=runs[-1]["actions"],
                           requests_per_bucket=round(row["requests"] / n, 2))
                if runs[-1].get("error"):
                    row["error"] = runs[-1]["error"]
                rows[tool] = row
            result["sizes"][str(n)] = {"tools": rows, "ratios": ratios(rows)}
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        if args.floor_repeat:
            floored = _floor_report.floor_and_profile(server, args.buckets, args.floor_repeat)
            floor.RESULTS.write_text(json.dumps(floored, indent=2) + "\n")
    finally:
        server.stop()
    result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    if args.floor_repeat:
        print(_floor_report.markdown(floored))
    print(f"work files (tool logs): {work}")


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    versions = ", ".join(f"{t} {v}" for t, v in result["versions"].items())
    lines = ["## Side by side with the peers", "",
             f"{m['date']}; {m['platform']}, {m['cpus']} cores, Python {m['python']}, boto3 "
             f"{m['boto3']}, moto {m['moto']}; {versions}. Load at start {m['load_at_start']}: "
             "the 2 cores are shared with moto and with other engineers' runs, so absolute "
             "seconds are slow and noisy; each tool runs right after a fresh seed of the same "
             f"estate in {len(result['regions'])} regions. `python benchmarks/peers.py`.", "",
             "| buckets | tool | wall s | ours / tool | peak RSS MiB | CPU s | requests "
             "| per bucket | load (1 min) |", "|---|---|---|---|---|---|---|---|---|"]
    for n, size in result["sizes"].items():
        for tool, row in size["tools"].items():
            if row.get("error") or not row.get("seconds"):
                lines.append(f"| {n} | {tool} | - | - | - | - | - | - | failed: "
                             f"{str(row.get('error', ''))[-200:].splitlines()[-1:]} |")
                continue
            ratio = size["ratios"].get(tool, {}).get("wall", "1")
            load = row["runs"][-1].get("load", ["?"])[0]
            lines.append(f"| {n} | {tool} | {row['seconds']} | {ratio} | {row['peak_rss_mib']} "
                         f"| {row['cpu_s']} | {row['requests']} | {row['requests_per_bucket']} "
                         f"| {load} |")
        fastest = size["ratios"].get("vs_fastest_peer")
        if fastest:
            met = "met" if fastest["wall"] <= fastest["target"] else "missed"
            lines.append(f"| {n} | ours vs fastest peer ({fastest['peer']}) | | "
                         f"**{fastest['wall']}** (target <= 0.5: {met}) | | | | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
