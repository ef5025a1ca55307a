"""Batched inference records: a clean stop loses nothing, a crash loses at most one batch.

The gateway runs as its own uvicorn process on its own embedded database (a SQLite file in a
temporary data directory), in front of the real tiny vLLM, and is stopped with SIGTERM or
killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serving_e2e.conftest import MODEL_DIR, ROOT, UPSTREAM_KEY, VllmServer, free_port

pytestmark = pytest.mark.vllm

SETUP = """
from pathlib import Path
from django.contrib.auth.models import User
from core.roles import Role
from core.services import user_create
from modelgate.demo.serving import tiny_model_deploy
from serving.services import serving_key_issue
people = {name: user_create(actor=None, username=name, password="unused-pw-123", roles=[role])
          for name, role in (("ml", Role.ML_ENGINEER), ("officer", Role.COMPLIANCE_OFFICER), ("dev", Role.DEVELOPER))}
demo = tiny_model_deploy(model_dir=Path(MODEL_DIR), backend_url=VLLM_URL, requester=people["ml"], officer=people["officer"])
_, key = serving_key_issue(actor=people["dev"], user=people["dev"], name="t", deployments=[demo.deployment])
print("KEY=" + key)
"""


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        MODELGATE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="modelgate.settings",
        MODELGATE_VLLM_API_KEY=UPSTREAM_KEY,
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def _prepare(data_dir: Path, vllm: VllmServer) -> str:
    env = _environment(data_dir)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    shell = subprocess.run(
        [*manage, "shell", "-c", SETUP.replace("MODEL_DIR", repr(str(MODEL_DIR))).replace("VLLM_URL", repr(vllm.url))],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return next(line[4:] for line in shell.stdout.splitlines() if line.startswith("KEY="))


def _start_gateway(data_dir: Path, batch_size: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = _environment(
        data_dir, MODELGATE_GATEWAY_RECORD_BATCH_SIZE=str(batch_size), MODELGATE_GATEWAY_RECORD_FLUSH_MS="600000"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "modelgate.gateway_asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the gateway process did not start")


def _call(url: str, key: str, count: int) -> None:
    body = {"model": "tiny-llama", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, trust_env=False, timeout=60) as http:
        for _ in range(count):
            assert http.post("/v1/chat/completions", json=body).status_code == 200


def _pending_records(url: str) -> int:
    metrics = httpx.get(f"{url}/metrics", trust_env=False).text
    line = next(line for line in metrics.splitlines() if line.startswith("modelgate_gateway_records_pending "))
    return int(float(line.split()[1]))


def _ok_records(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "modelgate.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM serving_inferencerecord WHERE status = 'ok'").fetchone()[0])


def test_a_clean_stop_loses_no_record_and_a_crash_at_most_one_batch(tmp_path: Path, vllm: VllmServer) -> None:
    key = _prepare(tmp_path, vllm)

    gateway, url = _start_gateway(tmp_path, batch_size=1000)
    _call(url, key, 20)
    assert _ok_records(tmp_path) == 0  # all 20 are still queued: nothing has flushed yet
    gateway.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully (the lifespan flushes), then re-raises the signal it caught.
    assert gateway.wait(timeout=60) in (0, -signal.SIGTERM)
    assert _ok_records(tmp_path) == 20

    gateway, url = _start_gateway(tmp_path, batch_size=8)
    _call(url, key, 20)
    time.sleep(0.5)  # the writer thread finishes what it took
    pending = _pending_records(url)
    gateway.send_signal(signal.SIGKILL)
    gateway.wait(timeout=60)
    lost = 40 - _ok_records(tmp_path)
    assert lost == pending
    assert lost <= 8
