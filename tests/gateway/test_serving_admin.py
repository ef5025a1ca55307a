"""The serving admin: policies publish versions, keys are shown once, records are read-only evidence."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from core.models import AuditEvent
from core.roles import Role
from serving import events
from serving.models import GuardrailPolicy, GuardrailPolicyVersion, InferenceRecord, ServingKey
from serving.services import inference_records_write
from tests.gateway.support import Served, make_record

pytestmark = pytest.mark.django_db

PII = [{"name": "modelgate/pii", "on": "input", "on_fail": "fix", "params": {"entities": ["email"]}}]


def login(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The POST body the browser would send for the form on ``response``, with ``changes`` applied."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is not None and not bound.field.disabled:
                data[bound.html_name] = bound.field.prepare_value(value) if bound.name == "validators" else value
    data.update(changes)
    data["_save"] = "Save"
    return data


def test_adding_a_policy_in_the_admin_publishes_version_one(officer: User) -> None:
    client = login(officer)
    page = client.get("/admin/serving/guardrailpolicy/add/")
    assert page.status_code == 200

    response = client.post(
        "/admin/serving/guardrailpolicy/add/",
        form_data(page, name="pii-mask", description="Mask e-mails", validators=json.dumps(PII), note="first"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    policy = GuardrailPolicy.objects.get(name="pii-mask")
    assert policy.description == "Mask e-mails"
    assert list(policy.versions.values_list("number", "validators")) == [(1, PII)]
    [event] = AuditEvent.objects.filter(action=events.GUARDRAIL_POLICY_CREATED.name)
    assert (event.actor, event.target_id, event.after["version"]) == (officer, str(policy.pk), 1)


def test_saving_a_policy_in_the_admin_publishes_the_next_version(officer: User, policy: GuardrailPolicy) -> None:
    client = login(officer)
    url = f"/admin/serving/guardrailpolicy/{policy.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert json.loads(page.context["adminform"].form["validators"].value()) == [
        {"name": "modelgate/secret_patterns", "on": "input", "on_fail": "exception", "params": {}}
    ]

    response = client.post(url, form_data(page, validators=json.dumps(PII), note="mask e-mails as well"))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert list(policy.versions.values_list("number", flat=True)) == [2, 1]
    assert GuardrailPolicyVersion.objects.get(policy=policy, number=2).validators == PII
    assert GuardrailPolicy.objects.get(pk=policy.pk).name == "secrets"
    [event] = AuditEvent.objects.filter(action=events.GUARDRAIL_POLICY_VERSION_PUBLISHED.name)
    assert (event.before["version"], event.after["version"], event.reason) == (1, 2, "mask e-mails as well")


def test_a_policy_that_is_not_json_is_a_form_error_and_saves_nothing(officer: User, policy: GuardrailPolicy) -> None:
    client = login(officer)
    events_before = AuditEvent.objects.count()
    add = client.get("/admin/serving/guardrailpolicy/add/")
    change_url = f"/admin/serving/guardrailpolicy/{policy.pk}/change/"
    change = client.get(change_url)

    added = client.post(
        "/admin/serving/guardrailpolicy/add/", form_data(add, name="broken", validators='[{"name": ', note="x")
    )
    changed = client.post(change_url, form_data(change, validators="not json", note="x"))

    for response in (added, changed):
        assert response.status_code == 200
        assert "not valid JSON" in response.context["adminform"].form.errors["validators"][0]
    assert list(GuardrailPolicy.objects.values_list("name", flat=True)) == ["secrets"]
    assert policy.versions.count() == 1
    assert AuditEvent.objects.count() == events_before


def test_an_invalid_validator_is_refused_with_its_path_and_saves_nothing(officer: User) -> None:
    client = login(officer)
    page = client.get("/admin/serving/guardrailpolicy/add/")
    bad = json.dumps([{"name": "modelgate/nope", "on": "input"}])

    response = client.post(
        "/admin/serving/guardrailpolicy/add/", form_data(page, name="broken", validators=bad, note="x"), follow=True
    )

    html = response.content.decode()
    assert "validators[0].name" in html
    assert "unknown validator" in html
    assert "successfully" not in html
    assert not GuardrailPolicy.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_invalid_validator_is_a_form_error_on_the_validators_field(officer: User) -> None:
    client = login(officer)
    page = client.get("/admin/serving/guardrailpolicy/add/")
    bad = json.dumps([{"name": "modelgate/nope", "on": "input"}])

    response = client.post(
        "/admin/serving/guardrailpolicy/add/", form_data(page, name="broken", validators=bad, note="x")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["validators"]
    assert any("validators[0].name" in error for error in errors)


def test_an_issued_key_is_shown_once_and_kept_out_of_the_session_and_cookies(served: Served) -> None:
    client = login(served.officer)
    page = client.get("/admin/serving/servingkey/add/")
    assert page.status_code == 200

    response = client.post(
        "/admin/serving/servingkey/add/",
        {
            "name": "notebook",
            "user": str(served.developer.pk),
            "deployments": [str(served.deployment.pk)],
            "expires_at_0": "",
            "expires_at_1": "",
            "rate_limit_per_minute": "",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    plaintext = re.search(r'<code id="issued-key"[^>]*>(mg_[A-Za-z0-9_-]+)</code>', html).group(1)
    key = ServingKey.objects.get()
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert (key.user, key.name, list(key.deployments.all())) == (served.developer, "notebook", [served.deployment])
    assert plaintext not in repr(dict(client.session.items()))
    assert plaintext not in repr({name: morsel.value for name, morsel in client.cookies.items()})
    assert plaintext not in repr({name: morsel.value for name, morsel in response.cookies.items()})
    assert plaintext not in repr(list(LogEntry.objects.values()))
    assert plaintext not in repr(list(ServingKey.objects.values()))
    assert plaintext not in client.get("/admin/serving/servingkey/").content.decode()


def test_the_revoke_action_revokes_the_selected_keys(served: Served) -> None:
    served.key()
    key = ServingKey.objects.get()
    client = login(served.officer)

    response = client.post("/admin/serving/servingkey/", {"action": "revoke", "_selected_action": [str(key.pk)]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    [event] = AuditEvent.objects.filter(action=events.SERVING_KEY_REVOKED.name)
    assert (event.actor, event.reason) == (served.officer, "revoked in the admin by olivia")


def test_an_auditor_reads_inference_records_and_changes_nothing(served: Served, make_user: Callable[..., User]) -> None:
    served.key()
    inference_records_write([make_record(served.deployment, key=ServingKey.objects.get(), end_user="alice")])
    row = InferenceRecord.objects.get()
    client = login(make_user(Role.AUDITOR))

    changelist = client.get("/admin/serving/inferencerecord/")
    detail = client.get(f"/admin/serving/inferencerecord/{row.pk}/change/")

    assert changelist.status_code == 200
    assert row.request_id in changelist.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/serving/inferencerecord/add/").status_code == 403
    assert client.post(f"/admin/serving/inferencerecord/{row.pk}/change/", {"end_user": "eve"}).status_code == 403
    assert client.post(f"/admin/serving/inferencerecord/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/serving/guardrailpolicy/add/").status_code == 403
    assert InferenceRecord.objects.get().end_user == "alice"


def test_a_developer_sees_deployments_but_cannot_add_one(served: Served) -> None:
    client = login(served.developer)

    assert client.get("/admin/serving/deployment/").status_code == 200
    assert client.get("/admin/serving/deployment/add/").status_code == 403
    assert client.get("/admin/serving/servingkey/add/").status_code == 403
