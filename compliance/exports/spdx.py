"""SPDX 3.0.1 AI-BOM of a model version, serialized as JSON-LD (decision: docs/adr/0012-spdx-3-writer.md).

One pure function, :func:`spdx_document`, turns :class:`ModelFacts` into a JSON-serializable
document: every element sits top-level in ``@graph``, every ``spdxId`` is an IRI under the
caller's namespace derived from the facts alone, so the same facts give the same document but
for ``CreationInfo.created``. Values that the facts do not carry are left out, never guessed;
where SPDX wants a license statement that is not known, it gets ``NoAssertionLicense``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from compliance.exports.facts import LicenseFact, LineageFact, ModelFacts

SPDX_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPDX_VERSION = "3.0.1"
# The individual SPDX defines for "no assertion can be made" about a license (ExpandedLicensing
# namespace); a license relationship points at it when the license is not known.
NO_ASSERTION_LICENSE = "expandedlicensing_NoAssertionLicense"
CREATION_INFO_ID = "_:creationinfo"
# The license engine's id for "no license could be determined" (compliance.selectors.UNKNOWN_LICENSE,
# not imported: this module stays free of Django). As a whole expression it is a NOASSERTION.
UNKNOWN_LICENSE_REF = "LicenseRef-Unknown"

JsonObject = dict[str, Any]

# Officers' texts (ModelFacts.texts, keyed by section key) that fill an AIPackage property.
# The flag says whether the property is a list; a text then becomes its one entry.
TEXT_PROPERTIES: dict[str, tuple[str, bool]] = {
    "domain": ("ai_domain", True),
    "type_of_model": ("ai_typeOfModel", True),
    "intended_uses": ("ai_informationAboutApplication", False),
    "training_procedure": ("ai_informationAboutTraining", False),
    "limitations": ("ai_limitation", False),
    "model_data_preprocessing": ("ai_modelDataPreprocessing", True),
    "model_explainability": ("ai_modelExplainability", True),
    "standard_compliance": ("ai_standardCompliance", True),
}

# Dataset roles to the SPDX relationship types; SPDX has no "validatedOn", and validation is a test.
DATASET_RELATIONSHIPS = {"training": "trainedOn", "testing": "testedOn", "validation": "testedOn"}

DATASET_TYPES = frozenset(
    {
        "audio",
        "categorical",
        "graph",
        "image",
        "noAssertion",
        "numeric",
        "other",
        "sensor",
        "structured",
        "syntactic",
        "text",
        "timeseries",
        "timestamp",
        "video",
    }
)

# The external properties the AI and Dataset profiles require (model/AI/Classes/AIPackage.md and
# model/Dataset/Classes/DatasetPackage.md, "External properties restrictions"). A profile is
# claimed in profileConformance only when every package of that kind has them all.
AI_PROFILE_PROPERTIES = (
    "suppliedBy",
    "releaseTime",
    "software_downloadLocation",
    "software_packageVersion",
    "software_primaryPurpose",
)
DATASET_PROFILE_PROPERTIES = (
    "originatedBy",
    "releaseTime",
    "builtTime",
    "software_downloadLocation",
    "software_primaryPurpose",
)

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_LICENSE_TOKEN = re.compile(r"[^\s()]+")
_EXPRESSION_OPERATORS = frozenset({"AND", "OR", "WITH"})
_NOT_IDSTRING = re.compile(r"[^A-Za-z0-9.-]")


def spdx_document(facts: ModelFacts, *, created: datetime, creator: str = "Modelgate", namespace: str) -> JsonObject:
    """The SPDX 3.0.1 JSON-LD AI-BOM of the model version described by ``facts``.

    ``created`` (timezone-aware) becomes ``CreationInfo.created``; ``creator`` names the
    SoftwareAgent in ``createdBy``; ``namespace`` is an IRI (e.g. ``https://example.org/spdx/v/42``)
    under which every ``spdxId`` is made. The graph holds the model as an ``ai_AIPackage`` with its
    files (``contains``), its datasets (``trainedOn``/``testedOn``), its base models (``descendantOf``)
    and, for the model, each dataset and each base, exactly one ``hasDeclaredLicense`` and one
    ``hasConcludedLicense`` relationship. Raises ``ValueError`` for a namespace that is not an IRI or a
    naive datetime.
    """
    builder = _Builder(namespace, created=created, creator=creator)
    model_id = builder.model(facts)
    builder.files(model_id, facts)
    builder.datasets(model_id, facts)
    builder.lineage(model_id, facts)
    return builder.document(facts, root_id=model_id)


class _Builder:
    """Collects the elements of one document in a stable order, each ``spdxId`` once."""

    def __init__(self, namespace: str, *, created: datetime, creator: str) -> None:
        if not _IRI.match(namespace):  # a scheme, a colon, no spaces; "_:x" (a blank node) has no scheme
            raise ValueError(f"the SPDX namespace must be an absolute IRI, got {namespace!r}")
        self.namespace = namespace.rstrip("/")
        self.elements: list[JsonObject] = []
        self._ids: set[str] = set()
        self.uses_no_assertion = False
        self.creator_id = self.iri("agent", creator)
        self.creation_info: JsonObject = {
            "type": "CreationInfo",
            "@id": CREATION_INFO_ID,
            "specVersion": SPDX_VERSION,
            "created": spdx_datetime(created),
            "createdBy": [self.creator_id],
        }
        self.add({"type": "SoftwareAgent", "spdxId": self.creator_id, "name": creator})

    def iri(self, kind: str, key: str) -> str:
        # Percent-encoding keeps file paths, hub ids and license expressions valid inside the IRI.
        return f"{self.namespace}/{kind}/{quote(key, safe='/@')}"

    def add(self, element: JsonObject) -> str:
        spdx_id = str(element["spdxId"])
        if spdx_id not in self._ids:
            self._ids.add(spdx_id)
            self.elements.append(
                {"type": element["type"], "spdxId": spdx_id, "creationInfo": CREATION_INFO_ID} | element
            )
        return spdx_id

    def relationship(self, from_id: str, relationship_type: str, to_ids: list[str], *, comment: str = "") -> None:
        digest = hashlib.sha256("\n".join([from_id, relationship_type, comment, *to_ids]).encode()).hexdigest()
        element: JsonObject = {
            "type": "Relationship",
            "spdxId": self.iri("relationship", f"{relationship_type}-{digest[:16]}"),
            "from": from_id,
            "relationshipType": relationship_type,
            "to": to_ids,
        }
        if comment:
            element["comment"] = comment
        self.add(element)

    def licenses(self, package_id: str, *, declared: str, concluded: str, known: tuple[LicenseFact, ...]) -> None:
        """Exactly one declared and one concluded license relationship, as the AI and Dataset profiles require."""
        self.relationship(package_id, "hasDeclaredLicense", [self.license(declared, known)])
        self.relationship(package_id, "hasConcludedLicense", [self.license(concluded, known)])

    def license(self, expression: str, known: tuple[LicenseFact, ...]) -> str:
        """The id of the LicenseExpression element for ``expression``, or NoAssertionLicense when not known."""
        expression = expression.strip()
        if not expression or expression == UNKNOWN_LICENSE_REF:
            self.uses_no_assertion = True
            return NO_ASSERTION_LICENSE
        spdx_expression, custom_uris = spdx_license_expression(expression, known)
        element: JsonObject = {
            "type": "simplelicensing_LicenseExpression",
            "spdxId": self.iri("license", spdx_expression),
            "simplelicensing_licenseExpression": spdx_expression,
        }
        if custom_uris:
            element["simplelicensing_customIdToUri"] = [
                {"type": "DictionaryEntry", "key": ref, "value": uri} for ref, uri in sorted(custom_uris.items())
            ]
        return self.add(element)

    def model(self, facts: ModelFacts) -> str:
        package: JsonObject = {
            "type": "ai_AIPackage",
            "spdxId": self.iri("model", f"{facts.hub_id or facts.name}@{facts.revision or facts.version_id}"),
            "name": facts.hub_id or facts.name,
            "software_primaryPurpose": "model",
        }
        if facts.revision:
            package["software_packageVersion"] = facts.revision
        if facts.download_location:
            package["software_downloadLocation"] = facts.download_location
        release_time = _release_time(facts)
        if release_time:
            package["releaseTime"] = release_time
        if facts.provider:
            package["suppliedBy"] = self.add(
                {"type": "Organization", "spdxId": self.iri("organization", facts.provider), "name": facts.provider}
            )
        if facts.description:
            package["description"] = facts.description
        for key, (prop, is_list) in TEXT_PROPERTIES.items():
            text = facts.texts.get(key, "").strip()
            if text:
                package[prop] = [text] if is_list else text
        if facts.metrics:
            package["ai_metric"] = [
                {"type": "DictionaryEntry", "key": _metric_key(m.name, m.dataset, m.slice), "value": m.value}
                for m in facts.metrics
            ]
        model_id = self.add(package)
        # Declared: the license found in the version itself (card tag checked against its LICENSE text);
        # concluded: the license engine's effective expression, the base models' licenses included.
        self.licenses(
            model_id, declared=facts.own_license_expression, concluded=facts.license_expression, known=facts.licenses
        )
        return model_id

    def files(self, model_id: str, facts: ModelFacts) -> None:
        file_ids = []
        for fact in facts.files:
            element: JsonObject = {
                "type": "software_File",
                "spdxId": self.iri("file", fact.path),
                "name": fact.path,
                "software_fileKind": "file",
            }
            # A value that is not a SHA-256 digest is left out rather than passed on as one.
            if _SHA256.match(fact.sha256):
                element["verifiedUsing"] = [{"type": "Hash", "algorithm": "sha256", "hashValue": fact.sha256.lower()}]
            file_ids.append(self.add(element))
        if file_ids:
            self.relationship(model_id, "contains", file_ids)

    def datasets(self, model_id: str, facts: ModelFacts) -> None:
        for fact in facts.datasets:
            # Only SPDX's DatasetType values are valid; "noAssertion" when none is known (the property is required).
            dataset_types = [t for t in fact.dataset_types if t in DATASET_TYPES] or ["noAssertion"]
            element: JsonObject = {
                "type": "dataset_DatasetPackage",
                "spdxId": self.iri("dataset", fact.name),
                "name": fact.name,
                "software_primaryPurpose": "data",
                "dataset_datasetType": dataset_types,
            }
            if fact.url:
                element["software_downloadLocation"] = fact.url
            if fact.description:
                element["description"] = fact.description
            is_new = element["spdxId"] not in self._ids
            dataset_id = self.add(element)
            if is_new:
                # Declared: the dataset's license as its card gives it; the license engine concludes nothing for it.
                self.licenses(dataset_id, declared=fact.license, concluded="", known=facts.licenses)
            relationship_type = DATASET_RELATIONSHIPS.get(fact.role, "other")
            self.relationship(model_id, relationship_type, [dataset_id], comment=f"dataset role: {fact.role}")

    def lineage(self, model_id: str, facts: ModelFacts) -> None:
        for fact in facts.lineage:
            base_id, is_new = self._base_model(fact)
            if is_new:
                # Concluded: the license engine's effective expression for the base when it is in the registry;
                # what the base itself declares is not among the facts.
                self.licenses(base_id, declared="", concluded=fact.parent_license, known=facts.licenses)
            self.relationship(model_id, "descendantOf", [base_id], comment=f"lineage relation: {fact.relation}")

    def _base_model(self, fact: LineageFact) -> tuple[str, bool]:
        key = f"{fact.parent_ref}@{fact.parent_revision}" if fact.parent_revision else fact.parent_ref
        package: JsonObject = {
            "type": "ai_AIPackage",
            "spdxId": self.iri("base-model", key),
            "name": fact.parent_ref,
            "software_primaryPurpose": "model",
        }
        if fact.parent_revision:
            package["software_packageVersion"] = fact.parent_revision
        is_new = package["spdxId"] not in self._ids
        return self.add(package), is_new

    def document(self, facts: ModelFacts, *, root_id: str) -> JsonObject:
        document_element: JsonObject = {
            "type": "SpdxDocument",
            "spdxId": self.iri("document", f"{facts.hub_id or facts.name}@{facts.revision or facts.version_id}"),
            "creationInfo": CREATION_INFO_ID,
            "name": f"AI-BOM of {facts.hub_id or facts.name} at {facts.revision or f'version {facts.version_id}'}",
            "profileConformance": self._conformant_profiles(),
            "rootElement": [root_id],
            "element": [element["spdxId"] for element in self.elements],
        }
        return {"@context": SPDX_CONTEXT, "@graph": [self.creation_info, document_element, *self.elements]}

    def _conformant_profiles(self) -> list[str]:
        # The license relationships the AI and Dataset profiles require are always written; their
        # required properties only when known, so those profiles are claimed only when complete.
        profiles = ["core", "software", "simpleLicensing"]
        if self.uses_no_assertion:
            profiles.append("expandedLicensing")
        for profile, element_type, required in (
            ("ai", "ai_AIPackage", AI_PROFILE_PROPERTIES),
            ("dataset", "dataset_DatasetPackage", DATASET_PROFILE_PROPERTIES),
        ):
            packages = [e for e in self.elements if e["type"] == element_type]
            if packages and all(all(p in e for p in required) for e in packages):
                profiles.append(profile)
        return profiles


def spdx_license_expression(expression: str, known: Iterable[LicenseFact]) -> tuple[str, dict[str, str]]:
    """``expression`` with every license off the SPDX list written ``LicenseRef-<id>``, and those refs' URLs.

    Identifiers are matched to ``known`` case-insensitively by their id or their ``LicenseRef-`` form;
    identifiers that match nothing are kept as written. The second value maps each ``LicenseRef-``
    of the expression to its license URL where the facts give one (``simplelicensing_customIdToUri``).
    """
    by_id: dict[str, LicenseFact] = {}
    for fact in known:
        by_id.setdefault(fact.id.lower(), fact)
        by_id.setdefault(_license_ref(fact).lower(), fact)
    custom_uris: dict[str, str] = {}

    def rewrite(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.upper() in _EXPRESSION_OPERATORS:
            return token
        fact = by_id.get(token.lower())
        spdx_id = _license_ref(fact) if fact else token
        if spdx_id.startswith("LicenseRef-") and fact and fact.url:
            custom_uris[spdx_id] = fact.url
        return spdx_id

    return _LICENSE_TOKEN.sub(rewrite, expression), custom_uris


def spdx_datetime(moment: datetime) -> str:
    """SPDX's DateTime: UTC to the second with a ``Z``, the only form the 3.0.1 schema accepts."""
    if moment.tzinfo is None:
        raise ValueError(f"an SPDX time needs a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _license_ref(fact: LicenseFact) -> str:
    if fact.spdx_listed or fact.id.startswith("LicenseRef-"):
        return fact.id
    return "LicenseRef-" + _NOT_IDSTRING.sub("-", fact.id)


def _release_time(facts: ModelFacts) -> str:
    """The card's release date (a bare date is midnight UTC), else the time the revision was imported."""
    if facts.release_date:
        try:
            released = datetime.fromisoformat(facts.release_date)
        except ValueError:
            released = None
        if released is not None:
            return spdx_datetime(released if released.tzinfo else released.replace(tzinfo=UTC))
    return spdx_datetime(facts.imported_at) if facts.imported_at else ""


def _metric_key(name: str, dataset: str, slice_: str) -> str:
    # Keys of a dictionary must differ; the same metric on two datasets or slices would not.
    key = name
    if dataset:
        key += f" on {dataset}"
    if slice_:
        key += f" [{slice_}]"
    return key
