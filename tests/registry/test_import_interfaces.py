"""The same import through each way in: management command, API (inline and background), Celery task."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import Role
from registry.management.commands.import_hf_model import Command
from registry.models import ModelVersion
from registry.tasks import import_hf_model_task
from tests.hubfake import FakeHub
from tests.registry import recorded as r

pytestmark = pytest.mark.django_db

UNRESOLVED_WARNING = f"base_model: {r.INSTRUCT_DECLARED_BASE} is not in the registry; import it with --with-base-models"


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_hf_model", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def officer_client(officer: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(officer)
    return client


# --- Management command -----------------------------------------------------------------------


def test_command_imports_and_reports_the_version_and_warnings(fake_hub: FakeHub, officer: User) -> None:
    out, err = _run(r.INSTRUCT, "--as-user", "olivia")

    version = ModelVersion.objects.get(model__hub_id=r.INSTRUCT)
    assert out == f"Imported {r.INSTRUCT} at {r.INSTRUCT_SHA} (version {version.pk})\n"
    assert err == f"warning: {UNRESOLVED_WARNING}\n"
    assert version.imported_by == officer
    assert set(AuditEvent.objects.values_list("actor_label", flat=True)) == {"olivia"}


def test_command_says_when_the_revision_is_registered_already(
    fake_hub: FakeHub, counts: Callable[[], dict[str, int]]
) -> None:
    _run(r.DISTILL)
    before = counts()

    out, _ = _run(r.DISTILL, "--revision", r.DISTILL_SHA)

    version = ModelVersion.objects.get(model__hub_id=r.DISTILL)
    assert out == f"Already in the registry: {r.DISTILL} at {r.DISTILL_SHA} (version {version.pk})\n"
    assert counts() == before


def test_command_with_base_models_lists_the_bases_it_imported(fake_hub: FakeHub) -> None:
    out, err = _run(r.DISTILL, "--with-base-models")

    distill = ModelVersion.objects.get(model__hub_id=r.DISTILL)
    base = ModelVersion.objects.get(model__hub_id=r.BASE)
    assert out == (
        f"Imported {r.DISTILL} at {r.DISTILL_SHA} (version {distill.pk})\n"
        f"  with base model {r.BASE} at {r.BASE_SHA} (version {base.pk})\n"
    )
    assert err == ""
    # Without --as-user the import is the system's, with a request id of its own
    assert set(AuditEvent.objects.values_list("actor_label", flat=True)) == {"system"}
    assert len(set(AuditEvent.objects.values_list("request_id", flat=True))) == 1
    assert AuditEvent.objects.first().request_id != ""


def test_command_refuses_an_unknown_user_before_touching_the_hub(
    fake_hub: FakeHub, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()

    with pytest.raises(CommandError, match=r"^--as-user: no user named 'nobody'$"):
        _run(r.INSTRUCT, "--as-user", "nobody")

    assert fake_hub.requests == []
    assert counts() == before


def test_command_refusal_carries_the_services_message(fake_hub: FakeHub, counts: Callable[[], dict[str, int]]) -> None:
    before = counts()

    with pytest.raises(CommandError) as refused:
        _run(r.INSTRUCT, "--revision", "f" * 40)

    assert str(refused.value) == f"revision: {'f' * 40!r} does not exist in {r.INSTRUCT}"
    assert counts() == before


@pytest.fixture
def command_line(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Runs the command as manage.py would (run_from_argv: parsing, error reporting, exit status)."""
    # run_from_argv closes every connection when it ends; that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> None:
        Command().run_from_argv(["manage.py", "import_hf_model", *args])

    return run


def test_command_line_exits_0_and_prints_the_import(
    fake_hub: FakeHub, command_line: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    command_line(r.MISTRAL)  # returns normally: exit status 0

    captured = capsys.readouterr()
    version = ModelVersion.objects.get(model__hub_id=r.MISTRAL)
    assert captured.out == f"Imported {r.MISTRAL} at {r.MISTRAL_SHA} (version {version.pk})\n"
    assert captured.err == (
        "warning: LICENSE: the repository has no LICENSE file; only the card's license tag is known\n"
        "warning: base_model: mistralai/Mistral-7B-v0.3 is not in the registry; import it with --with-base-models\n"
    )


def test_command_line_exits_1_with_the_error_on_stderr(
    fake_hub: FakeHub,
    command_line: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    counts: Callable[[], dict[str, int]],
) -> None:
    before = counts()

    with pytest.raises(SystemExit) as exited:
        command_line("not a repo")

    captured = capsys.readouterr()
    assert exited.value.code == 1
    assert captured.out == ""
    assert captured.err == (
        "CommandError: repo_id: 'not a repo' is not a Hub model id; expected 'namespace/name', "
        "e.g. meta-llama/Llama-3.1-8B\n"
    )
    assert counts() == before


# --- API: inline import ---------------------------------------------------------------------------


def test_api_import_answers_201_with_the_version(fake_hub: FakeHub, officer_client: APIClient) -> None:
    response = officer_client.post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    version = ModelVersion.objects.get(model__hub_id=r.INSTRUCT)
    assert body["id"] == version.pk
    assert (body["model"], body["provider"], body["revision"], body["source"]) == (
        r.INSTRUCT,
        "meta-llama",
        r.INSTRUCT_SHA,
        "hub",
    )
    assert body["declared_license"] == "llama3.1"
    assert body["license_file"] == "LICENSE"
    assert body["license_sha256"] == r.sha256(r.file_bytes(r.INSTRUCT, "LICENSE"))
    assert body["imported_by"] == "olivia"
    assert body["locked"] is False
    assert body["base_models"] == [
        {
            "relation": "fine_tune",
            "relation_declared": False,
            "parent_ref": r.INSTRUCT_DECLARED_BASE,
            "parent_hub_id": r.BASE,
            "parent_version_id": None,
            "parent_revision": None,
        }
    ]
    assert body["documents"] == [
        {
            "path": path,
            "kind": kind,
            "sha256": r.sha256(r.file_bytes(r.INSTRUCT, path)),
            "size": len(r.file_bytes(r.INSTRUCT, path)),
        }
        for path, kind in [
            ("LICENSE", "license"),
            ("README.md", "readme"),
            ("USE_POLICY.md", "use_policy"),
            ("config.json", "config"),
        ]
    ]
    assert body["files"] == r.expected_files(r.INSTRUCT)
    assert body["card_metadata"]["license"] == "llama3.1"


def test_api_import_again_answers_200_and_writes_nothing(
    fake_hub: FakeHub, officer_client: APIClient, counts: Callable[[], dict[str, int]]
) -> None:
    first = officer_client.post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")
    before = counts()

    again = officer_client.post(
        reverse("v1:version-list"), {"repo_id": r.INSTRUCT, "revision": r.INSTRUCT_SHA}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert counts() == before


def test_api_import_with_base_models_links_the_base(fake_hub: FakeHub, officer_client: APIClient) -> None:
    response = officer_client.post(
        reverse("v1:version-list"), {"repo_id": r.DISTILL, "with_base_models": True}, format="json"
    )

    assert response.status_code == 201
    base = ModelVersion.objects.get(model__hub_id=r.BASE)
    assert response.json()["base_models"] == [
        {
            "relation": "distillation",
            "relation_declared": True,
            "parent_ref": r.BASE,
            "parent_hub_id": r.BASE,
            "parent_version_id": base.pk,
            "parent_revision": r.BASE_SHA,
        }
    ]


@pytest.mark.parametrize(
    ("payload", "status", "code", "fields"),
    [
        (
            {"repo_id": "not a repo"},
            400,
            "invalid",
            {
                "repo_id": [
                    "'not a repo' is not a Hub model id; expected 'namespace/name', e.g. meta-llama/Llama-3.1-8B"
                ]
            },
        ),
        ({"repo_id": r.INSTRUCT, "revision": "no spaces"}, 400, "invalid", None),
        (
            {"repo_id": "meta-llama/Llama-9-1T"},
            404,
            "not_found",
            {"repo_id": ["no model 'meta-llama/Llama-9-1T' on the Hub (or it is private and HF_TOKEN has no access)"]},
        ),
        (
            {"repo_id": r.INSTRUCT, "revision": "v9"},
            404,
            "not_found",
            {"revision": [f"'v9' does not exist in {r.INSTRUCT}"]},
        ),
    ],
    ids=["bad-repo-id", "bad-revision-syntax", "no-such-repo", "no-such-revision"],
)
def test_api_refusals_carry_status_code_and_fields(
    *,
    fake_hub: FakeHub,
    officer_client: APIClient,
    counts: Callable[[], dict[str, int]],
    payload: dict[str, Any],
    status: int,
    code: str,
    fields: dict[str, list[str]] | None,
) -> None:
    before = counts()

    response = officer_client.post(reverse("v1:version-list"), payload, format="json")

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    if fields is not None:
        assert error["fields"] == fields
    else:
        assert set(error["fields"]) == {"revision"}
    assert counts() == before


def test_api_reports_a_gated_repo_as_a_bad_gateway(fake_hub: FakeHub, officer_client: APIClient, settings: Any) -> None:
    settings.HF_TOKEN = None

    response = officer_client.post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "hub_gated"


def test_api_reports_an_unreachable_hub_as_a_bad_gateway(unreachable_hub: str, officer_client: APIClient) -> None:
    response = officer_client.post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"


def test_api_import_needs_the_registry_manage_capability(
    fake_hub: FakeHub, client_for: Callable[..., APIClient], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()

    as_developer = client_for(Role.DEVELOPER).post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")
    anonymous = APIClient().post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT}, format="json")
    as_engineer = client_for(Role.ML_ENGINEER).post(reverse("v1:version-list"), {"repo_id": r.QWEN}, format="json")

    assert (as_developer.status_code, anonymous.status_code, as_engineer.status_code) == (403, 401, 201)
    assert not any(r.INSTRUCT in path for path in fake_hub.paths())
    assert counts()["versions"] == before["versions"] + 1


# --- API: background import and the Celery task -------------------------------------------------


def test_api_background_import_answers_202_and_the_task_reports_the_version(
    fake_hub: FakeHub, officer_client: APIClient
) -> None:
    # When the import is queued
    queued = officer_client.post(
        reverse("v1:version-list"),
        {"repo_id": r.INSTRUCT, "background": True},
        format="json",
        HTTP_X_REQUEST_ID="req-bg-1",
    )

    # Then the answer is 202 with a task id, and the task reports the version it imported
    assert queued.status_code == 202
    task_id = queued.json()["task_id"]
    assert queued.json() == {"task_id": task_id, "status": "queued"}
    state = officer_client.get(reverse("v1:import-task", args=[task_id]))
    version = ModelVersion.objects.get(model__hub_id=r.INSTRUCT)
    assert state.status_code == 200
    assert state.json() == {"task_id": task_id, "status": "success", "version_id": version.pk, "error": None}
    assert version.imported_by is not None
    assert version.imported_by.username == "olivia"
    # The audit events carry the request that queued the work
    assert set(AuditEvent.objects.values_list("request_id", "client_ip")) == {("req-bg-1", "127.0.0.1")}


def test_api_background_import_of_a_missing_repo_reports_the_refusal(
    fake_hub: FakeHub, officer_client: APIClient, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()

    queued = officer_client.post(
        reverse("v1:version-list"), {"repo_id": "meta-llama/Llama-9-1T", "background": True}, format="json"
    )
    state = officer_client.get(reverse("v1:import-task", args=[queued.json()["task_id"]])).json()

    assert queued.status_code == 202
    assert state["status"] == "success"  # the task ran; the import was refused
    assert state["version_id"] is None
    assert state["error"] == {
        "code": "not_found",
        "message": (
            "repo_id: no model 'meta-llama/Llama-9-1T' on the Hub (or it is private and HF_TOKEN has no access)"
        ),
        "fields": {
            "repo_id": ["no model 'meta-llama/Llama-9-1T' on the Hub (or it is private and HF_TOKEN has no access)"]
        },
    }
    assert counts() == before


def test_api_background_import_with_the_hub_down_is_queued_and_reported_not_a_server_error(
    unreachable_hub: str, officer_client: APIClient, counts: Callable[[], dict[str, int]]
) -> None:
    # Given no broker (tasks run in-process, the embedded default) and a Hub that cannot be reached
    before = counts()

    # When an import is queued
    queued = officer_client.post(reverse("v1:version-list"), {"repo_id": r.INSTRUCT, "background": True}, format="json")

    # Then the API still answers 202, and the task's state tells what went wrong
    assert queued.status_code == 202
    state = officer_client.get(reverse("v1:import-task", args=[queued.json()["task_id"]])).json()
    assert state["status"] in {"failure", "success"}
    assert state["error"]["code"] in {"failed", "upstream_unavailable"}
    assert counts() == before


def test_import_task_state_needs_the_registry_manage_capability(
    fake_hub: FakeHub, client_for: Callable[..., APIClient]
) -> None:
    response = client_for(Role.DEVELOPER).get(reverse("v1:import-task", args=["any-task-id"]))

    assert response.status_code == 403


def test_celery_task_imports_as_the_given_user(fake_hub: FakeHub, officer: User) -> None:
    result = import_hf_model_task.delay(repo_id=r.DISTILL, revision=None, with_base_models=True, actor_id=officer.pk)

    outcome = result.get(timeout=10)
    distill = ModelVersion.objects.get(model__hub_id=r.DISTILL)
    assert outcome == {"version_id": distill.pk, "created": True, "warnings": [], "error": None}
    assert distill.imported_by == officer
    assert ModelVersion.objects.get(model__hub_id=r.BASE).revision == r.BASE_SHA
    # Run outside a request, its audit events carry the task's id as their request id
    assert set(AuditEvent.objects.values_list("request_id", "actor_label")) == {(result.id, "olivia")}


def test_celery_task_returns_a_refusal_instead_of_raising(
    fake_hub: FakeHub, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()

    outcome = import_hf_model_task.delay(repo_id=r.INSTRUCT, revision="v9", with_base_models=False, actor_id=None).get(
        timeout=10
    )

    assert outcome == {
        "version_id": None,
        "error": {
            "code": "not_found",
            "message": f"revision: 'v9' does not exist in {r.INSTRUCT}",
            "fields": {"revision": [f"'v9' does not exist in {r.INSTRUCT}"]},
        },
    }
    assert counts() == before
