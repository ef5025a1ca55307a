"""The approval workflow: every move of an ApprovalRequest, each audited, gated and locked.

``TRANSITIONS`` is the only list of allowed moves. The machine gates (gates.py) run at
submit and again when the last required sign-off arrives; no sign-off overrides them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance import events
from compliance.approvals.gates import EVIDENCE_KINDS, GateInput, GateResult, evaluate_gates, required_signoff_roles
from compliance.approvals.selectors import open_signoff_roles, signoff_check
from compliance.classification.engine import classify_answers
from compliance.exports.selectors import annex_iv_missing
from compliance.licenses.catalog import load_catalog
from compliance.licenses.expressions import evaluate_expression, license_ids
from compliance.licenses.policy import apply_policy
from compliance.models import ApprovalRequest, ApprovalState, SignOff, UseCase
from compliance.selectors import active_policy_rules, use_case_facts_for, version_license_expression
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.ledger import Actor, audit_record
from core.notifications.services import notification_enqueue
from core.roles import Capability, require_capability, user_capabilities
from registry.models import ModelVersion
from registry.services import model_version_lock

S = ApprovalState
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): "submit",
    (S.CHANGES_REQUESTED, S.SUBMITTED): "submit",
    (S.SUBMITTED, S.IN_REVIEW): "sign",
    (S.IN_REVIEW, S.APPROVED): "sign",
    (S.SUBMITTED, S.APPROVED): "sign",
    (S.SUBMITTED, S.REJECTED): "reject",
    (S.IN_REVIEW, S.REJECTED): "reject",
    (S.SUBMITTED, S.CHANGES_REQUESTED): "request_changes",
    (S.IN_REVIEW, S.CHANGES_REQUESTED): "request_changes",
    (S.APPROVED, S.SUSPENDED): "suspend",
    (S.SUSPENDED, S.APPROVED): "reinstate",
    (S.APPROVED, S.REVOKED): "revoke",
    (S.SUSPENDED, S.REVOKED): "revoke",
    (S.APPROVED, S.EXPIRED): "expire",
    (S.SUSPENDED, S.EXPIRED): "expire",
}
EDITABLE_STATES = (S.DRAFT, S.CHANGES_REQUESTED)


class IllegalTransition(ConflictError):
    code = "illegal_transition"


class GatesFailed(ApplicationError):
    code = "gates_failed"
    http_status = 409


class SegregationOfDuties(ApplicationError):
    code = "segregation_of_duties"
    http_status = 403


def _require_transition(request: ApprovalRequest, target: str) -> None:
    if (request.state, target) not in TRANSITIONS:
        raise IllegalTransition(
            f"an approval request cannot go from {request.state} to {target}",
            fields={"state": [f"{request.state} -> {target} is not allowed"]},
        )


def _move(request: ApprovalRequest, target: str, *, actor: Actor, reason: str = "") -> None:
    _require_transition(request, target)
    before = request.state
    request.state = target
    request.state_reason = reason
    request.save(
        update_fields=[
            "state",
            "state_reason",
            "submitted_at",
            "decided_at",
            "expires_at",
            "tier",
            "gpai",
            "required_signoffs",
            "gate_results",
            "updated_at",
        ]
    )
    _notify(request, f"compliance.approval.{target}", {"from": before, "to": target, "reason": reason})
    audit_record(
        event=events.APPROVAL_TRANSITIONED,
        actor=actor,
        target=request,
        before={"state": before},
        after={"state": target},
        reason=reason,
    )


def _notify(request: ApprovalRequest, topic: str, details: dict[str, Any]) -> None:
    """Queue e-mail to the requester and the use-case owner and webhooks, in the caller's transaction."""
    recipients = [user.email for user in (request.requested_by, request.use_case.owner) if user.email]
    payload = {
        "approval": request.pk,
        "model": request.version.model.hub_id,
        "revision": request.version.revision,
        "use_case": request.use_case.name,
        "environment": request.environment,
        "state": request.state,
        "expires_at": request.expires_at.isoformat() if request.expires_at else None,
        "summary": f"Modelgate: approval #{request.pk} ({request.version.model.hub_id}, {request.use_case.name}) "
        f"{topic.rsplit('.', 1)[-1].replace('_', ' ')}",
        **details,
    }
    notification_enqueue(topic=topic, payload=payload, emails=recipients)


def _add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; the day is clamped to the end of a shorter month (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("version__model", "use_case__owner", "requested_by")
        .get(pk=request.pk)
    )


@dataclass(frozen=True)
class GateRun:
    results: list[GateResult]
    tier: str
    gpai: str
    required: list[str]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)


def approval_gates(request: ApprovalRequest, *, final: bool = False) -> GateRun:
    """Run every machine gate for the request as it stands now (reads only).

    ``final``: the request would become approved, so a high-risk system's Annex IV technical
    documentation must be complete too.
    """
    version, use_case = request.version, request.use_case
    expression = version_license_expression(version)
    verdict = evaluate_expression(expression, use_case_facts_for(use_case, version))
    classification = classify_answers(use_case.classification_answers or {})
    catalog = load_catalog()
    entries = [catalog.licenses[license_id] for license_id in dict.fromkeys(license_ids(expression, catalog))]
    decisions = apply_policy(active_policy_rules(), entries, request.environment)
    data = GateInput(
        license_verdict=verdict.verdict.value,
        license_reasons=tuple(f"{r.text} [{r.clause}]" for r in verdict.reasons),
        tier=str(classification["tier"]),
        classification_reasons=tuple(f"{r['text']} [{r['article']}]" for r in classification["reasons"]),
        annex_iii=tuple((use_case.classification_answers or {}).get("annex_iii", [])),
        policy_denials=tuple(f"{d.rule} ({d.license_id})" for d in decisions if d.effect == "deny"),
        evidence=request.evidence or {},
        separate_license=request.separate_license,
        deployer_public_body_or_public_service=use_case.deployer_public_body_or_public_service,
        final=final,
        annex_iv_missing=tuple(annex_iv_missing(request)) if final and classification["tier"] == "high_risk" else (),
    )
    required = required_signoff_roles(
        data.tier,
        str(classification["gpai"]),
        [d.signoff_role for d in decisions if d.effect == "require_signoff" and d.signoff_role],
        settings.MODELGATE_SIGNOFF_REQUIREMENTS,
    )
    return GateRun(evaluate_gates(data), data.tier, str(classification["gpai"]), required)


def _apply_gate_run(request: ApprovalRequest, run: GateRun) -> None:
    request.tier, request.gpai = run.tier, run.gpai
    request.required_signoffs = run.required
    request.gate_results = [result.as_dict() for result in run.results]


def _refuse_on_gates(request: ApprovalRequest, run: GateRun, *, actor: Actor, attempted: str) -> GatesFailed:
    """Record the refusal (committed, so the reason survives) and return the error to raise."""
    _apply_gate_run(request, run)
    request.save(update_fields=["tier", "gpai", "required_signoffs", "gate_results", "updated_at"])
    failed = [result for result in run.results if not result.passed]
    audit_record(
        event=events.APPROVAL_GATES_FAILED,
        actor=actor,
        target=request,
        after={"attempted": attempted, "failed": [result.as_dict() for result in failed]},
    )
    return GatesFailed(
        "machine gates refused the request: " + "; ".join(f"{r.gate}: {r.detail}" for r in failed),
        fields={"gates": [f"{r.gate}: {r.detail}" for r in failed]},
        extra={"gates": [r.as_dict() for r in run.results]},
    )


# --- Drafting ---------------------------------------------------------------------


def _clean_documents(evidence: Any, separate_license: Any) -> None:
    if not isinstance(evidence, dict):
        raise ApplicationError.for_field("evidence", "must be an object of evidence kind -> {reference, sha256}")
    for kind, item in evidence.items():
        if kind not in EVIDENCE_KINDS:
            raise ApplicationError.for_field(f"evidence.{kind}", f"is not one of {', '.join(EVIDENCE_KINDS)}")
        if not isinstance(item, dict) or not str(item.get("reference", "")).strip():
            raise ApplicationError.for_field(f"evidence.{kind}", "needs a non-empty reference")
    if separate_license is not None and (
        not isinstance(separate_license, dict) or not str(separate_license.get("reference", "")).strip()
    ):
        raise ApplicationError.for_field("separate_license", "needs a non-empty reference (and ideally a sha256)")


CONDITION_KEYS = {"max_monthly_active_users", "allowed_environments", "guardrail_policy", "notes"}


def _clean_conditions(conditions: Any) -> dict[str, Any]:
    """Structured conditions an approval carries: a MAU ceiling, environments, a guardrail policy, free text."""
    if not isinstance(conditions, dict):
        raise ApplicationError.for_field("conditions", "must be an object")
    unknown = sorted(set(conditions) - CONDITION_KEYS)
    if unknown:
        raise ApplicationError.for_field(
            f"conditions.{unknown[0]}", f"is not one of {', '.join(sorted(CONDITION_KEYS))}"
        )
    mau = conditions.get("max_monthly_active_users")
    if mau is not None and (isinstance(mau, bool) or not isinstance(mau, int) or mau < 0):
        raise ApplicationError.for_field("conditions.max_monthly_active_users", "must be a whole number ≥ 0 or null")
    environments = conditions.get("allowed_environments", [])
    if not isinstance(environments, list) or any(e not in ("production", "staging") for e in environments):
        raise ApplicationError.for_field("conditions.allowed_environments", "must list production and/or staging")
    for key in ("guardrail_policy", "notes"):
        if not isinstance(conditions.get(key, ""), str):
            raise ApplicationError.for_field(f"conditions.{key}", "must be text")
    return conditions


def approval_request_create(
    *,
    actor: Actor,
    version: ModelVersion,
    use_case: UseCase,
    environment: str,
    evidence: dict[str, Any] | None = None,
    separate_license: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
) -> ApprovalRequest:
    """Draft a request to deploy ``version`` for ``use_case`` in ``environment``."""
    require_capability(actor, Capability.APPROVAL_REQUEST, "request approvals")
    if not isinstance(actor, User):
        raise PermissionDeniedError("an approval request needs a signed-in requester")
    if environment not in ("production", "staging"):
        raise ApplicationError.for_field("environment", "must be production or staging")
    _clean_documents(evidence or {}, separate_license)
    _clean_conditions(conditions or {})
    with transaction.atomic():
        try:
            with transaction.atomic():
                request = ApprovalRequest.objects.create(
                    version=version,
                    use_case=use_case,
                    environment=environment,
                    requested_by=actor,
                    evidence=evidence or {},
                    separate_license=separate_license,
                    conditions=conditions or {},
                )
        except IntegrityError as exc:
            raise ConflictError(
                "an open or approved request for this model version, use case and environment exists already"
            ) from exc
        audit_record(
            event=events.APPROVAL_CREATED,
            actor=actor,
            target=request,
            after={"version": version.pk, "use_case": use_case.pk, "environment": environment},
        )
    return request


def approval_request_update(*, actor: Actor, request: ApprovalRequest, **changes: Any) -> ApprovalRequest:
    """Attach evidence, a separate licence or conditions while the request is a draft or sent back."""
    require_capability(actor, Capability.APPROVAL_REQUEST, "edit approval requests")
    unknown = set(changes) - {"evidence", "separate_license", "conditions"}
    if unknown:
        raise ApplicationError.for_field(sorted(unknown)[0], "cannot be changed")
    with transaction.atomic():
        request = _locked(request)
        if request.state not in EDITABLE_STATES:
            raise IllegalTransition(
                f"a {request.state} request cannot be edited", fields={"state": [f"{request.state} is not editable"]}
            )
        _clean_documents(
            changes.get("evidence", request.evidence), changes.get("separate_license", request.separate_license)
        )
        _clean_conditions(changes.get("conditions", request.conditions))
        before = {name: getattr(request, name) for name in changes}
        for name, value in changes.items():
            setattr(request, name, value)
        request.save(update_fields=[*changes, "updated_at"])
        audit_record(event=events.APPROVAL_UPDATED, actor=actor, target=request, before=before, after=changes)
    return request


# --- Moves ------------------------------------------------------------------------


def approval_submit(*, actor: Actor, request: ApprovalRequest) -> ApprovalRequest:
    """Send a draft (or a request sent back for changes) to review; refused while any gate fails."""
    require_capability(actor, Capability.APPROVAL_REQUEST, "submit approval requests")
    error: GatesFailed | None = None
    with transaction.atomic():
        request = _locked(request)
        _require_transition(request, S.SUBMITTED)
        run = approval_gates(request)
        if not run.passed:
            error = _refuse_on_gates(request, run, actor=actor, attempted="submit")
        else:
            _apply_gate_run(request, run)
            request.submitted_at = timezone.now()
            _move(request, S.SUBMITTED, actor=actor)
    if error is not None:
        raise error
    return request


def _signable_role(request: ApprovalRequest, signer: User) -> str:
    """The open required role this signer fills; refuses with the reason the page shows too."""
    check = signoff_check(request, signer)
    if check.role is None:
        raise SegregationOfDuties(check.refusal, fields={"signer": [check.problem]})
    return check.role


class _Refused(Exception):
    pass


def approval_sign(*, actor: Actor, request: ApprovalRequest, reason: str = "") -> ApprovalRequest:
    """Record ``actor``'s sign-off; the last required one approves the request if the gates still pass.

    The request row is locked, so simultaneous sign-offs are counted one after the other.
    """
    if not isinstance(actor, User) or not user_capabilities(actor):
        raise SegregationOfDuties("you hold no role", fields={"signer": ["no role"]})
    error: GatesFailed | None = None
    with transaction.atomic():
        request = _locked(request)
        if request.state not in (S.SUBMITTED, S.IN_REVIEW):
            raise IllegalTransition(
                f"an approval request cannot go from {request.state} to {S.IN_REVIEW} or {S.APPROVED} by a sign-off",
                fields={"state": [f"{request.state} is not awaiting sign-offs"]},
            )
        role = _signable_role(request, actor)
        refused: GateRun | None = None
        try:
            with transaction.atomic():  # a sign-off the gates refuse is not kept, so it can be given again
                SignOff.objects.create(request=request, signer=actor, role=role, reason=reason)
                audit_record(
                    event=events.APPROVAL_SIGNED, actor=actor, target=request, after={"role": role}, reason=reason
                )
                signed = list(request.signoffs.values_list("role", flat=True))
                if open_signoff_roles(request.required_signoffs, signed):
                    if request.state == S.SUBMITTED:
                        _move(request, S.IN_REVIEW, actor=actor)
                else:
                    run = approval_gates(request, final=True)
                    if not run.passed:
                        refused = run
                        raise _Refused
                    _apply_gate_run(request, run)
                    if open_signoff_roles(run.required, signed):  # the roles required changed meanwhile
                        if request.state == S.SUBMITTED:
                            _move(request, S.IN_REVIEW, actor=actor)
                        else:
                            request.save(
                                update_fields=["tier", "gpai", "required_signoffs", "gate_results", "updated_at"]
                            )
                    else:
                        now = timezone.now()
                        request.decided_at = now
                        months = settings.MODELGATE_APPROVAL_VALIDITY_MONTHS
                        request.expires_at = _add_months(now, months.get(request.tier, months["default"]))
                        _move(request, S.APPROVED, actor=actor, reason="all required sign-offs and gates")
                        model_version_lock(
                            actor=actor, version=request.version, reason=f"referenced by approval request #{request.pk}"
                        )
        except _Refused:
            request = _locked(request)
            assert refused is not None
            error = _refuse_on_gates(request, refused, actor=actor, attempted="approve")
    if error is not None:
        raise error
    return request


def _decide(
    actor: Actor, request: ApprovalRequest, target: str, reason: str, *, needs_reason: bool = True
) -> ApprovalRequest:
    if actor is not None:  # None: the platform itself (the expiry task)
        require_capability(actor, Capability.APPROVAL_DECIDE, f"move approvals to {target}")
    if needs_reason and not reason.strip():
        raise ApplicationError.for_field("reason", "is required for this decision")
    with transaction.atomic():
        request = _locked(request)
        _require_transition(request, target)
        if target == S.EXPIRED and (request.expires_at is None or request.expires_at > timezone.now()):
            raise IllegalTransition(f"approval #{request.pk} is not past its expiry date")
        if target in (S.REJECTED, S.EXPIRED, S.REVOKED):
            request.decided_at = timezone.now()
        _move(request, target, actor=actor, reason=reason)
    return request


def approval_reject(*, actor: Actor, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Turn the request down for good (a new request is needed); the reason is mandatory."""
    return _decide(actor, request, S.REJECTED, reason)


def approval_request_changes(*, actor: Actor, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Send the request back to its requester; sign-offs given so far are kept."""
    return _decide(actor, request, S.CHANGES_REQUESTED, reason)


def approval_suspend(*, actor: Actor, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Stop traffic under an approval until it is reinstated or revoked."""
    return _decide(actor, request, S.SUSPENDED, reason)


def approval_revoke(*, actor: Actor, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """End an approval at once; serving refuses it on the next request."""
    return _decide(actor, request, S.REVOKED, reason)


def approval_expire(*, actor: Actor, request: ApprovalRequest) -> ApprovalRequest:
    """Mark an approval past its expiry date as expired."""
    return _decide(actor, request, S.EXPIRED, "past its expiry date", needs_reason=False)


def approval_reinstate(*, actor: Actor, request: ApprovalRequest, reason: str) -> ApprovalRequest:
    """Lift a suspension; the gates must pass again."""
    require_capability(actor, Capability.APPROVAL_DECIDE, "reinstate approvals")
    if not reason.strip():
        raise ApplicationError.for_field("reason", "is required for this decision")
    error: GatesFailed | None = None
    with transaction.atomic():
        request = _locked(request)
        if request.state != S.SUSPENDED:
            raise IllegalTransition(
                f"an approval request cannot go from {request.state} to {S.APPROVED} by reinstatement (only a suspended one can)",
                fields={"state": [f"{request.state} -> approved is not a reinstatement"]},
            )
        if request.expires_at is not None and request.expires_at <= timezone.now():
            raise IllegalTransition(f"approval #{request.pk} expired while suspended; it cannot be reinstated")
        run = approval_gates(request, final=True)
        if not run.passed:
            error = _refuse_on_gates(request, run, actor=actor, attempted="reinstate")
        else:
            _apply_gate_run(request, run)
            _move(request, S.APPROVED, actor=actor, reason=reason)
    if error is not None:
        raise error
    return request


def approvals_expire_due(*, now: Any = None) -> list[int]:
    """Expire every approval whose expiry date has passed; returns their ids. Run daily by Celery beat."""
    moment = now or timezone.now()
    due = list(
        ApprovalRequest.objects.filter(state__in=[S.APPROVED, S.SUSPENDED], expires_at__lte=moment)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = []
    for pk in due:
        request = ApprovalRequest.objects.get(pk=pk)
        try:
            approval_expire(actor=None, request=request)
        except IllegalTransition:
            continue  # moved on meanwhile (revoked, for instance)
        expired.append(pk)
    return expired


REREVIEW_STATES = (S.SUBMITTED, S.IN_REVIEW, S.APPROVED)


def approvals_rereview(*, actor: Actor, requests: Any, trigger: str) -> list[int]:
    """Re-run the gates of open and in-force approvals after something they depend on changed.

    Every re-review is audited with its gate results; a high-risk approval whose gates now
    fail is suspended at once. Returns the ids of the approvals suspended.
    """
    suspended = []
    for pk in list(requests.filter(state__in=REREVIEW_STATES).order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            request = _locked(ApprovalRequest(pk=pk))
            if request.state not in REREVIEW_STATES:
                continue
            run = approval_gates(request, final=request.state == S.APPROVED)
            request.gate_results = [result.as_dict() for result in run.results]
            request.save(update_fields=["gate_results", "updated_at"])
            audit_record(
                event=events.APPROVAL_REREVIEWED,
                actor=actor,
                target=request,
                reason=trigger,
                after={"passed": run.passed, "tier": run.tier, "gates": request.gate_results},
            )
            if (
                not run.passed
                and request.state == S.APPROVED
                and (request.tier == "high_risk" or run.tier == "high_risk")
            ):
                failed = "; ".join(f"{r.gate}: {r.detail}" for r in run.results if not r.passed)
                _move(request, S.SUSPENDED, actor=actor, reason=f"re-review after {trigger}: {failed}")
                suspended.append(pk)
    return suspended


EXPIRY_NOTICE_DAYS = 30


def approvals_notify_expiring(*, now: Any = None) -> list[int]:
    """Tell owners once, 30 days ahead, that an approval will expire; returns the ids notified."""
    moment = now or timezone.now()
    due = ApprovalRequest.objects.filter(
        state=S.APPROVED,
        expiry_notified_at__isnull=True,
        expires_at__gt=moment,
        expires_at__lte=moment + timedelta(days=EXPIRY_NOTICE_DAYS),
    ).order_by("pk")
    notified = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            request = _locked(ApprovalRequest(pk=pk))
            if request.expiry_notified_at is not None:
                continue
            request.expiry_notified_at = moment
            request.save(update_fields=["expiry_notified_at", "updated_at"])
            days_left = (request.expires_at - moment).days if request.expires_at else None
            _notify(request, "compliance.approval.expiring", {"days_left": days_left})
            notified.append(pk)
    return notified
