"""The organization's license rules: pure application, audited changes (service, API, admin), the version report."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from compliance import events as compliance_events
from compliance.licenses.catalog import load_catalog
from compliance.licenses.policy import PolicyDecision, PolicyRule, apply_policy
from compliance.models import LicensePolicyRule
from compliance.selectors import version_license_report
from compliance.services import license_assessment_record, license_policy_rule_create, license_policy_rule_update
from core.errors import ApplicationError, ConflictError
from core.models import AuditEvent
from core.roles import Role
from registry.models import Model, ModelVersion, Organization
from registry.services import model_version_import
from tests.compliance_assess import license_texts as t

PASSWORD = "correct horse battery staple"
CREATED = compliance_events.POLICY_RULE_CREATED.name
UPDATED = compliance_events.POLICY_RULE_UPDATED.name
NON_COMMERCIAL_RULE = "Non-commercial licenses are never used in production"


def rule_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=[CREATED, UPDATED]))


# --- apply_policy, a pure function ---------------------------------------------------------------------


def _rule(
    name: str, kind: str, value: str, *, environment: str = "any", effect: str = "deny", role: str = ""
) -> PolicyRule:
    return PolicyRule(name, kind, value, environment, effect, role, f"because of {name}")


@pytest.mark.parametrize(
    ("licenses", "environment", "expected"),
    [
        (["CC-BY-NC-4.0"], "production", [("no-nc-prod", "CC-BY-NC-4.0")]),
        (["CC-BY-NC-4.0"], "staging", [("nc-staging-signoff", "CC-BY-NC-4.0")]),
        (["MIT"], "production", []),
        (["MIT", "LicenseRef-Llama-3.1"], "production", [("llama-signoff", "LicenseRef-Llama-3.1")]),
        (["LicenseRef-Llama-3.1"], "staging", []),
        (["LicenseRef-Llama-3.2"], "production", []),
        (
            ["AGPL-3.0-only", "CC-BY-NC-SA-4.0"],
            "production",
            [("no-nc-prod", "CC-BY-NC-SA-4.0"), ("agpl", "AGPL-3.0-only")],
        ),
    ],
    ids=[
        "nc-production",
        "nc-staging",
        "mit",
        "mit-and-llama",
        "llama-staging",
        "other-llama-version",
        "agpl-and-nc-sa",
    ],
)
def test_apply_policy_returns_every_rule_that_matches_a_license_in_the_environment(
    licenses: list[str], environment: str, expected: list[tuple[str, str]]
) -> None:
    rules = [
        _rule("no-nc-prod", "category", "non_commercial", environment="production"),
        _rule("agpl", "license", "AGPL-3.0-only", effect="require_signoff", role="approver_security"),
        _rule(
            "llama-signoff",
            "license",
            "LicenseRef-Llama-3.1",
            environment="production",
            effect="require_signoff",
            role="approver_legal",
        ),
        _rule(
            "nc-staging-signoff",
            "category",
            "non_commercial",
            environment="staging",
            effect="require_signoff",
            role="approver_legal",
        ),
    ]
    catalog = load_catalog()

    decisions = apply_policy(rules, [catalog.licenses[i] for i in licenses], environment)

    assert [(d.rule, d.license_id) for d in decisions] == expected
    for decision in decisions:
        assert decision.reason == f"because of {decision.rule}"
        assert decision.effect == next(r.effect for r in rules if r.name == decision.rule)


def test_apply_policy_with_no_rules_or_no_licenses_decides_nothing() -> None:
    mit = load_catalog().licenses["MIT"]
    assert apply_policy([], [mit], "production") == []
    assert apply_policy([_rule("x", "category", "osi_permissive")], [], "production") == []


def test_a_decision_reads_as_the_api_shows_it() -> None:
    decision = PolicyDecision("r", "require_signoff", "approver_legal", "LicenseRef-Llama-3.1", "why")

    assert decision.as_dict() == {
        "rule": "r",
        "effect": "require_signoff",
        "signoff_role": "approver_legal",
        "license": "LicenseRef-Llama-3.1",
        "reason": "why",
    }


# --- The default rules ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_installs_the_default_rules() -> None:
    rules = {
        r.name: (r.match_kind, r.match_value, r.environment, r.effect, r.signoff_role, r.active)
        for r in LicensePolicyRule.objects.all()
    }

    assert rules == {
        NON_COMMERCIAL_RULE: ("category", "non_commercial", "production", "deny", "", True),
        "Research-only licenses are never used in production": (
            "category",
            "research_only",
            "production",
            "deny",
            "",
            True,
        ),
        "Source-available AI licenses need a legal sign-off": (
            "category",
            "source_available_ai",
            "any",
            "require_signoff",
            "approver_legal",
            True,
        ),
        "Proprietary licenses need a legal sign-off": (
            "category",
            "proprietary",
            "any",
            "require_signoff",
            "approver_legal",
            True,
        ),
        "AGPL-3.0-only needs a security sign-off": (
            "license",
            "AGPL-3.0-only",
            "any",
            "require_signoff",
            "approver_security",
            True,
        ),
        "AGPL-3.0-or-later needs a security sign-off": (
            "license",
            "AGPL-3.0-or-later",
            "any",
            "require_signoff",
            "approver_security",
            True,
        ),
    }
    assert all(r.reason.strip() for r in LicensePolicyRule.objects.all())


# --- The services ---------------------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "name": "Llama needs a security review",
    "match_kind": "license",
    "match_value": "llama3.1",
    "environment": "production",
    "effect": "require_signoff",
    "signoff_role": "approver_security",
    "reason": "Our security team reviews every Llama deployment.",
}


@pytest.mark.django_db
def test_creating_a_rule_normalizes_the_license_and_records_an_event(officer: User) -> None:
    rule = license_policy_rule_create(actor=officer, **VALID)

    assert rule.match_value == "LicenseRef-Llama-3.1"  # the Hub tag resolved to its catalog id
    assert rule.created_by == officer
    [event] = rule_events()
    assert (event.action, event.actor, event.target_type, event.target_id) == (
        CREATED,
        officer,
        "compliance.licensepolicyrule",
        str(rule.pk),
    )
    assert event.before is None
    assert event.after == {**VALID, "match_value": "LicenseRef-Llama-3.1", "active": True}


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"match_kind": "category", "match_value": "permissive"}, "match_value", "is not a license category"),
        ({"match_value": "LicenseRef-Llama-9"}, "match_value", "is not a license in the catalog"),
        ({"signoff_role": ""}, "signoff_role", "a sign-off rule names one of"),
        ({"signoff_role": "developer"}, "signoff_role", "a sign-off rule names one of"),
        ({"reason": "   "}, "reason", "say why the rule exists"),
        ({"environment": "prod"}, "environment", "must be one of"),
        ({"effect": "warn"}, "effect", "must be one of"),
        ({"match_kind": "family"}, "match_kind", "must be one of"),
    ],
    ids=[
        "unknown-category",
        "unknown-license",
        "signoff-without-role",
        "signoff-by-developer",
        "empty-reason",
        "bad-environment",
        "bad-effect",
        "bad-kind",
    ],
)
@pytest.mark.django_db
def test_an_invalid_rule_is_refused_naming_the_field_and_nothing_is_written(
    officer: User, changes: dict[str, Any], field: str, problem: str
) -> None:
    rules_before = LicensePolicyRule.objects.count()

    with pytest.raises(ApplicationError) as refused:
        license_policy_rule_create(actor=officer, **{**VALID, **changes})

    assert list(refused.value.fields) == [field]
    assert problem in refused.value.fields[field][0]
    assert refused.value.message.startswith(f"{field}: ")
    assert LicensePolicyRule.objects.count() == rules_before
    assert rule_events() == []


@pytest.mark.django_db
def test_a_second_rule_with_the_same_name_is_a_conflict(officer: User) -> None:
    with pytest.raises(ConflictError) as conflict:
        license_policy_rule_create(
            actor=officer, **{**VALID, "name": NON_COMMERCIAL_RULE, "match_value": "CC-BY-NC-4.0"}
        )

    assert list(conflict.value.fields) == ["name"]
    assert rule_events() == []


@pytest.mark.django_db
def test_a_deny_rule_carries_no_signoff_role(officer: User) -> None:
    rule = license_policy_rule_create(actor=officer, **{**VALID, "effect": "deny"})

    assert rule.signoff_role == ""


@pytest.mark.django_db
def test_changing_a_rule_records_before_and_after_and_the_reason(officer: User) -> None:
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)

    updated = license_policy_rule_update(
        actor=officer,
        rule=rule,
        reason_for_change="allowed in production with a legal sign-off after review",
        effect="require_signoff",
        signoff_role="approver_legal",
    )

    assert (updated.effect, updated.signoff_role) == ("require_signoff", "approver_legal")
    [event] = rule_events()
    assert event.action == UPDATED
    assert (event.before["effect"], event.before["signoff_role"]) == ("deny", "")
    assert (event.after["effect"], event.after["signoff_role"]) == ("require_signoff", "approver_legal")
    assert event.before["name"] == event.after["name"] == NON_COMMERCIAL_RULE
    assert event.reason == "allowed in production with a legal sign-off after review"


@pytest.mark.django_db
def test_an_update_that_changes_nothing_records_nothing(officer: User) -> None:
    rule = LicensePolicyRule.objects.get(name="AGPL-3.0-only needs a security sign-off")

    license_policy_rule_update(actor=officer, rule=rule, match_value="agpl-3.0", environment="any")

    assert rule_events() == []


@pytest.mark.django_db
def test_retiring_a_rule_is_an_audited_update(officer: User) -> None:
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)

    license_policy_rule_update(actor=officer, rule=rule, active=False)

    [event] = rule_events()
    assert (event.before["active"], event.after["active"]) == (True, False)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"colour": "red"}, ApplicationError, "colour"),
        ({"match_value": "cc-by-nc-4.0"}, ApplicationError, "match_value"),  # a license id under match_kind category
        ({"name": "Research-only licenses are never used in production"}, ConflictError, "name"),
    ],
    ids=["unknown-field", "invalid-value", "duplicate-name"],
)
@pytest.mark.django_db
def test_a_refused_update_changes_nothing(officer: User, changes: dict[str, Any], error: type, field: str) -> None:
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)

    with pytest.raises(error) as refused:
        license_policy_rule_update(actor=officer, rule=rule, **changes)

    assert list(refused.value.fields) == [field]
    rule.refresh_from_db()
    assert (rule.name, rule.match_value) == (NON_COMMERCIAL_RULE, "non_commercial")
    assert rule_events() == []


# --- The API ------------------------------------------------------------------------------------------------

API = "/api/v1/license-policy-rules/"


@pytest.mark.django_db
def test_a_compliance_officer_adds_and_changes_rules_through_the_api(client_for: Callable[..., Any]) -> None:
    client = client_for(Role.COMPLIANCE_OFFICER)

    created = client.post(API, {**VALID, "reason_for_change": "ignored on create"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["match_value"], body["effect"], body["active"]) == ("LicenseRef-Llama-3.1", "require_signoff", True)

    changed = client.patch(
        f"{API}{body['id']}/", {"environment": "any", "reason_for_change": "staging too"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["environment"] == "any"
    created_event, updated_event = rule_events()
    assert (created_event.action, updated_event.action) == (CREATED, UPDATED)
    assert (updated_event.before["environment"], updated_event.after["environment"]) == ("production", "any")
    assert updated_event.reason == "staging too"


@pytest.mark.django_db
def test_api_validation_errors_name_the_field(client_for: Callable[..., Any]) -> None:
    client = client_for(Role.COMPLIANCE_OFFICER)

    unknown = client.post(API, {**VALID, "match_kind": "category", "match_value": "permissive"}, format="json")
    duplicate = client.post(API, {**VALID, "name": NON_COMMERCIAL_RULE}, format="json")

    assert unknown.status_code == 400
    assert list(unknown.json()["error"]["fields"]) == ["match_value"]
    assert duplicate.status_code == 409
    assert list(duplicate.json()["error"]["fields"]) == ["name"]
    assert rule_events() == []


@pytest.mark.parametrize("role", [Role.APPROVER_LEGAL, Role.APPROVER_SECURITY, Role.AUDITOR, Role.ML_ENGINEER])
@pytest.mark.django_db
def test_other_roles_read_rules_but_cannot_write_them(client_for: Callable[..., Any], role: Role) -> None:
    client = client_for(role)
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)
    rules_before = LicensePolicyRule.objects.count()

    listed = client.get(API)
    created = client.post(API, VALID, format="json")
    changed = client.patch(f"{API}{rule.pk}/", {"active": False}, format="json")

    assert listed.status_code == 200
    assert (created.status_code, changed.status_code) == (403, 403)
    assert LicensePolicyRule.objects.count() == rules_before
    rule.refresh_from_db()
    assert rule.active is True
    assert rule_events() == []


# --- The admin -----------------------------------------------------------------------------------------------

ADMIN_RULES = "/admin/compliance/licensepolicyrule/"


def _staff_client(make_user: Callable[..., User], role: Role) -> tuple[Client, User]:
    user = make_user(role, is_staff=True)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client, user


def _csrf(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert match is not None
    return match.group(1)


def _form(values: dict[str, Any]) -> dict[str, Any]:
    form = {key: value for key, value in values.items() if key != "active"}
    if values.get("active", True):
        form["active"] = "on"
    return form


@pytest.mark.django_db
def test_a_compliance_officer_adds_a_rule_in_the_admin_through_the_service(make_user: Callable[..., User]) -> None:
    client, officer = _staff_client(make_user, Role.COMPLIANCE_OFFICER)
    token = _csrf(client, f"{ADMIN_RULES}add/")

    response = client.post(f"{ADMIN_RULES}add/", {**_form(VALID), "csrfmiddlewaretoken": token}, follow=True)

    assert response.status_code == 200
    rule = LicensePolicyRule.objects.get(name=VALID["name"])
    assert (rule.match_value, rule.created_by) == ("LicenseRef-Llama-3.1", officer)
    [event] = rule_events()
    assert (event.action, event.actor, event.target_id) == (CREATED, officer, str(rule.pk))


@pytest.mark.parametrize("page", ["add", "change"])
@pytest.mark.django_db
def test_a_rule_the_service_refuses_is_reported_in_the_admin_and_not_saved(
    make_user: Callable[..., User], page: str
) -> None:
    """The form accepts any text as match_value; the service refuses an unknown category.

    BUG: LicensePolicyRuleAdmin.save_model turns the ApplicationError into an error message and returns;
    the admin then carries on as if the object had been saved: it writes a LogEntry (object_id None on
    add), and shows "... was added successfully" / "was changed successfully" under the error."""
    client, _ = _staff_client(make_user, Role.COMPLIANCE_OFFICER)
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)
    url = f"{ADMIN_RULES}add/" if page == "add" else f"{ADMIN_RULES}{rule.pk}/change/"
    token = _csrf(client, url)
    values = {**VALID, "match_kind": "category", "match_value": "permissive"}
    if page == "change":
        values = {**values, "name": rule.name, "effect": "deny", "signoff_role": ""}
    rules_before = LicensePolicyRule.objects.count()

    response = client.post(url, {**_form(values), "csrfmiddlewaretoken": token}, follow=True)

    html = response.content.decode()
    assert "is not a license category" in html  # the service's words, as a message or a form error
    assert "successfully" not in html
    assert not LogEntry.objects.exists()
    assert LicensePolicyRule.objects.count() == rules_before
    rule.refresh_from_db()
    assert rule.match_value == "non_commercial"
    assert rule_events() == []


@pytest.mark.django_db
def test_a_compliance_officer_changes_a_rule_in_the_admin(make_user: Callable[..., User]) -> None:
    client, officer = _staff_client(make_user, Role.COMPLIANCE_OFFICER)
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)
    url = f"{ADMIN_RULES}{rule.pk}/change/"
    token = _csrf(client, url)
    values = {
        "name": rule.name,
        "match_kind": rule.match_kind,
        "match_value": rule.match_value,
        "environment": "any",
        "effect": rule.effect,
        "signoff_role": "",
        "reason": rule.reason,
    }

    response = client.post(url, {**_form(values), "csrfmiddlewaretoken": token}, follow=True)

    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.environment == "any"
    [event] = rule_events()
    assert (event.action, event.actor, event.reason) == (UPDATED, officer, "edited in the admin")
    assert (event.before["environment"], event.after["environment"]) == ("production", "any")


@pytest.mark.django_db
def test_an_auditor_sees_a_rule_read_only_in_the_admin(make_user: Callable[..., User]) -> None:
    client, _ = _staff_client(make_user, Role.AUDITOR)
    rule = LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE)
    url = f"{ADMIN_RULES}{rule.pk}/change/"

    page = client.get(url)
    token = _csrf(client, url)  # the page's logout form carries one: a refusal below is not a CSRF failure
    values = {
        "name": "renamed",
        "match_kind": "category",
        "match_value": "non_commercial",
        "environment": "any",
        "effect": "deny",
        "signoff_role": "",
        "reason": "x",
    }
    posted = client.post(url, {**_form(values), "csrfmiddlewaretoken": token})

    assert page.status_code == 200
    html = page.content.decode()
    assert NON_COMMERCIAL_RULE in html
    assert 'name="_save"' not in html
    assert 'name="name"' not in html  # no input: every field is shown read-only
    assert client.get(f"{ADMIN_RULES}add/").status_code == 403
    assert posted.status_code == 403
    rule.refresh_from_db()
    assert (rule.name, rule.environment) == (NON_COMMERCIAL_RULE, "production")
    assert rule_events() == []


# --- A version's license report (API and admin) -------------------------------------------------------------


def _version(declared: str, license_text: str = "", hub_id: str = "acme/nc-chat") -> ModelVersion:
    organization, _ = Organization.objects.get_or_create(name="Acme AI", hub_namespace="acme")
    model = Model.objects.create(hub_id=hub_id, provider=organization, task="text-generation", modalities=["text"])
    return ModelVersion.objects.create(
        model=model,
        revision=str(abs(hash(hub_id)) % 10**12).rjust(40, "0"),
        source="hub",
        declared_license=declared,
        license_file="LICENSE" if license_text else "",
        license_text=license_text,
    )


@pytest.mark.django_db
def test_the_version_license_api_reports_assessment_evaluation_and_policy(
    client_for: Callable[..., Any], officer: User
) -> None:
    version = _version("cc-by-nc-4.0", t.CC_BY_NC_4)
    license_assessment_record(actor=officer, version=version)

    response = client_for(Role.DEVELOPER).get(f"/api/v1/versions/{version.pk}/license/")

    assert response.status_code == 200
    report = response.json()
    assert report["version_id"] == version.pk
    assert report["declared_tag"] == "cc-by-nc-4.0"
    assessment = report["assessment"]
    assert (assessment["stored"], assessment["detected_license"], assessment["effective_expression"]) == (
        True,
        "CC-BY-NC-4.0",
        "CC-BY-NC-4.0",
    )
    assert assessment["assessed_at"] is not None
    assert report["licenses"] == [
        {
            "id": "CC-BY-NC-4.0",
            "name": load_catalog().licenses["CC-BY-NC-4.0"].name,
            "category": "non_commercial",
            "osi_approved": False,
        }
    ]
    evaluation = report["default_evaluation"]
    assert evaluation["verdict"] == "forbidden"
    assert evaluation["obligations"] == []
    assert evaluation["reasons"]
    assert all(r["clause"] for r in evaluation["reasons"])
    assert report["policy"] == {
        "environment": "production",
        "decisions": [
            {
                "rule": NON_COMMERCIAL_RULE,
                "effect": "deny",
                "signoff_role": "",
                "license": "CC-BY-NC-4.0",
                "reason": LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE).reason,
            }
        ],
    }


@pytest.mark.django_db
def test_the_report_of_a_derivative_shows_its_obligations_and_every_rule(
    fake_hub: Any, officer: User, client_for: Callable[..., Any]
) -> None:
    version = model_version_import(
        actor=officer, repo_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B", with_base_models=True
    ).version

    report = client_for(Role.AUDITOR).get(f"/api/v1/versions/{version.pk}/license/").json()

    assert report["assessment"]["effective_expression"] == "MIT AND LicenseRef-Llama-3.1"
    assert [entry["id"] for entry in report["licenses"]] == ["MIT", "LicenseRef-Llama-3.1"]
    evaluation = report["default_evaluation"]
    assert evaluation["verdict"] == "allowed_with_obligations"
    assert any("acceptable use policy" in o["text"] for o in evaluation["obligations"])
    assert [(d["rule"], d["license"], d["signoff_role"]) for d in report["policy"]["decisions"]] == [
        ("Source-available AI licenses need a legal sign-off", "LicenseRef-Llama-3.1", "approver_legal")
    ]


@pytest.mark.django_db
def test_a_version_never_assessed_is_reported_from_a_fresh_computation(client_for: Callable[..., Any]) -> None:
    version = _version("", "", hub_id="acme/no-license")

    report = client_for(Role.APPROVER_LEGAL).get(f"/api/v1/versions/{version.pk}/license/").json()

    assert report["assessment"]["stored"] is False
    assert report["assessment"]["effective_expression"] == "LicenseRef-Unknown"
    assert [f["kind"] for f in report["assessment"]["findings"]] == ["no_license_declared", "license_unknown"]
    assert [d["rule"] for d in report["policy"]["decisions"]] == ["Proprietary licenses need a legal sign-off"]


@pytest.mark.django_db
def test_the_report_applies_only_active_rules_for_the_environment_asked(officer: User) -> None:
    version = _version("cc-by-nc-4.0", t.CC_BY_NC_4)
    license_assessment_record(actor=officer, version=version)

    production = version_license_report(version)
    staging = version_license_report(version, environment="staging")
    license_policy_rule_update(
        actor=officer, rule=LicensePolicyRule.objects.get(name=NON_COMMERCIAL_RULE), active=False
    )
    retired = version_license_report(version)

    assert [d["rule"] for d in production["policy"]["decisions"]] == [NON_COMMERCIAL_RULE]
    assert staging["policy"] == {"environment": "staging", "decisions": []}
    assert retired["policy"]["decisions"] == []


@pytest.mark.django_db
def test_the_version_license_api_needs_the_compliance_view_capability(make_user: Callable[..., User]) -> None:
    version = _version("mit", t.MIT, hub_id="acme/mit-model")
    client = APIClient()
    client.force_authenticate(make_user())

    assert client.get(f"/api/v1/versions/{version.pk}/license/").status_code == 403
    assert client.get("/api/v1/versions/999999/license/").status_code == 403


@pytest.fixture
def imported_distill(fake_hub: Any, officer: User) -> ModelVersion:
    return model_version_import(
        actor=officer, repo_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B", with_base_models=True
    ).version


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_OFFICER, Role.DEVELOPER])
@pytest.mark.django_db
def test_the_admin_version_page_shows_the_verdict_and_obligations(
    imported_distill: ModelVersion, make_user: Callable[..., User], role: Role
) -> None:
    client, _ = _staff_client(make_user, role)

    page = client.get(f"/admin/registry/modelversion/{imported_distill.pk}/change/")
    listing = client.get("/admin/registry/modelversion/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>allowed_with_obligations</strong> for commercial production use" in html
    assert "Comply with the license&#x27;s use restrictions / acceptable use policy" in html
    assert "Llama 3.1 Acceptable Use Policy" in html
    assert listing.status_code == 200
    assert "MIT AND LicenseRef-Llama-3.1" in listing.content.decode()  # the "effective license" column


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_OFFICER])
@pytest.mark.django_db
def test_the_admin_version_page_shows_the_effective_license_to_the_roles_that_read_compliance(
    imported_distill: ModelVersion, make_user: Callable[..., User], role: Role
) -> None:
    """BUG: LicenseAssessmentInline keeps Django's model-permission checks (view_licenseassessment),
    which no role grants, so the inline with the effective expression, the detection and the findings
    is rendered for superusers only; every role user sees the page without it."""
    client, _ = _staff_client(make_user, role)

    html = client.get(f"/admin/registry/modelversion/{imported_distill.pk}/change/").content.decode()

    assert "MIT AND LicenseRef-Llama-3.1" in html
