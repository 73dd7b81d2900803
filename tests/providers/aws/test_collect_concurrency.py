"""One AWS collection's concurrency (auditor/providers/aws/_collect.py): never more calls in
flight than the run's worker count, and one client per (service, region) shared by every
thread (issue 14: near the floor; the floor shares its clients the same way).

Real boto3 clients over HTTP against the answer stand on 127.0.0.1 (answer_stand.py), whose
scripts count the calls in flight.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from answer_stand import DOCUMENTED, REGION, Reply, running_stand
from aws_support import collect


def _counting(stand: Any, delay: float) -> list[int]:
    """Script every documented operation to count the calls in flight (the highest seen)."""
    lock, now, peak = threading.Lock(), [0], [0]

    def wrap(reply: Reply) -> Callable[[Any], Reply]:
        def script(_: Any) -> Reply:
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(delay)
            with lock:
                now[0] -= 1
            return reply

        return script

    for operation, reply in DOCUMENTED.items():
        stand.scripts[operation] = wrap(reply)
    return peak


def test_calls_in_flight_never_exceed_the_worker_count(tmp_path: Path) -> None:
    for workers in (1, 2):
        with running_stand(tmp_path / str(workers)) as stand:
            peak = _counting(stand, 0.03)
            collection = collect({"region": [REGION]}, workers=workers)
            sent = sum(stand.calls.values())
        assert peak == [workers], (workers, peak)  # the bound, and reached
        assert sum(collection.run.api_calls.values()) == sent > 20


def test_one_client_per_service_and_region_shared_by_every_thread(tmp_path: Path) -> None:
    """botocore announces each client it makes (creating-client-class): every (service,
    region) client is made once, however many threads use it (the first S3
    client is made twice by design: once to see the endpoint override, then path-style)."""
    from auditor.providers.aws._collect import _Collector
    from auditor.providers.base import CollectRequest

    made: Counter[str] = Counter()
    regions = [REGION, "us-east-1"]
    with running_stand(tmp_path):
        collector = _Collector(CollectRequest(options={"region": regions}, max_workers=8))
        before = set(collector.session._clients)  # STS, for the caller identity
        collector.session.session._session.register(
            "creating-client-class", lambda event_name, **_: made.update(
                [event_name.rsplit(".", 1)[-1].replace("-", "")]))
        collection = collector.run()
    clients = set(collector.session._clients) - before
    assert made == Counter(service for service, _ in clients) + Counter({"s3": 1})
    assert {region for _, region in clients} == set(regions)
    assert {("kms", REGION), ("s3", "us-east-1"), ("ec2", REGION)} <= clients
    assert sum(collection.run.api_calls.values()) > 3 * len(clients)
