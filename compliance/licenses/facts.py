"""Deployment facts: the JSON a license check is asked about, validated strictly.

Unknown keys and wrong types are errors that name the field; missing keys take the
defaults below, chosen so that an omission never makes a deployment look safer
(a check that does not say otherwise is about commercial production use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.licenses.catalog import use_domains
from compliance.licenses.terms import PURPOSES
from core.errors import ApplicationError

MODALITIES = ("text", "image", "audio", "video")


@dataclass(frozen=True)
class Organization:
    monthly_active_users: int = 0
    mau_on_license_release_date: int | None = None
    annual_revenue_usd: float | None = None
    eu_domiciled: bool = False
    non_profit: bool = False
    registered_with_licensor: bool = False


@dataclass(frozen=True)
class Distribution:
    weights: bool = False
    hosted_service_for_third_parties: bool = False
    derivative_name: str | None = None


@dataclass(frozen=True)
class Training:
    fine_tuned: bool = False
    outputs_used_to_train_models: bool = False
    target_model_license: str | None = None


@dataclass(frozen=True)
class Facts:
    commercial: bool = True
    purpose: str = "production"
    organization: Organization = field(default_factory=Organization)
    distribution: Distribution = field(default_factory=Distribution)
    training: Training = field(default_factory=Training)
    end_users_in_eu: bool = False
    model_modalities: tuple[str, ...] = ("text",)
    use_domains: tuple[str, ...] = ()
    safety_guardrails_removed: bool = False
    modified_code_offered_over_network: bool = False

    @property
    def multimodal(self) -> bool:
        return any(modality != "text" for modality in self.model_modalities)


class FactsError(ApplicationError):
    code = "invalid_facts"


class _Checker:
    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def fail(self, path: str, problem: str) -> None:
        self.problems.setdefault(path, []).append(problem)

    def mapping(self, data: Any, path: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.fail(path or "facts", "must be a JSON object")
            return {}
        for key in data:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}" if path else str(key),
                    f"is not a known fact; known here: {', '.join(sorted(allowed))}",
                )
        return data

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {value!r}")
            return default
        return value

    def count(self, data: Mapping[str, Any], key: str, path: str, default: int | None, *, nullable: bool) -> int | None:
        value = data.get(key, default)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"must be a whole number ≥ 0{' or null' if nullable else ''}, not {value!r}")
            return default
        return int(value)

    def amount(self, data: Mapping[str, Any], key: str, path: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
            self.fail(path, f"must be a number ≥ 0 or null, not {value!r}")
            return None
        return float(value)

    def optional_text(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > 300:
            self.fail(path, "must be a non-empty string of at most 300 characters, or null")
            return None
        return value.strip()

    def codes(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        vocabulary: tuple[str, ...] | list[str],
        default: tuple[str, ...],
    ) -> tuple[str, ...]:
        value = data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(path, "must be a list of strings")
            return default
        unknown = [item for item in value if item not in vocabulary]
        if unknown:
            names = ", ".join(repr(item) for item in unknown)
            self.fail(path, f"{names} {'is' if len(unknown) == 1 else 'are'} not one of {', '.join(vocabulary)}")
            return default
        return tuple(dict.fromkeys(value))


def parse_facts(data: Any) -> Facts:
    """Validate deployment facts; raise ``FactsError`` listing every problem by field."""
    check = _Checker()
    top = check.mapping(data, "", set(Facts.__dataclass_fields__))
    purpose = top.get("purpose", "production")
    if purpose not in PURPOSES:
        check.fail("purpose", f"{purpose!r} is not one of {', '.join(PURPOSES)}")
        purpose = "production"

    org_data = check.mapping(top.get("organization", {}), "organization", set(Organization.__dataclass_fields__))
    organization = Organization(
        monthly_active_users=check.count(
            org_data, "monthly_active_users", "organization.monthly_active_users", 0, nullable=False
        )
        or 0,
        mau_on_license_release_date=check.count(
            org_data, "mau_on_license_release_date", "organization.mau_on_license_release_date", None, nullable=True
        ),
        annual_revenue_usd=check.amount(org_data, "annual_revenue_usd", "organization.annual_revenue_usd"),
        eu_domiciled=check.boolean(org_data, "eu_domiciled", "organization.eu_domiciled", False),
        non_profit=check.boolean(org_data, "non_profit", "organization.non_profit", False),
        registered_with_licensor=check.boolean(
            org_data, "registered_with_licensor", "organization.registered_with_licensor", False
        ),
    )
    dist_data = check.mapping(top.get("distribution", {}), "distribution", set(Distribution.__dataclass_fields__))
    distribution = Distribution(
        weights=check.boolean(dist_data, "weights", "distribution.weights", False),
        hosted_service_for_third_parties=check.boolean(
            dist_data, "hosted_service_for_third_parties", "distribution.hosted_service_for_third_parties", False
        ),
        derivative_name=check.optional_text(dist_data, "derivative_name", "distribution.derivative_name"),
    )
    train_data = check.mapping(top.get("training", {}), "training", set(Training.__dataclass_fields__))
    training = Training(
        fine_tuned=check.boolean(train_data, "fine_tuned", "training.fine_tuned", False),
        outputs_used_to_train_models=check.boolean(
            train_data, "outputs_used_to_train_models", "training.outputs_used_to_train_models", False
        ),
        target_model_license=check.optional_text(train_data, "target_model_license", "training.target_model_license"),
    )
    facts = Facts(
        commercial=check.boolean(top, "commercial", "commercial", True),
        purpose=purpose,
        organization=organization,
        distribution=distribution,
        training=training,
        end_users_in_eu=check.boolean(top, "end_users_in_eu", "end_users_in_eu", False),
        model_modalities=check.codes(top, "model_modalities", "model_modalities", MODALITIES, ("text",)),
        use_domains=check.codes(top, "use_domains", "use_domains", sorted(use_domains()), ()),
        safety_guardrails_removed=check.boolean(top, "safety_guardrails_removed", "safety_guardrails_removed", False),
        modified_code_offered_over_network=check.boolean(
            top, "modified_code_offered_over_network", "modified_code_offered_over_network", False
        ),
    )
    if check.problems:
        summary = "; ".join(f"{name}: {problems[0]}" for name, problems in check.problems.items())
        raise FactsError(f"the deployment facts are invalid: {summary}", fields=check.problems)
    return facts
