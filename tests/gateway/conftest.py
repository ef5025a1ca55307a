"""Serving-tier fixtures: approved, deployed models built through the services, and a fresh gateway per test."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections

from compliance.approvals.services import approval_request_create, approval_sign, approval_submit
from compliance.models import ApprovalRequest, ApprovalState
from compliance.services import use_case_create
from core.roles import Role
from modelgate.demo.serving import tiny_model_deploy
from registry.models import ModelVersion
from serving.gateway import handler, records
from serving.guardrails import runner
from serving.models import GuardrailPolicy
from serving.services import guardrail_policy_create
from tests.gateway.support import (
    LLAMA_BASE_REVISION,
    LLAMA_BASE_SNAPSHOT,
    LLAMA_REVISION,
    LLAMA_SNAPSHOT,
    SECRETS_ONLY,
    TINY_REPO_ID,
    TINY_REVISION,
    Served,
    closed_port_url,
    import_version,
    write_tiny_snapshot,
)


@pytest.fixture(autouse=True)
def _fresh_gateway(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new gateway, record writer and compiled-policy cache per test; no admission caching unless a test asks."""
    settings.MODELGATE_GATEWAY_ADMISSION_TTL_MS = 0
    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(records, "_writer", None)
    monkeypatch.setattr(runner, "_compiled", {})
    handler.reset_gateway()
    yield
    writer = records._writer
    if handler._gateway is not None:
        handler._gateway.database.close()
    handler.reset_gateway()
    if writer is not None:
        # The writer thread has its own database connection: close it before the test database is flushed.
        writer._executor.submit(connections.close_all).result()
        writer._executor.shutdown(wait=True)


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user(Role.ML_ENGINEER, username="rita", email="rita@example.com")


@pytest.fixture
def developer(make_user: Callable[..., User]) -> User:
    return make_user(Role.DEVELOPER, username="dev", email="dev@example.com")


@pytest.fixture
def legal(make_user: Callable[..., User]) -> User:
    return make_user(Role.APPROVER_LEGAL, username="lena")


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A tiny model snapshot: a README with an Apache-2.0 license, a config, a small file and its pinned commit."""
    return write_tiny_snapshot(tmp_path / "tiny-llama")


@pytest.fixture
def deploy(model_dir: Path, requester: User, officer: User, developer: User) -> Callable[..., Served]:
    """Approve and deploy the tiny model (idempotent per name) behind the given backend (default: a closed port)."""

    def make(
        *,
        name: str = "tiny-llama",
        policy: list[dict[str, Any]] | None = None,
        backend_url: str | None = None,
        **options: Any,
    ) -> Served:
        url = backend_url or closed_port_url()
        demo = tiny_model_deploy(
            model_dir=model_dir,
            backend_url=url,
            requester=requester,
            officer=officer,
            name=name,
            policy_name=f"{name}-policy",
            policy=SECRETS_ONLY if policy is None else policy,
            **options,
        )
        return Served(
            deployment=demo.deployment,
            approval=demo.approval,
            version=demo.version,
            requester=requester,
            officer=officer,
            developer=developer,
            backend_url=url,
        )

    return make


@pytest.fixture
def served(deploy: Callable[..., Served]) -> Served:
    return deploy()


@pytest.fixture
def tiny_version(requester: User, model_dir: Path) -> ModelVersion:
    return import_version(requester, model_dir, TINY_REPO_ID, TINY_REVISION)


@pytest.fixture
def llama_version(requester: User) -> ModelVersion:
    """Llama 3.1 8B Instruct from the demo snapshots, with its base so the lineage's license is known."""
    import_version(requester, LLAMA_BASE_SNAPSHOT, "meta-llama/Llama-3.1-8B", LLAMA_BASE_REVISION)
    return import_version(requester, LLAMA_SNAPSHOT, "meta-llama/Llama-3.1-8B-Instruct", LLAMA_REVISION)


@pytest.fixture
def make_approval(
    requester: User, officer: User, legal: User, tiny_version: ModelVersion
) -> Callable[..., ApprovalRequest]:
    """An approval request for a version (default: the tiny model), taken as far as ``state``."""
    counter = itertools.count(1)

    def make(
        *,
        state: str = ApprovalState.APPROVED,
        version: ModelVersion | None = None,
        conditions: dict[str, Any] | None = None,
    ) -> ApprovalRequest:
        use_case = use_case_create(
            actor=requester,
            name=f"Serving use case {next(counter)}",
            owner=requester,
            intended_purpose="Internal developers try the chat endpoint.",
            deployment_facts={"commercial": False, "purpose": "evaluation"},
        )
        approval = approval_request_create(
            actor=requester,
            version=version or tiny_version,
            use_case=use_case,
            environment="staging",
            conditions=conditions,
        )
        if state == ApprovalState.DRAFT:
            return approval
        approval = approval_submit(actor=requester, request=approval)
        if state == ApprovalState.SUBMITTED:
            return approval
        for signer in (officer, legal):
            if approval.state != ApprovalState.APPROVED:
                approval = approval_sign(actor=signer, request=approval, reason="fine for the sandbox")
        assert approval.state == ApprovalState.APPROVED
        return approval

    return make


@pytest.fixture
def policy(officer: User) -> GuardrailPolicy:
    return guardrail_policy_create(actor=officer, name="secrets", validators=SECRETS_ONLY, note="first version")
