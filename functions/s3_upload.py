"""S3 upload with exponential backoff (seed §4.2): retry a flaky network call, politely.

`retry_delay=exponential_delay(scale=10)` becomes a Retry with `IntervalSeconds: 10` and
`BackoffRate: 2.0` (10 s, 20 s, 40 s); a delay without a retry count means three retries,
Step Functions' default `MaxAttempts`. The bucket is simulated: the upload returns the metadata
S3 would (key, size, ETag) without any AWS call.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from functions._fake import rng, simulate_latency
from orchestrator import Flow, Parameter, exponential_delay, task

REGIONS = ("华东", "华北", "华南", "西南")


@task
def build_report(day: str) -> dict[str, Any]:
    """The day's sales report per region, the document to upload."""
    r = rng("report", day)
    regions = [
        {"region": region, "orders": r.randint(500, 5_000), "gmv": round(r.uniform(1e5, 1e6), 2)}
        for region in REGIONS
    ]
    return {"day": day, "regions": regions, "gmv": round(sum(x["gmv"] for x in regions), 2)}


@task(retry_delay=exponential_delay(scale=10))
def upload_to_s3(report: dict[str, Any], bucket: str) -> dict[str, Any]:
    """Upload the report as JSON to `s3://bucket/reports/<day>.json`."""
    simulate_latency()
    # Serialised exactly once, with sorted keys, so the same report always has the same ETag
    # and a retried upload overwrites the object with identical bytes.
    body = json.dumps(report, sort_keys=True, ensure_ascii=False).encode()
    key = f"reports/{report['day']}.json"
    return {
        "bucket": bucket,
        "key": key,
        "uri": f"s3://{bucket}/{key}",
        "size": len(body),
        "etag": hashlib.md5(body, usedforsecurity=False).hexdigest(),
    }


with Flow("s3_upload") as s3_upload:
    day = Parameter("day", default="2024-11-11")
    bucket = Parameter("bucket", default="data-lake-reports")
    upload_to_s3(build_report(day), bucket)
