"""Requests-per-minute limits as token buckets, per key and per deployment, in this process.

Each gateway replica enforces the limits on its own traffic; with N replicas behind a
load balancer set limits per replica (README, "Scaling the gateway").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, int], _Bucket] = {}

    def take(self, scope: str, ident: int, per_minute: int | None, *, now: float | None = None) -> float | None:
        """Spend one request; None when allowed, else the seconds to wait before retrying."""
        if per_minute is None:
            return None
        moment = time.monotonic() if now is None else now
        bucket = self._buckets.get((scope, ident))
        if bucket is None:
            bucket = self._buckets[(scope, ident)] = _Bucket(tokens=float(per_minute), updated=moment)
        rate = per_minute / 60.0
        bucket.tokens = min(float(per_minute), bucket.tokens + (moment - bucket.updated) * rate)
        bucket.updated = moment
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate

    def refund(self, scope: str, ident: int) -> None:
        """Give back a token taken for a request another limit refused."""
        bucket = self._buckets.get((scope, ident))
        if bucket is not None:
            bucket.tokens += 1.0


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
