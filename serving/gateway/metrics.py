"""The gateway's Prometheus metrics, on a registry of its own (served at /metrics).

Labels are bounded: ``deployment`` is a configured deployment's name or ``unknown``, never
a name a client made up. Run one gateway process per pod and scale with replicas; with
several worker processes each would report only its own counts.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)

REQUESTS = Counter(
    "modelgate_gateway_requests",
    "Calls to the inference endpoint by deployment, endpoint and outcome",
    ["deployment", "endpoint", "status"],
    registry=REGISTRY,
)
GUARDRAIL_BLOCKS = Counter(
    "modelgate_gateway_guardrail_blocks",
    "Calls refused by a guardrail, by deployment, stage and validator",
    ["deployment", "stage", "validator"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "modelgate_gateway_request_duration_seconds",
    "Total time from request to the last byte of the answer",
    ["deployment", "endpoint"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM = Histogram(
    "modelgate_gateway_upstream_duration_seconds",
    "Time spent waiting for vLLM",
    ["deployment"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
OVERHEAD = Histogram(
    "modelgate_gateway_overhead_seconds",
    "Time the gateway itself added: auth, admission, guardrails, recording (total minus upstream)",
    ["deployment"],
    buckets=_OVERHEAD_BUCKETS,
    registry=REGISTRY,
)
GUARDRAIL_DURATION = Histogram(
    "modelgate_gateway_guardrail_duration_seconds",
    "Time the guardrails took per call and stage",
    ["stage"],
    buckets=_OVERHEAD_BUCKETS,
    registry=REGISTRY,
)
FIRST_TOKEN = Histogram(
    "modelgate_gateway_time_to_first_token_seconds",
    "Streamed calls: time until the first checked text reached the client",
    ["deployment"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
BACKEND_UP = Gauge(
    "modelgate_gateway_backend_up",
    "1 while a backend takes traffic, 0 while it is left out after a failure",
    ["backend"],
    registry=REGISTRY,
)
RECORDS_PENDING = Gauge(
    "modelgate_gateway_records_pending", "Inference records waiting for the batch writer", registry=REGISTRY
)
RECORDS_WRITTEN = Counter(
    "modelgate_gateway_records_written", "Inference records committed to the database", registry=REGISTRY
)
RECORDS_SPOOLED = Counter(
    "modelgate_gateway_records_spooled",
    "Inference records written to the local spool because the database refused them",
    registry=REGISTRY,
)
