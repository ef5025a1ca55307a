"""POST /api/v1/classifications/: every role may classify (compliance.view); nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from compliance.classification.engine import classify_answers
from core.roles import ROLE_CAPABILITIES, Capability, Role

URL = "/api/v1/classifications/"


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
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("answers", "tier", "gpai", "duties"),
    [
        ({}, "minimal", "none", []),
        ({"annex_iii": ["4a"]}, "high_risk", "none", []),
        (
            {"transparency": {"interacts_with_natural_persons": True}},
            "transparency",
            "none",
            ["art50_1_disclose_ai_interaction"],
        ),
        (
            {"gpai": {"is_general_purpose_model": True, "training_compute_flops": 3e25}},
            "minimal",
            "gpai_systemic_risk",
            [],
        ),
        ({"practices": ["untargeted_facial_scraping"]}, "prohibited", "none", []),
    ],
)
def test_a_classification_answers_200_with_the_result(
    answers: dict[str, Any], tier: str, gpai: str, duties: list[str], developer: APIClient
) -> None:
    response = developer.post(URL, {"answers": answers}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"tier", "gpai", "transparency_duties", "reasons", "obligations"}
    assert (body["tier"], body["gpai"], body["transparency_duties"]) == (tier, gpai, duties)
    assert body["reasons"]
    assert all(set(reason) == {"article", "text"} for reason in body["reasons"])


def test_obligations_carry_their_dates(developer: APIClient) -> None:
    body = developer.post(URL, {"answers": {"annex_iii": ["4a"]}}, format="json").json()
    requirements = next(item for item in body["obligations"] if item["article"] == "Arts. 8-15")

    assert requirements["applies_from"] == "2027-12-02"
    assert requirements["date_basis"] == "amended"


def test_the_api_and_the_cli_function_agree(developer: APIClient) -> None:
    answers = {"annex_iii": ["1c"], "transparency": {"emotion_recognition_or_biometric_categorisation": True}}

    assert developer.post(URL, {"answers": answers}, format="json").json() == classify_answers(answers)


def test_a_classification_stores_nothing(developer: APIClient) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = developer.post(URL, {"answers": {"annex_iii": ["4a"]}}, format="json")

    assert response.status_code == 200
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []


# ---- 400 naming the field -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "fields"),
    [
        ({"annex_iii": ["9a"]}, {"annex_iii"}),
        ({"scope": {"hobby": True}}, {"scope.hobby"}),
        ({"practice_exceptions": ["targeted_victim_search"]}, {"practice_exceptions"}),
        ({"gpai": {"training_compute_flops": "lots"}}, {"gpai.training_compute_flops"}),
        (
            {"transparency": {"deep_fake": "yes"}, "annex_i": {"legislation": "cars"}},
            {"transparency.deep_fake", "annex_i.legislation"},
        ),
        ([1, 2], {"answers"}),
        ("high", {"answers"}),
        (None, {"answers"}),
    ],
)
def test_invalid_answers_are_400_naming_the_fields(answers: Any, fields: set[str], developer: APIClient) -> None:
    error = _error(developer.post(URL, {"answers": answers}, format="json"), 400, "invalid_answers")

    assert set(error["fields"]) == fields


def test_missing_answers_are_400_naming_answers(developer: APIClient) -> None:
    error = _error(developer.post(URL, {}, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["answers"]


def test_an_unknown_request_field_is_400(developer: APIClient) -> None:
    error = _error(developer.post(URL, {"answers": {}, "facts": {}}, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["facts"]


def test_infinite_compute_is_400_not_a_server_error(developer: APIClient) -> None:
    response = developer.post(
        URL,
        data='{"answers": {"gpai": {"is_general_purpose_model": true, "training_compute_flops": 1e400}}}',
        content_type="application/json",
    )

    # DRF's JSONField refuses a value it cannot write back as strict JSON, before the answers are read.
    error = _error(response, 400, "invalid")
    assert list(error["fields"]) == ["answers"]


def test_a_body_that_is_not_json_is_400(developer: APIClient) -> None:
    _error(developer.post(URL, data="{nope", content_type="application/json"), 400, "malformed_request")


# ---- who may classify ---------------------------------------------------------------------------------------------


def test_anonymous_callers_get_401(db: None) -> None:
    _error(APIClient().post(URL, {"answers": {}}, format="json"), 401, "not_authenticated")


def test_users_without_a_role_get_403(client_for: Callable[..., APIClient]) -> None:
    _error(client_for().post(URL, {"answers": {}}, format="json"), 403, "permission_denied")


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_role_may_classify(role: Role, client_for: Callable[..., APIClient]) -> None:
    assert Capability.COMPLIANCE_VIEW in ROLE_CAPABILITIES[role]

    response = client_for(role).post(URL, {"answers": {"annex_iii": ["4a"]}}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["tier"] == "high_risk"


def test_get_is_not_allowed(developer: APIClient) -> None:
    _error(developer.get(URL), 405, "method_not_allowed")


def test_the_endpoint_is_in_the_openapi_schema(client: Any, db: None) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"][URL]["post"]
    assert set(schema["paths"][URL]) >= {"post"}
    assert "requestBody" in operation
