"""Turning a fetched ``Snapshot`` into the facts the registry records.

Pure functions: no database, no network. Every problem names the file or card
field at fault; problems that make the import unsafe raise, the rest come back
as warnings recorded with the version.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.errors import ApplicationError
from registry.models import HUB_ID_PATTERN, LineageRelation
from registry.snapshots import Snapshot

_HUB_ID = re.compile(HUB_ID_PATTERN)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)

# The Hub's base_model_relation values, plus the two spellings our own cards use.
_RELATIONS = {
    "finetune": LineageRelation.FINE_TUNE,
    "fine_tune": LineageRelation.FINE_TUNE,
    "fine-tune": LineageRelation.FINE_TUNE,
    "adapter": LineageRelation.ADAPTER,
    "quantized": LineageRelation.QUANTIZED,
    "merge": LineageRelation.MERGE,
    "distillation": LineageRelation.DISTILLATION,
}
_QUANTIZATION_MARKERS = {"gguf", "gptq", "awq", "exl2", "bitsandbytes", "4-bit", "8-bit", "quantized"}

# What a pipeline tag says about the modalities a model takes in or puts out.
_PIPELINE_MODALITIES = {
    "text-generation": ["text"],
    "text2text-generation": ["text"],
    "fill-mask": ["text"],
    "feature-extraction": ["text"],
    "sentence-similarity": ["text"],
    "text-classification": ["text"],
    "token-classification": ["text"],
    "question-answering": ["text"],
    "summarization": ["text"],
    "translation": ["text"],
    "zero-shot-classification": ["text"],
    "text-ranking": ["text"],
    "image-text-to-text": ["image", "text"],
    "visual-question-answering": ["image", "text"],
    "image-to-text": ["image", "text"],
    "text-to-image": ["image", "text"],
    "image-classification": ["image"],
    "object-detection": ["image"],
    "image-segmentation": ["image"],
    "image-to-image": ["image"],
    "automatic-speech-recognition": ["audio", "text"],
    "text-to-speech": ["audio", "text"],
    "text-to-audio": ["audio", "text"],
    "audio-classification": ["audio"],
    "audio-text-to-text": ["audio", "text"],
    "video-text-to-text": ["video", "text"],
    "text-to-video": ["video", "text"],
    "any-to-any": ["text", "image", "audio", "video"],
}


@dataclass(frozen=True)
class BaseModelRef:
    hub_id: str
    relation: LineageRelation
    declared: bool


@dataclass(frozen=True)
class TextDocument:
    path: str
    kind: str
    text: str
    sha256: str
    size: int


@dataclass
class ParsedVersion:
    repo_id: str
    revision: str
    source: str
    files: list[dict[str, Any]]
    card_metadata: dict[str, Any]
    tags: list[str]
    config: dict[str, Any] | None
    declared_license: str
    declared_license_name: str
    declared_license_link: str
    license_document: TextDocument | None
    documents: list[TextDocument]
    base_models: list[BaseModelRef]
    task: str
    modalities: list[str]
    architecture: str
    parameter_count: int | None
    warnings: list[str] = field(default_factory=list)


def validate_repo_id(repo_id: Any) -> str:
    if not isinstance(repo_id, str) or not _HUB_ID.match(repo_id) or ".." in repo_id or "--" in repo_id:
        raise ApplicationError.for_field(
            "repo_id", f"{repo_id!r} is not a Hub model id; expected 'namespace/name', e.g. meta-llama/Llama-3.1-8B"
        )
    return repo_id


def decode_text_file(path: str, data: bytes, *, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise ApplicationError.for_field(
            path,
            f"is larger than {max_bytes} bytes, the most an import reads (HF_IMPORT_MAX_TEXT_FILE_BYTES)",
            code="file_too_large",
        )
    if b"\x00" in data:
        raise ApplicationError.for_field(path, "is binary, not text", code="binary_file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError.for_field(path, f"is not UTF-8 text (byte {exc.start})", code="binary_file") from exc


def parse_front_matter(readme: str) -> dict[str, Any] | None:
    """The YAML metadata block at the top of a model card, or None when the card has none."""
    match = _FRONT_MATTER.match(readme)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ApplicationError.for_field(
            "README.md", f"the card's YAML metadata is malformed{where}: {problem}", code="malformed_card"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApplicationError.for_field(
            "README.md", "the card's YAML metadata must be a mapping of keys to values", code="malformed_card"
        )
    # Dates and other YAML-only types become strings so the metadata stays plain JSON.
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def _string_or_empty(metadata: dict[str, Any], key: str) -> str:
    value = metadata.get(key)
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " AND ".join(value) if key == "license" else ", ".join(value)
    if not isinstance(value, (str, int, float)):
        raise ApplicationError.for_field(
            f"README.md:{key}", f"must be text, not {type(value).__name__}", code="malformed_card"
        )
    return str(value)


def _base_models(metadata: dict[str, Any], snapshot: Snapshot, tags: list[str]) -> list[BaseModelRef]:
    raw = metadata.get("base_model")
    if raw is None or raw == "":
        return []
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ApplicationError.for_field(
            "README.md:base_model", "must be a model id or a list of model ids", code="malformed_card"
        )
    for name in names:
        if not _HUB_ID.match(name):
            raise ApplicationError.for_field(
                "README.md:base_model", f"{name!r} is not a Hub model id", code="malformed_card"
            )
    if snapshot.repo_id in names:
        raise ApplicationError.for_field(
            "README.md:base_model", "a model cannot be its own base model", code="malformed_card"
        )

    declared = metadata.get("base_model_relation")
    if declared is not None:
        if not isinstance(declared, str) or declared.lower() not in _RELATIONS:
            raise ApplicationError.for_field(
                "README.md:base_model_relation",
                f"{declared!r} is not one of {', '.join(sorted(_RELATIONS))}",
                code="malformed_card",
            )
        relation = _RELATIONS[declared.lower()]
        return [BaseModelRef(hub_id=name, relation=relation, declared=True) for name in dict.fromkeys(names)]

    relation = _infer_relation(names, snapshot, tags)
    return [BaseModelRef(hub_id=name, relation=relation, declared=False) for name in dict.fromkeys(names)]


def _infer_relation(names: list[str], snapshot: Snapshot, tags: list[str]) -> LineageRelation:
    """Guess the relation the way the Hub does when a card does not say."""
    paths = {f.path for f in snapshot.files}
    lowered_tags = {tag.lower() for tag in tags}
    if len(names) > 1 or "merge" in lowered_tags or "mergekit" in lowered_tags:
        return LineageRelation.MERGE
    if "adapter_config.json" in paths or "peft" in lowered_tags:
        return LineageRelation.ADAPTER
    if lowered_tags & _QUANTIZATION_MARKERS or any(path.endswith(".gguf") for path in paths):
        return LineageRelation.QUANTIZED
    if "distillation" in lowered_tags:
        return LineageRelation.DISTILLATION
    return LineageRelation.FINE_TUNE


def _document_kind(path: str) -> str:
    upper = path.upper()
    if upper == "README.MD":
        return "readme"
    if upper == "CONFIG.JSON":
        return "config"
    if upper.startswith("USE_POLICY"):
        return "use_policy"
    return "license"


def _primary_license(documents: list[TextDocument]) -> TextDocument | None:
    licenses = [doc for doc in documents if doc.kind == "license"]
    # Prefer the plain name (LICENSE, LICENSE.md, LICENSE.txt) over e.g. LICENSE-THIRD-PARTY.
    licenses.sort(key=lambda doc: (not re.match(r"^LICEN[CS]E(\.[a-z]+)?$", doc.path, re.IGNORECASE), doc.path))
    return licenses[0] if licenses else None


def parse_snapshot(snapshot: Snapshot, *, max_text_bytes: int) -> ParsedVersion:
    """Check a snapshot and extract what the registry records; raise on anything unsafe to record."""
    validate_repo_id(snapshot.repo_id)
    warnings: list[str] = []
    documents: list[TextDocument] = []
    for path in snapshot.text_paths():
        data = snapshot.texts[path]
        text = decode_text_file(path, data, max_bytes=max_text_bytes)
        documents.append(
            TextDocument(
                path=path, kind=_document_kind(path), text=text, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
            )
        )
    by_kind = {doc.kind: doc for doc in documents}

    metadata: dict[str, Any] = {}
    readme = by_kind.get("readme")
    if readme is None:
        warnings.append("README.md: the repository has no model card")
    else:
        parsed = parse_front_matter(readme.text)
        if parsed is None:
            warnings.append("README.md: the model card has no YAML metadata block")
        else:
            metadata = parsed

    config: dict[str, Any] | None = None
    if "config" in by_kind:
        try:
            loaded = json.loads(by_kind["config"].text)
        except json.JSONDecodeError as exc:
            raise ApplicationError.for_field(
                "config.json", f"is not valid JSON: {exc.msg} at line {exc.lineno}", code="malformed_config"
            ) from exc
        if not isinstance(loaded, dict):
            raise ApplicationError.for_field("config.json", "must be a JSON object", code="malformed_config")
        config = loaded

    tags = list(dict.fromkeys([*snapshot.tags, *_string_list(metadata.get("tags"), "tags")]))
    declared_license = _string_or_empty(metadata, "license")
    if not declared_license:
        warnings.append("README.md:license: the model card declares no license")
    license_document = _primary_license(documents)
    if license_document is None:
        warnings.append("LICENSE: the repository has no LICENSE file; only the card's license tag is known")

    task = snapshot.pipeline_tag or _string_or_empty(metadata, "pipeline_tag")
    architectures = (config or {}).get("architectures")
    architecture = ""
    if isinstance(architectures, list) and architectures and isinstance(architectures[0], str):
        architecture = architectures[0]
    elif isinstance((config or {}).get("model_type"), str):
        architecture = str((config or {})["model_type"])

    return ParsedVersion(
        repo_id=snapshot.repo_id,
        revision=snapshot.revision,
        source=snapshot.source,
        files=[{"path": f.path, "size": f.size, "sha256": f.sha256, "blob_id": f.blob_id} for f in snapshot.files],
        card_metadata=metadata,
        tags=tags,
        config=config,
        declared_license=declared_license[:100],
        declared_license_name=_string_or_empty(metadata, "license_name")[:200],
        declared_license_link=_string_or_empty(metadata, "license_link")[:500],
        license_document=license_document,
        documents=documents,
        base_models=_base_models(metadata, snapshot, tags),
        task=task[:64],
        modalities=list(_PIPELINE_MODALITIES.get(task, [])),
        architecture=architecture[:128],
        parameter_count=snapshot.parameter_count,
        warnings=warnings,
    )


def _string_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ApplicationError.for_field(f"README.md:{key}", "must be a list of strings", code="malformed_card")
