"""A model version's lineage as a layered graph: bases above, the version, derivatives below.

``lineage_layout`` is pure (plain data in, coordinates out); ``version_lineage`` reads the
registry and feeds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.models import LineageLink, ModelVersion
from registry.selectors import model_version_ancestors

NODE_WIDTH = 230
NODE_HEIGHT = 46
COLUMN_GAP = 28
LAYER_GAP = 96
MARGIN = 12
# A lone node would otherwise be scaled up to the card's width.
MIN_WIDTH = 3 * NODE_WIDTH + 2 * COLUMN_GAP + 2 * MARGIN


@dataclass(frozen=True)
class LineageNode:
    key: str
    title: str
    subtitle: str
    layer: int  # negative: bases (-1 is the direct base), 0: the version itself, positive: derivatives
    model_id: int | None = None  # set when the node is a registered model, so it can link to its page
    current: bool = False


@dataclass(frozen=True)
class LineageEdge:
    parent: str
    child: str
    relation: str


@dataclass(frozen=True)
class PlacedNode:
    node: LineageNode
    x: float
    y: float

    @property
    def text_x(self) -> float:
        return self.x + 10

    @property
    def title_y(self) -> float:
        return self.y + 19

    @property
    def subtitle_y(self) -> float:
        return self.y + 35


@dataclass(frozen=True)
class PlacedEdge:
    path: str
    relation: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class LineageLayout:
    width: float
    height: float
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...] = field(default_factory=tuple)

    @property
    def node_width(self) -> int:
        return NODE_WIDTH

    @property
    def node_height(self) -> int:
        return NODE_HEIGHT


def lineage_layout(nodes: list[LineageNode], edges: list[LineageEdge]) -> LineageLayout:
    """Place nodes in rows by layer, each row centred; edges are curves from a parent's bottom to a child's top."""
    layers = sorted({node.layer for node in nodes})
    rows = {layer: [node for node in nodes if node.layer == layer] for layer in layers}
    widest = max((len(row) for row in rows.values()), default=1)
    width = max(widest * NODE_WIDTH + (widest - 1) * COLUMN_GAP + 2 * MARGIN, MIN_WIDTH)
    placed: dict[str, PlacedNode] = {}
    for row_index, layer in enumerate(layers):
        row = rows[layer]
        row_width = len(row) * NODE_WIDTH + (len(row) - 1) * COLUMN_GAP
        start = (width - row_width) / 2
        for column, node in enumerate(row):
            x = start + column * (NODE_WIDTH + COLUMN_GAP)
            placed[node.key] = PlacedNode(node, round(x, 1), MARGIN + row_index * (NODE_HEIGHT + LAYER_GAP))
    curves = []
    for edge in edges:
        parent, child = placed.get(edge.parent), placed.get(edge.child)
        if parent is None or child is None:
            continue
        x1, y1 = parent.x + NODE_WIDTH / 2, parent.y + NODE_HEIGHT
        x2, y2 = child.x + NODE_WIDTH / 2, child.y
        middle = (y1 + y2) / 2
        curves.append(
            PlacedEdge(
                path=f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}",
                relation=edge.relation,
                label_x=round((x1 + x2) / 2 + 6, 1),
                label_y=round(middle + 4, 1),
            )
        )
    height = MARGIN * 2 + len(layers) * NODE_HEIGHT + (len(layers) - 1) * LAYER_GAP
    return LineageLayout(width, height, tuple(placed.values()), tuple(curves))


def _version_node(version: ModelVersion, layer: int, *, current: bool = False) -> LineageNode:
    return LineageNode(
        key=f"v{version.pk}",
        title=version.model.hub_id,
        subtitle=f"@{version.revision[:12]} · {version.declared_license or 'no license tag'}",
        layer=layer,
        model_id=version.model_id,
        current=current,
    )


def version_lineage(version: ModelVersion) -> LineageLayout:
    """The version's bases (as far as the registry knows them) and the registered versions built on it."""
    nodes = {f"v{version.pk}": _version_node(version, 0, current=True)}
    edges = []
    for depth, link in model_version_ancestors(version):
        parent = link.parent_version
        if parent is not None:
            key = f"v{parent.pk}"
            nodes.setdefault(key, _version_node(parent, -depth))
        else:
            key = f"ref:{link.parent_ref}"
            nodes.setdefault(key, LineageNode(key, link.parent_ref, "not in the registry", -depth))
        edges.append(LineageEdge(key, f"v{link.child_id}", link.get_relation_display()))
    derived = LineageLink.objects.filter(parent_version=version).select_related("child__model").order_by("child_id")
    for link in derived:
        key = f"v{link.child_id}"
        nodes.setdefault(key, _version_node(link.child, 1))
        edges.append(LineageEdge(f"v{version.pk}", key, link.get_relation_display()))
    return lineage_layout(list(nodes.values()), edges)
