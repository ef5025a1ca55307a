"""A Hugging Face model card (README.md) written from ``ModelFacts``.

The front matter uses the Hub's metadata keys (hub-docs ``modelcard.md``) and the body follows the
sections of ``huggingface_hub/templates/modelcard_template.md``. Whatever the facts do not know is
written as the template's own placeholder, ``[More Information Needed]``, never guessed.

The result round-trips through ``huggingface_hub.ModelCard``: the YAML is dumped the way
``CardData.to_yaml`` dumps it, the keys in the order the card data gives them back (``model-index``
last), so ``str(ModelCard(text)) == text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import yaml
from huggingface_hub import EvalResult
from huggingface_hub.repocard_data import eval_results_to_model_index

from compliance.exports.facts import DatasetFact, LicenseFact, LineageFact, MetricFact, ModelFacts

MORE_INFORMATION_NEEDED = "[More Information Needed]"

# The template's default for "Recommendations": generic advice, not a claim about this model.
DEFAULT_RECOMMENDATIONS = (
    "Users (both direct and downstream) should be made aware of the risks, biases and limitations of the model. "
    "More information needed for further recommendations."
)

# The Hub's `license:` identifiers (https://huggingface.co/docs/hub/repositories-licenses, and
# shared/reference/licenses.md §2). A declared value outside this list is written as `other`
# with `license_name`/`license_link`, which is what the Hub asks for.
HF_LICENSE_TAGS = frozenset(
    {
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "h-research",
        "intel-research",
        "lppl-1.3c",
        "ms-pl",
        "apple-ascl",
        "apple-amlr",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openmdw-1.0",
        "openmdw-1.1",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "llama2",
        "llama3",
        "llama3.1",
        "llama3.2",
        "llama3.3",
        "llama4",
        "grok2-community",
        "gemma",
        "unknown",
        "other",
    }
)

# Lineage relations (registry vocabulary) -> the Hub's `base_model_relation` values. Distillation
# has no Hub value: the base model is still listed and the Hub infers the relation itself.
HF_BASE_MODEL_RELATIONS = {
    "fine_tune": "finetune",
    "finetune": "finetune",
    "adapter": "adapter",
    "quantized": "quantized",
    "merge": "merge",
}


def model_card(facts: ModelFacts) -> str:
    """The model's README.md: Hub YAML metadata, then the Hugging Face template's sections.

    Only facts are written; a section with nothing known says ``[More Information Needed]``
    as the template does. ``huggingface_hub.ModelCard`` parses the result and gives back the
    same metadata.
    """
    metadata = card_metadata(facts)
    # Same dumper settings as huggingface_hub's yaml_dump (CardData.to_yaml), so a ModelCard
    # built from this text serializes back to exactly this text.
    front_matter = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{front_matter}\n---\n{_body(facts)}"


def card_metadata(facts: ModelFacts) -> dict[str, Any]:
    """The YAML front matter as a dict, keys in the order ``ModelCardData.to_dict`` returns them."""
    metadata: dict[str, Any] = {}
    parents = [item for item in facts.lineage if item.parent_ref]
    if parents:
        refs = list(dict.fromkeys(item.parent_ref for item in parents))
        metadata["base_model"] = refs[0] if len(refs) == 1 else refs
        relation = _hub_relation(parents)
        if relation:
            metadata["base_model_relation"] = relation
    training = [d.name for d in facts.datasets if d.role == "training" and d.name]
    if training:
        metadata["datasets"] = list(dict.fromkeys(training))
    if facts.languages:
        metadata["language"] = list(dict.fromkeys(facts.languages))
    metadata.update(_license_metadata(facts))
    metric_names = [m.name for m in facts.metrics if m.name]
    if metric_names:
        metadata["metrics"] = list(dict.fromkeys(metric_names))
    if facts.task:
        metadata["pipeline_tag"] = facts.task
    tags = _card_tags(facts.tags)
    if tags:
        metadata["tags"] = tags
    model_index = _model_index(facts)
    if model_index:
        # ModelCardData turns model-index into eval results and back, appending it last.
        metadata["model-index"] = model_index
    return metadata


def _hub_relation(parents: list[LineageFact]) -> str:
    """One Hub relation when every parent has the same mappable one; '' lets the Hub infer it."""
    relations = {HF_BASE_MODEL_RELATIONS.get(item.relation, "") for item in parents}
    if len(relations) == 1:
        return relations.pop()
    return ""


def _card_tags(tags: Iterable[str]) -> list[str]:
    # "key:value" tags (license:, base_model:, dataset:, region:, arxiv:) are computed by the Hub
    # from the metadata; writing them back into `tags` would duplicate or contradict it.
    return list(dict.fromkeys(tag for tag in tags if tag and ":" not in tag))


def _license_metadata(facts: ModelFacts) -> dict[str, str]:
    """`license`, plus `license_name`/`license_link` for `other`, per the Hub's conventions."""
    declared = facts.declared_license.strip()
    if declared.lower() in HF_LICENSE_TAGS - {"other"}:
        return {"license": declared.lower()}
    own = _own_license(facts)
    if not declared and own is None:
        if facts.own_license_expression:
            # An expression the Hub has no single tag for (e.g. "MIT AND LicenseRef-X").
            return _other_license("", facts.license_file)
        return {}
    if not declared and own is not None and own.id.lower() in HF_LICENSE_TAGS:
        # The version declares nothing but its license is known to be e.g. Apache-2.0: the Hub
        # tag is the same identifier in lower case.
        return {"license": own.id.lower()}
    name = declared if declared and declared.lower() != "other" else (own.id if own is not None else "")
    link = facts.license_file or (own.url if own is not None else "")
    return _other_license(name, link)


def _other_license(name: str, link: str) -> dict[str, str]:
    result = {"license": "other"}
    slug = _license_slug(name)
    if slug:
        result["license_name"] = slug
    if link:
        result["license_link"] = link
    return result


def _license_slug(name: str) -> str:
    """A Hub-style `license_name` (lower case, letters, digits, '.' and '-'), e.g. LicenseRef-Qwen -> qwen."""
    name = name.removeprefix("LicenseRef-").lower()
    return re.sub(r"[^a-z0-9.]+", "-", name).strip("-.")


def _own_license(facts: ModelFacts) -> LicenseFact | None:
    """The LicenseFact for the version's own expression when it names exactly one license."""
    ids = _expression_ids(facts.own_license_expression)
    if len(ids) != 1:
        return None
    return _license_by_id(facts, ids[0])


def _expression_ids(expression: str) -> list[str]:
    """License ids named by an SPDX-style expression, exceptions after WITH left out."""
    ids: list[str] = []
    after_with = False
    for token in re.findall(r"[A-Za-z0-9.+:_-]+", expression):
        upper = token.upper()
        if upper in {"AND", "OR"}:
            after_with = False
        elif upper == "WITH":
            after_with = True
        elif after_with:
            after_with = False
        else:
            ids.append(token)
    return list(dict.fromkeys(ids))


def _license_by_id(facts: ModelFacts, license_id: str) -> LicenseFact | None:
    wanted = {license_id.lower(), license_id.lower().removeprefix("licenseref-")}
    for item in facts.licenses:
        if item.id.lower() in wanted or item.id.lower().removeprefix("licenseref-") in wanted:
            return item
    return None


def _metric_value(value: str) -> Any:
    """A reported value as the number it is ("0.71" -> 0.71), or the string when it is not one."""
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _model_index(facts: ModelFacts) -> list[dict[str, Any]]:
    """The Hub's `model-index`, for the metrics it can express without guessing.

    It needs a task type and a dataset per result; a metric with a slice has no place in it
    (a slice is not a dataset split), so such metrics appear only in the Results table.
    """
    if not facts.task:
        return []
    results = [
        EvalResult(
            task_type=facts.task,
            dataset_type=metric.dataset,
            # The Hub wants a display name too; the dataset id is the only name the facts have.
            dataset_name=metric.dataset,
            metric_type=metric.name,
            metric_value=_metric_value(metric.value),
        )
        for metric in facts.metrics
        if metric.name and metric.value.strip() and metric.dataset and not metric.slice
    ]
    if not results:
        return []
    index: list[dict[str, Any]] = eval_results_to_model_index(facts.name or facts.hub_id, results)
    return index


# --- Markdown body -------------------------------------------------------------------------------


def _or_needed(value: str) -> str:
    value = value.strip()
    return value if value else MORE_INFORMATION_NEEDED


def _text(facts: ModelFacts, key: str) -> str:
    return (facts.texts.get(key) or "").strip()


def _cell(value: str) -> str:
    """A value safe inside a Markdown table cell."""
    return " ".join(value.split()).replace("|", "\\|")


def _link(label: str, url: str) -> str:
    return f"[{label}]({url})" if url else label


def _license_line(facts: ModelFacts) -> str:
    expression = facts.own_license_expression or facts.declared_license
    if not expression:
        return ""
    named = [
        _link(item.name, item.url)
        for license_id in _expression_ids(facts.own_license_expression)
        if (item := _license_by_id(facts, license_id)) is not None and item.name
    ]
    return f"`{expression}` ({', '.join(named)})" if named else f"`{expression}`"


def _lineage_line(item: LineageFact) -> str:
    details = [item.relation] if item.relation else []
    if item.parent_revision:
        details.append(f"revision `{item.parent_revision}`")
    if item.parent_license:
        details.append(f"license `{item.parent_license}`")
    return f"{item.parent_ref} ({', '.join(details)})" if details else item.parent_ref


def _dataset_lines(datasets: Iterable[DatasetFact], *, with_role: bool) -> str:
    lines = []
    for dataset in datasets:
        line = f"- {_link(dataset.name, dataset.url)}"
        details = []
        if with_role and dataset.role:
            details.append(dataset.role)
        if dataset.license:
            details.append(f"license `{dataset.license}`")
        if dataset.dataset_types:
            details.append(", ".join(dataset.dataset_types))
        if details:
            line += f" ({'; '.join(details)})"
        if dataset.description:
            line += f": {' '.join(dataset.description.split())}"
        lines.append(line)
    return "\n".join(lines)


def _results_table(metrics: Iterable[MetricFact]) -> str:
    rows = ["| Metric | Value | Dataset | Slice |", "| --- | --- | --- | --- |"]
    rows.extend(
        f"| {_cell(m.name)} | {_cell(m.value)} | {_cell(m.dataset)} | {_cell(m.slice)} |" for m in metrics if m.name
    )
    return "\n".join(rows) if len(rows) > 2 else ""


def _architecture(facts: ModelFacts) -> str:
    lines = []
    if facts.architecture:
        lines.append(f"- **Architecture:** {facts.architecture}")
    if facts.model_type:
        lines.append(f"- **Model type (config.json):** {facts.model_type}")
    if facts.parameter_count is not None:
        lines.append(f"- **Parameters:** {facts.parameter_count:,}")
    if facts.context_length is not None:
        lines.append(f"- **Context length:** {facts.context_length:,} tokens")
    if facts.modalities:
        lines.append(f"- **Modalities:** {', '.join(facts.modalities)}")
    return "\n".join(lines)


def _files_table(facts: ModelFacts) -> str:
    if not facts.files:
        return ""
    rows = ["| File | Size (bytes) | SHA-256 |", "| --- | --- | --- |"]
    rows.extend(f"| {_cell(f.path)} | {f.size} | {_cell(f.sha256)} |" for f in facts.files)
    return "\n".join(rows)


def _body(facts: ModelFacts) -> str:
    """The template's sections in its order; blocks with nothing to say are left out, headings stay."""
    developer = _link(facts.provider, facts.provider_url) if facts.provider else ""
    model_type = ", ".join(part for part in (facts.model_type, facts.architecture) if part)
    lineage = "; ".join(_lineage_line(item) for item in facts.lineage if item.parent_ref)
    details = [
        f"- **Developed by:** {_or_needed(developer)}",
        f"- **Funded by [optional]:** {MORE_INFORMATION_NEEDED}",
        f"- **Shared by [optional]:** {MORE_INFORMATION_NEEDED}",
        f"- **Model type:** {_or_needed(model_type)}",
        f"- **Language(s) (NLP):** {_or_needed(', '.join(facts.languages))}",
        f"- **License:** {_or_needed(_license_line(facts))}",
    ]
    if facts.license_expression and facts.license_expression != facts.own_license_expression:
        details.append(f"- **Effective license (base models included):** `{facts.license_expression}`")
    details.append(f"- **Finetuned from model [optional]:** {_or_needed(lineage)}")
    if facts.release_date:
        details.append(f"- **Release date:** {facts.release_date}")
    sources = [f"- **Repository:** {_or_needed(facts.download_location)}"]
    if facts.revision:
        sources.append(f"- **Revision:** `{facts.revision}`")
    sources += [
        f"- **Paper [optional]:** {MORE_INFORMATION_NEEDED}",
        f"- **Demo [optional]:** {MORE_INFORMATION_NEEDED}",
    ]

    training_data = [d for d in facts.datasets if d.role in {"training", "validation"}]
    testing_data = [d for d in facts.datasets if d.role == "testing"]
    listed = {d.name for d in testing_data}
    # A dataset named only by a metric was still used for testing; nothing else is known about it.
    metric_only = [
        DatasetFact(name=name, role="testing")
        for name in dict.fromkeys(m.dataset for m in facts.metrics if m.dataset)
        if name not in listed
    ]
    compute = ""
    if facts.training_compute_flops is not None:
        compute = f"- **Training compute:** {facts.training_compute_flops:.3g} FLOPs"
    bias = "\n\n".join(part for part in (_text(facts, "bias_risks"), _text(facts, "limitations")) if part)
    files = _files_table(facts)

    blocks = [
        f"# Model Card for {facts.hub_id or facts.name or 'Model ID'}",
        "## Model Details",
        "### Model Description",
        facts.description.strip(),
        "\n".join(details),
        "### Model Sources [optional]",
        "\n".join(sources),
        "## Uses",
        "### Direct Use",
        _or_needed(_text(facts, "intended_uses")),
        "### Downstream Use [optional]",
        MORE_INFORMATION_NEEDED,
        "### Out-of-Scope Use",
        _or_needed(_text(facts, "out_of_scope_uses")),
        "## Bias, Risks, and Limitations",
        _or_needed(bias),
        "### Recommendations",
        DEFAULT_RECOMMENDATIONS,
        "## How to Get Started with the Model",
        _or_needed(_text(facts, "how_to_use")),
        "## Training Details",
        "### Training Data",
        _or_needed(_dataset_lines(training_data, with_role=True)),
        "### Training Procedure",
        _text(facts, "training_procedure"),
        "#### Preprocessing [optional]",
        MORE_INFORMATION_NEEDED,
        "#### Training Hyperparameters",
        f"- **Training regime:** {MORE_INFORMATION_NEEDED}",
        "#### Speeds, Sizes, Times [optional]",
        _or_needed(compute),
        "## Evaluation",
        "### Testing Data, Factors & Metrics",
        "#### Testing Data",
        _or_needed(_dataset_lines([*testing_data, *metric_only], with_role=False)),
        "#### Factors",
        _or_needed(", ".join(dict.fromkeys(m.slice for m in facts.metrics if m.slice))),
        "#### Metrics",
        _or_needed(", ".join(dict.fromkeys(m.name for m in facts.metrics if m.name))),
        "### Results",
        _or_needed(_results_table(facts.metrics)),
        "#### Summary",
        _text(facts, "evaluation"),
        "## Model Examination [optional]",
        MORE_INFORMATION_NEEDED,
        "## Environmental Impact",
        _text(facts, "environmental_impact"),
        "Carbon emissions can be estimated using the [Machine Learning Impact calculator]"
        "(https://mlco2.github.io/impact#compute) presented in "
        "[Lacoste et al. (2019)](https://arxiv.org/abs/1910.09700).",
        "\n".join(
            f"- **{label}:** {MORE_INFORMATION_NEEDED}"
            for label in ("Hardware Type", "Hours used", "Cloud Provider", "Compute Region", "Carbon Emitted")
        ),
        "## Technical Specifications [optional]",
        "### Model Architecture and Objective",
        _or_needed(_architecture(facts)),
        *(["### Files", files] if files else []),
        "### Compute Infrastructure",
        MORE_INFORMATION_NEEDED,
        "#### Hardware",
        MORE_INFORMATION_NEEDED,
        "#### Software",
        MORE_INFORMATION_NEEDED,
        "## Citation [optional]",
        "**BibTeX:**",
        MORE_INFORMATION_NEEDED,
        "**APA:**",
        MORE_INFORMATION_NEEDED,
        "## Glossary [optional]",
        MORE_INFORMATION_NEEDED,
        "## More Information [optional]",
        MORE_INFORMATION_NEEDED,
        "## Model Card Authors [optional]",
        MORE_INFORMATION_NEEDED,
        "## Model Card Contact",
        MORE_INFORMATION_NEEDED,
    ]
    return "\n" + "\n\n".join(block for block in blocks if block) + "\n"
