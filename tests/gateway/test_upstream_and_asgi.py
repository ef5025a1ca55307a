"""The upstream client (aiohttp behind UpstreamResponse) and the gateway's lean ASGI handler.

The upstreams here are scripted loopback servers, so each failure vLLM could show is produced
on purpose: a stream cut at awkward places, a server that never answers, one that hangs up.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import orjson
import pytest
from django.db import DatabaseError, OperationalError
from django.test import Client

from serving.gateway import handler as gateway_handler
from serving.gateway import views
from serving.gateway.asgi import GatewayASGIHandler
from serving.gateway.handler import gateway, reset_gateway
from serving.gateway.upstream import BackendPool, UpstreamError, UpstreamTimeout, UpstreamUnreachable
from serving.models import InferenceRecord, InferenceStatus
from serving.selectors import Backend
from tests.gateway.support import Served, chat, closed_port_url, error_of, flush_records

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("serving.gateway.urls"),
]


@pytest.fixture(autouse=True)
def _gateway_process(settings: Any) -> None:
    """What MODELGATE_COMPONENT=gateway sets: no session, CSRF or auth middleware."""
    settings.MIDDLEWARE = []


ANSWER = orjson.dumps(
    {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "tiny-llama",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), 0
    )
    while len(body) < length:
        body += conn.recv(65536)
    return data


@contextmanager
def scripted_upstream(script: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback server that runs ``script`` on every connection; yields its base URL."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_run, args=(conn,), daemon=True).start()

    def _run(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            script(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        thread.join(timeout=2)


def answering(conn: socket.socket) -> None:
    while _read_request(conn):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(ANSWER) + ANSWER
        )


def backend(url: str) -> Backend:
    return Backend(base_url=url, served_model_name="tiny-llama")


# --- the upstream client -------------------------------------------------------------------


SSE = (
    b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\r\n\r\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"lo."}}]}\n\n'
    b"data: [DONE]\n\n"
)


@pytest.mark.parametrize("cuts", [[], [5], [len(SSE) // 2], [56, 57, 58], list(range(1, len(SSE)))])
def test_stream_lines_come_out_whole_however_the_bytes_are_cut(cuts: list[int]) -> None:
    def streaming(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for start, end in zip([0, *cuts], [*cuts, len(SSE)], strict=True):
            piece = SSE[start:end]
            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    async def lines(url: str) -> list[str]:
        pool = BackendPool()
        try:
            response = await pool.post(backend(url), "/v1/chat/completions", b"{}", {})
            assert response.status_code == 200
            received = [line async for line in response.lines()]
            await response.aclose()
            return received
        finally:
            await pool.aclose()

    with scripted_upstream(streaming) as url:
        received = asyncio.run(lines(url))

    assert received == [line.decode() for line in SSE.replace(b"\r\n", b"\n").split(b"\n")[:-1]]


def test_a_connection_read_to_its_end_is_reused() -> None:
    connections: list[int] = []

    def counting(conn: socket.socket) -> None:
        connections.append(1)
        answering(conn)

    async def three_calls(url: str) -> None:
        pool = BackendPool()
        try:
            for _ in range(3):
                response = await pool.post(backend(url), "/v1/chat/completions", b"{}", {})
                assert orjson.loads(await response.read())["id"] == "cmpl-1"
        finally:
            await pool.aclose()

    with scripted_upstream(counting) as url:
        asyncio.run(three_calls(url))

    assert len(connections) == 1


@pytest.mark.parametrize(
    ("script", "error", "reason"),
    [
        (None, UpstreamUnreachable, "cannot connect"),
        (lambda conn: (_read_request(conn), conn.close()), UpstreamError, "server disconnected"),
        (lambda conn: (_read_request(conn), conn.recv(1)), UpstreamTimeout, "read timeout"),
    ],
    ids=["refused", "hung-up", "silent"],
)
def test_upstream_failures_are_told_apart(
    script: Callable[[socket.socket], Any] | None, error: type[Exception], reason: str, settings: Any
) -> None:
    settings.MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS = 1

    async def call(url: str) -> None:
        pool = BackendPool()
        try:
            response = await pool.post(backend(url), "/v1/chat/completions", b"{}", {})
            await response.read()
        finally:
            await pool.aclose()

    if script is None:
        with pytest.raises(error) as raised:
            asyncio.run(call(closed_port_url()))
    else:
        with scripted_upstream(script) as url, pytest.raises(error) as raised:
            asyncio.run(call(url))
    assert type(raised.value) is error
    assert str(raised.value) == reason


def test_a_base_url_with_a_path_prefix_keeps_it() -> None:
    paths: list[bytes] = []

    def recording(conn: socket.socket) -> None:
        request = _read_request(conn)
        paths.append(request.split(b" ")[1])
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")

    async def call(url: str) -> None:
        pool = BackendPool()
        try:
            await (await pool.post(backend(url + "/vllm/"), "/v1/chat/completions", b"{}", {})).read()
        finally:
            await pool.aclose()

    with scripted_upstream(recording) as url:
        asyncio.run(call(url))
    assert paths == [b"/vllm/v1/chat/completions"]


# --- through the gateway ---------------------------------------------------------------------


def test_a_silent_model_server_gives_504_and_a_record(deploy: Callable[..., Served], settings: Any) -> None:
    settings.MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS = 1
    with scripted_upstream(lambda conn: (_read_request(conn), conn.recv(1))) as url:
        served = deploy(backend_url=url)
        response = chat(served.key())

    assert response.status_code == 504
    assert error_of(response)["code"] == "upstream_timeout"
    record = InferenceRecord.objects.get()
    assert (record.status, record.http_status, record.error_detail) == (
        InferenceStatus.UPSTREAM_TIMEOUT,
        504,
        f"{url}: read timeout",
    )


def test_a_model_server_that_hangs_up_gives_502_and_is_left_out(deploy: Callable[..., Served]) -> None:
    with scripted_upstream(lambda conn: (_read_request(conn), conn.close())) as url:
        served = deploy(backend_url=url)
        response = chat(served.key())

    assert response.status_code == 502
    assert error_of(response)["code"] == "upstream_error"
    record = InferenceRecord.objects.get()
    assert (record.status, record.error_detail) == (InferenceStatus.UPSTREAM_ERROR, f"{url}: server disconnected")
    assert gateway().pool.is_down(backend(url))


# --- the ASGI handler ------------------------------------------------------------------------


def _http_scope(path: str, key: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8001),
    }


BODY = orjson.dumps({"model": "tiny-llama", "messages": [{"role": "user", "content": "Say hello."}]})


def test_requests_through_the_asgi_handler_start_no_threads(
    deploy: Callable[..., Served], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MODELGATE_GATEWAY_ADMISSION_TTL_MS = 1000
    handler = GatewayASGIHandler()

    async def one(key: str) -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []
        messages = [{"type": "http.request", "body": BODY, "more_body": False}]
        forever = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await forever.wait()  # the client stays until the answer is sent
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await handler(_http_scope("/v1/chat/completions", key), receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    started: list[str] = []
    start = threading.Thread.start

    def counted_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    async def many(key: str) -> list[int]:
        await one(key)  # warm: the admission thread, the record writer and the connection pool start once
        monkeypatch.setattr(threading.Thread, "start", counted_start)
        try:
            return [(await one(key))[0] for _ in range(20)]
        finally:
            monkeypatch.setattr(threading.Thread, "start", start)
            await gateway().pool.aclose()

    with scripted_upstream(answering) as url:
        served = deploy(backend_url=url)
        # A plain event loop, as under uvicorn (inside async_to_sync asgiref would reuse the test's thread).
        statuses = asyncio.run(many(served.key()))
        threads = {thread.name for thread in threading.enumerate()}
        reset_gateway_after_asgi()

    assert statuses == [200] * 20
    assert started == []
    assert any(name.startswith("gateway-admission") for name in threads)
    flush_records()
    assert InferenceRecord.objects.filter(status=InferenceStatus.OK).count() == 21


def test_a_client_that_leaves_cancels_the_call_and_it_is_recorded(deploy: Callable[..., Served], settings: Any) -> None:
    settings.MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS = 30
    handler = GatewayASGIHandler()
    upstream_saw_close = threading.Event()

    def slow(conn: socket.socket) -> None:
        _read_request(conn)
        if conn.recv(1) == b"":  # the gateway dropped the upstream connection
            upstream_saw_close.set()

    with scripted_upstream(slow) as url:
        served = deploy(backend_url=url)
        sent = asyncio.run(asgi_call(handler, served.key(), BODY, leave_after=0.5))
        assert upstream_saw_close.wait(timeout=5)
        reset_gateway_after_asgi()

    assert sent == []
    flush_records()
    record = InferenceRecord.objects.get()
    assert (record.status, record.http_status, record.backend) == (InferenceStatus.CLIENT_CLOSED, 499, url)


async def asgi_call(handler: GatewayASGIHandler, key: str, body: bytes, *, leave_after: float) -> list[dict[str, Any]]:
    """One chat call straight through the ASGI handler; the client disconnects after ``leave_after`` seconds."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(leave_after)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        await asyncio.wait_for(handler(_http_scope("/v1/chat/completions", key), receive, send), timeout=10)
    finally:
        await gateway().pool.aclose()
    return sent


def reset_gateway_after_asgi() -> None:
    """Stop the admission thread of the gateway the test's event loop used; the next use builds a new one."""
    gateway().database.close()
    reset_gateway()


# --- failures the gateway must not record as success, and reads that recover ---------------------


def test_a_stream_that_ends_without_done_is_an_upstream_error(deploy: Callable[..., Served]) -> None:
    def cut_short(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n'
        conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")

    handler = GatewayASGIHandler()
    body = orjson.dumps({"model": "tiny-llama", "stream": True, "messages": [{"role": "user", "content": "Hi"}]})

    with scripted_upstream(cut_short) as url:
        served = deploy(backend_url=url)
        sent = asyncio.run(asgi_call(handler, served.key(), body, leave_after=30))
        events = b"".join(m.get("body", b"") for m in sent[1:])
        reset_gateway_after_asgi()

    assert b'"code":"upstream_error"' in events
    assert b"[DONE]" not in events
    record = InferenceRecord.objects.get()
    assert (record.status, record.error_detail) == (InferenceStatus.UPSTREAM_ERROR, "stream ended without [DONE]")


def test_an_admission_read_on_a_dropped_connection_is_tried_again(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = gateway_handler.key_grant
    failures = [OperationalError("server closed the connection unexpectedly")]

    def flaky(key_hash: str) -> Any:
        if failures:
            raise failures.pop()
        return real(key_hash)

    monkeypatch.setattr(gateway_handler, "key_grant", flaky)
    reset_gateway()

    response = chat(served.key())

    assert response.status_code == 502  # admitted; only the (closed) backend failed
    assert error_of(response)["code"] == "upstream_unavailable"
    assert failures == []


def test_the_health_check_follows_the_database(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    real = views._select_one

    def down() -> None:
        raise DatabaseError("the database is down")

    monkeypatch.setattr(views, "_select_one", down)
    assert Client().get("/healthz").status_code == 503
    monkeypatch.setattr(views, "_select_one", real)
    assert Client().get("/healthz").status_code == 200
