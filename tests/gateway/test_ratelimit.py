"""The per-key and per-deployment token buckets, with the clock passed in."""

from __future__ import annotations

import pytest

from serving.gateway.ratelimit import RateLimiter, retry_after_header


def test_no_limit_never_waits_and_keeps_no_state() -> None:
    limiter = RateLimiter()

    assert all(limiter.take("key", 1, None, now=0.0) is None for _ in range(1000))
    assert limiter._buckets == {}


def test_a_full_bucket_allows_a_burst_then_refills_at_the_per_minute_rate() -> None:
    limiter = RateLimiter()

    assert limiter.take("key", 1, 2, now=100.0) is None
    assert limiter.take("key", 1, 2, now=100.0) is None
    assert limiter.take("key", 1, 2, now=100.0) == pytest.approx(30.0)  # one token every 30 s
    assert limiter.take("key", 1, 2, now=115.0) == pytest.approx(15.0)  # half a token back
    assert limiter.take("key", 1, 2, now=130.0) is None
    assert limiter.take("key", 1, 2, now=130.0) == pytest.approx(30.0)


def test_a_refused_request_spends_nothing() -> None:
    limiter = RateLimiter()
    limiter.take("key", 1, 60, now=0.0)
    for _ in range(59):
        limiter.take("key", 1, 60, now=0.0)

    waits = [limiter.take("key", 1, 60, now=0.5) for _ in range(5)]

    assert waits == [pytest.approx(0.5)] * 5
    assert limiter.take("key", 1, 60, now=1.0) is None


def test_an_idle_bucket_holds_at_most_one_minutes_worth() -> None:
    limiter = RateLimiter()
    for _ in range(3):
        limiter.take("deployment", 7, 3, now=0.0)

    allowed = [limiter.take("deployment", 7, 3, now=3600.0) for _ in range(4)]

    assert allowed[:3] == [None, None, None]
    assert allowed[3] == pytest.approx(20.0)


def test_buckets_are_separate_per_scope_and_id_and_a_refund_gives_one_back() -> None:
    limiter = RateLimiter()
    assert limiter.take("key", 1, 1, now=0.0) is None

    assert limiter.take("key", 1, 1, now=0.0) is not None
    assert limiter.take("key", 2, 1, now=0.0) is None
    assert limiter.take("deployment", 1, 1, now=0.0) is None
    limiter.refund("key", 1)
    assert limiter.take("key", 1, 1, now=0.0) is None
    limiter.refund("key", 99)  # no bucket: nothing to give back
    assert ("key", 99) not in limiter._buckets


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.01, "1"), (1.0, "1"), (1.2, "2"), (29.97, "30")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header
