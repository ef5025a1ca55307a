"""Builders for approval tests: registry rows, use cases and requests, made through the services."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User

from compliance.approvals.gates import REQUIRED_HIGH_RISK_EVIDENCE
from compliance.approvals.services import approval_request_create
from compliance.exports.sections import document_spec
from compliance.exports.services import export_text_set
from compliance.models import ApprovalRequest, UseCase
from compliance.services import use_case_create
from core.models import AuditEvent
from core.roles import Role
from registry.models import Model, ModelVersion, Organization

# EU AI Act answers per outcome (compliance/classification/README.md).
MINIMAL: dict[str, Any] = {}
TRANSPARENCY = {"transparency": {"interacts_with_natural_persons": True}}
HIGH_RISK = {"annex_iii": ["4a"]}
PROHIBITED = {"practices": ["social_scoring"]}
GPAI_SYSTEMIC = {"gpai": {"is_general_purpose_model": True, "training_compute_flops": 3e25}}
ANSWERS = {"minimal": MINIMAL, "transparency": TRANSPARENCY, "high_risk": HIGH_RISK, "prohibited": PROHIBITED}

SHA = "a" * 64
HIGH_RISK_EVIDENCE = {kind: {"reference": f"dms://{kind}", "sha256": SHA} for kind in REQUIRED_HIGH_RISK_EVIDENCE}


def write_annex_iv(use_case: UseCase, author: User, *, skip: tuple[str, ...] = ()) -> None:
    """An officer writes every Annex IV item of the use case's documentation (except ``skip``)."""
    for item in document_spec("annex_iv").items():
        if item.key not in skip:
            export_text_set(actor=author, key=item.key, text=f"Documented: {item.title}.", use_case=use_case)


FRIA_EVIDENCE = {"fundamental_rights_impact_assessment": {"reference": "dms://fria", "sha256": SHA}}

TRANSITIONED = "compliance.approval.transitioned"
GATES_FAILED = "compliance.approval.gates_failed"


def events_for(request: ApprovalRequest, action: str | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(target_type="compliance.approvalrequest", target_id=str(request.pk))
    if action is not None:
        events = events.filter(action=action)
    return list(events.order_by("sequence"))


def transitions_of(request: ApprovalRequest) -> list[tuple[str, str]]:
    return [(e.before["state"], e.after["state"]) for e in events_for(request, TRANSITIONED)]


def approval_event_count() -> int:
    return AuditEvent.objects.filter(action__startswith="compliance.approval.").count()


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months (the day is clamped to the end of a shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass
class Signers:
    """One person per signing role, none of them the requester or an importer."""

    officer: User
    legal: User
    security: User
    legal_2: User
    security_2: User
    officer_2: User


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user(Role.ML_ENGINEER, username="rita-requester")


@pytest.fixture
def signers(make_user: Callable[..., User]) -> Signers:
    return Signers(
        officer=make_user(Role.COMPLIANCE_OFFICER, username="oscar-officer"),
        legal=make_user(Role.APPROVER_LEGAL, username="lena-legal"),
        security=make_user(Role.APPROVER_SECURITY, username="sam-security"),
        legal_2=make_user(Role.APPROVER_LEGAL, username="leo-legal"),
        security_2=make_user(Role.APPROVER_SECURITY, username="sara-security"),
        officer_2=make_user(Role.COMPLIANCE_OFFICER, username="otto-officer"),
    )


@pytest.fixture
def make_version(db: None) -> Callable[..., ModelVersion]:
    counter = itertools.count(1)

    def make(declared_license: str = "mit", *, imported_by: User | None = None) -> ModelVersion:
        number = next(counter)
        provider, _ = Organization.objects.get_or_create(name="Acme AI", defaults={"hub_namespace": "acme"})
        model = Model.objects.create(hub_id=f"acme/model-{number}", provider=provider)
        return ModelVersion.objects.create(
            model=model,
            revision=f"{number:040x}",
            source="hub",
            declared_license=declared_license,
            imported_by=imported_by,
        )

    return make


@pytest.fixture
def make_use_case(officer: User) -> Callable[..., UseCase]:
    counter = itertools.count(1)

    def make(
        answers: dict[str, Any] | None = None,
        facts: dict[str, Any] | None = None,
        *,
        public_body: bool = False,
    ) -> UseCase:
        return use_case_create(
            actor=officer,
            name=f"Use case {next(counter)}",
            owner=officer,
            intended_purpose="Help staff answer questions",
            deployment_facts=facts or {},
            classification_answers=answers or {},
            deployer_public_body_or_public_service=public_body,
        )

    return make


@pytest.fixture
def make_request(
    make_version: Callable[..., ModelVersion], make_use_case: Callable[..., UseCase], requester: User, officer: User
) -> Callable[..., ApprovalRequest]:
    def make(
        tier: str = "minimal",
        *,
        answers: dict[str, Any] | None = None,
        facts: dict[str, Any] | None = None,
        declared_license: str = "mit",
        environment: str = "production",
        evidence: dict[str, Any] | None = None,
        separate_license: dict[str, Any] | None = None,
        public_body: bool = False,
        imported_by: User | None = None,
        actor: User | None = None,
        annex_iv_written: bool = True,
    ) -> ApprovalRequest:
        if evidence is None:
            evidence = HIGH_RISK_EVIDENCE if tier == "high_risk" else {}
        use_case = make_use_case(ANSWERS[tier] if answers is None else answers, facts, public_body=public_body)
        if annex_iv_written:
            write_annex_iv(use_case, officer)
        return approval_request_create(
            actor=actor or requester,
            version=make_version(declared_license, imported_by=imported_by),
            use_case=use_case,
            environment=environment,
            evidence=evidence,
            separate_license=separate_license,
        )

    return make
