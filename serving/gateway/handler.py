"""One call through the gateway: authenticate, admit, guard the prompt, forward, guard the answer, record.

Fail closed: whatever cannot be proven allowed (unknown key, approval not in force, database
unreachable, a guardrail that crashed) is refused, and the refusal is recorded before it is sent.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.core.handlers.base import reset_urlconf
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
    reset_queries,
)
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.middleware import client_ip_of
from serving.gateway import metrics
from serving.gateway.errors import GatewayError
from serving.gateway.ratelimit import RateLimiter, retry_after_header
from serving.gateway.records import RecordWriter, record_writer
from serving.gateway.requests import ParsedRequest, parse_body
from serving.gateway.upstream import BackendPool, UpstreamError, UpstreamResponse, UpstreamTimeout, UpstreamUnreachable
from serving.guardrails.runner import (
    INPUT,
    OUTPUT,
    CompiledPolicy,
    GuardrailCrashed,
    StageResult,
    cached_policy,
    compiled_policy,
)
from serving.models import InferenceRecord, InferenceStatus
from serving.selectors import Backend, DeploymentGrant, KeyGrant, deployment_grant, key_grant, policy_version_validators
from serving.services import SERVING_KEY_PREFIX, serving_key_hash

logger = logging.getLogger("modelgate.gateway")

UPSTREAM_PATHS = {"chat.completions": "/v1/chat/completions", "completions": "/v1/completions"}
_KEY_SHAPE = re.compile(r"^" + SERVING_KEY_PREFIX + r"[A-Za-z0-9_-]{20,100}$")
# Prompts longer than this are checked in a worker thread so one huge prompt does not stall the loop.
_OFFLOAD_CHARS = 32_000
_MAX_CACHED = 20_000


def upstream_failure(backend_url: str, exc: UpstreamError) -> GatewayError:
    """The refusal for a model server that failed: 504 when it was too slow, else 502."""
    if isinstance(exc, UpstreamTimeout):
        return GatewayError(
            504,
            "upstream_timeout",
            "The model server did not answer in time.",
            status=InferenceStatus.UPSTREAM_TIMEOUT,
            detail=f"{backend_url}: {exc}",
        )
    return GatewayError(
        502,
        "upstream_error",
        "The model server failed to answer.",
        status=InferenceStatus.UPSTREAM_ERROR,
        detail=f"{backend_url}: {exc}",
    )


class _Unavailable(Exception):
    """The admission state could not be read (the database is down): refuse, never guess."""


class DatabaseThread:
    """The one thread in which the gateway reads admission state and policies.

    A thread of its own keeps one database connection open across requests. (asgiref's
    thread-sensitive mode would run each request's reads in a new thread, opening a
    connection per request and starting and joining a thread each time.)
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-admission")

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a read in the thread; a read that failed on a stale connection is tried once more on a new one."""
        loop = asyncio.get_running_loop()
        call = functools.partial(function, *args)
        try:
            return await loop.run_in_executor(self._executor, call)
        except (OperationalError, InterfaceError):
            # An idle connection the server or a proxy dropped: reconnect and read again (reads only).
            await loop.run_in_executor(self._executor, _close_connection)
        except DatabaseError:
            await loop.run_in_executor(self._executor, _drop_unusable_connection)
            raise
        try:
            return await loop.run_in_executor(self._executor, call)
        except DatabaseError:
            await loop.run_in_executor(self._executor, _drop_unusable_connection)
            raise

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)

    def close(self) -> None:
        """Close the thread's connection and stop it (outside an event loop: tests, shutdown hooks)."""
        self._executor.submit(connections.close_all).result()
        self._executor.shutdown(wait=True)


def _drop_unusable_connection() -> None:
    connection.close_if_unusable_or_obsolete()


def _close_connection() -> None:
    connection.close()


class TTLCache:
    """Admission state per key hash or deployment name, reused for at most ``ttl`` seconds."""

    def __init__(self, loader: Callable[[str], Any], ttl: float, database: DatabaseThread) -> None:
        self._database = database
        self._loader = loader
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._locks = loop, {}
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > time.monotonic():
                return entry[1]
            try:
                value = await self._database.run(self._loader, key)
            except DatabaseError as exc:
                raise _Unavailable(str(exc)) from exc
            if len(self._entries) >= _MAX_CACHED:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, value)
            return value

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class Call:
    """What the record of one call collects on the way."""

    endpoint: str
    client_ip: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.perf_counter)
    key: KeyGrant | None = None
    deployment: DeploymentGrant | None = None
    requested_model: str = ""
    end_user: str = ""
    streamed: bool = False
    policy_version_id: int | None = None
    backend: str = ""
    prompt_sha256: str = ""
    completion_sha256: str = ""
    prompt_text: str | None = None
    completion_text: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    outcomes: list[dict[str, str]] = field(default_factory=list)
    output_checked: bool = False
    auth_ms: float = 0.0
    input_guard_ms: float = 0.0
    upstream_ms: float = 0.0
    output_guard_ms: float = 0.0
    first_token_ms: float | None = None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def record(self, status: str, http_status: int, error_code: str = "", detail: str = "") -> InferenceRecord:
        deployment = self.deployment
        keep = deployment is not None and deployment.store_content
        total = self.elapsed_ms()
        record = InferenceRecord(
            request_id=self.request_id,
            created_at=self.created_at,
            endpoint=self.endpoint,
            key_id=self.key.key_id if self.key else None,
            user_id=self.key.user_id if self.key else None,
            requested_model=self.requested_model[:200],
            deployment_id=deployment.deployment_id if deployment else None,
            model_version_id=deployment.version_id if deployment else None,
            revision=deployment.revision if deployment else "",
            approval_id=deployment.approval_id if deployment else None,
            guardrail_policy_version_id=self.policy_version_id,
            backend=self.backend,
            client_ip=self.client_ip,
            end_user=self.end_user,
            streamed=self.streamed,
            prompt_sha256=self.prompt_sha256,
            completion_sha256=self.completion_sha256,
            prompt_text=self.prompt_text if keep else None,
            completion_text=self.completion_text if keep else None,
            content_expires_at=(
                self.created_at + timedelta(days=deployment.content_retention_days)
                if keep and deployment is not None and (self.prompt_text or self.completion_text)
                else None
            ),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            guardrail_outcomes=self.outcomes,
            output_checked=self.output_checked,
            status=status,
            http_status=http_status,
            error_code=error_code,
            error_detail=detail[:2000],
            auth_ms=round(self.auth_ms, 3),
            input_guard_ms=round(self.input_guard_ms, 3),
            upstream_ms=round(self.upstream_ms, 3),
            output_guard_ms=round(self.output_guard_ms, 3),
            first_token_ms=round(self.first_token_ms, 3) if self.first_token_ms is not None else None,
            total_ms=round(total, 3),
        )
        label = deployment.name if deployment else "unknown"
        metrics.REQUESTS.labels(deployment=label, endpoint=self.endpoint, status=status).inc()
        metrics.DURATION.labels(deployment=label, endpoint=self.endpoint).observe(total / 1000)
        if status == InferenceStatus.OK:
            metrics.UPSTREAM.labels(deployment=label).observe(self.upstream_ms / 1000)
            metrics.OVERHEAD.labels(deployment=label).observe(max(0.0, total - self.upstream_ms) / 1000)
        return record


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _client_ip(request: HttpRequest) -> str | None:
    """The caller's address, behind MODELGATE_TRUSTED_PROXY_COUNT proxies if so configured."""
    return client_ip_of(request) or None


def guardrail_violation(stage: str, blocked_by: list[str]) -> GatewayError:
    where = "prompt" if stage == INPUT else "answer"
    names = ", ".join(sorted(set(blocked_by)))
    return GatewayError(
        400,
        "guardrail_violation",
        f"The {where} was blocked by the guardrails: {names}.",
        status=InferenceStatus.BLOCKED_INPUT if stage == INPUT else InferenceStatus.BLOCKED_OUTPUT,
        detail=f"{stage} blocked by {names}",
    )


class Gateway:
    """The per-process gateway: caches, rate limiter, backend pool and record writer."""

    def __init__(self, writer: RecordWriter | None = None) -> None:
        ttl = settings.MODELGATE_GATEWAY_ADMISSION_TTL_MS / 1000
        self.database = DatabaseThread()
        self.keys = TTLCache(key_grant, ttl, self.database)
        self.deployments = TTLCache(deployment_grant, ttl, self.database)
        self.limiter = RateLimiter()
        self.pool = BackendPool()
        self.writer = writer or record_writer()

    async def aclose(self) -> None:
        await self.writer.stop()
        await self.pool.aclose()
        await self.database.aclose()

    # --- entry points -------------------------------------------------------------------

    async def inference(self, request: HttpRequest, endpoint: str) -> HttpResponse | StreamingHttpResponse:
        call = Call(endpoint=endpoint, client_ip=_client_ip(request))
        try:
            return await self._inference(request, call)
        except GatewayError as error:
            await self._refuse_record(call, error)
            return error.response(call.request_id)
        except asyncio.CancelledError:
            # The client left before the answer (the ASGI handler cancels the view); the call
            # may have reached the model, so it is recorded. Queued, not awaited: we are cancelled.
            self.writer.submit(
                call.record(InferenceStatus.CLIENT_CLOSED, 499, "client_closed", "client went away before the answer")
            )
            raise
        except Exception as exc:
            logger.exception("gateway failure in %s", call.request_id)
            failure = GatewayError(
                500,
                "internal_error",
                "The gateway failed; the call was not made.",
                status="unavailable",
                detail=f"{type(exc).__name__}: {exc}"[:500],
            )
            await self._refuse_record(call, failure)
            return failure.response(call.request_id)

    async def models(self, request: HttpRequest) -> HttpResponse:
        call = Call(endpoint="models", client_ip=_client_ip(request))
        try:
            key = await self._authenticate(request, call)
            data = []
            for name in sorted(key.deployment_names):
                grant: DeploymentGrant | None = await self._deployment(name)
                if grant is not None and grant.refusal(timezone.now()) is None:
                    data.append({"id": name, "object": "model", "created": int(time.time()), "owned_by": "modelgate"})
        except GatewayError as error:
            return error.response(call.request_id)
        response = HttpResponse(orjson.dumps({"object": "list", "data": data}), content_type="application/json")
        response["x-request-id"] = call.request_id
        return response

    # --- the steps ------------------------------------------------------------------------

    async def _refuse_record(self, call: Call, error: GatewayError) -> None:
        record = call.record(error.status, error.http_status, error.code, error.detail)
        try:
            await self.writer.write_now(record)
        except Exception:
            logger.exception("could not record refused call %s", call.request_id)

    async def _authenticate(self, request: HttpRequest, call: Call) -> KeyGrant:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            raise GatewayError(
                401,
                "invalid_api_key",
                "Send your Modelgate key as 'Authorization: Bearer mg_...'.",
                status=InferenceStatus.UNAUTHENTICATED,
                detail="no bearer key",
            )
        if not _KEY_SHAPE.match(presented):
            raise GatewayError(
                401,
                "invalid_api_key",
                "Incorrect API key provided.",
                status=InferenceStatus.UNAUTHENTICATED,
                detail="malformed key",
            )
        try:
            grant: KeyGrant | None = await self.keys.get(serving_key_hash(presented))
        except _Unavailable as exc:
            raise self._unavailable(exc) from exc
        if grant is None:
            raise GatewayError(
                401,
                "invalid_api_key",
                "Incorrect API key provided.",
                status=InferenceStatus.UNAUTHENTICATED,
                detail="unknown key",
            )
        call.key = grant
        refusal = grant.refusal(timezone.now())
        if refusal:
            raise GatewayError(
                401,
                "invalid_api_key",
                f"This API key cannot be used: {refusal}.",
                status=InferenceStatus.UNAUTHENTICATED,
                detail=refusal,
            )
        return grant

    def _unavailable(self, exc: Exception) -> GatewayError:
        return GatewayError(
            503,
            "admission_unavailable",
            "Modelgate cannot confirm this call is allowed right now (its database is unreachable); try again.",
            status=InferenceStatus.UNAVAILABLE,
            detail=f"admission state unreadable: {type(exc.__cause__ or exc).__name__}",
            headers={"Retry-After": "5"},
        )

    async def _deployment(self, name: str) -> DeploymentGrant | None:
        try:
            grant: DeploymentGrant | None = await self.deployments.get(name)
        except _Unavailable as exc:
            raise self._unavailable(exc) from exc
        return grant

    async def _admit(self, call: Call, key: KeyGrant, model: str) -> DeploymentGrant:
        not_approved = GatewayError(
            403,
            "model_not_approved",
            f"The model '{model}' does not exist, is not approved, or this key may not use it.",
            status=InferenceStatus.NOT_APPROVED,
            param="model",
        )
        if model not in key.deployment_names:
            not_approved.detail = "not in the key's scope (or unknown)"
            raise not_approved
        grant = await self._deployment(model)
        if grant is None:
            not_approved.detail = "no such deployment"
            raise not_approved
        call.deployment = grant
        refusal = grant.refusal(timezone.now())
        if refusal:
            raise GatewayError(
                403,
                "model_not_approved",
                f"The model '{model}' is not available: {refusal}.",
                status=InferenceStatus.NOT_APPROVED,
                param="model",
                detail=refusal,
            )
        if grant.license_block:
            raise GatewayError(
                429,
                "license_limit_reached",
                f"The model '{model}' is over a license usage limit: {grant.license_block}.",
                status=InferenceStatus.RATE_LIMITED,
                detail=grant.license_block,
            )
        wait = self.limiter.take("key", key.key_id, key.rate_limit_per_minute)
        if wait is None:
            wait = self.limiter.take("deployment", grant.deployment_id, grant.rate_limit_per_minute)
            if wait is not None:
                self.limiter.refund("key", key.key_id)
        if wait is not None:
            raise GatewayError(
                429,
                "rate_limit_exceeded",
                f"Rate limit reached; retry in {retry_after_header(wait)} s.",
                status=InferenceStatus.RATE_LIMITED,
                headers={"Retry-After": retry_after_header(wait)},
            )
        return grant

    async def _load_policy(self, call: Call, grant: DeploymentGrant) -> CompiledPolicy:
        version_id = grant.policy_version_id
        assert version_id is not None
        call.policy_version_id = version_id
        policy = cached_policy(version_id)
        if policy is None:
            try:
                validators = await self.database.run(policy_version_validators, version_id)
            except DatabaseError as exc:
                raise self._unavailable(exc) from exc
            policy = compiled_policy(version_id, validators)
        return policy

    async def _run_stage(self, call: Call, policy: CompiledPolicy, stage: str, text: str) -> StageResult:
        start = time.perf_counter()
        try:
            if len(text) > _OFFLOAD_CHARS:
                result = await asyncio.to_thread(policy.run, stage, text)
            else:
                result = policy.run(stage, text)
        except GuardrailCrashed as crash:
            call.outcomes.append({"validator": crash.validator, "on": stage, "outcome": "error", "on_fail": ""})
            raise GatewayError(
                500,
                "guardrail_error",
                f"A guardrail failed ({crash.validator}); the call was refused rather than let through unchecked.",
                status=InferenceStatus.GUARDRAIL_ERROR,
                detail=str(crash),
            ) from crash
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            if stage == INPUT:
                call.input_guard_ms += elapsed
            else:
                call.output_guard_ms += elapsed
        call.outcomes.extend(result.outcomes)
        if result.blocked:
            label = call.deployment.name if call.deployment else "unknown"
            for name in result.blocked_by:
                metrics.GUARDRAIL_BLOCKS.labels(deployment=label, stage=stage, validator=name).inc()
            raise guardrail_violation(stage, result.blocked_by)
        return result

    async def _read_body(self, request: HttpRequest) -> bytes:
        limit = settings.MODELGATE_GATEWAY_MAX_BODY_BYTES
        declared = request.headers.get("Content-Length")
        too_large = GatewayError(
            413,
            "request_too_large",
            f"The request body is larger than {limit} bytes.",
            status=InferenceStatus.BAD_REQUEST,
        )
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        # Read past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check: the gateway's own limit applies,
        # and no more than one byte beyond it is ever read.
        body = request.read(limit + 1)
        if len(body) > limit:
            raise too_large
        return body

    async def _inference(self, request: HttpRequest, call: Call) -> HttpResponse | StreamingHttpResponse:
        key = await self._authenticate(request, call)
        parsed = parse_body(await self._read_body(request), call.endpoint)
        call.requested_model = parsed.model
        call.end_user = parsed.end_user
        call.streamed = parsed.stream
        call.prompt_sha256 = _sha256(parsed.prompt_fingerprint())
        grant = await self._admit(call, key, parsed.model)
        call.auth_ms = call.elapsed_ms()
        self._apply_token_limit(parsed, grant)
        policy = await self._load_policy(call, grant)
        if policy.has(INPUT):
            await self._guard_prompt(call, policy, parsed)
        if grant.store_content:
            call.prompt_text = orjson.dumps(parsed.body.get("messages", parsed.body.get("prompt"))).decode()
        if parsed.stream:
            return await self._stream(call, grant, policy, parsed)
        return await self._complete(call, grant, policy, parsed)

    def _apply_token_limit(self, parsed: ParsedRequest, grant: DeploymentGrant) -> None:
        limit = grant.max_tokens_limit
        if limit is None:
            return
        field_name = "max_completion_tokens" if "max_completion_tokens" in parsed.body else "max_tokens"
        asked = parsed.body.get(field_name)
        if asked is None:
            parsed.body["max_tokens"] = limit
        elif asked > limit:
            raise GatewayError(
                400,
                "invalid_request",
                f"'{field_name}' may be at most {limit} for this model.",
                status=InferenceStatus.BAD_REQUEST,
                param=field_name,
            )

    async def _guard_prompt(self, call: Call, policy: CompiledPolicy, parsed: ParsedRequest) -> None:
        remaining = 0
        for slot in parsed.slots:
            if not slot.text:
                continue
            result = await self._run_stage(call, policy, INPUT, slot.text)
            if result.changed:
                slot.put(result.text)
            remaining += len(result.text)
        if parsed.slots and remaining == 0:
            raise guardrail_violation(INPUT, ["(the whole prompt was filtered out)"])

    # --- upstream ---------------------------------------------------------------------------------

    def _upstream_request(
        self, grant: DeploymentGrant, backend: Backend, parsed: ParsedRequest, call: Call
    ) -> tuple[bytes, dict[str, str]]:
        body = dict(parsed.body)
        body["model"] = backend.served_model_name
        if parsed.stream:
            # Always ask for usage: the record needs the token counts even if the client did not.
            body["stream_options"] = {"include_usage": True}
        headers = {"Content-Type": "application/json", "X-Request-Id": call.request_id}
        upstream_key = os.environ.get(grant.upstream_api_key_env, "")
        if upstream_key:
            headers["Authorization"] = f"Bearer {upstream_key}"
        return orjson.dumps(body), headers

    async def _send(self, call: Call, grant: DeploymentGrant, parsed: ParsedRequest) -> UpstreamResponse:
        path = UPSTREAM_PATHS[call.endpoint]
        last_error = ""
        for backend in self.pool.order(grant.backends):
            payload, headers = self._upstream_request(grant, backend, parsed, call)
            call.backend = backend.base_url
            try:
                response = await self.pool.post(backend, path, payload, headers)
            except UpstreamUnreachable as exc:
                self.pool.mark_down(backend)
                last_error = f"{backend.base_url}: {exc}"
                continue
            except UpstreamTimeout as exc:
                raise upstream_failure(backend.base_url, exc) from exc
            except UpstreamError as exc:
                self.pool.mark_down(backend)
                raise upstream_failure(backend.base_url, exc) from exc
            if response.status_code >= 500:
                self.pool.mark_down(backend)
            else:
                self.pool.mark_up(backend)
            if response.status_code != 200:
                await self._upstream_refused(response, backend)
            return response
        raise GatewayError(
            502,
            "upstream_unavailable",
            "No model server for this model could be reached.",
            status=InferenceStatus.UPSTREAM_ERROR,
            detail=last_error or "no backend",
        )

    async def _upstream_refused(self, response: UpstreamResponse, backend: Backend) -> None:
        try:
            raw = await response.read()
        except UpstreamError:
            raw = b""
        message = ""
        try:
            error = orjson.loads(raw).get("error")
            message = error.get("message", "") if isinstance(error, dict) else ""
        except (orjson.JSONDecodeError, AttributeError):
            pass
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 404):
            raise GatewayError(
                response.status_code,
                "upstream_rejected",
                message or "The model server rejected the request.",
                status=InferenceStatus.BAD_REQUEST,
                detail=f"{backend.base_url} answered {response.status_code}",
            )
        raise GatewayError(
            502,
            "upstream_error",
            "The model server failed to answer.",
            status=InferenceStatus.UPSTREAM_ERROR,
            detail=f"{backend.base_url} answered {response.status_code}: {message[:300]}",
        )

    async def _complete(
        self, call: Call, grant: DeploymentGrant, policy: CompiledPolicy, parsed: ParsedRequest
    ) -> HttpResponse:
        start = time.perf_counter()
        response = await self._send(call, grant, parsed)
        try:
            answer = orjson.loads(await response.read())
        except UpstreamError as exc:  # a timeout included
            raise upstream_failure(call.backend, exc) from exc
        except orjson.JSONDecodeError as exc:
            raise GatewayError(
                502,
                "upstream_error",
                "The model server sent an unreadable answer.",
                status=InferenceStatus.UPSTREAM_ERROR,
                detail="invalid JSON from upstream",
            ) from exc
        finally:
            call.upstream_ms = (time.perf_counter() - start) * 1000
        usage = answer.get("usage") or {}
        call.prompt_tokens = usage.get("prompt_tokens")
        call.completion_tokens = usage.get("completion_tokens")
        texts = await self._guard_answer(call, policy, answer)
        call.output_checked = True
        call.completion_sha256 = _sha256(orjson.dumps(texts))
        call.completion_text = "\n".join(texts) if grant.store_content else None
        answer["model"] = grant.name
        self.writer.submit(call.record(InferenceStatus.OK, 200))
        result = HttpResponse(orjson.dumps(answer), content_type="application/json")
        result["x-request-id"] = call.request_id
        return result

    async def _guard_answer(self, call: Call, policy: CompiledPolicy, answer: dict[str, Any]) -> list[str]:
        """Check every choice's text (and tool-call arguments); put fixed text back. Returns the texts."""
        texts: list[str] = []
        for choice in answer.get("choices") or []:
            for container, key in _answer_slots(choice, call.endpoint):
                text = container.get(key)
                if not isinstance(text, str):
                    continue
                if policy.has(OUTPUT) and text:
                    result = await self._run_stage(call, policy, OUTPUT, text)
                    if result.changed:
                        container[key] = result.text
                        text = result.text
                texts.append(text)
        return texts

    # --- streaming ---------------------------------------------------------------------------------

    async def _stream(
        self, call: Call, grant: DeploymentGrant, policy: CompiledPolicy, parsed: ParsedRequest
    ) -> StreamingHttpResponse:
        upstream_start = time.perf_counter()
        response = await self._send(call, grant, parsed)
        events = self._stream_events(
            call=call, grant=grant, policy=policy, parsed=parsed, response=response, upstream_start=upstream_start
        )
        result = StreamingHttpResponse(events, content_type="text/event-stream")
        result["Cache-Control"] = "no-cache"
        result["x-request-id"] = call.request_id
        return result

    async def _stream_events(  # noqa: PLR0912, PLR0915  (one state machine, kept in one place)
        self,
        *,
        call: Call,
        grant: DeploymentGrant,
        policy: CompiledPolicy,
        parsed: ParsedRequest,
        response: UpstreamResponse,
        upstream_start: float,
    ) -> AsyncIterator[bytes]:
        window = StreamWindow(settings.MODELGATE_GATEWAY_STREAM_WINDOW_CHARS) if policy.has(OUTPUT) else None
        sent: list[str] = []
        template: dict[str, Any] | None = None
        finish: dict[str, Any] | None = None
        status: str = InferenceStatus.OK
        http_status, code, detail = 200, "", ""

        def chunk_with(text: str) -> bytes:
            assert template is not None
            piece = {**template, "choices": [_choice_delta(call.endpoint, text)]}
            return b"data: " + orjson.dumps(piece) + b"\n\n"

        async def release(texts: list[str]) -> AsyncIterator[bytes]:
            for text in texts:
                if not text:
                    continue
                result = await self._run_stage(call, policy, OUTPUT, text)
                if result.text:
                    if call.first_token_ms is None:
                        call.first_token_ms = call.elapsed_ms()
                    sent.append(result.text)
                    yield chunk_with(result.text)

        try:
            done = False
            async for line in response.lines():
                # Read on past [DONE] to the end of the body, so the connection goes back to the pool.
                if done or not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    done = True
                    continue
                chunk = orjson.loads(data)
                if chunk.get("error"):
                    raise GatewayError(
                        502,
                        "upstream_error",
                        "The model server failed mid-stream.",
                        status=InferenceStatus.UPSTREAM_ERROR,
                        detail=str(chunk["error"])[:300],
                    )
                chunk["model"] = grant.name
                usage = chunk.get("usage")
                if usage:
                    call.prompt_tokens = usage.get("prompt_tokens")
                    call.completion_tokens = usage.get("completion_tokens")
                choices = chunk.get("choices") or []
                if not choices:
                    continue
                choice = choices[0]
                text = _delta_text(choice, call.endpoint) or ""
                if template is None:
                    template = {k: v for k, v in chunk.items() if k not in ("choices", "usage")}
                if choice.get("finish_reason") is not None:
                    finish = chunk
                if window is None:
                    if text:
                        if call.first_token_ms is None:
                            call.first_token_ms = call.elapsed_ms()
                        sent.append(text)
                    if finish is not chunk and (text or _is_role_chunk(choice)):
                        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
                    elif finish is chunk and text:
                        yield chunk_with(text)
                    continue
                if _is_role_chunk(choice) and not text:
                    yield b"data: " + orjson.dumps(chunk) + b"\n\n"
                    continue
                async for event in release(window.feed(text)):
                    yield event
            if not done:
                raise GatewayError(
                    502,
                    "upstream_error",
                    "The model server ended the stream early.",
                    status=InferenceStatus.UPSTREAM_ERROR,
                    detail="stream ended without [DONE]",
                )
            if window is not None:
                async for event in release(window.finish()):
                    yield event
            call.output_checked = True
            if finish is not None:
                closing = dict(finish)
                closing["choices"] = [{**finish["choices"][0], _delta_key(call.endpoint): _empty_delta(call.endpoint)}]
                closing.pop("usage", None)
                yield b"data: " + orjson.dumps(closing) + b"\n\n"
            if parsed.include_usage and call.prompt_tokens is not None and template is not None:
                usage_chunk = {
                    **template,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": call.prompt_tokens,
                        "completion_tokens": call.completion_tokens,
                        "total_tokens": (call.prompt_tokens or 0) + (call.completion_tokens or 0),
                    },
                }
                yield b"data: " + orjson.dumps(usage_chunk) + b"\n\n"
            yield b"data: [DONE]\n\n"
        except GatewayError as error:
            status, http_status, code, detail = error.status, error.http_status, error.code, error.detail
            await self._finish_stream(
                call, grant, sent, upstream_start, ending=(status, http_status, code, detail), now=True
            )
            status = ""  # recorded
            yield b"data: " + orjson.dumps(error.body()) + b"\n\n"
        except (UpstreamError, orjson.JSONDecodeError) as exc:
            status, http_status, code = InferenceStatus.UPSTREAM_ERROR, 502, "upstream_error"
            detail = f"stream broke: {type(exc).__name__}"
            await self._finish_stream(
                call, grant, sent, upstream_start, ending=(status, http_status, code, detail), now=True
            )
            status = ""
            yield (
                b"data: "
                + orjson.dumps(GatewayError(502, code, "The model server failed mid-stream.", status=status).body())
                + b"\n\n"
            )
        except (asyncio.CancelledError, GeneratorExit):
            status, http_status, code, detail = InferenceStatus.CLIENT_CLOSED, 499, "client_closed", "client went away"
            raise
        except Exception as exc:  # a failure of ours must not be recorded as a successful call
            logger.exception("gateway failure in stream %s", call.request_id)
            failure = GatewayError(
                500,
                "internal_error",
                "The gateway failed mid-stream.",
                status="unavailable",
                detail=f"{type(exc).__name__}: {exc}"[:500],
            )
            status, http_status, code, detail = failure.status, 500, failure.code, failure.detail
            await self._finish_stream(
                call, grant, sent, upstream_start, ending=(status, http_status, code, detail), now=True
            )
            status = ""
            yield b"data: " + orjson.dumps(failure.body()) + b"\n\n"
        finally:
            await response.aclose()
            if status:
                await self._finish_stream(
                    call, grant, sent, upstream_start, ending=(status, http_status, code, detail), now=False
                )

    async def _finish_stream(
        self,
        call: Call,
        grant: DeploymentGrant,
        sent: list[str],
        upstream_start: float,
        *,
        ending: tuple[str, int, str, str],
        now: bool,
    ) -> None:
        status, http_status, code, detail = ending
        call.upstream_ms = max(0.0, (time.perf_counter() - upstream_start) * 1000 - call.output_guard_ms)
        text = "".join(sent)
        call.completion_sha256 = _sha256(orjson.dumps([text]))
        call.completion_text = text if grant.store_content else None
        record = call.record(status, http_status, code, detail)
        if call.first_token_ms is not None:
            metrics.FIRST_TOKEN.labels(deployment=grant.name).observe(call.first_token_ms / 1000)
        if now or status != InferenceStatus.OK:
            await self.writer.write_now(record)
        else:
            self.writer.submit(record)


class StreamWindow:
    """Holds streamed text back until a whole sentence (or ``limit`` characters) can be checked.

    Cuts fall on sentence ends or line breaks, else on the last space before ``limit``, else on
    the first whitespace after it, so a secret, a token or an e-mail address is never split
    across two checks. A PEM private key block is held whole until its END line. Only text
    with no whitespace at all for ``hard_limit`` characters is cut there.
    """

    # Western sentence ends and the CJK full stop, exclamation and question marks (as escapes).
    _BOUNDARY = re.compile("[.!?\u3002\uff01\uff1f](?=\\s)|\n")
    _WHITESPACE = re.compile(r"\s")
    _PEM_BEGIN = "-----BEGIN"
    _PEM_END = re.compile(r"-----END [A-Z0-9 ]*-----")

    def __init__(self, limit: int, hard_limit: int | None = None) -> None:
        self.limit = limit
        self.hard_limit = hard_limit or max(limit * 16, 16_384)
        self.pending = ""

    def feed(self, text: str) -> list[str]:
        self.pending += text
        ready: list[str] = []
        while True:
            cut = self._cut()
            if cut is None:
                return ready
            ready.append(self.pending[:cut])
            self.pending = self.pending[cut:]

    def finish(self) -> list[str]:
        rest, self.pending = self.pending, ""
        return [rest] if rest else []

    def _cut(self) -> int | None:
        pending = self.pending
        begin = pending.find(self._PEM_BEGIN)
        if begin >= 0:
            return self._cut_key_block(begin)
        last = None
        for match in self._BOUNDARY.finditer(pending, 0, self.limit):
            last = match.end()
        if last is not None:
            # Keep the space after a sentence with the sentence.
            while last < len(pending) and pending[last] == " ":
                last += 1
            return last
        if len(pending) < self.limit:
            return None
        space = pending.rfind(" ", 0, self.limit)
        if space > 0:
            return space + 1
        after = self._WHITESPACE.search(pending, self.limit)
        if after is not None:
            return after.end()
        return self.hard_limit if len(pending) >= self.hard_limit else None

    def _cut_key_block(self, begin: int) -> int | None:
        if begin > 0:
            return begin  # what precedes a key block goes first; the block is checked on its own
        end = self._PEM_END.search(self.pending, len(self._PEM_BEGIN))
        if end is not None:
            return end.end()
        return self.hard_limit if len(self.pending) >= self.hard_limit else None


def _answer_slots(choice: dict[str, Any], endpoint: str) -> list[tuple[dict[str, Any], str]]:
    if endpoint == "completions":
        return [(choice, "text")]
    message = choice.get("message") or {}
    slots: list[tuple[dict[str, Any], str]] = [(message, "content")]
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            slots.append((function, "arguments"))
    return slots


def _delta_text(choice: dict[str, Any], endpoint: str) -> str | None:
    text = choice.get("text") if endpoint == "completions" else (choice.get("delta") or {}).get("content")
    return text if isinstance(text, str) else None


def _is_role_chunk(choice: dict[str, Any]) -> bool:
    return bool((choice.get("delta") or {}).get("role"))


def _delta_key(endpoint: str) -> str:
    return "text" if endpoint == "completions" else "delta"


def _empty_delta(endpoint: str) -> Any:
    return "" if endpoint == "completions" else {}


def _choice_delta(endpoint: str, text: str) -> dict[str, Any]:
    if endpoint == "completions":
        return {"index": 0, "text": text, "finish_reason": None}
    return {"index": 0, "delta": {"content": text}, "finish_reason": None}


def quiet_request_signals() -> None:
    """Drop Django's per-request signal receivers in the gateway process (not in the web app).

    Django's ASGI handler runs each synchronous receiver of request_started/request_finished
    through a thread hop: five hops, about 1 ms per call, for work the gateway does not need.
    Its database use is confined to two threads (the admission loader and the record writer),
    which keep their connections and drop a broken one themselves
    (``close_if_unusable_or_obsolete``); it has no DEBUG query log, no caches to close and no
    per-request URLconf to reset.
    """
    signals.request_started.disconnect(reset_queries)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_caches)
    signals.request_finished.disconnect(reset_urlconf)


def restore_request_signals() -> None:
    """Undo ``quiet_request_signals`` (the gateway stopped; this process may serve Django again)."""
    signals.request_started.connect(reset_queries)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    signals.request_finished.connect(close_caches)
    signals.request_finished.connect(reset_urlconf)


_gateway: Gateway | None = None


def gateway() -> Gateway:
    """This process's gateway (created on first use, closed by the ASGI lifespan)."""
    global _gateway  # noqa: PLW0603
    if _gateway is None:
        _gateway = Gateway()
    return _gateway


def reset_gateway() -> None:
    """Forget the process's gateway (tests; a new one is built on next use)."""
    global _gateway  # noqa: PLW0603
    _gateway = None
