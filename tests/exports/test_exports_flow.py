"""Documentation exports end to end: every kind in every format for the demo high-risk use case and the
demo GPAI model, stored with hashes and kept across regenerations; PDFs checked as rendered pages;
the evidence bundle verified (and broken by one byte); the Annex IV gate on the final sign-off."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from huggingface_hub import ModelCard

from compliance.approvals.services import GatesFailed, approval_sign
from compliance.exports.bundle import verify_bundle
from compliance.exports.sections import document_spec
from compliance.exports.selectors import export_target_kind
from compliance.exports.services import (
    KIND_FORMATS,
    SECTIONED_KINDS,
    export_generate,
    export_request,
    export_text_set,
)
from compliance.models import ApprovalState, ExportDocument, ExportStatus
from core.errors import ApplicationError, ConflictError
from core.ledger import audit_chain_verify
from core.models import AuditEvent
from core.roles import Role
from modelgate.demo.documentation import ANNEX_IV_LEFT_OPEN, DocumentationDemo

pytestmark = pytest.mark.django_db

# The headings of the sections, from compliance/exports/sections/*.yaml.
SECTION_HEADINGS = {
    "annex_iv": [
        "1. General description of the AI system",
        "2. Elements of the AI system and its development process",
        "3. Monitoring, functioning and control of the AI system",
        "4. Appropriateness of the performance metrics",
        "5. Risk management system",
        "6. Changes through the lifecycle",
        "7. Harmonised standards and other solutions applied",
        "8. EU declaration of conformity",
        "9. Post-market monitoring",
    ],
    "annex_xii": [
        "1. General description of the general-purpose AI model",
        "2. Elements of the model and its development process",
    ],
}


@pytest.fixture
def people(make_user: Callable[..., User], requester: User, officer: User) -> dict[str, User]:
    return {
        "requester": requester,
        "officer": officer,
        "legal": make_user(Role.APPROVER_LEGAL, username="lena"),
        "security": make_user(Role.APPROVER_SECURITY, username="sam"),
        "auditor": make_user(Role.AUDITOR, username="audrey"),
        "developer": make_user(Role.DEVELOPER, username="dev"),
    }


def generate(actor: User, kind: str, fmt: str, demo: DocumentationDemo) -> ExportDocument:
    target: dict[str, Any] = (
        {"approval": demo.approval} if export_target_kind(kind) == "approval" else {"version": demo.version}
    )
    document = export_generate(export_request(actor=actor, kind=kind, format=fmt, **target))
    assert document.status == ExportStatus.DONE, document.error
    return document


def content_of(document: ExportDocument) -> bytes:
    assert document.content is not None
    return bytes(document.content)


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [(kind, fmt) for kind, formats in KIND_FORMATS.items() if kind != "bundle" for fmt in formats if fmt != "pdf"],
)
def test_every_kind_comes_in_every_format_it_supports(
    kind: str, fmt: str, demo: DocumentationDemo, people: dict[str, User]
) -> None:
    document = generate(people["auditor"], kind, fmt, demo)

    content = content_of(document)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert len(document.data_sha256) == 64
    assert document.requested_by == people["auditor"]
    assert document.filename.endswith("." + fmt)
    if fmt == "json":
        parsed = orjson.loads(content)
        assert parsed
    text = content.decode("utf-8")
    assert "meta-llama" in text or "Llama" in text
    if kind == "model_card" and fmt == "md":
        card = ModelCard(text)
        assert card.data.to_dict()["license"] in {"llama3.1", "other"}
    if kind in SECTION_HEADINGS and fmt in {"md", "html"}:
        for heading in SECTION_HEADINGS[kind]:
            assert heading in text


def test_annex_iv_names_what_is_missing_in_every_format(demo: DocumentationDemo, people: dict[str, User]) -> None:
    as_json = orjson.loads(content_of(generate(people["officer"], "annex_iv", "json", demo)))
    markdown = content_of(generate(people["officer"], "annex_iv", "md", demo)).decode()

    assert as_json["missing"] == ["Annex IV 8, Copy of the EU declaration of conformity (Art. 47): missing"]
    assert "Annex IV 8, Copy of the EU declaration of conformity (Art. 47): missing" in markdown
    item = next(i for s in as_json["sections"] for i in s["items"] if i["key"] == "human_oversight_assessment")
    assert item["status"] == "complete"
    assert "recruiter" in item["text"]


def _pdf_text_and_pages(pdf: bytes, tmp_path: Path) -> tuple[str, list[Path]]:
    # No skip: without poppler the PDFs go unchecked, so a missing tool is a failure.
    assert shutil.which("pdftoppm"), "the PDF checks need poppler-utils (./run installs it)"
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(tmp_path / "page")], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True).stdout
    return text, sorted(tmp_path.glob("page-*.png"))


@pytest.mark.parametrize("kind", SECTIONED_KINDS)
def test_the_pdf_has_a_title_page_contents_page_numbers_and_every_section(
    kind: str, demo: DocumentationDemo, people: dict[str, User], tmp_path: Path
) -> None:
    document = generate(people["officer"], kind, "pdf", demo)
    pdf = content_of(document)
    assert pdf.startswith(b"%PDF-")

    text, pages = _pdf_text_and_pages(pdf, tmp_path)

    assert len(pages) >= 3
    assert all(page.stat().st_size > 1000 for page in pages)  # rendered, not blank
    first_page = text.split("\f")[0]
    assert "MODELGATE · DOCUMENTATION EXPORT" in first_page
    assert "meta-llama/Llama-3.1-8B-Instruct" in " ".join(first_page.split())
    assert "Contents" in text
    assert f"Page 2 of {len(pages)}" in text
    flowing = " ".join(text.split())
    headings = SECTION_HEADINGS.get(kind) or [f"{s.id}. {s.title}" for s in document_spec(kind).sections]
    for heading in headings:
        assert heading in flowing
        assert flowing.count(heading) >= 2  # in the contents (with its page number) and as the heading


def test_regenerating_keeps_every_earlier_version(demo: DocumentationDemo, people: dict[str, User]) -> None:
    first = generate(people["officer"], "annex_xii", "md", demo)
    second = generate(people["auditor"], "annex_xii", "md", demo)

    assert (first.sequence, second.sequence) == (1, 2)
    assert ExportDocument.objects.filter(kind="annex_xii", format="md").count() == 2
    first.refresh_from_db()
    assert hashlib.sha256(content_of(first)).hexdigest() == first.sha256
    issued = AuditEvent.objects.filter(action="compliance.export.issued", target_id__in=[first.pk, second.pk])
    assert sorted(e.after["sha256"] for e in issued) == sorted([first.sha256, second.sha256])
    assert audit_chain_verify().ok


def test_the_data_version_changes_when_a_text_changes(demo: DocumentationDemo, people: dict[str, User]) -> None:
    before = generate(people["officer"], "annex_xii", "json", demo)
    export_text_set(actor=people["officer"], key="input_output_modalities", text="Text only.", version=demo.version)
    after = generate(people["officer"], "annex_xii", "json", demo)

    assert before.data_sha256 != after.data_sha256


# --- the evidence bundle ------------------------------------------------------------------------


def _rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return buffer.getvalue()


def test_the_bundle_verifies_and_one_changed_byte_breaks_it(
    demo: DocumentationDemo, people: dict[str, User], tmp_path: Path
) -> None:
    document = generate(people["auditor"], "bundle", "zip", demo)
    bundle = content_of(document)
    names = set(zipfile.ZipFile(io.BytesIO(bundle)).namelist())

    assert {
        "documents/annex_iv.pdf",
        "documents/annex_iv.json",
        "documents/spdx.spdx3.jsonld.json",
        "documents/cyclonedx.cdx.json",
        "documents/model_card.md",
        "records/approval.json",
        "records/license-verdict.json",
        "records/classification.json",
        "audit-events.jsonl",
        "manifest.json",
        "SHA256SUMS",
    } <= names
    assert verify_bundle(bundle).ok
    assert document.progress == 100
    manifest = orjson.loads(zipfile.ZipFile(io.BytesIO(bundle)).read("manifest.json"))
    assert manifest["annex_iv_missing"] == ["Annex IV 8, Copy of the EU declaration of conformity (Art. 47): missing"]

    def flip_one_byte(name: str, data: bytes) -> bytes:
        if name != "records/approval.json":
            return data
        return data[:10] + bytes([data[10] ^ 0x01]) + data[11:]

    tampered = verify_bundle(_rezip(bundle, flip_one_byte))
    assert not tampered.ok
    assert tampered.problems == [
        "records/approval.json: SHA-256 does not match SHA256SUMS",
        "records/approval.json: SHA-256 does not match manifest.json",
    ]

    # A raw byte of the zip itself: the archive's CRC or a digest catches it.
    raw = bytearray(bundle)
    raw[len(raw) // 2] ^= 0xFF
    assert not verify_bundle(bytes(raw)).ok

    # An audit event edited with the digests recomputed still fails: its own hash no longer matches.
    def edit_event(name: str, data: bytes) -> bytes:
        if name != "audit-events.jsonl":
            return data
        first, _, rest = data.partition(b"\n")
        record = orjson.loads(first)
        record["reason"] = "edited"
        return orjson.dumps(record) + b"\n" + rest

    edited = _rezip(bundle, edit_event)
    sums = "".join(
        f"{hashlib.sha256(zipfile.ZipFile(io.BytesIO(edited)).read(n)).hexdigest()}  {n}\n"
        for n in sorted(names - {"SHA256SUMS"})
    ).encode()
    edited = _rezip(edited, lambda name, data: sums if name == "SHA256SUMS" else data)
    report = verify_bundle(edited)
    assert any("hash does not match its fields" in problem for problem in report.problems)


def test_the_bundle_verifies_with_the_command_and_with_plain_shell_tools(
    demo: DocumentationDemo, people: dict[str, User], tmp_path: Path
) -> None:
    out = tmp_path / "bundle.zip"
    call_command(
        "export_docs",
        kind="bundle",
        target=demo.approval.pk,
        format="zip",
        out=out,
        as_user="audrey",
        stderr=io.StringIO(),
    )
    stdout = io.StringIO()
    call_command("verify_bundle", str(out), stdout=stdout)
    assert "OK" in stdout.getvalue()

    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(out).extractall(unpacked)
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=unpacked, check=False).returncode == 0
    approval_json = unpacked / "records" / "approval.json"
    approval_json.write_bytes(approval_json.read_bytes().replace(b"submitted", b"approved!"))
    assert (
        subprocess.run(
            ["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=unpacked, check=False, capture_output=True
        ).returncode
        != 0
    )

    broken = tmp_path / "broken.zip"
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01
    broken.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_bundle", str(broken), stdout=io.StringIO(), stderr=io.StringIO())


def test_export_docs_refuses_bad_arguments_by_name(
    demo: DocumentationDemo, people: dict[str, User], tmp_path: Path
) -> None:
    out = tmp_path / "x"
    with pytest.raises(CommandError, match="--target: no approval request 999"):
        call_command("export_docs", kind="annex_iv", target=999, format="md", out=out, as_user="audrey")
    with pytest.raises(CommandError, match="format: spdx comes as json, not 'pdf'"):
        call_command("export_docs", kind="spdx", target=demo.version.pk, format="pdf", out=out, as_user="audrey")
    with pytest.raises(CommandError, match="--as-user"):
        call_command("export_docs", kind="spdx", target=demo.version.pk, format="json", out=out, as_user="nobody")
    assert not out.exists()
    assert ExportDocument.objects.count() == 0


# --- the Annex IV gate ----------------------------------------------------------------------------


def test_missing_annex_iv_items_block_the_final_signoff_until_written(
    demo: DocumentationDemo, people: dict[str, User]
) -> None:
    approval = demo.approval
    roles = list(approval.required_signoffs)
    signers = {
        "compliance_officer": people["officer"],
        "approver_legal": people["legal"],
        "approver_security": people["security"],
    }
    *first, last = roles
    for role in first:
        approval = approval_sign(actor=signers[role], request=approval, reason="reviewed")

    with pytest.raises(GatesFailed, match=r"annex_iv_complete: 1 Annex IV items missing: Annex IV 8, Copy of the EU"):
        approval_sign(actor=signers[last], request=approval, reason="reviewed")
    approval.refresh_from_db()
    assert approval.state != ApprovalState.APPROVED
    assert not approval.signoffs.filter(signer=signers[last]).exists()

    export_text_set(
        actor=people["officer"],
        key=ANNEX_IV_LEFT_OPEN[0],
        text="EU declaration of conformity DoC-HR-AI-1, signed 2026-11-20 (Annex V items 1-8).",
        use_case=demo.use_case,
    )
    approval = approval_sign(actor=signers[last], request=approval, reason="reviewed")
    assert approval.state == ApprovalState.APPROVED
    gate = next(g for g in approval.gate_results if g["gate"] == "annex_iv_complete")
    assert gate["passed"] is True


def test_export_docs_without_a_user_is_recorded_as_the_system(demo: DocumentationDemo, tmp_path: Path) -> None:
    out = tmp_path / "card.md"
    call_command("export_docs", kind="model_card", target=demo.version.pk, format="md", out=out, stderr=io.StringIO())

    document = ExportDocument.objects.get()
    assert document.requested_by is None
    assert hashlib.sha256(out.read_bytes()).hexdigest() == document.sha256
    issued = AuditEvent.objects.get(action="compliance.export.issued", target_id=str(document.pk))
    assert issued.actor_label == "system"


def test_a_document_is_made_once_even_if_asked_twice(demo: DocumentationDemo, people: dict[str, User]) -> None:
    document = generate(people["officer"], "annex_xii", "json", demo)
    again = export_generate(document)

    assert again.sha256 == document.sha256
    assert AuditEvent.objects.filter(action="compliance.export.issued", target_id=str(document.pk)).count() == 1


def test_a_document_another_run_is_making_is_left_to_it(demo: DocumentationDemo, people: dict[str, User]) -> None:
    document = export_request(actor=people["officer"], kind="annex_xii", format="json", version=demo.version)
    ExportDocument.objects.filter(pk=document.pk).update(status=ExportStatus.RUNNING, progress=40)

    left = export_generate(document)  # e.g. a redelivered task while the first worker is still at it

    assert (left.status, left.progress, left.content) == (ExportStatus.RUNNING, 40, None)
    assert not AuditEvent.objects.filter(action="compliance.export.issued", target_id=str(document.pk)).exists()


def test_the_model_card_page_shows_the_front_matter_as_data_not_as_a_heading(
    demo: DocumentationDemo, people: dict[str, User]
) -> None:
    page = content_of(generate(people["officer"], "model_card", "html", demo)).decode()
    metadata = page.split("<h2>Metadata</h2><pre><code>", 1)[1].split("</code></pre>", 1)[0]
    assert "license: llama3.1" in metadata
    assert "<h2>license" not in page
    assert "<hr" not in page.split("<h2>Metadata</h2>", 1)[0]
    assert "<h1>meta-llama/Llama-3.1-8B-Instruct</h1>" in page


def test_texts_for_unknown_items_are_refused_by_name(demo: DocumentationDemo, people: dict[str, User]) -> None:
    with pytest.raises(ApplicationError) as refused:
        export_text_set(actor=people["officer"], key="human_oversigth", text="typo", use_case=demo.use_case)
    assert "key" in refused.value.fields
    assert not demo.use_case.export_texts.filter(key="human_oversigth").exists()


def test_an_approved_high_risk_system_cannot_lose_its_annex_iv_text(
    demo: DocumentationDemo, people: dict[str, User]
) -> None:
    export_text_set(actor=people["officer"], key=ANNEX_IV_LEFT_OPEN[0], text="DoC-HR-AI-1.", use_case=demo.use_case)
    signers = {
        "compliance_officer": people["officer"],
        "approver_legal": people["legal"],
        "approver_security": people["security"],
    }
    approval = demo.approval
    for role in list(approval.required_signoffs):
        approval = approval_sign(actor=signers[role], request=approval, reason="reviewed")
    assert approval.state == ApprovalState.APPROVED

    with pytest.raises(ConflictError, match=f"approval #{approval.pk}"):
        export_text_set(actor=people["officer"], key="human_oversight_assessment", text="", use_case=demo.use_case)
    assert demo.use_case.export_texts.filter(key="human_oversight_assessment").exists()
    export_text_set(actor=people["officer"], key="human_oversight_assessment", text="Revised.", use_case=demo.use_case)
