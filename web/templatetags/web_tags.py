"""Labels and badges the pages share, so a tier or a state reads the same everywhere."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from web.exports import KIND_NAMES
from web.selectors import CATEGORY_LABELS, TIER_LABELS

register = template.Library()

STATE_BADGES = {
    "draft": ("Draft", ""),
    "submitted": ("Awaiting sign-offs", "badge-info"),
    "in_review": ("In review", "badge-info"),
    "changes_requested": ("Changes requested", "badge-warn"),
    "approved": ("Approved", "badge-ok"),
    "rejected": ("Rejected", "badge-danger"),
    "suspended": ("Suspended", "badge-danger"),
    "revoked": ("Revoked", "badge-danger"),
    "expired": ("Expired", "badge-warn"),
    "active": ("Active", "badge-ok"),
    "paused": ("Paused", "badge-warn"),
    "retired": ("Retired", ""),
    "pending": ("Queued", "badge-info"),
    "running": ("Generating", "badge-info"),
    "done": ("Ready", "badge-ok"),
    "failed": ("Failed", "badge-danger"),
}
VERDICT_BADGES = {
    "allowed": ("Allowed", "badge-ok"),
    "allowed_with_obligations": ("Allowed with obligations", "badge-warn"),
    "needs_separate_license": ("Needs a separate license", "badge-danger"),
    "forbidden": ("Forbidden", "badge-danger"),
}
ROLE_NAMES = {
    "compliance_officer": "Compliance officer",
    "approver_legal": "Legal approver",
    "approver_security": "Security approver",
    "ml_engineer": "ML engineer",
    "developer": "Developer",
    "auditor": "Auditor",
}
GATE_NAMES = {
    "license_not_forbidden": "License allows this use",
    "separate_license_recorded": "Separate license on file",
    "not_prohibited": "Not a prohibited practice (Art. 5)",
    "license_policy": "Organization license policy",
    "high_risk_evidence": "High-risk evidence attached",
    "annex_iv_complete": "Annex IV documentation complete",
}


@register.simple_tag
def tier_badge(tier: str) -> SafeString:
    return format_html('<span class="badge tier tier-{}">{}</span>', tier or "none", TIER_LABELS.get(tier, tier))


@register.simple_tag
def state_badge(state: str) -> SafeString:
    label, css = STATE_BADGES.get(state, (state.replace("_", " ").capitalize(), ""))
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.simple_tag
def verdict_badge(verdict: str) -> SafeString:
    label, css = VERDICT_BADGES.get(verdict, (verdict, ""))
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.filter
def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


@register.filter
def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


@register.filter
def gate_name(gate: str) -> str:
    return GATE_NAMES.get(gate, gate.replace("_", " ").capitalize())


@register.filter
def export_kind(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


@register.filter
def parameters(count: int | None) -> str:
    """8030261248 -> '8.0 B' (how model sizes are usually spoken of)."""
    if not count:
        return "—"
    for size, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return str(count)


GPAI_LABELS = {"none": "", "gpai": "GPAI model", "gpai_systemic_risk": "GPAI model with systemic risk"}


@register.filter
def gpai_label(gpai: str) -> str:
    return GPAI_LABELS.get(gpai, gpai)
