"""Ours against the floor (benchmarks/floor.py): repeated runs, a py-spy profile, Markdown.

The profile is py-spy's raw (collapsed) stacks of every thread of ``auditor scan aws``, samples
holding the GIL only (``--gil``: Python's own CPU, not threads waiting on sockets); frames are
grouped into where our CPU goes (see CATEGORIES).
"""

from __future__ import annotations

import collections
import re
import tempfile
from pathlib import Path
from typing import Any

import _moto_harness as h
import floor

# First matching rule wins, checked from the innermost frame outwards; the rest is "other".
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("start-up (imports)", ("<frozen importlib._bootstrap",)),
    ("client creation (botocore loaders, endpoint rules)",
     ("botocore/client.py:create_client", "botocore/session.py:create_client",
      "botocore/loaders.py", "botocore/regions.py", "botocore/endpoint_provider.py")),
    ("answer parsing (botocore parsers)", ("botocore/parsers.py",)),
    ("answer checks (ours: _answers)", ("auditor/providers/aws/_answers.py",)),
    ("signing, serializing, HTTP (botocore, urllib3)",
     ("botocore/auth.py", "botocore/serialize.py", "urllib3/", "http/client.py",
      "botocore/httpsession.py", "botocore/awsrequest.py", "botocore/signers.py")),
    ("validation (jsonschema)", ("jsonschema/", "auditor/schema.py")),
    ("engine (checks, evaluation)", ("auditor/engine.py", "auditor/checks.py",
                                     "auditor/provider_checks.py")),
    ("normalization (ours: aws adapter)", ("auditor/providers/aws/",)),
    ("our runtime (calls, ledger, scrub)", ("auditor/providers/_runtime/",)),
    ("report writing", ("auditor/reports/", "json/encoder.py")),
    ("botocore other (hooks, validation of params)", ("botocore/",)),
]


def _frame_file(frame: str) -> tuple[str, str]:
    match = re.match(r"(.*) \((.*):\d+\)$", frame)
    return (match.group(1), match.group(2)) if match else (frame, "")


def read_profile(path: Path) -> dict[str, Any]:
    """Self samples per frame (top 15) and inclusive samples per category."""
    own: collections.Counter[str] = collections.Counter()
    cats: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_s)
        frames = [f for f in stack.split(";") if not f.startswith("process ")
                  and not f.startswith("thread ")]
        total += count
        func, file = _frame_file(frames[-1]) if frames else ("?", "")
        short = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", file)
        own[f"{func} ({short})"] += count
        cats[_category(frames)] += count
    return {"samples": total,
            "top_frames": [{"frame": f, "self_pct": round(100 * c / total, 1)}
                           for f, c in own.most_common(15)],
            "categories": [{"category": k, "pct": round(100 * c / total, 1)}
                           for k, c in cats.most_common()]}


def _category(frames: list[str]) -> str:
    keyed = [f"{file}:{func}" if file else func
             for func, file in (_frame_file(f) for f in frames)]
    joined_outer = ";".join(keyed)
    if "<frozen importlib._bootstrap" in joined_outer:
        return CATEGORIES[0][0]
    for name, needles in CATEGORIES[1:3]:  # client creation, parsing: anywhere in the stack
        if any(n in joined_outer for n in needles):
            return name
    for frame in reversed(keyed):
        for name, needles in CATEGORIES[3:]:
            if any(n in frame for n in needles):
                return name
    return "other (threads waiting on locks, stdlib)"


def floor_and_profile(server: h.MotoServer, sizes: list[int], repeat: int) -> dict[str, Any]:
    """For each size: ours and the floor ``repeat`` times, alternating; one profiled run."""
    out: dict[str, Any] = {"machine": h.machine(), "sizes": {}}
    work = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    for n in sizes:
        ours_runs, floor_runs = [], []
        for _ in range(repeat):
            ours, entries = floor.run_ours(server, n, work)
            ours["load"] = [round(x, 2) for x in __import__("os").getloadavg()]
            ours_runs.append(ours)
            calls = work / f"calls-{n}.json"
            floor.save_calls(entries, calls)
            fl = floor.run_floor(server, n, calls, work)
            fl["load"] = [round(x, 2) for x in __import__("os").getloadavg()]
            floor_runs.append(fl)
        row = {"ours": floor.median_run(ours_runs), "floor": floor.median_run(floor_runs),
               "actions": h.count_actions(entries)}
        row["wall_ratio"] = round(row["ours"]["seconds"] / row["floor"]["seconds"], 2)
        row["cpu_ratio"] = round(row["ours"]["cpu_s"] / row["floor"]["cpu_s"], 2)
        row["wall_ratios_each"] = [round(o["seconds"] / f["seconds"], 2)
                                   for o, f in zip(ours_runs, floor_runs, strict=True)]
        prof = work / f"profile-{n}.txt"
        profiled, _ = floor.run_ours(server, n, work, profile=prof)
        row["profile"] = read_profile(prof) if prof.exists() else {"error": profiled}
        out["sizes"][str(n)] = row
    return out


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = ["## Against the floor", "",
             f"{m['date']}; {m['platform']}, {m['cpus']} cores, Python {m['python']}, boto3 "
             f"{m['boto3']}, moto {m['moto']}; load at start {m['load_at_start']}. The 2 cores "
             "are shared with other engineers' runs and with moto itself: medians of the "
             "repeats; ratios are within one run. `python benchmarks/floor.py` "
             "(or `benchmarks/peers.py`, which runs it in the same run as the peers).", "",
             "| buckets | ours s | floor s | wall ratio (each run) | ours CPU s | floor CPU s "
             "| CPU ratio | requests ours / floor | ours peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n, row in result["sizes"].items():
        o, f = row["ours"], row["floor"]
        lines.append(f"| {n} | {o['seconds']} | {f['seconds']} | {row['wall_ratio']} "
                     f"({', '.join(map(str, row['wall_ratios_each']))}) | {o['cpu_s']} "
                     f"| {f['cpu_s']} | {row['cpu_ratio']} | {o['requests']} / {f['requests']} "
                     f"| {o['peak_rss_mib']} |")
    for n, row in result["sizes"].items():
        prof = row["profile"]
        if "top_frames" not in prof:
            continue
        lines += ["", f"Where our scan's CPU goes at {n} buckets (py-spy --gil, every thread, "
                      f"{prof['samples']} samples):", "",
                  "| share | category |", "|---|---|"]
        lines += [f"| {c['pct']}% | {c['category']} |" for c in prof["categories"]]
        lines += ["", "Top 15 frames by own samples:", "", "| self % | frame |", "|---|---|"]
        lines += [f"| {t['self_pct']} | `{t['frame']}` |" for t in prof["top_frames"]]
    return "\n".join(lines) + "\n"
