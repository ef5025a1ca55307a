"""A CycloneDX 1.6 ML-BOM (JSON) written from ``ModelFacts`` with cyclonedx-python-lib.

Layout:

- ``metadata.component`` is the model version (type ``machine-learning-model``): the BOM describes
  it. Its files are its sub-components (type ``file``, SHA-256 hash, size), its base models are
  ``pedigree.ancestors``, and it carries the ``modelCard``.
- ``components`` holds one ``data`` component per dataset; the model card's
  ``modelParameters.datasets`` refers to them by ``bom-ref``.
- ``dependencies``: an adapter needs its base model's weights to run, so it also depends on it.

Fields the facts do not know are left out. cyclonedx-python-lib 11.12 models everything above
except ``modelCard`` (and ``componentData``), which it does not support yet; the model card is
added to its JSON output as a plain object, and every BOM is checked against the lib's bundled
1.6 JSON schema (JsonStrictValidator) before it is returned.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from cyclonedx.contrib.this.builders import this_component
from cyclonedx.model import (
    AttachedText,
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseAcknowledgement, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.spdx import is_supported_id
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from compliance.exports.facts import DatasetFact, LicenseFact, LineageFact, ModelFacts

# Our own property names, in a namespace of our own as the CycloneDX property taxonomy asks.
PROPERTY_PREFIX = "modelgate:"

# Officers' texts with no modelCard field of their own, kept as modelCard properties. (intended_uses,
# limitations, bias_risks and environmental_impact have fields; the EU AI Act texts stay out.)
_PROPERTY_TEXTS = ("out_of_scope_uses", "training_procedure", "evaluation")

# Hub pipeline tag -> (input formats, output formats), for the tasks whose direction is fixed.
# Outputs that are not a modality (labels, embeddings, boxes) are left out.
_TASK_IO: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "text-generation": (("text",), ("text",)),
    "text2text-generation": (("text",), ("text",)),
    "fill-mask": (("text",), ("text",)),
    "question-answering": (("text",), ("text",)),
    "summarization": (("text",), ("text",)),
    "translation": (("text",), ("text",)),
    "feature-extraction": (("text",), ()),
    "sentence-similarity": (("text",), ()),
    "text-classification": (("text",), ()),
    "token-classification": (("text",), ()),
    "zero-shot-classification": (("text",), ()),
    "text-ranking": (("text",), ()),
    "image-text-to-text": (("image", "text"), ("text",)),
    "visual-question-answering": (("image", "text"), ("text",)),
    "image-to-text": (("image",), ("text",)),
    "text-to-image": (("text",), ("image",)),
    "image-classification": (("image",), ()),
    "object-detection": (("image",), ()),
    "image-segmentation": (("image",), ()),
    "image-to-image": (("image",), ("image",)),
    "automatic-speech-recognition": (("audio",), ("text",)),
    "text-to-speech": (("text",), ("audio",)),
    "text-to-audio": (("text",), ("audio",)),
    "audio-classification": (("audio",), ()),
    "audio-text-to-text": (("audio", "text"), ("text",)),
    "video-text-to-text": (("video", "text"), ("text",)),
    "text-to-video": (("text",), ("video",)),
}


_TOP_LEVEL_ORDER = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata", "components")


class BomValidationError(ValueError):
    """The writer produced a BOM that fails the CycloneDX 1.6 schema: a bug here, not bad input."""


def cyclonedx_bom(facts: ModelFacts, *, serial: str | None = None, created: datetime) -> str:
    """The model version as a CycloneDX 1.6 ML-BOM in JSON, validated against the 1.6 schema.

    ``serial`` is the BOM's ``urn:uuid:...`` serial number (a bare UUID is accepted); without one
    a random UUID is used, as CycloneDX wants every generated BOM to have a unique serial.
    ``created`` (timezone-aware) is the ``metadata.timestamp``. Raises ``BomValidationError`` if
    the result is not valid CycloneDX 1.6.
    """
    if created.tzinfo is None or created.utcoffset() is None:
        # CycloneDX timestamps are xs:dateTime with an offset; a naive one would fail the schema.
        raise ValueError("created must be timezone-aware")
    model_ref = _model_ref(facts)
    datasets = _dataset_components(facts)
    parents = _parents(facts)
    # Lineage is pedigree (what the model was derived from); a dependency is what it needs to run.
    # Only an adapter (e.g. LoRA weights) cannot run without its base model, so an adapter's base
    # is also a component of the BOM that the model depends on. It carries the bom-ref there, and
    # its copy under pedigree.ancestors goes without one (bom-refs are unique within a BOM).
    required = {item.parent_ref for item in facts.lineage if item.relation == "adapter" and item.parent_ref}
    ancestors = [_base_model(facts, lineage, with_ref=ref not in required) for ref, lineage in parents.items()]
    runtime_bases = [_base_model(facts, lineage) for ref, lineage in parents.items() if ref in required]

    model = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=model_ref,
        **_group_and_name(facts.hub_id or facts.name),
        version=facts.revision or None,
        supplier=_supplier(facts),
        description=facts.description or None,
        purl=_purl(facts.hub_id, facts.revision),
        licenses=_model_licenses(facts),
        external_references=_distribution(facts.download_location),
        components=[_file_component(model_ref, path, size, sha256) for path, size, sha256 in _files(facts)],
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
        tags=_tags(facts.tags),
        properties=_properties(("release-date", facts.release_date)),
    )

    bom = Bom(
        serial_number=_serial(serial),
        metadata=BomMetaData(timestamp=created, component=model),
        components=[*datasets.values(), *runtime_bases],
    )
    bom.metadata.tools.components.update(_tools())
    if runtime_bases:
        bom.register_dependency(model, runtime_bases)

    with warnings.catch_warnings():
        # The lib warns when the described component depends on nothing while the BOM lists
        # other components: true of a model next to its datasets, which are not dependencies.
        warnings.simplefilter("ignore", UserWarning)
        serialized = json.loads(JsonV1Dot6(bom).output_as_string())

    card = _model_card(facts, [component.bom_ref.value or "" for component in datasets.values()])
    if card:
        # cyclonedx-python-lib (11.12) has no modelCard model yet (upstream issues #912 and #913),
        # so the model card is added to the serialized component; the whole BOM is validated below.
        serialized["metadata"]["component"]["modelCard"] = card
    # The lib writes the top-level keys in no useful order; put the header first for readers.
    document = {key: serialized[key] for key in _TOP_LEVEL_ORDER if key in serialized}
    document.update(serialized)

    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    error = _validator().validate_str(text)
    if error is not None:
        raise BomValidationError(f"the CycloneDX BOM for {facts.hub_id}@{facts.revision} is not valid 1.6: {error}")
    return text


def _tools() -> list[Component]:
    """The generator (Modelgate, as in the SPDX export) and the library that serialized the BOM."""
    library = this_component()
    # Its eight project links say nothing about the model, and each costs ~60 ms of IRI syntax
    # checking in the validator; name, group, version and license identify it.
    library.external_references = []
    return [Component(type=ComponentType.APPLICATION, name="Modelgate"), library]


@functools.cache
def _validator() -> JsonStrictValidator:
    # The schema (with its SPDX and JSF parts) ships with the lib: offline, built once.
    return JsonStrictValidator(SchemaVersion.V1_6)


def _serial(serial: str | None) -> UUID | None:
    if serial is None:
        return None
    try:
        return UUID(serial.removeprefix("urn:uuid:"))
    except ValueError as exc:
        raise ValueError(f"serial {serial!r} is not a urn:uuid: serial number or a UUID") from exc


def _split_ref(ref: str) -> tuple[str, str]:
    """('namespace', 'name') for a Hub id 'namespace/name', ('', ref) otherwise."""
    if ref.count("/") == 1:
        namespace, name = ref.split("/")
        if namespace and name:
            return namespace, name
    return "", ref


def _group_and_name(ref: str) -> dict[str, Any]:
    group, name = _split_ref(ref)
    return {"group": group or None, "name": name}


def _purl(hub_id: str, revision: str) -> PackageURL | None:
    """``pkg:huggingface/<namespace>/<name>@<revision>`` (the purl spec's type for Hub models)."""
    namespace, name = _split_ref(hub_id)
    if not namespace or not re.fullmatch(r"[\w.-]+", namespace) or not re.fullmatch(r"[\w.-]+", name):
        return None
    # The purl spec has the Hub's commit hash lower-cased.
    return PackageURL(type="huggingface", namespace=namespace, name=name, version=revision.lower() or None)


def _model_ref(facts: ModelFacts) -> str:
    purl = _purl(facts.hub_id, facts.revision)
    return purl.to_string() if purl is not None else f"model:{facts.hub_id or facts.name}@{facts.revision}"


def _supplier(facts: ModelFacts) -> OrganizationalEntity | None:
    if not facts.provider:
        return None
    return OrganizationalEntity(name=facts.provider, urls=[XsUri(facts.provider_url)] if facts.provider_url else None)


def _distribution(url: str) -> list[ExternalReference]:
    return [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(url))] if url else []


def _tags(tags: Iterable[str]) -> list[str]:
    # "key:value" tags (license:, base_model:, region:) are the Hub's views of other metadata.
    return list(dict.fromkeys(tag for tag in tags if tag and ":" not in tag))


def _properties(*pairs: tuple[str, str]) -> list[Property]:
    return [Property(name=f"{PROPERTY_PREFIX}{name}", value=value) for name, value in pairs if value]


def _files(facts: ModelFacts) -> Iterable[tuple[str, int, str]]:
    return ((f.path, f.size, f.sha256) for f in facts.files if f.path)


def _file_component(model_ref: str, path: str, size: int, sha256: str) -> Component:
    # A model is a set of files and has no single hash of its own: each file is a sub-component
    # with its SHA-256, which is what a consumer checks downloaded weights against.
    return Component(
        type=ComponentType.FILE,
        bom_ref=f"{model_ref}#{path}",
        name=path,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256.lower())] if sha256 else None,
        properties=_properties(("file:size", str(size))),
    )


# --- licenses ------------------------------------------------------------------------------------

_OPERATORS = {"AND", "OR", "WITH"}


def _expression_ids(expression: str) -> list[str] | None:
    """The license ids of a conjunction ('A AND B'), or None when it has OR or WITH.

    A list of licenses in CycloneDX reads as "all of these"; a choice (OR) or an exception
    (WITH) only survives as an SPDX expression.
    """
    tokens = re.findall(r"[A-Za-z0-9.+:_-]+", expression)
    upper = {token.upper() for token in tokens}
    if "OR" in upper or "WITH" in upper:
        return None
    return list(dict.fromkeys(token for token in tokens if token.upper() not in _OPERATORS))


def _license_fact(facts: ModelFacts, license_id: str) -> LicenseFact | None:
    wanted = license_id.lower().removeprefix("licenseref-")
    for item in facts.licenses:
        if item.id.lower().removeprefix("licenseref-") == wanted:
            return item
    return None


def _license(facts: ModelFacts, license_id: str, acknowledgement: LicenseAcknowledgement) -> DisjunctiveLicense:
    item = _license_fact(facts, license_id)
    spdx_id = item.id if item is not None and item.spdx_listed else license_id
    # `license.id` must be on the SPDX list the 1.6 schema enumerates; a catalog flag alone could
    # name an id newer than the lib's copy of the list, so both are checked.
    if (item is None or item.spdx_listed) and is_supported_id(spdx_id):
        return DisjunctiveLicense(id=spdx_id, acknowledgement=acknowledgement)
    if item is None:
        # Only the identifier is known (e.g. LicenseRef-Foo): it is the license's name here.
        return DisjunctiveLicense(name=license_id, acknowledgement=acknowledgement)
    return DisjunctiveLicense(
        name=item.name or item.id,
        url=XsUri(item.url) if item.url else None,
        # For a custom license the text is the only way a reader of the BOM can know its terms.
        text=AttachedText(content=item.text) if item.text else None,
        acknowledgement=acknowledgement,
    )


def _licenses(facts: ModelFacts, expressions: Sequence[tuple[str, LicenseAcknowledgement]]) -> list[License]:
    """SPDX ids or named licenses per expression; one SPDX expression when a choice must be kept.

    CycloneDX takes either a list of licenses or exactly one expression, never both, so when
    any expression has OR/WITH the most telling one (the last given: concluded) is kept whole.
    """
    known = [(expression.strip(), ack) for expression, ack in expressions if expression.strip()]
    if not known:
        return []
    parsed = [(_expression_ids(expression), ack) for expression, ack in known]
    if any(ids is None for ids, _ in parsed):
        expression, ack = known[-1]
        return [LicenseExpression(expression, acknowledgement=ack)]
    return [_license(facts, license_id, ack) for ids, ack in parsed for license_id in ids or []]


def _model_licenses(facts: ModelFacts) -> list[License]:
    # declared: what the version itself says; concluded: the effective terms, base models included.
    return _licenses(
        facts,
        [
            (facts.own_license_expression, LicenseAcknowledgement.DECLARED),
            (facts.license_expression, LicenseAcknowledgement.CONCLUDED),
        ],
    )


# --- datasets and lineage ------------------------------------------------------------------------


def _dataset_components(facts: ModelFacts) -> dict[str, Component]:
    """One ``data`` component per dataset name (a dataset may be used in several roles)."""
    by_name: dict[str, list[DatasetFact]] = {}
    for dataset in facts.datasets:
        if dataset.name:
            by_name.setdefault(dataset.name, []).append(dataset)
    components: dict[str, Component] = {}
    for name, entries in by_name.items():
        first = entries[0]
        url = next((d.url for d in entries if d.url), "")
        license_expression = next((d.license for d in entries if d.license), "")
        description = next((d.description for d in entries if d.description), "")
        roles = dict.fromkeys(d.role for d in entries if d.role)
        types = dict.fromkeys(t for d in entries for t in d.dataset_types)
        components[name] = Component(
            type=ComponentType.DATA,
            bom_ref=f"dataset:{first.name}",
            **_group_and_name(name),
            description=description or None,
            licenses=_licenses(facts, [(license_expression, LicenseAcknowledgement.DECLARED)]),
            external_references=(
                [ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url))] if url else []
            ),
            properties=[
                *_properties(*(("dataset:role", role) for role in roles)),
                *_properties(*(("dataset:type", kind) for kind in types)),
            ],
        )
    return components


def _parents(facts: ModelFacts) -> dict[str, LineageFact]:
    """The base models, once each.

    CycloneDX has no base-model field: the spec's maintainers point model lineage to
    ``pedigree.ancestors`` ("components in which a component is derived from"; CycloneDX
    specification issues #284 and #342), so fine-tunes, merges, quantizations, distillations
    and adapters all list their parents there, with the relation as a property.
    """
    parents: dict[str, LineageFact] = {}
    for lineage in facts.lineage:
        if lineage.parent_ref:
            parents.setdefault(lineage.parent_ref, lineage)
    return parents


def _base_model(facts: ModelFacts, lineage: LineageFact, *, with_ref: bool = True) -> Component:
    purl = _purl(lineage.parent_ref, lineage.parent_revision)
    ref = purl.to_string() if purl is not None else f"model:{lineage.parent_ref}"
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=ref if with_ref else None,
        **_group_and_name(lineage.parent_ref),
        version=lineage.parent_revision or None,
        purl=purl,
        licenses=_licenses(facts, [(lineage.parent_license, LicenseAcknowledgement.DECLARED)]),
        properties=_properties(("lineage:relation", lineage.relation)),
    )


# --- model card ----------------------------------------------------------------------------------


def _io_formats(facts: ModelFacts) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """modelParameters.inputs/outputs: the task's direction, limited to the modalities the facts name."""
    inputs, outputs = _TASK_IO.get(facts.task, ((), ()))
    known = set(facts.modalities)
    return (
        [{"format": item} for item in inputs if item in known],
        [{"format": item} for item in outputs if item in known],
    )


def _performance_metrics(facts: ModelFacts) -> list[dict[str, str]]:
    metrics = []
    for metric in facts.metrics:
        if not metric.name or not metric.value:
            continue
        entry = {"type": metric.name, "value": metric.value}
        # performanceMetrics has no dataset field: the slice names what the value was computed on.
        slice_ = ": ".join(part for part in (metric.dataset, metric.slice) if part)
        if slice_:
            entry["slice"] = slice_
        metrics.append(entry)
    return metrics


def _card_properties(facts: ModelFacts) -> list[dict[str, str]]:
    pairs = [
        ("parameter-count", str(facts.parameter_count) if facts.parameter_count is not None else ""),
        ("context-length", str(facts.context_length) if facts.context_length is not None else ""),
        (
            "training-compute-flops",
            repr(facts.training_compute_flops) if facts.training_compute_flops is not None else "",
        ),
        *(("language", language) for language in facts.languages),
        *((f"text:{key}", (facts.texts.get(key) or "").strip()) for key in _PROPERTY_TEXTS),
    ]
    return [{"name": f"{PROPERTY_PREFIX}{name}", "value": value} for name, value in pairs if value]


def _model_card(facts: ModelFacts, dataset_refs: list[str]) -> dict[str, Any]:
    """The ``modelCard`` object (CycloneDX 1.6 schema), with only the parts the facts fill."""
    inputs, outputs = _io_formats(facts)
    parameters = _drop_empty(
        {
            "task": facts.task,
            "architectureFamily": facts.model_type,
            "modelArchitecture": facts.architecture,
            "datasets": [{"ref": ref} for ref in dataset_refs if ref],
            "inputs": inputs,
            "outputs": outputs,
        }
    )
    texts = {key: (value or "").strip() for key, value in facts.texts.items()}
    considerations = _drop_empty(
        {
            "useCases": [texts["intended_uses"]] if texts.get("intended_uses") else [],
            "technicalLimitations": [texts["limitations"]] if texts.get("limitations") else [],
            "ethicalConsiderations": [{"name": texts["bias_risks"]}] if texts.get("bias_risks") else [],
            # environmentalConsiderations wants measured energy and CO2 figures; free text has
            # only its properties to go in.
            "environmentalConsiderations": (
                {"properties": [{"name": f"{PROPERTY_PREFIX}text:environmental_impact", "value": environmental}]}
                if (environmental := texts.get("environmental_impact"))
                else {}
            ),
        }
    )
    metrics = _performance_metrics(facts)
    return _drop_empty(
        {
            "modelParameters": parameters,
            "quantitativeAnalysis": {"performanceMetrics": metrics} if metrics else {},
            "considerations": considerations,
            "properties": _card_properties(facts),
        }
    )


def _drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value}
