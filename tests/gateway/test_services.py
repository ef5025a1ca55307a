"""Serving services: deployments, guardrail policies, inference keys and deployment states."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from compliance.approvals.services import approval_revoke, approval_suspend
from compliance.models import ApprovalRequest
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.models import AuditEvent
from core.roles import Role
from registry.models import ModelVersion
from serving import events
from serving.guardrails.specs import GuardrailSpecError
from serving.models import (
    Deployment,
    DeploymentBackend,
    DeploymentState,
    GuardrailPolicy,
    GuardrailPolicyVersion,
    ServingKey,
)
from serving.services import (
    deployment_create,
    deployment_set_state,
    guardrail_policy_create,
    guardrail_policy_publish,
    serving_key_issue,
    serving_key_revoke,
)
from tests.gateway.support import SECRETS_ONLY, TINY_REPO_ID, Served

pytestmark = pytest.mark.django_db

VLLM = [{"base_url": "http://vllm-a:8000/", "served_model_name": " tiny-llama "}]


def events_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _deploy(actor: User, approval: ApprovalRequest, policy: GuardrailPolicy, **options: Any) -> Deployment:
    return deployment_create(
        actor=actor,
        name=options.pop("name", "tiny-llama"),
        approval=approval,
        backends=options.pop("backends", VLLM),
        guardrail_policy=policy,
        **options,
    )


# --- deployment_create ---------------------------------------------------------------------


def test_deploying_an_approved_version_records_it_with_its_backends_and_an_audit_event(
    make_approval: Callable[..., ApprovalRequest], policy: GuardrailPolicy, requester: User
) -> None:
    approval = make_approval()

    deployment = _deploy(requester, approval, policy, rate_limit_per_minute=60, max_tokens_limit=256)

    assert deployment.version == approval.version
    assert deployment.revision == approval.version.revision
    assert deployment.environment == "staging"
    assert deployment.state == DeploymentState.ACTIVE
    assert deployment.model_source == TINY_REPO_ID  # the hub id, when no source is given
    assert deployment.license_conditions == []  # Apache-2.0 has no usage threshold
    assert list(DeploymentBackend.objects.values_list("base_url", "served_model_name")) == [
        ("http://vllm-a:8000", "tiny-llama")
    ]
    [event] = events_of(events.DEPLOYMENT_CREATED.name)
    assert (event.target_type, event.target_id, event.actor) == ("serving.deployment", str(deployment.pk), requester)
    assert event.after["approval"] == approval.pk
    assert event.after["guardrail_policy"] == "secrets"
    assert event.after["rate_limit_per_minute"] == 60
    assert event.after["backends"] == [
        {"base_url": "http://vllm-a:8000", "served_model_name": "tiny-llama", "enabled": True}
    ]


@pytest.mark.parametrize("state", ["draft", "submitted", "suspended", "revoked", "expired"])
def test_only_an_approval_in_force_is_deployed(
    state: str,
    make_approval: Callable[..., ApprovalRequest],
    policy: GuardrailPolicy,
    requester: User,
    officer: User,
) -> None:
    if state in ("draft", "submitted"):
        approval = make_approval(state=state)
    else:
        approval = make_approval()
        if state == "suspended":
            approval = approval_suspend(actor=officer, request=approval, reason="incident review")
        elif state == "revoked":
            approval = approval_revoke(actor=officer, request=approval, reason="licence withdrawn")
        else:
            ApprovalRequest.objects.filter(pk=approval.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    events_before = AuditEvent.objects.count()

    with pytest.raises(ConflictError) as refused:
        _deploy(requester, approval, policy)

    assert set(refused.value.fields) == {"approval"}
    assert f"approval #{approval.pk} is {ApprovalRequest.objects.get(pk=approval.pk).state}" in refused.value.message
    assert "not in force" in refused.value.message
    assert not Deployment.objects.exists()
    assert not DeploymentBackend.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_the_approvals_guardrail_policy_condition_is_enforced(
    make_approval: Callable[..., ApprovalRequest], policy: GuardrailPolicy, requester: User, officer: User
) -> None:
    approval = make_approval(conditions={"guardrail_policy": "strict"})

    with pytest.raises(ApplicationError) as refused:
        _deploy(requester, approval, policy)

    assert set(refused.value.fields) == {"guardrail_policy"}
    assert f"approval #{approval.pk} requires the guardrail policy 'strict'" in refused.value.message
    assert not Deployment.objects.exists()

    strict = guardrail_policy_create(actor=officer, name="strict", validators=SECRETS_ONLY)
    assert _deploy(requester, approval, strict).guardrail_policy == strict


def test_license_conditions_come_from_the_llama_license_and_the_approvals_ceiling(
    make_approval: Callable[..., ApprovalRequest],
    llama_version: ModelVersion,
    policy: GuardrailPolicy,
    requester: User,
) -> None:
    approval = make_approval(version=llama_version, conditions={"max_monthly_active_users": 5000})

    deployment = _deploy(requester, approval, policy, name="llama-3.1-8b")

    # Llama 3.1 §2 applies above 700 million monthly active users: a limit is the most allowed.
    assert deployment.license_conditions == [
        {"metric": "monthly_active_users", "limit": 700_000_000, "source": "LicenseRef-Llama-3.1 §2"},
        {"metric": "monthly_active_users", "limit": 5000, "source": f"approval #{approval.pk} conditions"},
    ]
    assert deployment.model_source == "meta-llama/Llama-3.1-8B-Instruct"


def test_explicit_license_conditions_are_checked_field_by_field(
    make_approval: Callable[..., ApprovalRequest], policy: GuardrailPolicy, requester: User
) -> None:
    approval = make_approval()
    bad = [{"metric": "monthly_active_users", "limit": 10, "source": "contract"}, {"metric": "seats", "limit": 3}]

    with pytest.raises(ApplicationError) as refused:
        _deploy(requester, approval, policy, license_conditions=bad)

    assert set(refused.value.fields) == {"license_conditions[1].metric"}
    assert not Deployment.objects.exists()
    chosen = [{"metric": "monthly_active_users", "limit": 10, "source": "contract"}]
    assert _deploy(requester, approval, policy, license_conditions=chosen).license_conditions == chosen


def test_explicit_license_conditions_cannot_drop_the_approvals_ceiling(
    make_approval: Callable[..., ApprovalRequest],
    llama_version: ModelVersion,
    policy: GuardrailPolicy,
    requester: User,
) -> None:
    approval = make_approval(version=llama_version, conditions={"max_monthly_active_users": 5000})
    ceiling = {"metric": "monthly_active_users", "limit": 5000, "source": f"approval #{approval.pk} conditions"}

    outcome: Deployment | ApplicationError
    try:
        outcome = _deploy(requester, approval, policy, name="llama-3.1-8b", license_conditions=[])
    except ApplicationError as refused:
        outcome = refused

    # Either refused, naming the field, or deployed with the ceiling still in force.
    if isinstance(outcome, ApplicationError):
        assert "license_conditions" in outcome.fields
    else:
        assert ceiling in outcome.license_conditions


OK_BACKEND = {"base_url": "http://vllm-a:8000", "served_model_name": "tiny-llama"}


@pytest.mark.parametrize(
    ("backends", "refusal"),
    [
        pytest.param("http://vllm-a:8000", ("backends", "at least one"), id="not-a-list"),
        pytest.param([], ("backends", "at least one"), id="empty"),
        pytest.param(["http://vllm-a:8000"], ("backends[0]", "must be an object"), id="not-an-object"),
        pytest.param([{"base_url": "http://vllm-a:8000"}], ("backends[0].served_model_name", "required"), id="no-name"),
        pytest.param(
            [OK_BACKEND, {"base_url": "http://vllm-b:8000/v1", "served_model_name": "x"}],
            ("backends[1].base_url", "leave out /v1"),
            id="with-v1",
        ),
        pytest.param(
            [{"base_url": "ftp://vllm-a:8000", "served_model_name": "x"}],
            ("backends[0].base_url", "not an http(s) URL"),
            id="ftp",
        ),
        pytest.param(
            [{"base_url": "http://vllm-a:8000?debug=1", "served_model_name": "x"}],
            ("backends[0].base_url", "without a query"),
            id="query",
        ),
        pytest.param(
            [OK_BACKEND, {"base_url": "http://vllm-a:8000/", "served_model_name": "other"}],
            ("backends[1].base_url", "listed twice"),
            id="duplicate",
        ),
        pytest.param([{**OK_BACKEND, "weight": 2}], ("backends[0].weight", "not a backend field"), id="unknown-field"),
    ],
)
def test_bad_backends_are_refused_by_field_path_and_leave_nothing_behind(
    backends: Any,
    refusal: tuple[str, str],
    make_approval: Callable[..., ApprovalRequest],
    policy: GuardrailPolicy,
    requester: User,
) -> None:
    path, words = refusal
    approval = make_approval()
    events_before = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        _deploy(requester, approval, policy, backends=backends)

    assert set(refused.value.fields) == {path}
    assert refused.value.message.startswith(f"{path}: ")
    assert words in refused.value.message
    assert not Deployment.objects.exists()
    assert not DeploymentBackend.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_a_deployment_name_is_unique_and_url_safe(
    make_approval: Callable[..., ApprovalRequest], policy: GuardrailPolicy, requester: User
) -> None:
    approval = make_approval()
    _deploy(requester, approval, policy)

    with pytest.raises(ConflictError) as taken:
        _deploy(requester, approval, policy)
    with pytest.raises(ApplicationError) as malformed:
        _deploy(requester, approval, policy, name="Tiny Llama")

    assert set(taken.value.fields) == {"name"}
    assert set(malformed.value.fields) == {"name"}
    assert Deployment.objects.count() == 1
    assert len(events_of(events.DEPLOYMENT_CREATED.name)) == 1


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.AUDITOR, Role.APPROVER_LEGAL])
def test_only_serving_managers_deploy(
    role: Role,
    make_approval: Callable[..., ApprovalRequest],
    policy: GuardrailPolicy,
    make_user: Callable[..., User],
) -> None:
    approval = make_approval()

    with pytest.raises(PermissionDeniedError) as refused:
        _deploy(make_user(role), approval, policy)

    assert refused.value.fields == {"actor": ["needs serving.manage"]}
    assert not Deployment.objects.exists()


# --- guardrail policies --------------------------------------------------------------------


def test_creating_a_policy_publishes_version_one_with_normalized_specs_and_audits_it(officer: User) -> None:
    policy = guardrail_policy_create(
        actor=officer,
        name="pii-fix",
        description="Mask personal data",
        validators=[
            {"name": "modelgate/pii", "on": "input", "on_fail": "fix"},
            {"name": "modelgate/secret_patterns", "on": "output"},
        ],
        note="first version",
    )

    [version] = policy.versions.all()
    expected = [
        {"name": "modelgate/pii", "on": "input", "on_fail": "fix", "params": {}},
        {"name": "modelgate/secret_patterns", "on": "output", "on_fail": "exception", "params": {}},
    ]
    assert (version.number, version.validators, version.created_by) == (1, expected, officer)
    [event] = events_of(events.GUARDRAIL_POLICY_CREATED.name)
    assert (event.target_type, event.target_id) == ("serving.guardrailpolicy", str(policy.pk))
    assert event.before is None
    assert event.after == {"name": "pii-fix", "version": 1, "validators": expected}
    assert event.reason == "first version"


def test_an_invalid_policy_names_every_faulty_field_and_creates_nothing(officer: User) -> None:
    validators = [
        {"name": "modelgate/nope", "on": "input"},
        {"name": "modelgate/pii", "on": "sideways", "params": {"entities": ["email", "shoe_size"]}},
        {"name": "modelgate/forbidden_regex", "on": "output", "params": {"patterns": ["(unclosed"]}},
    ]

    with pytest.raises(GuardrailSpecError) as refused:
        guardrail_policy_create(actor=officer, name="broken", validators=validators)

    assert set(refused.value.fields) == {
        "validators[0].name",
        "validators[1].on",
        "validators[1].params.entities",
        "validators[2].params.patterns[0]",
    }
    assert "shoe_size" in refused.value.fields["validators[1].params.entities"][0]
    assert not GuardrailPolicy.objects.exists()
    assert not GuardrailPolicyVersion.objects.exists()
    assert not events_of(events.GUARDRAIL_POLICY_CREATED.name)


def test_publishing_numbers_versions_upwards_and_audits_before_and_after(
    officer: User, policy: GuardrailPolicy
) -> None:
    pii = [{"name": "modelgate/pii", "on": "input", "on_fail": "fix", "params": {"entities": ["email"]}}]

    second = guardrail_policy_publish(actor=officer, policy=policy, validators=pii, note="mask e-mails too")
    third = guardrail_policy_publish(actor=officer, policy=policy, validators=[], note="switch everything off")

    assert (second.number, third.number) == (2, 3)
    assert list(policy.versions.values_list("number", flat=True)) == [3, 2, 1]
    first, second_event = events_of(events.GUARDRAIL_POLICY_VERSION_PUBLISHED.name)
    assert first.before == {"version": 1, "validators": [{**SECRETS_ONLY[0], "params": {}}]}
    assert first.after == {"version": 2, "validators": pii}
    assert first.reason == "mask e-mails too"
    assert second_event.before == {"version": 2, "validators": pii}
    assert second_event.after == {"version": 3, "validators": []}


def test_publishing_needs_a_note_and_valid_specs(officer: User, policy: GuardrailPolicy) -> None:
    with pytest.raises(ApplicationError) as no_note:
        guardrail_policy_publish(actor=officer, policy=policy, validators=SECRETS_ONLY, note="  ")
    with pytest.raises(GuardrailSpecError) as invalid:
        guardrail_policy_publish(actor=officer, policy=policy, validators={"name": "modelgate/pii"}, note="oops")

    assert set(no_note.value.fields) == {"note"}
    assert set(invalid.value.fields) == {"validators"}
    assert policy.versions.count() == 1
    assert not events_of(events.GUARDRAIL_POLICY_VERSION_PUBLISHED.name)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DEVELOPER])
def test_only_serving_managers_write_policies(
    role: Role, policy: GuardrailPolicy, make_user: Callable[..., User]
) -> None:
    someone = make_user(role)

    with pytest.raises(PermissionDeniedError):
        guardrail_policy_publish(actor=someone, policy=policy, validators=[], note="switch it off")
    with pytest.raises(PermissionDeniedError):
        guardrail_policy_create(actor=someone, name="mine", validators=[])

    assert policy.versions.count() == 1
    assert GuardrailPolicy.objects.count() == 1


def test_a_policy_name_is_taken_once(officer: User, policy: GuardrailPolicy) -> None:
    with pytest.raises(ConflictError) as taken:
        guardrail_policy_create(actor=officer, name="secrets", validators=[])

    assert set(taken.value.fields) == {"name"}
    assert GuardrailPolicyVersion.objects.count() == 1


# --- inference keys ------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_sha256_is_stored(served: Served) -> None:
    key, plaintext = serving_key_issue(
        actor=served.officer, user=served.developer, name="notebook", deployments=[served.deployment]
    )

    assert plaintext.startswith("mg_")
    assert len(plaintext) >= 40
    stored = ServingKey.objects.get(pk=key.pk)
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.prefix == plaintext[:10]
    row = repr(list(ServingKey.objects.values()))
    assert plaintext not in row
    assert plaintext[10:] not in row
    assert plaintext[10:] not in repr(list(AuditEvent.objects.values()))
    [event] = events_of(events.SERVING_KEY_ISSUED.name)
    assert event.after["prefix"] == stored.prefix
    assert event.after["user"] == "dev"
    assert event.after["deployments"] == ["tiny-llama"]
    assert list(stored.deployments.all()) == [served.deployment]


def test_a_developer_issues_a_key_for_themselves_but_not_for_others(
    served: Served, make_user: Callable[..., User]
) -> None:
    colleague = make_user(Role.DEVELOPER)

    key, _ = serving_key_issue(
        actor=served.developer, user=served.developer, name="mine", deployments=[served.deployment]
    )
    with pytest.raises(PermissionDeniedError) as refused:
        serving_key_issue(actor=served.developer, user=colleague, name="theirs", deployments=[served.deployment])

    assert key.created_by == served.developer
    assert refused.value.fields == {"actor": ["needs serving.manage"]}
    assert list(ServingKey.objects.values_list("user__username", flat=True)) == ["dev"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"user": "auditor"}, "user", id="holder-cannot-invoke"),
        pytest.param({"expires_at": "past"}, "expires_at", id="expired"),
        pytest.param({"deployments": []}, "deployments", id="no-scope"),
        pytest.param({"name": " "}, "name", id="no-name"),
        pytest.param({"rate_limit_per_minute": 0}, "rate_limit_per_minute", id="zero-rate"),
    ],
)
def test_a_key_issue_is_refused_with_the_field_at_fault(
    change: dict[str, Any], field: str, served: Served, make_user: Callable[..., User]
) -> None:
    options: dict[str, Any] = {"user": served.developer, "name": "k", "deployments": [served.deployment]}
    options.update(change)
    if options["user"] == "auditor":
        options["user"] = make_user(Role.AUDITOR)
    if options.get("expires_at") == "past":
        options["expires_at"] = timezone.now() - timedelta(seconds=1)

    with pytest.raises(ApplicationError) as refused:
        serving_key_issue(actor=served.officer, **options)

    assert set(refused.value.fields) == {field}
    assert not ServingKey.objects.exists()
    assert not events_of(events.SERVING_KEY_ISSUED.name)


def test_no_key_is_issued_for_a_retired_deployment(served: Served) -> None:
    deployment_set_state(actor=served.officer, deployment=served.deployment, state="retired", reason="replaced")
    served.deployment.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        served.key()

    assert refused.value.fields == {"deployments": ["retired: tiny-llama"]}
    assert not ServingKey.objects.exists()


def test_revoking_twice_is_a_conflict_and_audited_once(served: Served) -> None:
    served.key()
    key = ServingKey.objects.get()

    serving_key_revoke(actor=served.developer, key=key, reason="laptop lost")  # the holder may revoke it
    with pytest.raises(ConflictError) as again:
        serving_key_revoke(actor=served.officer, key=key, reason="again")

    assert set(again.value.fields) == {"key"}
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_reason == "laptop lost"
    [event] = events_of(events.SERVING_KEY_REVOKED.name)
    assert (event.actor, event.reason, event.after["prefix"]) == (served.developer, "laptop lost", key.prefix)


def test_only_a_manager_or_the_holder_revokes_a_key(served: Served, make_user: Callable[..., User]) -> None:
    served.key()
    key = ServingKey.objects.get()

    with pytest.raises(PermissionDeniedError):
        serving_key_revoke(actor=make_user(Role.DEVELOPER), key=key, reason="not mine")
    with pytest.raises(ApplicationError) as no_reason:
        serving_key_revoke(actor=served.officer, key=key, reason="")

    assert set(no_reason.value.fields) == {"reason"}
    key.refresh_from_db()
    assert key.revoked_at is None


# --- deployment states ---------------------------------------------------------------------


def test_a_deployment_pauses_resumes_and_retires_with_an_event_each(served: Served) -> None:
    deployment = served.deployment

    for state, reason in (("paused", "maintenance"), ("active", "back"), ("retired", "replaced by v2")):
        deployment = deployment_set_state(actor=served.officer, deployment=deployment, state=state, reason=reason)

    deployment.refresh_from_db()
    assert (deployment.state, deployment.state_reason) == ("retired", "replaced by v2")
    moves = [(e.before["state"], e.after["state"], e.reason) for e in events_of(events.DEPLOYMENT_STATE_CHANGED.name)]
    assert moves == [
        ("active", "paused", "maintenance"),
        ("paused", "active", "back"),
        ("active", "retired", "replaced by v2"),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [("active", "active"), ("retired", "active"), ("retired", "paused"), ("paused", "paused"), ("active", "deleted")],
)
def test_impossible_state_moves_are_conflicts(start: str, target: str, served: Served) -> None:
    if start != "active":
        deployment_set_state(actor=served.officer, deployment=served.deployment, state=start, reason="setup")
    events_before = AuditEvent.objects.count()

    with pytest.raises(ConflictError) as refused:
        deployment_set_state(actor=served.officer, deployment=served.deployment, state=target, reason="try")

    assert refused.value.fields == {"state": [f"a deployment cannot go from {start} to {target}"]}
    assert Deployment.objects.get().state == start
    assert AuditEvent.objects.count() == events_before


def test_a_state_change_needs_a_reason_and_a_manager(served: Served) -> None:
    with pytest.raises(ApplicationError) as no_reason:
        deployment_set_state(actor=served.officer, deployment=served.deployment, state="paused", reason=" ")
    with pytest.raises(PermissionDeniedError):
        deployment_set_state(actor=served.developer, deployment=served.deployment, state="paused", reason="mine")

    assert set(no_reason.value.fields) == {"reason"}
    assert Deployment.objects.get().state == "active"
    assert not events_of(events.DEPLOYMENT_STATE_CHANGED.name)
