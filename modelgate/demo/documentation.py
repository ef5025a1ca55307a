"""Demo data for the documentation exports: a high-risk use case of Llama 3.1 8B Instruct awaiting sign-off,
with most of its Annex IV written, and the model's own documentation texts (it is a GPAI model).

Used by ``demo_setup`` and by the export tests, so both show the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from compliance.approvals.gates import REQUIRED_HIGH_RISK_EVIDENCE
from compliance.approvals.services import approval_request_create, approval_submit
from compliance.exports.sections import MODEL_TEXT_KEYS, document_spec
from compliance.exports.services import export_text_set
from compliance.models import ApprovalRequest, ApprovalState, UseCase
from compliance.services import use_case_create
from registry.models import ModelVersion

HIGH_RISK_USE_CASE = "CV screening assistant"
GPAI_HUB_ID = "meta-llama/Llama-3.1-8B-Instruct"
# Left unwritten on purpose: the completeness report shows it and the final sign-off waits for it.
ANNEX_IV_LEFT_OPEN = ("eu_declaration_of_conformity",)

ANNEX_IV_TEXTS = {
    "intended_purpose_provider_version": (
        "Ranks incoming applications for engineering roles against the published job requirements and drafts a "
        "short rationale per candidate for the recruiter. Provider: Acme Corp HR Technology. System version 1.0, "
        "the first release; it uses the pinned model revision shown above."
    ),
    "software_firmware_versions": "vLLM 0.32 (OpenAI-compatible server) behind the Modelgate gateway; updates follow the change procedure in 6.",
    "forms_placed_on_market": "Internal web application for recruiters; the model is reached only through the Modelgate gateway API.",
    "target_hardware": "Two NVIDIA L4 GPUs per replica in the company's EU data centre; CPU fallback for tests only.",
    "deployer_user_interface": "A ranked list with the rationale and the matching requirements highlighted; recruiters accept, change or reject each ranking.",
    "instructions_for_use": "Instructions for use v1.0 (DMS HR-AI-7): intended purpose, limits, oversight duties, how to report problems.",
    "development_methods_and_third_party_tools": "Prompted use of the pre-trained, instruction-tuned GPAI model without fine-tuning; prompts and ranking rubric written and reviewed by HR and legal.",
    "design_specifications": "The model compares a CV with the job's must-have and nice-to-have requirements; it optimises for recall of qualified candidates; protected characteristics are removed before the prompt is built.",
    "system_architecture_and_compute": "CV parser -> redaction -> prompt builder -> Modelgate gateway (guardrails, audit) -> vLLM -> ranking UI. No training compute: the model is used as released.",
    "training_data_datasheets": "No training by the provider of the system. The GPAI model's training data is described in its Annex XII information and the provider's public summary.",
    "human_oversight_assessment": "Every ranking is reviewed by a trained recruiter before any decision; the rationale names the requirements matched so the output can be interpreted.",
    "validation_and_testing": "Test set of 1,200 anonymised historical applications with recruiter labels; metrics: recall@20, rank correlation, selection-rate ratio by gender and age band. Test report HR-AI-T3, signed 2026-10-02.",
    "cybersecurity_measures": "Model files pinned by SHA-256; gateway authentication, input and output guardrails, rate limits; prompt-injection heuristics on CV text.",
    "capabilities_and_limitations": "Recall@20 of 0.91 on the test set; weaker on CVs in languages other than English and German; not for roles without written requirements.",
    "foreseeable_risks_and_unintended_outcomes": "Indirect discrimination through proxies in CV text; over-reliance by recruiters; injected instructions in CVs. Mitigations in the risk file HR-AI-R2.",
    "human_oversight_measures": "Recruiters see the matched requirements for each ranking and can re-order freely; a weekly sample is double-checked by HR.",
    "input_data_specifications": "PDF or DOCX CVs up to 10 pages, English or German; converted to text and redacted before use.",
    "performance_metrics_appropriateness": "Recall@20 reflects the task (not missing qualified candidates); selection-rate ratios check for disparate impact.",
    "risk_management_system": "Art. 9 process run by HR compliance with quarterly reviews; risk file HR-AI-R2.",
    "lifecycle_changes": "Version 1.0; model revision pinned; every change goes through a new approval in Modelgate.",
    "standards_applied": "No harmonised standards published yet; ISO/IEC 42001 and ISO/IEC 23894 followed in part.",
    "post_market_monitoring": "Monthly review of inference records, recruiter overrides and complaints; post-market monitoring plan HR-AI-P1.",
    "external_interactions": "Reads CVs from the applicant tracking system; writes rankings back to it.",
}

MODEL_TEXTS = {
    "tasks_and_integration": "Multilingual dialogue and text generation; integrated into chat assistants, summarisers and retrieval-augmented systems.",
    "release_date_and_distribution": "Released 23 July 2024; distributed as open weights on the Hugging Face Hub under the Llama 3.1 Community License.",
    "input_output_modalities": "Text in, text out.",
    "integration_technical_means": "Served with vLLM (OpenAI-compatible API) from the pinned safetensors files; chat template in tokenizer_config.json.",
    "input_output_format_and_max_size": "UTF-8 text; context window of 131,072 tokens shared by input and output.",
    "data_type_provenance_curation": "Per the provider: about 15 trillion tokens of publicly available online data, cut-off December 2023; filtered for quality and personal data.",
    "intended_uses": "Assistant-style chat and text tasks in the eight supported languages, inside systems that add their own safeguards.",
    "out_of_scope_uses": "Uses that violate the Llama 3.1 Acceptable Use Policy or applicable law; languages beyond the supported eight without further evaluation.",
    "limitations": "May produce inaccurate or biased answers; not evaluated for decisions about individuals without human review.",
}


@dataclass(frozen=True)
class DocumentationDemo:
    approval: ApprovalRequest
    use_case: UseCase
    version: ModelVersion


def documentation_demo(*, requester: User, officer: User) -> DocumentationDemo | None:
    """The high-risk use case and its submitted approval (idempotent); None without the Llama snapshot."""
    version = ModelVersion.objects.filter(model__hub_id=GPAI_HUB_ID).order_by("-imported_at").first()
    if version is None:
        return None
    use_case = UseCase.objects.filter(name=HIGH_RISK_USE_CASE).first() or use_case_create(
        actor=officer,
        name=HIGH_RISK_USE_CASE,
        owner=requester,
        intended_purpose=(
            "Rank job applications for engineering roles against the job requirements, for a recruiter to review."
        ),
        deployment_facts={"commercial": True, "purpose": "internal_business"},
        classification_answers={"annex_iii": ["4a"], "transparency": {"interacts_with_natural_persons": False}},
    )
    keys = {item.key for item in document_spec("annex_iv").items()}
    for key, text in ANNEX_IV_TEXTS.items():
        if key in keys and key not in ANNEX_IV_LEFT_OPEN and not use_case.export_texts.filter(key=key).exists():
            export_text_set(actor=officer, key=key, text=text, use_case=use_case)
    model_keys = {item.key for kind in ("annex_xi", "annex_xii") for item in document_spec(kind).items()}
    model_keys |= set(MODEL_TEXT_KEYS)
    for key, text in MODEL_TEXTS.items():
        if key in model_keys and not version.export_texts.filter(key=key).exists():
            export_text_set(actor=officer, key=key, text=text, version=version)
    approval = ApprovalRequest.objects.filter(use_case=use_case, version=version).first()
    if approval is None:
        evidence = {
            kind: {"reference": f"dms://hr-ai/{kind}", "note": label}
            for kind, label in REQUIRED_HIGH_RISK_EVIDENCE.items()
        }
        approval = approval_request_create(
            actor=requester, version=version, use_case=use_case, environment="production", evidence=evidence
        )
    if approval.state == ApprovalState.DRAFT:
        approval = approval_submit(actor=requester, request=approval)
    return DocumentationDemo(approval=approval, use_case=use_case, version=version)
