"""The tiny local model, approved and deployed behind the gateway, for the demo, tests and the benchmark.

Everything goes through the same services as real work: the import (with its license
assessment), a use case, an approval request signed by a compliance officer, a guardrail
policy, a deployment and a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from compliance.approvals.services import approval_request_create, approval_sign, approval_submit
from compliance.models import ApprovalRequest, ApprovalState, UseCase
from compliance.services import use_case_create
from registry.models import ModelVersion, Organization
from registry.services import local_source, model_version_import, organization_create
from serving.models import Deployment, GuardrailPolicy
from serving.services import deployment_create, guardrail_policy_create, serving_key_issue

TINY_REPO_ID = "modelgate/tiny-llama"

# The offline default: cheap pattern validators on both sides (docs/adr/0010 has their cost).
DEFAULT_POLICY: list[dict[str, Any]] = [
    {"name": "modelgate/secret_patterns", "on": "input", "on_fail": "exception"},
    {"name": "modelgate/prompt_injection", "on": "input", "on_fail": "exception", "params": {"threshold": 0.5}},
    {"name": "modelgate/pii", "on": "input", "on_fail": "fix"},
    {"name": "modelgate/secret_patterns", "on": "output", "on_fail": "fix"},
    {"name": "modelgate/pii", "on": "output", "on_fail": "fix"},
]


@dataclass
class ServingDemo:
    version: ModelVersion
    approval: ApprovalRequest
    deployment: Deployment


def tiny_model_revision(model_dir: Path) -> str:
    return (model_dir / ".revision").read_text(encoding="utf-8").strip()


def tiny_model_deploy(
    *,
    model_dir: Path,
    backend_url: str,
    requester: User,
    officer: User,
    name: str = "tiny-llama",
    served_model_name: str = "tiny-llama",
    policy_name: str = "default-offline",
    policy: list[dict[str, Any]] | None = None,
    **deployment_options: Any,
) -> ServingDemo:
    """Import the tiny model, approve it for a sandbox use case and deploy it (idempotent)."""
    if not Organization.objects.filter(hub_namespace="modelgate").exists():
        organization_create(actor=requester, name="Modelgate", hub_namespace="modelgate")
    revision = tiny_model_revision(model_dir)
    version = ModelVersion.objects.filter(model__hub_id=TINY_REPO_ID, revision=revision).first()
    if version is None:
        result = model_version_import(
            actor=requester, repo_id=TINY_REPO_ID, revision=revision, source=local_source(str(model_dir))
        )
        version = result.version
    use_case = UseCase.objects.filter(name="Developer sandbox chat").first() or use_case_create(
        actor=requester,
        name="Developer sandbox chat",
        owner=requester,
        intended_purpose="Internal developers try the platform's chat endpoint; no end users, no decisions.",
        deployment_facts={"commercial": False, "purpose": "evaluation"},
    )
    approval = ApprovalRequest.objects.filter(
        version=version, use_case=use_case, environment="staging", state=ApprovalState.APPROVED
    ).first()
    if approval is None:
        approval = approval_request_create(actor=requester, version=version, use_case=use_case, environment="staging")
        approval = approval_submit(actor=requester, request=approval)
        approval = approval_sign(actor=officer, request=approval, reason="sandbox use of a test model")
    guardrails = GuardrailPolicy.objects.filter(name=policy_name).first() or guardrail_policy_create(
        actor=officer,
        name=policy_name,
        description="Offline pattern guardrails: secrets, prompt injection, personal data",
        validators=policy if policy is not None else DEFAULT_POLICY,
        note="first version",
    )
    deployment = Deployment.objects.filter(name=name).first() or deployment_create(
        actor=requester,
        name=name,
        approval=approval,
        backends=[{"base_url": backend_url, "served_model_name": served_model_name}],
        guardrail_policy=guardrails,
        model_source=str(model_dir),
        max_model_len=1024,
        **deployment_options,
    )
    return ServingDemo(version=version, approval=approval, deployment=deployment)


def demo_key(*, holder: User, deployment: Deployment, name: str = "demo") -> str:
    _, plaintext = serving_key_issue(actor=holder, user=holder, name=name, deployments=[deployment])
    return plaintext
