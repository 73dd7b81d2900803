"""The model behind the org-scale benchmark's 10,000-account projection, fitted from its runs.

Per account, on an idle worker: t_a = d x RTT + c_a, where d is the account's critical path in
round trips (its calls overlap within the account: --max-workers 16) and c_a the CPU the
collection of one account costs (c_w on a Dask worker, where its CPU per account was
measured). Measured: the slope of wall time over accounts collected one
at a time (--max-accounts 1) is t_a; d = (t_a - c_a) / RTT.

One worker machine collecting m accounts at once finishes min(m / t_a, k / c_w) accounts a
second (latency bound, or CPU bound on its k cores). The coordinator then spends e CPU seconds
per account (merging, evaluating, writing the reports) in one process, after the collection:

    wall(A, W) = s0 + A / (W x min(m / t_a, k / c_w)) + A x e

s0 is the fixed start-up (interpreter, checks, the organization's listing; a Dask cluster's
start when it has one), fitted as the intercept of wall over accounts.
"""

from __future__ import annotations

from typing import Any


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares (intercept, slope); one point: slope through the origin."""
    if len(xs) == 1:
        return 0.0, ys[0] / xs[0]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


def fit(calibration: list[dict[str, Any]], local: list[dict[str, Any]], rtt_s: float,
        evaluation: list[dict[str, Any]]) -> dict[str, Any]:
    """The model's parameters from the serial calibration runs, the local-executor series
    (its CPU per account and start-up) and the runs whose coordinator only evaluates (Dask:
    coordinator CPU per account; none: the local runs' CPU above collection is used)."""
    _, t_a = linear_fit([r["accounts_in_org"] for r in calibration], [r["wall_s"] for r in calibration])
    cpu0, c_total = linear_fit([r["accounts_in_org"] for r in local],
                               [r["cpu_s_with_children"] for r in local])
    s0, _ = linear_fit([r["accounts_in_org"] for r in local], [r["wall_s"] for r in local])
    if evaluation:
        big = max(evaluation, key=lambda r: r["accounts_in_org"])
        e = max(big["coordinator_cpu_s"] - cpu0, 0.0) / big["accounts_in_org"]
        e_source = "Dask runs: coordinator CPU above start-up per account"
    else:
        e = 0.0
        e_source = "no Dask run: coordinator evaluation folded into c_a"
    c_a = max(c_total - e, 1e-6)
    depth = max(t_a - c_a, 0.0) / rtt_s
    # A Dask worker's CPU per account (its own imports, the wire) where one was measured.
    c_w = max((r["workers_cpu_s"] / r["accounts_in_org"] for r in evaluation), default=c_a)
    return {"rtt_s": rtt_s, "t_a_s": round(t_a, 4), "c_a_cpu_s": round(c_a, 4),
            "c_worker_cpu_s": round(c_w, 4),
            "critical_path_round_trips": round(depth, 2), "e_coordinator_cpu_s": round(e, 5),
            "e_source": e_source, "s0_s": round(max(s0, 0.0), 2),
            "startup_cpu_s": round(cpu0, 2)}


def project(model: dict[str, Any], accounts: int, workers: int, in_flight: int,
            cores_per_worker: int, extra_startup_s: float = 0.0) -> dict[str, Any]:
    latency_rate = in_flight / model["t_a_s"]
    cpu_rate = cores_per_worker / model["c_worker_cpu_s"]
    per_worker = min(latency_rate, cpu_rate)
    collect = accounts / (workers * per_worker)
    evaluate = accounts * model["e_coordinator_cpu_s"]
    wall = model["s0_s"] + extra_startup_s + collect + evaluate
    return {"workers": workers, "accounts": accounts, "wall_s": round(wall, 1),
            "collect_s": round(collect, 1), "coordinator_s": round(evaluate, 1),
            "bound": "latency" if latency_rate <= cpu_rate else "worker CPU"}


def predicted(model: dict[str, Any], run: dict[str, Any], in_flight: int) -> float:
    """The model's wall for a measured run, with this machine's latency bound only (its
    cores were shared with the stand-in and other jobs: measured / predicted shows by how
    much that slowed it)."""
    startup = model["s0_s"] + (model.get("dask_startup_s", 0.0)
                               if run["config"].startswith("dask") else 0.0)
    return round(startup + run["accounts_in_org"] * (model["t_a_s"] / in_flight
                                                     + model["e_coordinator_cpu_s"]), 1)
