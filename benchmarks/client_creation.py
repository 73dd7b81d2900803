"""Client creation behind an endpoint override: AwsSession now vs the former construction.

Formerly every region's S3 client was made twice at a stand-in (once to see the endpoint, once
path-style); now only the first region's is. Both ways, alternating, in one process: CPU time
for the S3 clients of the scan's regions 2-4 (the first loads the service model either way);
the median of the repeats and their ratio. No request is sent.

    python benchmarks/client_creation.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from botocore.config import Config

from auditor.providers.aws._answers import register as check_answers
from auditor.providers.aws._session import AwsSession, endpoint_is_overridden

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"]


class Former(AwsSession):
    """AwsSession with the former client construction (the rest of _make as it is)."""

    def _make(self, service: str, region: str) -> Any:
        client = self.session.client(service, region_name=region, config=self.config)
        overridden = endpoint_is_overridden(client.meta.endpoint_url)
        if overridden and service == "s3":
            client = self.session.client(service, region_name=region, config=self.config.merge(
                Config(s3={"addressing_style": "path"})))
        client.meta.events.register("before-sign", self._remember_signing)
        check_answers(client, service)
        if overridden:
            self.endpoint_overridden = True
        return client


def clients(session: AwsSession) -> float:
    """CPU seconds for the regions after the first (the first loads the service model)."""
    session.client("s3", REGIONS[0])
    started = time.process_time()
    for region in REGIONS[1:]:
        session.client("s3", region)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    os.environ.update(AWS_ENDPOINT_URL="http://127.0.0.1:1", AWS_ACCESS_KEY_ID="x",
                      AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    times: dict[str, list[float]] = {"former": [], "now": []}
    for _ in range(args.repeat):
        for name, kind in (("former", Former), ("now", AwsSession)):
            times[name].append(clients(kind()))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"S3 clients for regions 2-{len(REGIONS)}, CPU s (median of {args.repeat}): "
          f"former {med['former']:.4f}, now {med['now']:.4f}, "
          f"ratio now/former {med['now'] / med['former']:.2f}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
