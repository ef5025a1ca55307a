"""Gateway benchmark: direct-to-vLLM against through-the-gateway, in one run.

    ./run bench            (or: .venv/bin/python deploy/bench/gateway_bench.py [--quick])

Starts the tiny CPU vLLM (deploy/local-vllm) and the gateway under uvicorn against a fresh
embedded database in .data/bench, deploys the tiny model twice (guardrails off: an empty
policy; guardrails on: the offline default policy of modelgate/demo/serving.py), and measures
throughput and p50/p99 latency at concurrency 1 and 32, non-streaming and streaming (time to
first token), for: vLLM directly, the gateway with guardrails off, the gateway with guardrails
on. Audit records are written in every gateway run. Prints a table and writes JSON.

At concurrency 1 the three targets take turns request by request, so drift in vLLM's speed
(which on a shared 2-core machine is larger than the gateway's overhead) hits them alike; at
concurrency 32 each target runs on its own, in five rounds of 320 requests taken in turn. The load
generator runs in this process on the same machine, so its CPU cost is in every number.
Every request asks for 16 tokens with ignore_eos.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / ".data" / "bench"
VLLM_LOCAL = ROOT / "deploy" / "local-vllm" / "vllm-local"
MODEL_DIR = Path(os.environ.get("MODELGATE_TINY_MODEL_DIR", ROOT / ".data" / "tiny-llama"))
UPSTREAM_KEY = "bench-upstream-key"  # a loopback-only vLLM started by this script
PROMPT = [{"role": "user", "content": "Hello! Please tell me about the weather today in one sentence."}]


@dataclass
class Result:
    target: str
    mode: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    round_throughputs_rps: list[float] | None = None  # concurrency 32: each round's, to show the spread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _wait_http(url: str, timeout: float, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _setup_database(env: dict[str, str], vllm_url: str) -> str:
    """Fresh embedded database with two deployments of the tiny model; returns the developer's key."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from core.roles import Role
    from core.services import user_create
    from modelgate.demo.serving import tiny_model_deploy
    from serving.models import Deployment
    from serving.services import serving_key_issue

    call_command("migrate", verbosity=0)
    call_command("sync_license_catalog", verbosity=0)
    password = "bench-password-not-used"  # noqa: S105
    people = {}
    for username, role in (
        ("bench-ml", Role.ML_ENGINEER),
        ("bench-officer", Role.COMPLIANCE_OFFICER),
        ("bench-dev", Role.DEVELOPER),
    ):
        people[username] = User.objects.filter(username=username).first() or user_create(
            actor=None, username=username, password=password, roles=[role]
        )
    for name, policy_name, policy in (("tiny-guarded", "bench-guarded", None), ("tiny-open", "bench-open", [])):
        tiny_model_deploy(
            model_dir=MODEL_DIR,
            backend_url=vllm_url,
            requester=people["bench-ml"],
            officer=people["bench-officer"],
            name=name,
            policy_name=policy_name,
            policy=policy,
        )
    deployments = list(Deployment.objects.filter(name__in=["tiny-guarded", "tiny-open"]))
    _, key = serving_key_issue(
        actor=people["bench-dev"], user=people["bench-dev"], name="bench", deployments=deployments
    )
    return key


def _body(model: str, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": PROMPT, "max_tokens": 16, "ignore_eos": True, "temperature": 0}
    if stream:
        body["stream"] = True
    return body


async def _timed_call(client: Any, body: dict[str, Any]) -> tuple[bool, float, float | None]:
    """One request: (succeeded, total ms, ms to the first text chunk when streaming)."""
    import httpx

    start = time.perf_counter()
    first: float | None = None
    ok = False
    try:
        if body.get("stream"):
            async with client.stream("POST", "/v1/chat/completions", json=body) as response:
                ok = response.status_code == 200
                async for line in response.aiter_lines():
                    if (
                        first is None
                        and line.startswith("data: ")
                        and '"content":"' in line
                        and '"content":""' not in line
                    ):
                        first = time.perf_counter()
                    if line.startswith("data: ") and '"error"' in line:
                        ok = False
        else:
            response = await client.post("/v1/chat/completions", json=body)
            ok = response.status_code == 200
    except httpx.HTTPError:
        ok = False
    end = time.perf_counter()
    return ok, (end - start) * 1000, (first - start) * 1000 if first is not None else None


async def _interleaved(
    targets: list[tuple[str, str, str, str]], *, total: int, stream: bool, warmup: int
) -> list[tuple[list[float], list[float], int]]:
    """Concurrency 1, the targets taking turns request by request, so drift hits them alike."""
    import httpx

    clients = [
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120, trust_env=False)
        for _, url, token, _ in targets
    ]
    bodies = [_body(model, stream) for *_, model in targets]
    outcomes: list[tuple[list[float], list[float], int]] = [([], [], 0) for _ in targets]
    try:
        for _ in range(warmup):
            for client, body in zip(clients, bodies, strict=True):
                await _timed_call(client, body)
        for turn in range(total):
            for offset in range(len(targets)):
                index = (turn + offset) % len(targets)
                ok, elapsed, first = await _timed_call(clients[index], bodies[index])
                latencies, firsts, errors = outcomes[index]
                if not ok:
                    outcomes[index] = (latencies, firsts, errors + 1)
                    continue
                latencies.append(elapsed)
                if first is not None:
                    firsts.append(first)
    finally:
        for client in clients:
            await client.aclose()
    return outcomes


async def _run(
    base_url: str, key: str, model: str, *, concurrency: int, total: int, stream: bool, warmup: int
) -> tuple[list[float], list[float], int, float]:
    import httpx

    body = _body(model, stream)
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    first_tokens: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=120, trust_env=False
    ) as client:

        async def one(measure: bool) -> None:
            nonlocal errors
            ok, elapsed, first = await _timed_call(client, body)
            if not measure:
                return
            if not ok:
                errors += 1
                return
            latencies.append(elapsed)
            if first is not None:
                first_tokens.append(first)

        for _ in range(warmup):
            await one(False)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(total):
            queue.put_nowait(index)

        async def worker() -> None:
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await one(True)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, first_tokens, errors, elapsed


def _result(
    target: str,
    *,
    stream: bool,
    concurrency: int,
    latencies: list[float],
    firsts: list[float],
    errors: int,
    seconds: float,
) -> Result:
    return Result(
        target=target,
        mode="stream" if stream else "plain",
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 3),
        throughput_rps=round(len(latencies) / seconds, 1) if seconds else 0.0,
        p50_ms=round(_percentile(latencies, 0.5), 2),
        p99_ms=round(_percentile(latencies, 0.99), 2),
        ttft_p50_ms=round(_percentile(firsts, 0.5), 2) if firsts else None,
        ttft_p99_ms=round(_percentile(firsts, 0.99), 2) if firsts else None,
    )


def _measure_in_rounds(
    targets: list[tuple[str, str, str, str]], *, concurrency: int, stream: bool, quick: bool
) -> list[Result]:
    """Concurrency 32: each target runs alone, in several short rounds in turn, so drift hits them alike."""
    rounds, per_round = (2, 160) if quick else (5, 320)
    collected: dict[str, tuple[list[float], list[float], int, float]] = {t[0]: ([], [], 0, 0.0) for t in targets}
    round_rates: dict[str, list[float]] = {t[0]: [] for t in targets}
    for round_index in range(rounds):
        for offset in range(len(targets)):
            target, url, token, model = targets[(round_index + offset) % len(targets)]
            latencies, firsts, errors, elapsed = asyncio.run(
                _run(url, token, model, concurrency=concurrency, total=per_round, stream=stream, warmup=4)
            )
            round_rates[target].append(round(len(latencies) / elapsed, 1) if elapsed else 0.0)
            all_latencies, all_firsts, all_errors, all_elapsed = collected[target]
            collected[target] = (
                all_latencies + latencies,
                all_firsts + firsts,
                all_errors + errors,
                all_elapsed + elapsed,
            )
    results = []
    for target, *_ in targets:
        latencies, firsts, errors, elapsed = collected[target]
        result = _result(
            target,
            stream=stream,
            concurrency=concurrency,
            latencies=latencies,
            firsts=firsts,
            errors=errors,
            seconds=elapsed,
        )
        result.round_throughputs_rps = round_rates[target]
        results.append(result)
    return results


def _measure_interleaved(targets: list[tuple[str, str, str, str]], *, stream: bool, quick: bool) -> list[Result]:
    total = 100 if quick else 500
    outcomes = asyncio.run(_interleaved(targets, total=total, stream=stream, warmup=10))
    results = []
    for (target, *_), (latencies, firsts, errors) in zip(targets, outcomes, strict=True):
        busy = sum(latencies) / 1000
        results.append(
            _result(
                target, stream=stream, concurrency=1, latencies=latencies, firsts=firsts, errors=errors, seconds=busy
            )
        )
    return results


def _server_side_overhead() -> dict[str, float]:
    """Median of (total - upstream) per deployment, from the inference records the gateway wrote."""
    from serving.models import InferenceRecord

    overhead: dict[str, float] = {}
    for name in ("tiny-open", "tiny-guarded"):
        rows = InferenceRecord.objects.filter(deployment__name=name, status="ok", streamed=False).values_list(
            "total_ms", "upstream_ms"
        )
        values = [total - upstream for total, upstream in rows]
        if values:
            overhead[name] = round(statistics.median(values), 3)
    return overhead


def main() -> int:
    parser = argparse.ArgumentParser(description="Gateway overhead benchmark against the tiny CPU vLLM")
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument(
        "--output", type=Path, default=None, help="JSON file (default: .data/bench/gateway-bench-<time>.json)"
    )
    args = parser.parse_args()

    subprocess.run([str(VLLM_LOCAL), "ensure"], check=True)
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    vllm_port, gateway_port = _free_port(), _free_port()
    vllm_url, gateway_url = f"http://127.0.0.1:{vllm_port}", f"http://127.0.0.1:{gateway_port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "modelgate.settings",
        "MODELGATE_DATA_DIR": str(BENCH_DIR),
        "MODELGATE_VLLM_API_KEY": UPSTREAM_KEY,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    env.pop("DATABASE_URL", None)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        print(f"==> starting vLLM on {vllm_url} (about a minute)", flush=True)
        vllm = subprocess.Popen(
            [str(VLLM_LOCAL), "serve", str(vllm_port)],
            env=env,
            stdout=(BENCH_DIR / "vllm.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(vllm)
        key = _setup_database(env, vllm_url)
        _wait_http(f"{vllm_url}/health", 300, vllm)
        print(f"==> starting the gateway on {gateway_url}", flush=True)
        gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "modelgate.gateway_asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(gateway_port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=(BENCH_DIR / "gateway.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(gateway)
        _wait_http(f"{gateway_url}/healthz", 60, gateway)

        targets = [
            ("vLLM direct", vllm_url, UPSTREAM_KEY, "tiny-llama"),
            ("gateway, guardrails off", gateway_url, key, "tiny-open"),
            ("gateway, guardrails on", gateway_url, key, "tiny-guarded"),
        ]
        results: list[Result] = []
        for stream in (False, True):
            for concurrency in (1, 32):
                if concurrency == 1:
                    batch = _measure_interleaved(targets, stream=stream, quick=args.quick)
                else:
                    batch = _measure_in_rounds(targets, concurrency=concurrency, stream=stream, quick=args.quick)
                for result in batch:
                    results.append(result)
                    print(
                        f"  {result.mode:6} c={concurrency:<3} {result.target:26} {result.throughput_rps:8.1f} req/s  "
                        f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
                        + (f"  ttft p50 {result.ttft_p50_ms:.2f} ms" if result.ttft_p50_ms is not None else "")
                        + (f"  errors {result.errors}" if result.errors else "")
                        + (f"  rounds {result.round_throughputs_rps}" if result.round_throughputs_rps else ""),
                        flush=True,
                    )
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=60)
        report = _report(results, _server_side_overhead())
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
    output = args.output or BENCH_DIR / f"gateway-bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(report["table"])
    print(f"JSON: {output}")
    return 0


def _report(results: list[Result], server_overhead: dict[str, float]) -> dict[str, Any]:
    by = {(r.target, r.mode, r.concurrency): r for r in results}
    rows = [
        "| mode | concurrency | target | req/s | % of direct | p50 ms | p99 ms | added p50 ms | TTFT p50 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        direct = by[("vLLM direct", r.mode, r.concurrency)]
        share = f"{100 * r.throughput_rps / direct.throughput_rps:.0f}%" if direct.throughput_rps else "-"
        added = f"{r.p50_ms - direct.p50_ms:+.2f}" if r.target != "vLLM direct" else ""
        ttft = f"{r.ttft_p50_ms:.2f}" if r.ttft_p50_ms is not None else ""
        rows.append(
            f"| {r.mode} | {r.concurrency} | {r.target} | {r.throughput_rps:.1f} | {share} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {added} | {ttft} | {r.errors} |"
        )
    guarded_c1 = by[("gateway, guardrails on", "plain", 1)]
    direct_c1 = by[("vLLM direct", "plain", 1)]
    guarded_c32 = by[("gateway, guardrails on", "plain", 32)]
    direct_c32 = by[("vLLM direct", "plain", 32)]
    targets = {
        "added_p50_ms_c1_guardrails_on": round(guarded_c1.p50_ms - direct_c1.p50_ms, 2),
        "added_p50_target_ms": 3.0,
        "throughput_share_c32_guardrails_on": round(guarded_c32.throughput_rps / direct_c32.throughput_rps, 3),
        "throughput_share_target": 0.8,
    }
    rows.append("")
    rows.append(
        f"Added p50 at c=1 with guardrails and audit: {targets['added_p50_ms_c1_guardrails_on']:+.2f} ms (target ≤ 3 ms); "
        f"throughput at c=32: {100 * targets['throughput_share_c32_guardrails_on']:.0f}% of direct (target ≥ 80%)."
    )
    if server_overhead:
        rows.append(
            "Gateway-measured overhead (median total - upstream, non-streaming records): "
            + ", ".join(f"{name} {value:.3f} ms" for name, value in server_overhead.items())
        )
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "results": [asdict(r) for r in results],
        "targets": targets,
        "server_side_overhead_ms": server_overhead,
        "table": "\n".join(rows),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
