"""Verdicts of the license engine, case by case, against shared/reference/licenses.md.

Every case names the license (catalog id, Hugging Face tag, license_name or SPDX expression),
the deployment facts, the verdict the reference supports, and the clause that decides it
(a substring of one reason's ``clause``). ``ref`` says where in the reference the
expectation comes from; a failing case is a disagreement between the engine or the
catalog and that line, not a case to weaken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from compliance.licenses.catalog import load_catalog
from compliance.licenses.expressions import evaluate_expression, license_ids
from compliance.licenses.facts import parse_facts
from compliance.licenses.terms import REFUSALS, Verdict

ALLOWED = Verdict.ALLOWED
OBLIGATIONS = Verdict.ALLOWED_WITH_OBLIGATIONS
SEPARATE = Verdict.NEEDS_SEPARATE_LICENSE
FORBIDDEN = Verdict.FORBIDDEN

HOSTED = {"hosted_service_for_third_parties": True}
WEIGHTS = {"weights": True}
NON_COMMERCIAL_RESEARCH = {"commercial": False, "purpose": "research"}


@dataclass(frozen=True)
class Case:
    name: str
    license: str
    facts: dict[str, Any]
    verdict: Verdict
    clause: str  # a substring of the clause of at least one reason
    ref: str  # the line of shared/reference/licenses.md the expectation rests on
    obligations: tuple[str, ...] = ()  # substrings each found in some obligation's text
    absent_obligations: tuple[str, ...] = ()  # substrings no obligation's text may contain
    absent_clauses: tuple[str, ...] = ()  # substrings no reason's clause may contain


CASES: list[Case] = [
    # ---- §7 example scenarios ---------------------------------------------------------------
    Case(
        "s7-01-llama3.1-saas-chatbot",
        "llama3.1",
        {"organization": {"monthly_active_users": 5_000_000}, "distribution": HOSTED},
        OBLIGATIONS,
        "§1.b.i",
        "§7 #1: allowed_with_obligations: display 'Built with Llama'; comply with AUP (§1.b.i, §1.b.iv)",
        obligations=('"Built with Llama"', "acceptable use policy"),
        absent_clauses=("Llama-3.1 §2",),
    ),
    Case(
        "s7-04-llama2-synthetic-data-for-mistral",
        "llama2",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "apache-2.0"}},
        FORBIDDEN,
        "§1.b.v",
        "§7 #4: generate synthetic data with Llama 2 to fine-tune Mistral 7B -> forbidden (§1.b.v)",
    ),
    Case(
        "s7-08-llama3.2-vision-german-company",
        "llama3.2",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "image"]},
        SEPARATE,
        "EU multimodal sentence",
        "§7 #8: company with principal place of business in Germany -> needs_separate_license",
    ),
    Case(
        "s7-11-gemma-commercial-api",
        "gemma",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§3.1",
        "§7 #11: Hosted Service = Distribution; use restrictions as enforceable terms; no Notice file needed",
        obligations=("Pass the use restrictions on as enforceable terms",),
        absent_obligations=('"Notice" text file',),
    ),
    Case(
        "s7-14-codestral-internal-assistant",
        "mnpl",
        {"purpose": "internal_business"},
        SEPARATE,
        "§3.2",
        "§7 #14: internal coding assistant for employees -> needs_separate_license (MNPL §3.2, §3.3)",
    ),
    Case(
        "s7-18-mistral7b-1b-mau-saas-redistributes-finetune",
        "apache-2.0",
        {
            "organization": {"monthly_active_users": 1_000_000_000},
            "distribution": {"weights": True, "hosted_service_for_third_parties": True},
            "training": {"fine_tuned": True},
        },
        OBLIGATIONS,
        "§4",
        "§7 #18: licence copy, NOTICE, change notices; no threshold (Apache-2.0 §4)",
        obligations=("copy of the Apache License", "NOTICE", "prominent notices stating that you changed"),
    ),
    Case(
        "s7-19-qwen2.5-72b-150m-mau",
        "qwen",
        {"organization": {"monthly_active_users": 150_000_000}},
        SEPARATE,
        "100M MAU",
        "§7 #19: commercial product with 150M MAU -> needs_separate_license",
    ),
    Case(
        "s7-28-sd3.5-3m-revenue",
        "stabilityai-ai-community",
        {"organization": {"annual_revenue_usd": 3_000_000}},
        SEPARATE,
        "§III",
        "§7 #28: USD 3M annual revenue -> needs_separate_license (§III revenue clause)",
    ),
    Case(
        "s7-31-command-r-paid-support-bot",
        "cc-by-nc-4.0",
        {"distribution": HOSTED},
        FORBIDDEN,
        "§2(a)(1)",
        "§7 #31: customer-support bot for a paying business -> forbidden (CC-BY-NC-4.0 §2(a)(1))",
    ),
    Case(
        "s7-35-nvidia-cosmos-guardrail-removed",
        "nvidia-open-model-license",
        {"safety_guardrails_removed": True},
        FORBIDDEN,
        "§2.1",
        "§7 #35: commercial use after removing the safety guardrail -> forbidden (§2.1)",
    ),
    # ---- Llama: the 700M MAU threshold (strictly greater than, on the release date) --------
    Case(
        "llama3.1-mau-exactly-700m-is-not-greater",
        "llama3.1",
        {"organization": {"mau_on_license_release_date": 700_000_000}},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.1/§1.3 threshold: 'greater than 700 million' -- strictly greater than",
        absent_clauses=("Llama-3.1 §2",),
    ),
    Case(
        "llama3.1-mau-one-above-700m",
        "llama3.1",
        {"organization": {"mau_on_license_release_date": 700_000_001}},
        SEPARATE,
        "Llama-3.1 §2",
        "§1.3 threshold: 700M MAU on the Llama 3.1 release date",
    ),
    Case(
        "llama3.1-mau-just-below-700m",
        "llama3.1",
        {"organization": {"monthly_active_users": 699_999_999}},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.3 threshold: 700M MAU",
        absent_clauses=("Llama-3.1 §2",),
    ),
    Case(
        "llama3.1-large-now-small-on-release-date",
        "llama3.1",
        {"organization": {"monthly_active_users": 900_000_000, "mau_on_license_release_date": 100_000_000}},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.1 threshold: 'Strictly greater than; includes affiliates; anchored to the release date'",
        absent_clauses=("Llama-3.1 §2",),
    ),
    Case(
        "llama3.1-small-now-large-on-release-date",
        "llama3.1",
        {"organization": {"monthly_active_users": 100_000_000, "mau_on_license_release_date": 800_000_000}},
        SEPARATE,
        "Llama-3.1 §2",
        "§1.1 threshold: anchored to the release date",
    ),
    Case(
        "llama2-release-date-mau-unknown-current-above",
        "llama2",
        {"organization": {"monthly_active_users": 700_000_001}},
        SEPARATE,
        "Llama-2 §2",
        "§1.1 threshold; facts.py: an omission never makes a deployment look safer",
    ),
    Case(
        "llama4-mau-above-700m-on-release-date",
        "llama4",
        {"organization": {"mau_on_license_release_date": 700_000_001}},
        SEPARATE,
        "Llama-4 §2",
        "§1.6: 700M MAU on release date",
    ),
    # ---- Llama: outputs used to train models (§1.b.v in Llama 2 / 3) -----------------------
    Case(
        "llama2-outputs-train-a-llama2-derivative",
        "llama2",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "llama2"}},
        OBLIGATIONS,
        "§1.b.v",
        "§1.1 §1.b.v: '(excluding Llama 2 or derivative works thereof)'",
    ),
    Case(
        "llama2-outputs-train-a-model-of-unknown-license",
        "llama2",
        {"training": {"outputs_used_to_train_models": True}},
        FORBIDDEN,
        "§1.b.v",
        "§1.1 §1.b.v: not to improve any other large language model",
    ),
    Case(
        "llama3-outputs-train-a-llama3.1-model",
        "llama3",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "LicenseRef-Llama-3.1"}},
        FORBIDDEN,
        "§1.b.v",
        "§1.2 §1.b.v retained: excluding Meta Llama 3 or derivative works thereof (only)",
    ),
    Case(
        "llama3.1-outputs-train-another-model-named-otherwise",
        "llama3.1",
        {
            "training": {"outputs_used_to_train_models": True, "target_model_license": "apache-2.0"},
            "distribution": {"weights": True, "derivative_name": "Mistral-Distilled-7B"},
        },
        OBLIGATIONS,
        "§1.b.i; §5.a",
        "§1.3: using outputs to train another model is allowed but the distributed model must be named 'Llama…'",
        obligations=("Begin the name of the distributed model with 'Llama'",),
    ),
    # ---- Llama: derivative naming ------------------------------------------------------------
    Case(
        "llama3.1-finetune-named-llama",
        "llama3.1",
        {"training": {"fine_tuned": True}, "distribution": {"weights": True, "derivative_name": "Llama-3.1-Acme-8B"}},
        OBLIGATIONS,
        "§1.b.i; §5.a",
        "§1.3 naming §1.b.i: include 'Llama' at the beginning of any such AI model name",
        obligations=("Llama 3.1 Community License Agreement", '"Notice" text file'),
        absent_obligations=("Begin the name",),
    ),
    Case(
        "llama3.1-finetune-hosted-named-without-llama",
        "llama3.1",
        {"training": {"fine_tuned": True}, "distribution": {**HOSTED, "derivative_name": "AcmeChat-8B"}},
        OBLIGATIONS,
        "§1.b.i; §5.a",
        "§1.3 naming §1.b.i (distributed or made available)",
        obligations=("Begin the name of the distributed model with 'Llama' ('AcmeChat-8B' does not)",),
    ),
    Case(
        "llama3-finetune-named-llama-but-not-llama-3",
        "llama3",
        {"training": {"fine_tuned": True}, "distribution": {"weights": True, "derivative_name": "Llama-Acme"}},
        OBLIGATIONS,
        "§1.b.i; §5.a",
        "§1.2 naming: include 'Llama 3' at the beginning of any such AI model name",
        obligations=("Begin the name of the distributed model with 'Llama 3'", '"Built with Meta Llama 3"'),
    ),
    Case(
        "llama3.1-finetune-kept-internal-needs-no-name",
        "llama3.1",
        {"training": {"fine_tuned": True}},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.3 naming applies to a model 'which is distributed or made available'",
        absent_obligations=("Begin the name", '"Built with Llama"'),
    ),
    # ---- Llama: the EU multimodal sentence ---------------------------------------------------
    Case(
        "llama3.2-eu-company-text-only",
        "llama3.2",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text"]},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.4 EU clause: 'With respect to any multimodal models included in Llama 3.2'",
        absent_clauses=("EU multimodal",),
    ),
    Case(
        "llama3.2-multimodal-eu-end-users-only",
        "llama3.2",
        {"end_users_in_eu": True, "model_modalities": ["text", "image"]},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.4 EU clause: 'This restriction does not apply to end users of a product or service'",
        absent_clauses=("EU multimodal",),
    ),
    Case(
        "llama3.2-multimodal-eu-company-research",
        "llama3.2",
        {**NON_COMMERCIAL_RESEARCH, "organization": {"eu_domiciled": True}, "model_modalities": ["image", "text"]},
        SEPARATE,
        "EU multimodal sentence",
        "§1.4 EU clause: the §1(a) rights are not granted at all, whatever the purpose",
    ),
    Case(
        "llama3.1-has-no-eu-clause",
        "llama3.1",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "image"]},
        OBLIGATIONS,
        "Acceptable Use Policy",
        "§1.3 AUP: 'no EU clause'",
        absent_clauses=("EU multimodal",),
    ),
    Case(
        "llama3.3-multimodal-eu-company",
        "llama3.3",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "audio"]},
        SEPARATE,
        "EU multimodal sentence",
        "§1.5: the 3.3 AUP also contains the EU multimodal sentence",
    ),
    Case(
        "llama4-multimodal-eu-company",
        "llama4",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "image"]},
        SEPARATE,
        "EU multimodal sentence",
        "§1.6 EU clause: same sentence as 3.2",
    ),
    Case(
        "llama3.2-safety-measures-removed",
        "llama3.2",
        {"safety_guardrails_removed": True},
        FORBIDDEN,
        "circumvent or remove usage restrictions",
        "§1.4 AUP 1.g: 'intentionally circumvent or remove usage restrictions or other safety measures'",
    ),
    Case(
        "llama2-military-use",
        "llama2",
        {"use_domains": ["military"]},
        FORBIDDEN,
        "Acceptable Use Policy",
        "§1.1 AUP (2): military, warfare, nuclear",
    ),
    # ---- research-only and non-production licenses ----------------------------------------
    Case(
        "mrl-production",
        "mrl",
        {"purpose": "production"},
        SEPARATE,
        "Research Purposes",
        "§1.8 §3.2: only for Research Purposes; other uses: request a license from Mistral AI",
    ),
    Case(
        "mrl-non-commercial-research",
        "mrl",
        NON_COMMERCIAL_RESEARCH,
        ALLOWED,
        "§2.1",
        "§1.8 Research Purposes: personal, scientific or academic research, non-commercial",
    ),
    Case(
        "mnpl-non-commercial-evaluation",
        "mnpl",
        {"commercial": False, "purpose": "evaluation"},
        ALLOWED,
        "§2.1",
        "§1.9 §3.2: testing, research, Personal, or evaluation purposes in Non-Production Environments",
    ),
    Case(
        "qwen-research-production",
        "qwen-research",
        {"purpose": "production"},
        SEPARATE,
        "§2.b",
        "§1.13 §2: 'If you are commercially using the Materials, you shall request a license from us.'",
    ),
    Case(
        "qwen-research-non-commercial-research",
        "qwen-research",
        NON_COMMERCIAL_RESEARCH,
        ALLOWED,
        "§2.a",
        "§1.13: 'for research or evaluation purposes only'",
    ),
    Case(
        "qwen-research-outputs-train-an-internal-model",
        "qwen-research",
        {**NON_COMMERCIAL_RESEARCH, "training": {"outputs_used_to_train_models": True, "target_model_license": "mit"}},
        ALLOWED,
        "§2.a",
        "§1.13 Qwen Research §4.b: the duty is for models 'that are distributed/made available'",
        absent_obligations=("Built with Qwen",),
    ),
    Case(
        "tongyi-qianwen-research-evaluation",
        "LicenseRef-Tongyi-Qianwen-Research",
        {"commercial": False, "purpose": "evaluation"},
        ALLOWED,
        "§2",
        "§1.13: 'Non-Commercial' = 'for research or evaluation purposes only'",
    ),
    Case(
        "tongyi-qianwen-research-outputs-improve-other-llm",
        "LicenseRef-Tongyi-Qianwen-Research",
        {**NON_COMMERCIAL_RESEARCH, "training": {"outputs_used_to_train_models": True, "target_model_license": "mit"}},
        FORBIDDEN,
        "§4.b",
        "§1.13 Tongyi Research §4.b: may not use Materials or output to improve any other LLM",
    ),
    Case(
        "apple-amlr-commercial-product",
        "apple-amlr",
        {},
        FORBIDDEN,
        "Research Purposes",
        "§1.23: 'Research Purposes' does not include any commercial exploitation or commercial product",
    ),
    Case(
        "unknown-license-grants-nothing",
        "unknown",
        {"commercial": False, "purpose": "research"},
        SEPARATE,
        "no license determined",
        "§0 verdicts: no licence, no rights (needs_separate_license)",
    ),
    # ---- non-commercial CC ----------------------------------------------------------------
    Case(
        "cc-by-nc-non-commercial-hosted-research",
        "cc-by-nc-4.0",
        {**NON_COMMERCIAL_RESEARCH, "distribution": HOSTED},
        ALLOWED,
        "§2(a)(1)",
        "§1.20 grant: reproduce and Share 'for NonCommercial purposes only'",
    ),
    Case(
        "cc-by-nc-non-commercial-shares-weights",
        "cc-by-nc-4.0",
        {"commercial": False, "distribution": WEIGHTS},
        OBLIGATIONS,
        "§3(a)(1)",
        "§1.20 Attribution §3(a)(1)",
        obligations=("Attribution when sharing the weights",),
    ),
    Case(
        "cc-by-nc-sa-commercial",
        "cc-by-nc-sa-4.0",
        {},
        FORBIDDEN,
        "§2(a)(1)",
        "§1.20/§1.21: the NonCommercial element ('for NonCommercial purposes only')",
    ),
    Case(
        "cc-by-commercial-hosting",
        "cc-by-4.0",
        {"distribution": HOSTED},
        ALLOWED,
        "§2(a)(1)",
        "§1.21 CC-BY-4.0: commercial yes; hosting yes",
    ),
    Case(
        "cc-by-sa-shares-a-finetune",
        "cc-by-sa-4.0",
        {"training": {"fine_tuned": True}, "distribution": WEIGHTS},
        OBLIGATIONS,
        "§3(b)",
        "§1.21 ShareAlike on Adapted Material",
        obligations=("ShareAlike",),
    ),
    # ---- copyleft code ------------------------------------------------------------------------
    Case(
        "agpl-modified-code-served-over-network",
        "agpl-3.0",
        {"modified_code_offered_over_network": True, "distribution": HOSTED},
        OBLIGATIONS,
        "§13",
        "§1.26 AGPL §13: offer the Corresponding Source to users interacting remotely",
        obligations=("Corresponding Source",),
    ),
    Case(
        "gpl-modified-code-served-over-network-is-not-conveying",
        "gpl-3.0",
        {"modified_code_offered_over_network": True, "distribution": HOSTED},
        ALLOWED,
        "§2",
        "§1.26 GPL: 'Mere interaction with a user through a computer network ... is not conveying.'",
    ),
    Case(
        "agpl-or-later-conveys-weights",
        "AGPL-3.0-or-later",
        {"distribution": WEIGHTS},
        OBLIGATIONS,
        "§4",
        "§1.26 copyleft: conveyed works licensed as a whole under the same licence",
        obligations=("Convey copies under AGPL-3.0 (or later)",),
    ),
    # ---- Gemma ----------------------------------------------------------------------------------
    Case(
        "gemma-feb-2024-hosted-latest-version-duty",
        "LicenseRef-Gemma-2024-02-21",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§4.1",
        "§1.7 Version change: Feb-2024 §4.1 'make reasonable efforts to use the latest version of Gemma'",
        obligations=("Pass the use restrictions on", "latest version of Gemma"),
        absent_obligations=('"Notice" text file',),
    ),
    Case(
        "gemma-mar-2025-no-latest-version-duty",
        "LicenseRef-Gemma-2025-03-24",
        {"distribution": WEIGHTS},
        OBLIGATIONS,
        "§3.1(4)",
        "§1.7: Mar-2025 removed the duty; All Distributions other than Hosted Service carry a Notice file",
        obligations=('"Notice" text file',),
        absent_obligations=("latest version of Gemma",),
    ),
    Case(
        "gemma-apr-2024-safety-filters-circumvented",
        "LicenseRef-Gemma-2024-04-01",
        {"safety_guardrails_removed": True},
        FORBIDDEN,
        "circumventing safety filters",
        "§1.7 Prohibited Use Policy (2): circumventing safety filters",
    ),
    # ---- DeepSeek, RAIL ------------------------------------------------------------------------
    Case(
        "deepseek-military-use",
        "deepseek",
        {"use_domains": ["military"]},
        FORBIDDEN,
        "Attachment A",
        "§1.14 Attachment A: 'For military use in any way'",
    ),
    Case(
        "deepseek-saas-flow-down",
        "deepseek-license",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§4",
        "§1.14 Hosting §4: SaaS allowed if the use-based restrictions are included as an enforceable provision",
        obligations=("Pass the use restrictions on as enforceable terms",),
    ),
    Case(
        "bigscience-openrail-m-medical-advice",
        "bigscience-openrail-m",
        {"use_domains": ["medical_advice"]},
        FORBIDDEN,
        "Attachment A",
        "§1.18 Attachment A: 'To provide medical advice and medical results interpretation'",
    ),
    Case(
        "creativeml-openrail-m-hosted-flow-down",
        "creativeml-openrail-m",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§4.a",
        "§1.18 Flow-down §4.a: use-based restrictions MUST be included as an enforceable provision",
        obligations=("Pass the use restrictions on as enforceable terms",),
    ),
    Case(
        "bloom-rail-law-enforcement",
        "bigscience-bloom-rail-1.0",
        {"use_domains": ["law_enforcement"]},
        FORBIDDEN,
        "Attachment A",
        "§1.17: assume the BigScience OpenRAIL-M categories (administration of justice, law enforcement)",
    ),
    Case(
        "bigcode-openrail-m-malware",
        "bigcode-openrail-m",
        {"use_domains": ["malware"]},
        FORBIDDEN,
        "Attachment A",
        "§1.18 BigCode differences: restrictions incl. malware generation",
    ),
    Case(
        "openrail-plusplus-medical-advice",
        "openrail++",
        {"use_domains": ["medical_advice"]},
        FORBIDDEN,
        "Attachment A",
        "§1.18: CreativeML Open RAIL++-M Attachment A: same list (incl. medical advice) without two items",
    ),
    Case(
        "openrail-plusplus-impersonation-is-not-listed",
        "openrail++",
        {"use_domains": ["impersonation"]},
        OBLIGATIONS,
        "Attachment A",
        "§1.18: CreativeML Open RAIL++-M list is without the 'machine-generated disclaimer' and 'impersonation' items",
        absent_obligations=("Pass the use restrictions on",),
    ),
    Case(
        "bigscience-openrail-m-impersonation",
        "bigscience-openrail-m",
        {"use_domains": ["impersonation"]},
        FORBIDDEN,
        "Attachment A",
        "§1.18 Attachment A (BigScience OpenRAIL-M): impersonation without consent",
    ),
    Case(
        "openrail-family-hosted-flow-down",
        "openrail",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§4.a",
        "§1.18 Hosting: 'You may host for Third Party remote access purposes'; flow-down §4.a",
        obligations=("Pass the use restrictions on as enforceable terms",),
    ),
    # ---- Falcon ---------------------------------------------------------------------------------
    Case(
        "falcon-180b-hosting-use",
        "LicenseRef-Falcon-180B-TII-1.0",
        {"distribution": HOSTED},
        SEPARATE,
        "§9",
        "§1.15 §9.3: 'you are not licensed to use the Work ... for Hosting Use' -- apply to TII",
    ),
    Case(
        "falcon-180b-in-house-use",
        "LicenseRef-Falcon-180B-TII-1.0",
        {},
        OBLIGATIONS,
        "§5.1",
        "§1.15 AUP §5: must comply with the AUP",
        absent_clauses=("§9",),
    ),
    Case(
        "falcon-2-11b-hosting-is-licensed",
        "LicenseRef-Falcon-2-11B-TII-1.0",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§4.1.1",
        "§1.16 Grant: no Hosting-Use carve-out (unlike 180B)",
        absent_clauses=("§9",),
    ),
    Case(
        "falcon-3-derivative-publication-statement",
        "falcon-llm-license",
        {"training": {"fine_tuned": True}},
        OBLIGATIONS,
        "§6.1",
        "§1.16 Publication §6: '[name] is built using ... technology from the Technology Innovation Institute'",
        obligations=("Technology Innovation Institute",),
    ),
    # ---- NVIDIA --------------------------------------------------------------------------------
    Case(
        "nvidia-jan-2025-commercial-use",
        "LicenseRef-NVIDIA-Open-Model-License-2025-01-06",
        {},
        OBLIGATIONS,
        "§2.3",
        "§1.22 Headline: 'Models are commercially usable'; §2.3 Trustworthy AI terms",
    ),
    Case(
        "nvidia-jan-2025-guardrail-bypassed",
        "LicenseRef-NVIDIA-Open-Model-License-2025-01-06",
        {"safety_guardrails_removed": True},
        FORBIDDEN,
        "§2.1",
        "§1.22 §2.1: rights 'will automatically terminate'",
    ),
    Case(
        "nvidia-2026-agreement-has-no-guardrail-clause",
        "LicenseRef-NVIDIA-Open-Model-Agreement-2026-04-02",
        {"safety_guardrails_removed": True},
        ALLOWED,
        "§2",
        "§1.22 2026 'NVIDIA Open Model Agreement': Apache-like grant; no guardrail clause in the text read",
    ),
    # ---- Stability AI Community: USD 1M revenue (strictly more than), registration -----------
    Case(
        "stability-revenue-unknown",
        "stabilityai-ai-community",
        {},
        OBLIGATIONS,
        "§III",
        "§1.19 Threshold §III: licence terminates above USD 1,000,000; revenue not given",
        obligations=("Keep annual revenue (including affiliates) at or below USD 1,000,000",),
    ),
    Case(
        "stability-revenue-exactly-1m",
        "stabilityai-ai-community",
        {"organization": {"annual_revenue_usd": 1_000_000}},
        OBLIGATIONS,
        "§III",
        "§1.19 'Boundary: strictly \"more than\"'",
        absent_obligations=("Keep annual revenue",),
        absent_clauses=("§V (Affiliates)",),
    ),
    Case(
        "stability-revenue-one-cent-above-1m",
        "stabilityai-ai-community",
        {"organization": {"annual_revenue_usd": 1_000_000.01}},
        SEPARATE,
        "§III",
        "§1.19 Threshold: 'generate more than USD $1,000,000' -- USD 1,000,000.01 is more than that",
    ),
    Case(
        "stability-registered-small-company",
        "stabilityai-ai-community",
        {"organization": {"annual_revenue_usd": 500_000, "registered_with_licensor": True}},
        OBLIGATIONS,
        "§IV.b",
        "§1.19 Commercial §III: must register; §IV.b: comply with law and AUP",
        obligations=("Comply with the license's use restrictions",),
        absent_obligations=("register",),
    ),
    Case(
        "stability-commercial-unregistered",
        "stabilityai-ai-community",
        {"organization": {"annual_revenue_usd": 500_000}},
        OBLIGATIONS,
        "§III",
        "§1.19 Commercial §III: 'Must register at https://stability.ai/community-license'",
        obligations=("register",),
    ),
    Case(
        "stability-outputs-train-a-foundation-model",
        "stabilityai-ai-community",
        {
            "organization": {"annual_revenue_usd": 0},
            "training": {"outputs_used_to_train_models": True, "target_model_license": "apache-2.0"},
        },
        FORBIDDEN,
        "§IV.b",
        "§1.19 §IV.b: not to create or improve any foundational generative AI model",
    ),
    Case(
        "stability-hosted-powered-by",
        "stabilityai-ai-community",
        {
            "organization": {"annual_revenue_usd": 200_000, "registered_with_licensor": True},
            "distribution": HOSTED,
        },
        OBLIGATIONS,
        "§IV.a",
        "§1.19 §IV.a: prominently display 'Powered by Stability AI'",
        obligations=('"Powered by Stability AI"',),
    ),
    # ---- Qwen / Tongyi Qianwen -------------------------------------------------------------------
    Case(
        "qwen-exactly-100m-mau",
        "qwen",
        {"organization": {"monthly_active_users": 100_000_000}},
        ALLOWED,
        "§2",
        "§1.11 Threshold: 'more than 100 million monthly active users'",
        absent_clauses=("100M MAU",),
    ),
    Case(
        "qwen-150m-mau-non-commercial",
        "qwen",
        {"commercial": False, "organization": {"monthly_active_users": 150_000_000}},
        ALLOWED,
        "§2",
        "§1.11 Threshold: 'If you are commercially using the Materials, and ...'",
        absent_clauses=("100M MAU",),
    ),
    Case(
        "qwen-outputs-train-an-internal-model",
        "qwen",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "mit"}},
        ALLOWED,
        "§2",
        "§1.11 Training with outputs: the duty arises for 'an AI model that is distributed or made available'",
        absent_obligations=("Built with Qwen",),
    ),
    Case(
        "qwen-outputs-train-a-distributed-model",
        "qwen",
        {"training": {"outputs_used_to_train_models": True}, "distribution": WEIGHTS},
        OBLIGATIONS,
        "Built with Qwen",
        "§1.11 Training with outputs: display 'Built with Qwen' or 'Improved using Qwen'",
        obligations=('"Built with Qwen"', '"Notice" text file'),
    ),
    Case(
        "tongyi-qianwen-outputs-improve-other-llm",
        "tongyi-qianwen",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "mit"}},
        FORBIDDEN,
        "§5.b",
        "§1.12 §5.b: not to improve any other large language model",
    ),
    Case(
        "tongyi-qianwen-outputs-improve-tongyi-derivative",
        "tongyi-qianwen",
        {"training": {"outputs_used_to_train_models": True, "target_model_license": "tongyi-qianwen"}},
        ALLOWED,
        "§5.b",
        "§1.12 §5.b: '(excluding Tongyi Qianwen or derivative works thereof)'",
    ),
    Case(
        "tongyi-qianwen-101m-mau",
        "tongyi-qianwen",
        {"organization": {"monthly_active_users": 100_000_001}},
        SEPARATE,
        "§4",
        "§1.12 Threshold §4: more than 100 million MAU -> request a license",
    ),
    # ---- Yi ------------------------------------------------------------------------------------
    Case(
        "yi-1.0-commercial-without-authorization",
        "yi-license",
        {},
        SEPARATE,
        "§2",
        "§1.24 v1.0: commercial use needs prior written authorization",
    ),
    Case(
        "yi-community-2.1-commercial-registers",
        "LicenseRef-Yi-Community-2.1",
        {},
        OBLIGATIONS,
        "§2",
        "§1.24 v2.1: commercial use after sending the Registration Form ('automatic permission')",
        obligations=("Registration Form",),
    ),
    Case(
        "yi-community-2.1-military",
        "LicenseRef-Yi-Community-2.1",
        {"organization": {"registered_with_licensor": True}, "use_domains": ["military"]},
        FORBIDDEN,
        "§2",
        "§1.24 Restrictions (both): no military use",
    ),
    # ---- permissive ------------------------------------------------------------------------------
    Case(
        "apache-internal-use-only",
        "Apache-2.0",
        {},
        ALLOWED,
        "§2, §3",
        "§1.10: Apache-2.0 obligations arise on redistribution only",
    ),
    Case(
        "mit-distributes-weights",
        "mit",
        {"distribution": WEIGHTS},
        OBLIGATIONS,
        "¶2",
        "§1.10 MIT: keep copyright and permission notice",
        obligations=("permission notice",),
    ),
    Case(
        "mit-hosted-only",
        "MIT",
        {"distribution": HOSTED, "training": {"outputs_used_to_train_models": True}},
        ALLOWED,
        "¶1",
        "§1.10: neither restricts field of use, hosting, or training on outputs",
    ),
    Case(
        "bsd-3-finetune-distributed",
        "BSD-3-Clause",
        {"training": {"fine_tuned": True}, "distribution": WEIGHTS},
        OBLIGATIONS,
        "condition 3",
        "BSD-3-Clause text (catalog source): non-endorsement condition 3",
        obligations=("endorse or promote",),
    ),
    Case(
        "openmdw-distributes-weights",
        "openmdw-1.0",
        {"distribution": WEIGHTS},
        OBLIGATIONS,
        "¶4",
        "§1.27 Condition: on distribution retain a copy of the agreement and notices",
        obligations=("copy of the OpenMDW agreement",),
    ),
    # ---- expressions: OR takes the most favourable branch, AND combines -----------------------
    Case(
        "or-mit-or-cc-by-nc-commercial",
        "MIT OR CC-BY-NC-4.0",
        {},
        ALLOWED,
        "choice of license",
        "SPDX OR: the licensee may choose; MIT permits commercial use (§1.10)",
    ),
    Case(
        "or-picks-separate-license-over-forbidden",
        "CC-BY-NC-4.0 OR mnpl",
        {},
        SEPARATE,
        "MNPL-0.1 §3.2",
        "SPDX OR: needs_separate_license is more favourable than forbidden",
    ),
    Case(
        "or-non-commercial-both-fine-fewer-obligations",
        "cc-by-nc-4.0 OR llama3.1",
        {**NON_COMMERCIAL_RESEARCH, "distribution": HOSTED},
        ALLOWED,
        "choice of license",
        "SPDX OR: CC-BY-NC-4.0 allows this non-commercial use with no duty",
    ),
    Case(
        "and-apache-and-cc-by-nc-commercial",
        "Apache-2.0 AND CC-BY-NC-4.0",
        {},
        FORBIDDEN,
        "CC-BY-NC-4.0 §2(a)(1)",
        "SPDX AND: both licenses apply; CC-BY-NC-4.0 §2(a)(1) excludes commercial use",
    ),
    Case(
        "lineage-mit-and-llama3.1-hosted",
        "MIT AND LicenseRef-Llama-3.1",
        {"distribution": HOSTED},
        OBLIGATIONS,
        "§1.b.i(B)",
        "§1.10 (DeepSeek-R1-Distill-Llama-8B: MIT + Llama 3.1) and §7 #1",
        obligations=('"Built with Llama"',),
    ),
    Case(
        "lineage-mit-and-llama3.1-weights-distributed",
        "mit AND llama3.1",
        {"distribution": WEIGHTS},
        OBLIGATIONS,
        "¶2",
        "SPDX AND: the obligations of both licenses add up",
        obligations=("MIT permission notice", "Llama 3.1 Community License Agreement", '"Built with Llama"'),
    ),
    Case(
        "lineage-mit-and-llama3.1-above-threshold",
        "MIT AND LicenseRef-Llama-3.1",
        {"organization": {"mau_on_license_release_date": 800_000_000}},
        SEPARATE,
        "Llama-3.1 §2",
        "SPDX AND: the Llama 3.1 threshold binds the derivative",
    ),
    Case(
        "lineage-apache-and-gemma-and-llama3.3-eu-multimodal",
        "Apache-2.0 AND (gemma AND llama3.3)",
        {"organization": {"eu_domiciled": True}, "model_modalities": ["text", "image"]},
        SEPARATE,
        "EU multimodal sentence",
        "§1.5 + SPDX AND: the strictest part decides",
    ),
]


def _evaluate(case: Case) -> dict[str, Any]:
    return evaluate_expression(case.license, parse_facts(case.facts)).as_dict()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_verdict(case: Case) -> None:
    result = _evaluate(case)
    clauses = [reason["clause"] for reason in result["reasons"]]
    obligations = [item["text"] for item in result["obligations"]]
    context = f"{case.license} {case.facts} (reference: {case.ref}) -> {result}"

    assert result["reasons"], f"no reason given: {context}"
    assert all(reason["clause"] and reason["text"] for reason in result["reasons"]), context
    assert result["verdict"] == case.verdict.value, context
    assert any(case.clause in clause for clause in clauses), f"no reason cites {case.clause!r}: {context}"
    for expected in case.obligations:
        assert any(expected in text for text in obligations), f"no obligation says {expected!r}: {context}"
    for unexpected in case.absent_obligations:
        assert not any(unexpected in text for text in obligations), f"obligation {unexpected!r}: {context}"
    for unexpected in case.absent_clauses:
        assert not any(unexpected in clause for clause in clauses), f"reason cites {unexpected!r}: {context}"
    if case.verdict in REFUSALS:
        # The refusal that decides comes first (after the choice note of an OR).
        deciding = next(clause for clause in clauses if clause != "choice of license")
        assert case.clause in deciding, f"the first reason is {deciding!r}: {context}"
    if case.verdict == OBLIGATIONS:
        assert obligations, context
    else:
        assert case.verdict != ALLOWED or not obligations, context


def test_the_table_is_broad() -> None:
    catalog = load_catalog()
    covered = {license_id for case in CASES for license_id in license_ids(case.license, catalog)}

    assert len(CASES) >= 45
    assert len(covered) >= 22, sorted(covered)
    assert len({case.name for case in CASES}) == len(CASES)
    assert {case.verdict for case in CASES} == set(Verdict)
    section7 = {case.name.split("-")[1] for case in CASES if case.name.startswith("s7-")}
    assert section7 == {"01", "04", "08", "11", "14", "18", "19", "28", "31", "35"}


def test_every_reviewed_license_gives_a_reasoned_verdict_for_the_default_facts() -> None:
    """Whatever the catalog holds (other files may be added), each entry decides with a reason."""
    catalog = load_catalog()
    facts = parse_facts({})

    for entry in catalog.reviewed():
        result = evaluate_expression(entry.id, facts, catalog).as_dict()
        assert result["reasons"], entry.id
        assert result["license"]["id"] == entry.id
        assert all(reason["clause"].startswith(entry.id) for reason in result["reasons"]), result
