"""License verdicts: pure functions from (license terms, deployment facts) to a verdict with reasons.

No database, no I/O: the CLI, the API, the admin and the approval gates all call
``evaluate_expression`` with the same inputs and get the same answer. Every verdict
comes with at least one reason naming the clause and the fact that decided it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance.licenses.catalog import Catalog
from compliance.licenses.facts import Facts
from compliance.licenses.terms import Category, License, Verdict

_TRIGGER_WORDING = {
    "always": "in every deployment",
    "commercial": "for commercial use",
    "weights_distributed": "because the weights are distributed",
    "hosted_service": "because the model is offered as a hosted service to third parties",
    "derivative_created": "because the model is fine-tuned",
    "derivative_distributed": "because a fine-tuned derivative is distributed or made available",
    "outputs_used_to_train_models": "because its outputs are used to train models",
    "outputs_trained_model_distributed": "because a model trained on its outputs is distributed or made available",
    "end_users_in_eu": "because end users are in the EU",
}
# How restrictive a category is, for describing a combined expression by its strictest part.
_CATEGORY_ORDER = [
    Category.OSI_PERMISSIVE,
    Category.OPEN_NON_OSI,
    Category.OSI_COPYLEFT,
    Category.SOURCE_AVAILABLE_AI,
    Category.PROPRIETARY,
    Category.NON_COMMERCIAL,
    Category.RESEARCH_ONLY,
]


@dataclass(frozen=True)
class Item:
    """An obligation or a reason: what and where in which license."""

    clause: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"clause": self.clause, "text": self.text}


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    licenses: tuple[License, ...]
    expression: str
    obligations: tuple[Item, ...]
    reasons: tuple[Item, ...]
    alternatives: tuple[str, ...] = ()  # for OR: the branches considered

    def license_summary(self) -> dict[str, Any]:
        if len(self.licenses) == 1:
            only = self.licenses[0]
            return {
                "id": only.id,
                "name": only.name,
                "category": only.category.value,
                "osi_approved": only.osi_approved,
            }
        strictest = max(self.licenses, key=lambda entry: _CATEGORY_ORDER.index(entry.category))
        return {
            "id": self.expression,
            "name": " + ".join(entry.name for entry in self.licenses),
            "category": strictest.category.value,
            "osi_approved": all(entry.osi_approved for entry in self.licenses),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "license": self.license_summary(),
            "obligations": [{"text": item.text, "clause": item.clause} for item in self.obligations],
            "reasons": [item.as_dict() for item in self.reasons],
        }


@dataclass
class _Assessment:
    entry: License
    refusals: list[tuple[Verdict, Item]] = field(default_factory=list)
    obligations: list[Item] = field(default_factory=list)
    reasons: list[Item] = field(default_factory=list)

    def clause(self, clause: str) -> str:
        return f"{self.entry.id} {clause}".strip()

    def refuse(self, verdict: Verdict, clause: str, text: str) -> None:
        self.refusals.append((verdict, Item(self.clause(clause), text)))

    def oblige(self, clause: str, text: str, why: str) -> None:
        item = Item(self.clause(clause), text)
        if item not in self.obligations:
            self.obligations.append(item)
            self.reasons.append(Item(item.clause, f"{why}: {text}"))


def _triggers(facts: Facts) -> set[str]:
    distributed = facts.distribution.weights
    hosted = facts.distribution.hosted_service_for_third_parties
    active = {"always"}
    if facts.commercial:
        active.add("commercial")
    if distributed:
        active.add("weights_distributed")
    if hosted:
        active.add("hosted_service")
    if facts.training.fine_tuned:
        active.add("derivative_created")
        if distributed or hosted:
            active.add("derivative_distributed")
    if facts.training.outputs_used_to_train_models:
        active.add("outputs_used_to_train_models")
        if distributed or hosted:
            active.add("outputs_trained_model_distributed")
    if facts.end_users_in_eu:
        active.add("end_users_in_eu")
    return active


def evaluate_license(entry: License, facts: Facts, catalog: Catalog) -> Evaluation:
    """Decide one license for one deployment."""
    a = _Assessment(entry)
    _check_grant_scope(a, facts)
    _check_thresholds(a, facts)
    _check_territory_and_hosting(a, facts)
    _check_outputs_training(a, facts, catalog)
    _check_naming(a, facts)
    _check_duties(a, facts)
    return _conclude(a)


def _check_grant_scope(a: _Assessment, facts: Facts) -> None:
    """Termination, prohibited uses, commercial use and licensed purposes."""
    terms = a.entry.terms
    for termination in terms.termination:
        if termination.trigger == "safety_guardrails_removed" and facts.safety_guardrails_removed:
            a.refuse(
                Verdict.FORBIDDEN,
                termination.clause,
                f"safety guardrails are removed, which ends the licence: {termination.text or 'termination trigger'}",
            )
    if terms.use_restrictions is not None:
        hits = [code for code in facts.use_domains if code in terms.use_restrictions.codes]
        if hits:
            a.refuse(
                Verdict.FORBIDDEN,
                terms.use_restrictions.clause,
                f"the use domain(s) {', '.join(hits)} are prohibited uses",
            )
    commercial = terms.commercial_use
    if commercial is not None and not commercial.allowed and facts.commercial:
        a.refuse(
            commercial.consequence,
            commercial.clause,
            f"commercial use is outside the grant{': ' + commercial.text if commercial.text else ''}",
        )
    purposes = terms.permitted_purposes
    if purposes is not None and facts.purpose not in purposes.purposes:
        a.refuse(
            purposes.consequence,
            purposes.clause,
            f"the purpose {facts.purpose!r} is not among the licensed purposes "
            f"({', '.join(purposes.purposes) or 'none'})" + (f": {purposes.text}" if purposes.text else ""),
        )


def _check_territory_and_hosting(a: _Assessment, facts: Facts) -> None:
    terms = a.entry.terms
    for rule in terms.territorial:
        if (
            rule.region.upper() == "EU"
            and rule.licensee_domiciled
            and facts.organization.eu_domiciled
            and (facts.multimodal or not rule.modalities_beyond_text)
        ):
            what = "a multimodal model" if rule.modalities_beyond_text else "this model"
            a.refuse(
                rule.consequence,
                rule.clause,
                f"the licensee is domiciled in the EU and deploys {what}: rights are not granted"
                + (f" ({rule.text})" if rule.text else ""),
            )
    hosting = terms.hosting
    if hosting is not None and not hosting.allowed and facts.distribution.hosted_service_for_third_parties:
        a.refuse(
            hosting.consequence,
            hosting.clause,
            f"offering the model as a hosted service is not licensed{': ' + hosting.text if hosting.text else ''}",
        )


def _check_duties(a: _Assessment, facts: Facts) -> None:
    """Registration, flow-down, acceptable use, network copyleft and the triggered obligations."""
    terms = a.entry.terms
    registration = terms.registration
    if (
        registration is not None
        and not facts.organization.registered_with_licensor
        and (registration.required_when == "always" or facts.commercial)
    ):
        text = registration.text or "Register with the licensor"
        if registration.consequence == "needs_separate_license":
            a.refuse(
                Verdict.NEEDS_SEPARATE_LICENSE,
                registration.clause,
                f"the licensee has not registered with or been authorized by the licensor: {text}",
            )
        else:
            a.oblige(registration.clause, text, "The licensee has not registered with the licensor")
    restrictions = terms.use_restrictions
    if restrictions is not None:
        passes_on = (
            facts.distribution.weights
            or facts.distribution.hosted_service_for_third_parties
            or facts.training.fine_tuned
            or facts.training.outputs_used_to_train_models
        )
        if restrictions.flow_down and passes_on:
            a.oblige(
                restrictions.clause,
                "Pass the use restrictions on as enforceable terms to everyone who receives the model, "
                "a derivative or access to it as a service, and notify them",
                "The use restrictions flow down to recipients and users",
            )
        a.oblige(
            restrictions.clause,
            "Comply with the license's use restrictions / acceptable use policy",
            "The license restricts uses",
        )
    if terms.network_copyleft is not None and facts.modified_code_offered_over_network:
        a.oblige(
            terms.network_copyleft.clause,
            terms.network_copyleft.text or "Offer the corresponding source to users interacting over the network",
            "Modified code is offered to users over a network",
        )
    triggers = _triggers(facts)
    for obligation in terms.obligations:
        fired = [trigger for trigger in obligation.when if trigger in triggers]
        if fired:
            a.oblige(obligation.clause, obligation.text, _TRIGGER_WORDING[fired[0]].capitalize())


def _check_thresholds(a: _Assessment, facts: Facts) -> None:
    organization = facts.organization
    for threshold in a.entry.terms.thresholds:
        if threshold.applies_when == "commercial" and not facts.commercial:
            continue
        affiliates = " (including affiliates)" if threshold.includes_affiliates else ""
        if threshold.metric == "monthly_active_users":
            value = organization.monthly_active_users
            basis_note = ""
            if threshold.basis == "license_release_date":
                if organization.mau_on_license_release_date is not None:
                    value = organization.mau_on_license_release_date
                    basis_note = " on the license's release date"
                else:
                    basis_note = " (current figure, as the MAU on the release date was not given)"
            if threshold.exceeded_by(value):
                a.refuse(
                    threshold.consequence,
                    threshold.clause,
                    f"{value:,} monthly active users{affiliates}{basis_note} exceed the limit of "
                    f"{threshold.limit:,}" + (f": {threshold.text}" if threshold.text else ""),
                )
        else:
            revenue = organization.annual_revenue_usd
            if revenue is None:
                a.oblige(
                    threshold.clause,
                    f"Keep annual revenue{affiliates} at or below USD {threshold.limit:,}; above it "
                    + (threshold.text or "the licence no longer covers the use"),
                    "Annual revenue was not given",
                )
            elif threshold.exceeded_by(revenue):
                a.refuse(
                    threshold.consequence,
                    threshold.clause,
                    f"annual revenue{affiliates} of USD {revenue:,.0f} exceeds USD {threshold.limit:,}"
                    + (f": {threshold.text}" if threshold.text else ""),
                )


def _check_outputs_training(a: _Assessment, facts: Facts, catalog: Catalog) -> None:
    rule = a.entry.terms.outputs_training
    if rule is None or rule.allowed or not facts.training.outputs_used_to_train_models:
        return
    target = facts.training.target_model_license
    target_entry = catalog.get(target) if target else None
    if target_entry is not None and target_entry.id in rule.exempt_target_licenses:
        a.reasons.append(
            Item(a.clause(rule.clause), f"outputs train a model under {target_entry.id}, which the clause exempts")
        )
        return
    detail = (
        f" (the trained model's license is {target})"
        if target
        else " (the trained model's license was not given, so no exemption can apply)"
    )
    a.refuse(
        rule.consequence,
        rule.clause,
        f"outputs are used to train another model{detail}" + (f": {rule.text}" if rule.text else ""),
    )


def _check_naming(a: _Assessment, facts: Facts) -> None:
    rule = a.entry.terms.derivative_naming
    if rule is None:
        return
    made_available = facts.distribution.weights or facts.distribution.hosted_service_for_third_parties
    built = facts.training.fine_tuned or (
        rule.applies_to_outputs_training and facts.training.outputs_used_to_train_models
    )
    if not (built and made_available):
        return
    name = facts.distribution.derivative_name
    if name and name.lower().startswith(rule.prefix.lower()):
        a.reasons.append(
            Item(a.clause(rule.clause), f"the derivative's name {name!r} begins with {rule.prefix!r} as required")
        )
        return
    current = f" ({name!r} does not)" if name else ""
    a.oblige(
        rule.clause,
        f"Begin the name of the distributed model with {rule.prefix!r}{current}",
        "A model built with it is distributed or made available",
    )


def _conclude(a: _Assessment) -> Evaluation:
    reasons = [item for _, item in sorted(a.refusals, key=lambda pair: -pair[0].severity)] + a.reasons
    if a.refusals:
        verdict = max((verdict for verdict, _ in a.refusals), key=lambda v: v.severity)
    elif a.obligations:
        verdict = Verdict.ALLOWED_WITH_OBLIGATIONS
    else:
        verdict = Verdict.ALLOWED
        reasons.append(
            Item(
                a.clause(a.entry.grant.clause),
                f"nothing in {a.entry.name} restricts this deployment; the grant: {a.entry.grant.text}",
            )
        )
    return Evaluation(
        verdict=verdict,
        licenses=(a.entry,),
        expression=a.entry.id,
        obligations=tuple(a.obligations),
        reasons=tuple(reasons),
    )


def combine_all(parts: list[Evaluation], expression: str) -> Evaluation:
    """AND: every license applies; the strictest verdict wins and all obligations add up."""
    verdict = max((part.verdict for part in parts), key=lambda v: v.severity)
    obligations: list[Item] = []
    reasons: list[Item] = []
    licenses: list[License] = []
    # The parts with the strictest verdicts explain it best, so their reasons come first.
    for part in sorted(parts, key=lambda p: -p.verdict.severity):
        reasons.extend(item for item in part.reasons if item not in reasons)
    for part in parts:
        obligations.extend(item for item in part.obligations if item not in obligations)
        licenses.extend(entry for entry in part.licenses if entry not in licenses)
    return Evaluation(
        verdict=verdict,
        licenses=tuple(licenses),
        expression=expression,
        obligations=tuple(obligations),
        reasons=tuple(reasons),
    )


def choose_best(parts: list[Evaluation], expression: str) -> Evaluation:
    """OR: the licensee may pick any branch, so take the most favourable one and say so."""
    best = min(parts, key=lambda part: (part.verdict.severity, len(part.obligations)))
    others = [part.expression for part in parts if part is not best]
    choice = Item(
        "choice of license",
        f"{expression} lets the licensee choose; {best.expression} is the most favourable "
        f"branch for this deployment (also considered: {', '.join(others)})",
    )
    return Evaluation(
        verdict=best.verdict,
        licenses=best.licenses,
        expression=best.expression,
        obligations=best.obligations,
        reasons=(choice, *best.reasons),
        alternatives=tuple(part.expression for part in parts),
    )
