"""An organization's own license rules, applied on top of the license verdict. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance.licenses.terms import License


@dataclass(frozen=True)
class PolicyRule:
    name: str
    match_kind: str  # category | license
    match_value: str
    environment: str  # any | production | staging
    effect: str  # deny | require_signoff
    signoff_role: str
    reason: str


@dataclass(frozen=True)
class PolicyDecision:
    rule: str
    effect: str
    signoff_role: str
    license_id: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "effect": self.effect,
            "signoff_role": self.signoff_role,
            "license": self.license_id,
            "reason": self.reason,
        }


def apply_policy(rules: Iterable[PolicyRule], licenses: Iterable[License], environment: str) -> list[PolicyDecision]:
    """Every rule that applies to any of ``licenses`` deployed in ``environment``."""
    decisions = []
    entries = list(licenses)
    for rule in rules:
        if rule.environment not in ("any", environment):
            continue
        for entry in entries:
            matches = (
                entry.category.value == rule.match_value
                if rule.match_kind == "category"
                else entry.id == rule.match_value
            )
            if matches:
                decisions.append(PolicyDecision(rule.name, rule.effect, rule.signoff_role, entry.id, rule.reason))
    return decisions
