"""The machine gates of an approval: pure functions over plain data. No sign-off overrides them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REQUIRED_HIGH_RISK_EVIDENCE = {
    "risk_management": "risk management system (Art. 9)",
    "data_governance": "data and data governance (Art. 10)",
    "human_oversight": "human oversight measures (Art. 14)",
    "accuracy_robustness_tests": "accuracy, robustness and cybersecurity tests (Art. 15)",
}
FRIA = "fundamental_rights_impact_assessment"
EVIDENCE_KINDS = (*REQUIRED_HIGH_RISK_EVIDENCE, FRIA)
# Annex III points for which Art. 27(1) always requires a FRIA (creditworthiness, insurance pricing).
FRIA_ALWAYS_POINTS = {"5b", "5c"}


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class GateInput:
    license_verdict: str
    license_reasons: tuple[str, ...]
    tier: str
    classification_reasons: tuple[str, ...]
    annex_iii: tuple[str, ...]
    policy_denials: tuple[str, ...]
    evidence: Mapping[str, Any]
    separate_license: Mapping[str, Any] | None
    deployer_public_body_or_public_service: bool
    # Checked when the request would become approved (last sign-off, reinstatement), not at
    # submission: the technical documentation may be completed during the review.
    final: bool = False
    annex_iv_missing: tuple[str, ...] = ()


def fria_required(data: GateInput) -> bool:
    """Art. 27: Annex III high-risk systems (not point 2) used by public bodies or public-service providers,
    and always for points 5(b) and 5(c)."""
    if data.tier != "high_risk" or not data.annex_iii:
        return False
    if FRIA_ALWAYS_POINTS & set(data.annex_iii):
        return True
    return data.deployer_public_body_or_public_service and any(point != "2" for point in data.annex_iii)


def _attached(evidence: Mapping[str, Any], kind: str) -> bool:
    item = evidence.get(kind)
    return isinstance(item, Mapping) and bool(str(item.get("reference", "")).strip())


def evaluate_gates(data: GateInput) -> list[GateResult]:
    """Every gate with its result; the request may move on only if all pass."""
    first_license_reason = data.license_reasons[0] if data.license_reasons else ""
    results = [
        GateResult(
            "license_not_forbidden",
            data.license_verdict != "forbidden",
            f"license verdict {data.license_verdict}" + (f": {first_license_reason}" if first_license_reason else ""),
        ),
    ]
    if data.license_verdict == "needs_separate_license":
        recorded = bool(data.separate_license and str(data.separate_license.get("reference", "")).strip())
        results.append(
            GateResult(
                "separate_license_recorded",
                recorded,
                "a separate licence from the licensor is recorded"
                if recorded
                else f"the license requires a separate licence and none is attached: {first_license_reason}",
            )
        )
    results.append(
        GateResult(
            "not_prohibited",
            data.tier != "prohibited",
            f"EU AI Act tier {data.tier}"
            + (f": {data.classification_reasons[0]}" if data.classification_reasons else ""),
        )
    )
    results.append(
        GateResult(
            "license_policy",
            not data.policy_denials,
            "the organization's license policy allows it"
            if not data.policy_denials
            else "denied by policy: " + "; ".join(data.policy_denials),
        )
    )
    if data.tier == "high_risk":
        needed = dict(REQUIRED_HIGH_RISK_EVIDENCE)
        if fria_required(data):
            needed[FRIA] = "fundamental rights impact assessment (Art. 27)"
        missing = [label for kind, label in needed.items() if not _attached(data.evidence, kind)]
        results.append(
            GateResult(
                "high_risk_evidence",
                not missing,
                "all required evidence is attached" if not missing else "missing: " + ", ".join(missing),
            )
        )
        if data.final:
            results.append(
                GateResult(
                    "annex_iv_complete",
                    not data.annex_iv_missing,
                    "the Annex IV technical documentation is complete (Art. 11(1): drawn up before putting into service)"
                    if not data.annex_iv_missing
                    else f"{len(data.annex_iv_missing)} Annex IV items missing: " + "; ".join(data.annex_iv_missing),
                )
            )
    return results


def required_signoff_roles(
    tier: str, gpai: str, policy_signoff_roles: Iterable[str], requirements: Mapping[str, list[str]]
) -> list[str]:
    """One entry per person needed, e.g. ['compliance_officer', 'approver_legal', 'approver_security']."""
    roles = list(requirements.get(tier, requirements.get("minimal", ["compliance_officer"])))
    if gpai == "gpai_systemic_risk":
        roles.append("approver_legal")
    for role in policy_signoff_roles:
        if role not in roles:
            roles.append(role)
    return roles
