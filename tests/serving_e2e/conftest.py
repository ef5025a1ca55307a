"""Real vLLM (CPU, tiny model) and the real gateway under uvicorn, for end-to-end tests.

vLLM runs as separate processes started once per session (deploy/local-vllm/vllm-local serve):
one that serves every test and a second one that a test kills. The gateway runs the real
ASGI application (with its lifespan) under uvicorn in a thread of the test process, so it
shares the test database.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from django.contrib.auth.models import User

from core.roles import Role
from modelgate.demo.serving import ServingDemo, tiny_model_deploy
from serving.gateway.handler import reset_gateway
from serving.services import serving_key_issue

ROOT = Path(__file__).resolve().parents[2]
VLLM_LOCAL = ROOT / "deploy" / "local-vllm" / "vllm-local"
MODEL_DIR = Path(os.environ.get("MODELGATE_TINY_MODEL_DIR", ROOT / ".data" / "tiny-llama"))
VENV = Path(os.environ.get("MODELGATE_VLLM_VENV", ROOT / ".data" / "vllm-venv"))
UPSTREAM_KEY = "e2e-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class VllmServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _start_vllm(tmp: Path, name: str) -> VllmServer:
    if not (VENV / "bin" / "python").exists() or not (MODEL_DIR / ".revision").exists():
        pytest.fail(f"vLLM is not installed: run `{VLLM_LOCAL} ensure` (./run test does)")
    port = free_port()
    log = tmp / f"{name}.log"
    env = {**os.environ, "MODELGATE_VLLM_API_KEY": UPSTREAM_KEY, "MODELGATE_VLLM_SERVED_NAME": "tiny-llama"}
    process = subprocess.Popen(
        [str(VLLM_LOCAL), "serve", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return VllmServer(url=f"http://127.0.0.1:{port}", process=process, log=log)


def _wait(server: VllmServer, timeout: float = 420) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"vLLM exited ({server.process.returncode}):\n{server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"vLLM did not come up in {timeout} s:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def vllm_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VllmServer, VllmServer]]:
    """Two vLLM servers started together (their start-up overlaps): a steady one and a victim."""
    tmp = tmp_path_factory.mktemp("vllm")
    steady, victim = _start_vllm(tmp, "steady"), _start_vllm(tmp, "victim")
    try:
        _wait(steady)
        _wait(victim)
        yield steady, victim
    finally:
        steady.kill()
        victim.kill()


@pytest.fixture
def vllm(vllm_pair: tuple[VllmServer, VllmServer]) -> VllmServer:
    return vllm_pair[0]


@pytest.fixture
def gateway_url(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The gateway's real ASGI app (lifespan included) under uvicorn, in a thread of this process."""
    settings.ROOT_URLCONF = "serving.gateway.urls"  # type: ignore[attr-defined]
    settings.MIDDLEWARE = []  # type: ignore[attr-defined]
    monkeypatch.setenv("MODELGATE_VLLM_API_KEY", UPSTREAM_KEY)
    monkeypatch.setenv("MODELGATE_COMPONENT", "gateway")
    from modelgate.gateway_asgi import application  # noqa: PLC0415  (builds the app: after the settings above)

    reset_gateway()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on", log_level="warning", loop="asyncio")
    )
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the gateway did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        reset_gateway()


@dataclass
class Deployed:
    demo: ServingDemo
    key: str
    developer: User
    officer: User
    requester: User


@pytest.fixture
def deployed(vllm: VllmServer, make_user: Callable[..., User]) -> Deployed:
    requester = make_user(Role.ML_ENGINEER, username="mia-ml")
    officer = make_user(Role.COMPLIANCE_OFFICER, username="owen-officer")
    developer = make_user(Role.DEVELOPER, username="dana-dev")
    demo = tiny_model_deploy(model_dir=MODEL_DIR, backend_url=vllm.url, requester=requester, officer=officer)
    _, key = serving_key_issue(actor=developer, user=developer, name="e2e", deployments=[demo.deployment])
    return Deployed(demo=demo, key=key, developer=developer, officer=officer, requester=requester)
