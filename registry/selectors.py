"""Reads of the registry, shaped for their callers so lists run a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from registry.models import LineageLink, Model, ModelVersion, ModelVersionDocument, Organization


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.annotate(model_count=Count("models")).order_by("name")


def model_list() -> QuerySet[Model]:
    return Model.objects.select_related("provider").annotate(version_count=Count("versions")).order_by("hub_id")


def _lineage_prefetch() -> Prefetch[str]:
    return Prefetch(
        "base_links", queryset=LineageLink.objects.select_related("parent_version__model").order_by("parent_ref")
    )


def model_version_list() -> QuerySet[ModelVersion]:
    return (
        ModelVersion.objects.select_related("model__provider", "imported_by")
        .defer("files", "license_text", "card_metadata", "config")
        .prefetch_related(_lineage_prefetch())
        .order_by("-imported_at", "-pk")
    )


def model_version_detail() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("model__provider", "imported_by").prefetch_related(
        _lineage_prefetch(),
        Prefetch("documents", queryset=ModelVersionDocument.objects.defer("text").order_by("path")),
        Prefetch("derived_links", queryset=LineageLink.objects.select_related("child__model")),
    )


def model_version_ancestors(version: ModelVersion, *, max_depth: int = 10) -> list[tuple[int, LineageLink]]:
    """Every base model above ``version``, breadth first, as (depth, link); stops at cycles and ``max_depth``."""
    result: list[tuple[int, LineageLink]] = []
    seen = {version.pk}
    frontier = [version.pk]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        links = list(LineageLink.objects.filter(child_id__in=frontier).select_related("parent_version__model"))
        frontier = []
        for link in links:
            result.append((depth, link))
            if link.parent_version_id is not None and link.parent_version_id not in seen:
                seen.add(link.parent_version_id)
                frontier.append(link.parent_version_id)
    return result
