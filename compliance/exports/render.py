"""Formats of the EU AI Act documents: Markdown, HTML, PDF (WeasyPrint) and JSON, from Django templates."""

from __future__ import annotations

from typing import Any

import orjson
from django.template.loader import render_to_string
from django.utils.text import Truncator

from compliance.exports.documents import Document


def _css_string(text: str) -> str:
    """Text for inside a CSS string in a <style> element (HTML escaping does not apply there)."""
    return "".join(ch if ch.isalnum() or ch in " .,-_/@()#:;" else f"\\{ord(ch):x} " for ch in text)


def _context(document: Document, *, data_sha256: str, requested_by: str) -> dict[str, Any]:
    return {
        "doc": document,
        "missing": document.missing(),
        "generated_at": document.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "data_sha256": data_sha256,
        "requested_by": requested_by,
        "short_subject": _css_string(Truncator(document.subject).chars(72)),
        "kind_label": document.spec.kind.replace("_", " ").upper(),
    }


def render_markdown(document: Document, *, data_sha256: str, requested_by: str = "") -> bytes:
    text = render_to_string(
        "compliance/exports/document.md", _context(document, data_sha256=data_sha256, requested_by=requested_by)
    )
    return text.encode("utf-8")


def render_html(document: Document, *, data_sha256: str, requested_by: str = "") -> bytes:
    html = render_to_string(
        "compliance/exports/document.html", _context(document, data_sha256=data_sha256, requested_by=requested_by)
    )
    return html.encode("utf-8")


def html_to_pdf(html: bytes) -> bytes:
    """A PDF of an HTML page that carries its own styles (no network: nothing is fetched)."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415  (loads Pango and fonts: only PDFs need them)

    def refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"exports fetch nothing: {url}")

    pdf = HTML(string=html.decode("utf-8"), url_fetcher=refuse_fetch).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def render_pdf(document: Document, *, data_sha256: str, requested_by: str = "") -> bytes:
    return html_to_pdf(render_html(document, data_sha256=data_sha256, requested_by=requested_by))


def render_json(document: Document, *, data_sha256: str, requested_by: str = "") -> bytes:
    payload = document.as_dict() | {"data_sha256": data_sha256, "requested_by": requested_by}
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2)


RENDERERS = {"md": render_markdown, "html": render_html, "pdf": render_pdf, "json": render_json}
