"""Writes for the documentation exports: officers' texts, requested and issued documents, bundles.

Every change is audited in its transaction. An issued document is never changed or deleted:
generating again adds the next ``sequence`` (Art. 18 keeps technical documentation ten years).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
import yaml
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.html import escape
from huggingface_hub import ModelCard
from markdown_it import MarkdownIt

from compliance import events
from compliance.exports.bundle import AUDIT_EVENTS, bundle_build
from compliance.exports.cyclonedx import cyclonedx_bom
from compliance.exports.facts import ModelFacts
from compliance.exports.model_card import card_metadata, model_card
from compliance.exports.render import RENDERERS
from compliance.exports.sections import MODEL_TEXT_KEYS, document_spec
from compliance.exports.selectors import ExportSubject, export_document_build, export_subject, export_target_kind
from compliance.exports.spdx import spdx_document
from compliance.models import ApprovalRequest, ApprovalState, ExportDocument, ExportStatus, ExportText, UseCase
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.ledger import Actor, audit_record
from core.models import AuditEvent
from core.roles import Capability, require_capability
from registry.models import ModelVersion

SECTIONED_KINDS = ("annex_iv", "annex_xi", "annex_xii", "cop_form", "training_summary", "transparency_notice")
KIND_FORMATS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(SECTIONED_KINDS, ("md", "html", "pdf", "json")),
    "model_card": ("md", "html"),
    "spdx": ("json",),
    "cyclonedx": ("json",),
    "bundle": ("zip",),
}
CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "zip": "application/zip",
}
MAX_TEXT = 50_000


# --- officers' texts ---------------------------------------------------------------------------


def _person(actor: Actor) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise PermissionDeniedError("exports are requested and written by a signed-in person")
    return actor


def export_text_set(
    *, actor: Actor, key: str, text: str, use_case: UseCase | None = None, version: ModelVersion | None = None
) -> ExportText | None:
    """Write (or, with empty text, remove) the officer's text of an export item for a use case or a version."""
    require_capability(actor, Capability.EXPORT_TEXT_EDIT, "write documentation texts")
    actor = _person(actor)
    if (use_case is None) == (version is None):
        raise ApplicationError.for_field("target", "give exactly one of a use case or a model version")
    if key not in export_text_keys():
        raise ApplicationError.for_field(
            "key",
            f"{key!r} is not an item of any document (see compliance/exports/sections, e.g. human_oversight_assessment)",
        )
    if len(text) > MAX_TEXT:
        raise ApplicationError.for_field("text", f"is {len(text):,} characters; at most {MAX_TEXT:,}")
    if "\x00" in text:
        raise ApplicationError.for_field("text", "must not contain NUL characters")
    owner: dict[str, UseCase | ModelVersion | None] = (
        {"use_case": use_case} if use_case is not None else {"version": version}
    )
    with transaction.atomic():
        existing = ExportText.objects.select_for_update().filter(key=key, **owner).first()
        before = existing.text if existing is not None else None
        if not text.strip():
            if existing is None:
                return None
            _refuse_undocumenting(use_case, key)
            existing.delete()
            result = None
        elif existing is None:
            try:
                with transaction.atomic():
                    result = ExportText.objects.create(key=key, text=text, updated_by=actor, **owner)
            except IntegrityError as exc:  # someone wrote the same item at the same moment
                raise ConflictError.for_field(
                    "key", f"{key} was just written by someone else; reload and try again"
                ) from exc
        else:
            existing.text, existing.updated_by = text, actor
            existing.save(update_fields=["text", "updated_by", "updated_at"])
            result = existing
        audit_record(
            event=events.EXPORT_TEXT_SET,
            actor=actor,
            target=use_case if use_case is not None else version,  # type: ignore[arg-type]
            before={"key": key, "text": before},
            after={"key": key, "text": text if text.strip() else None},
        )
    return result


def export_text_keys() -> frozenset[str]:
    """Every key an officer's text can be stored under: the documents' items and the model texts."""
    keys = {item.key for kind in SECTIONED_KINDS for item in document_spec(kind).items()}
    return frozenset(keys | set(MODEL_TEXT_KEYS))


def _refuse_undocumenting(use_case: UseCase | None, key: str) -> None:
    """An approved high-risk system keeps its Annex IV complete: its text cannot be removed."""
    if use_case is None or key not in {item.key for item in document_spec("annex_iv").items()}:
        return
    approved = ApprovalRequest.objects.filter(use_case=use_case, state=ApprovalState.APPROVED, tier="high_risk")
    ids = list(approved.values_list("pk", flat=True))
    if ids:
        raise ConflictError.for_field(
            "text",
            f"approval {', '.join(f'#{pk}' for pk in ids)} of this high-risk use case relies on this Annex IV item; "
            "change the text, or suspend or revoke the approval first",
        )


# --- documents ---------------------------------------------------------------------------------


def _subject_of(document: ExportDocument) -> ExportSubject:
    return export_subject(version=document.version, approval=document.approval)


def export_request(
    *,
    actor: Actor,
    kind: str,
    format: str,
    version: ModelVersion | None = None,
    approval: ApprovalRequest | None = None,
) -> ExportDocument:
    """Record a request for a document; ``export_generate`` (a Celery task for the API) makes it.

    ``actor`` None is the command line without ``--as-user`` (whoever runs manage.py is trusted).
    """
    if actor is not None:
        require_capability(actor, Capability.COMPLIANCE_VIEW, "generate documentation")
        actor = _person(actor)
    if kind not in KIND_FORMATS:
        raise ApplicationError.for_field("kind", f"{kind!r} is not one of {', '.join(KIND_FORMATS)}")
    if format not in KIND_FORMATS[kind]:
        raise ApplicationError.for_field("format", f"{kind} comes as {', '.join(KIND_FORMATS[kind])}, not {format!r}")
    if export_target_kind(kind) == "approval":
        if approval is None:
            raise ApplicationError.for_field("target", f"{kind} is made for an approval request; give its id")
        version = approval.version
    elif version is None:
        if approval is None:
            raise ApplicationError.for_field("target", f"{kind} is made for a model version; give its id")
        version, approval = approval.version, None
    else:
        approval = None
    assert version is not None
    with transaction.atomic():
        # Lock the target so two requests cannot take the same sequence number.
        ModelVersion.objects.select_for_update().filter(pk=version.pk).exists()
        same = ExportDocument.objects.filter(kind=kind, format=format, version=version, approval=approval)
        sequence = (same.aggregate(top=Max("sequence"))["top"] or 0) + 1
        document = ExportDocument.objects.create(
            kind=kind, format=format, version=version, approval=approval, sequence=sequence, requested_by=actor
        )
        audit_record(
            event=events.EXPORT_REQUESTED,
            actor=actor,
            target=document,
            after={
                "kind": kind,
                "format": format,
                "version": version.pk,
                "approval": approval.pk if approval else None,
            },
        )
    return document


def export_schedule(
    *,
    actor: Actor,
    kind: str,
    format: str,
    version: ModelVersion | None = None,
    approval: ApprovalRequest | None = None,
) -> ExportDocument:
    """Request a document and hand it to a Celery worker once the request is committed (API, admin, web)."""
    from compliance.tasks import export_generate_task  # noqa: PLC0415  (the tasks module imports the services)

    with transaction.atomic():
        document = export_request(actor=actor, kind=kind, format=format, version=version, approval=approval)
        transaction.on_commit(lambda: export_generate_task.delay(document.pk))
    return document


def _progress(document: ExportDocument, percent: int, note: str) -> None:
    ExportDocument.objects.filter(pk=document.pk).update(progress=percent, progress_note=note[:200])


def _stem(subject: ExportSubject, kind: str, sequence: int) -> str:
    # At most 120 characters of the model's name, so the file name fits its 200-character column.
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", subject.facts.hub_id.replace("/", "--"))[:120]
    where = f"approval-{subject.approval.pk}" if subject.approval is not None else subject.facts.revision[:12]
    return f"{kind}-{name}-{where}-v{sequence}"


def _model_writer(kind: str) -> Callable[..., bytes]:
    if kind == "model_card":
        return lambda facts, generated_at: model_card(facts).encode("utf-8")
    if kind == "spdx":
        return lambda facts, generated_at: orjson.dumps(
            spdx_document(facts, created=generated_at, namespace=f"https://modelgate.invalid/spdx/{facts.version_id}/"),
            option=orjson.OPT_INDENT_2,
        )
    if kind == "cyclonedx":
        # Every issued BOM gets its own serial number (CycloneDX: unique per BOM).
        return lambda facts, generated_at: cyclonedx_bom(facts, created=generated_at).encode("utf-8")
    raise KeyError(kind)


def _model_card_html(card: str, facts: ModelFacts) -> bytes:
    """The card as a web page: its YAML front matter as a code block, its Markdown body rendered."""
    title = facts.hub_id
    metadata = yaml.safe_dump(card_metadata(facts), sort_keys=False, allow_unicode=True)
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(ModelCard(card).text)
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1><h2>Metadata</h2><pre><code>{escape(metadata)}</code></pre>{body}</body></html>"
    )
    return page.encode("utf-8")


def _render(
    kind: str, fmt: str, subject: ExportSubject, *, generated_at: datetime, requested_by: str
) -> tuple[bytes, list[str]]:
    if kind in SECTIONED_KINDS:
        document = export_document_build(kind, subject, generated_at=generated_at)
        content = RENDERERS[fmt](document, data_sha256=subject.data_sha256(), requested_by=requested_by)
        return content, document.missing()
    card_or_bom = _model_writer(kind)(subject.facts, generated_at)
    if kind == "model_card" and fmt == "html":
        card_or_bom = _model_card_html(card_or_bom.decode("utf-8"), subject.facts)
    return card_or_bom, []


def _bundle(document: ExportDocument, subject: ExportSubject, *, generated_at: datetime) -> tuple[bytes, list[str]]:
    approval = subject.approval
    assert approval is not None
    who = document.requester_label
    files: dict[str, bytes] = {}
    steps = [
        ("annex_iv", "pdf"),
        ("annex_iv", "json"),
        ("transparency_notice", "md"),
        ("annex_xii", "md"),
        ("model_card", "md"),
        ("spdx", "json"),
        ("cyclonedx", "json"),
    ]
    missing: list[str] = []
    for number, (kind, fmt) in enumerate(steps):
        _progress(document, 5 + 80 * number // len(steps), f"{kind}.{fmt}")
        content, kind_missing = _render(kind, fmt, subject, generated_at=generated_at, requested_by=who)
        suffix = {"spdx": ".spdx3.jsonld.json", "cyclonedx": ".cdx.json"}.get(kind, f".{fmt}")
        files[f"documents/{kind}{suffix}"] = content
        if kind == "annex_iv" and fmt == "json":
            missing = kind_missing
    _progress(document, 88, "approval, verdicts and audit events")
    files["records/approval.json"] = orjson.dumps(
        {
            "id": approval.pk,
            "state": approval.state,
            "environment": approval.environment,
            "use_case": {"id": approval.use_case_id, "name": approval.use_case.name},
            "version": {"id": subject.version.pk, "hub_id": subject.facts.hub_id, "revision": subject.facts.revision},
            "requested_by": approval.requested_by.get_username(),
            "tier": approval.tier,
            "required_signoffs": approval.required_signoffs,
            "gate_results": approval.gate_results,
            "conditions": approval.conditions,
            "evidence": approval.evidence,
            "submitted_at": approval.submitted_at,
            "decided_at": approval.decided_at,
            "expires_at": approval.expires_at,
            "signoffs": [
                {"signer": s.signer.get_username(), "role": s.role, "reason": s.reason, "at": s.created_at}
                for s in approval.signoffs.select_related("signer")
            ],
        },
        option=orjson.OPT_INDENT_2,
    )
    files["records/license-verdict.json"] = orjson.dumps(
        subject.license | {"expression": subject.facts.license_expression}, option=orjson.OPT_INDENT_2
    )
    files["records/classification.json"] = orjson.dumps(subject.classification, option=orjson.OPT_INDENT_2)
    targets = (
        Q(target_type="compliance.approvalrequest", target_id=str(approval.pk))
        | Q(target_type="compliance.usecase", target_id=str(approval.use_case_id))
        | Q(target_type="registry.modelversion", target_id=str(subject.version.pk))
    )
    files[AUDIT_EVENTS] = b"".join(
        orjson.dumps(event.chain_record()) + b"\n" for event in AuditEvent.objects.filter(targets).order_by("sequence")
    )
    manifest = {
        "bundle": "Modelgate audit evidence bundle",
        "approval": approval.pk,
        "generated_at": generated_at.isoformat(),
        "requested_by": who,
        "data_sha256": subject.data_sha256(),
        "annex_iv_missing": missing,
        "verify": "unzip -d bundle FILE.zip && cd bundle && sha256sum -c SHA256SUMS; or: python manage.py verify_bundle FILE.zip",
    }
    _progress(document, 95, "zip and manifest")
    return bundle_build(files, manifest=manifest), missing


def _claim(document: ExportDocument) -> bool:
    """Mark a pending (or failed) document as running; False when another run has it or it is done."""
    with transaction.atomic():
        claimed = ExportDocument.objects.filter(
            pk=document.pk, status__in=[ExportStatus.PENDING, ExportStatus.FAILED]
        ).update(status=ExportStatus.RUNNING, progress=1, progress_note="started", error="")
    return claimed == 1


def _store(document: ExportDocument, subject: ExportSubject, content: bytes, missing: list[str]) -> None:
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        document.status = ExportStatus.DONE
        document.progress = 100
        document.progress_note = "done"
        document.content = content
        document.sha256 = digest
        document.data_sha256 = subject.data_sha256()
        document.missing_items = missing
        document.filename = _stem(subject, document.kind, document.sequence) + f".{document.format}"
        document.content_type = CONTENT_TYPES[document.format]
        document.completed_at = timezone.now()
        document.error = ""
        document.save()
        audit_record(
            event=events.EXPORT_ISSUED,
            actor=document.requested_by,
            target=document,
            after={
                "kind": document.kind,
                "format": document.format,
                "sequence": document.sequence,
                "sha256": digest,
                "data_sha256": document.data_sha256,
                "missing_items": len(missing),
            },
        )


def export_generate(document: ExportDocument) -> ExportDocument:
    """Make a requested document and store it with its hash; a failure is stored and audited too.

    Only one run makes a document: a second call (a redelivered task, say) finds it claimed
    and returns it as it is.
    """
    if not _claim(document):
        return ExportDocument.objects.get(pk=document.pk)
    document = ExportDocument.objects.select_related(
        "version__model__provider", "approval__use_case", "requested_by"
    ).get(pk=document.pk)
    generated_at = timezone.now().astimezone(UTC).replace(microsecond=0)
    try:
        subject = _subject_of(document)
        if document.kind == "bundle":
            content, missing = _bundle(document, subject, generated_at=generated_at)
        else:
            _progress(document, 20, "rendering")
            content, missing = _render(
                document.kind,
                document.format,
                subject,
                generated_at=generated_at,
                requested_by=document.requester_label,
            )
        _store(document, subject, content, missing)
    except Exception as exc:  # any failure is stored on the document and audited, then re-raised
        error = f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            ExportDocument.objects.filter(pk=document.pk).update(
                status=ExportStatus.FAILED, error=error[:2000], completed_at=timezone.now()
            )
            audit_record(
                event=events.EXPORT_FAILED, actor=document.requested_by, target=document, after={"error": error[:500]}
            )
        raise
    return document
