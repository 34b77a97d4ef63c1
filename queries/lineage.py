"""Depth-limited lineage walks: one query per level, the level's nodes as a `VALUES` block.

`walk(store, start)` follows the same edges as the canned queries `lineage_upstream` and
`lineage_downstream` (`prov:wasDerivedFrom`, recorded or inferred; a stable entity's versions;
the generating or using activity as a leaf), breadth first, so each node gets its depth (the
least number of edges from the start) and the walk stops at `depth` levels or `limit` edges
without reading the rest of the closure. The level queries are data files (`walk/*.rq`); the
frontier's IRIs are validated terms (`provml.kg.sparql_text.sparql_term`), never raw text.

>>> from provml.queries.lineage import WALKED
>>> sorted(WALKED)
['inferred', 'recorded', 'version']
"""

from __future__ import annotations

__all__ = ["WALKED", "Edge", "walk"]

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import pyoxigraph

from provml.errors import QueryError
from provml.kg.results import SelectResult, term_value
from provml.kg.sparql_text import first_group_brace, sparql_term
from provml.queries.params import Param, to_term

if TYPE_CHECKING:
    from provml.kg.store import Store

#: The kinds of edge the walk goes on from (an activity it reaches is a leaf).
WALKED = frozenset({"recorded", "inferred", "version"})
#: Nodes per level query: larger frontiers are asked in chunks of this many.
CHUNK = 400
PROVML = "https://w3id.org/provml/ontology#"


@dataclass(frozen=True)
class Edge:
    """One lineage edge: from `child` (already reached) to `node`, at `depth` (edges from the
    start), what it is (`how`), the node's label and classes, and the run recording it."""

    child: str
    how: str
    node: str
    depth: int
    node_label: str | None = None
    node_classes: tuple[str, ...] = field(default=())
    run: str | None = None
    run_label: str | None = None

    @property
    def node_class(self) -> str | None:
        """The node's provml class if it has one, else its first class (sorted), else None."""
        own = [c for c in self.node_classes if c.startswith(PROVML)]
        chosen = own or list(self.node_classes)
        return chosen[0] if chosen else None


@cache
def _level_query(down: bool) -> str:
    """The text of walk/downstream.rq or walk/upstream.rq."""
    name = "downstream.rq" if down else "upstream.rq"
    return resources.files("provml.queries").joinpath("walk", name).read_text(encoding="utf-8")


def _with_frontier(text: str, nodes: Iterable[str]) -> str:
    """The level query with the frontier, `{ SELECT ?child WHERE { VALUES ?child { ... } } }`,
    opening its WHERE group.

    In a sub-select because Virtuoso 7.2 ignores a VALUES block of several rows that opens
    the level query's group (it answered with the edges of every node in the store, and
    crashed on the same query without its OPTIONALs); first in the group, so that Oxigraph
    looks the edges up per frontier node (a VALUES block at the end of the group made the
    downstream walk 4x slower at 1M triples).
    """
    terms = " ".join(sparql_term(pyoxigraph.NamedNode(node), "a lineage node") for node in nodes)
    brace = first_group_brace(text)
    if brace is None:
        raise QueryError("lineage: the level query has no WHERE group")
    opening = brace + 1
    frontier = f"{{ SELECT ?child WHERE {{ VALUES ?child {{ {terms} }} }} }}"
    return f"{text[:opening]}\n  {frontier}{text[opening:]}"


def walk(
    store: Store,
    start: str,
    *,
    down: bool = False,
    depth: int | None = None,
    node_class: str | None = None,
    limit: int | None = None,
) -> list[Edge]:
    """The lineage edges of `start` (upstream, or downstream with `down`), level by level.

    `depth` caps the levels (None: the whole closure), `node_class` keeps only edges to nodes
    of that class (the walk still goes through the others), `limit` stops after that many
    edges (a level is completed first, so at least `limit` come back when there are that many).
    Edges are sorted by depth, then child, how, node, run. Reads only. Raises UnsafeParameter
    for a start or class that is not an IRI, QueryError for a negative depth or limit or a
    failing query, StoreError as `Store.query` does.
    """
    start = to_term(Param("start", "iri"), start, "lineage").value
    if node_class is not None:
        node_class = to_term(Param("class", "iri"), node_class, "lineage").value
    if (depth is not None and depth < 0) or (limit is not None and limit < 0):
        raise QueryError("lineage: depth and limit must not be negative")
    text = _level_query(down)
    seen = {start}
    frontier = [start]
    edges: list[Edge] = []
    level = 0
    while frontier and (depth is None or level < depth):
        found = _level(store, text, frontier, level + 1)
        # From the start (an activity), its inputs (up) or outputs (down) are walked too.
        walked = WALKED | ({"generated" if down else "used"} if level == 0 else set())
        frontier = []
        for edge in found:
            if edge.how in walked and edge.node not in seen:
                seen.add(edge.node)
                frontier.append(edge.node)
            if node_class is None or node_class in edge.node_classes:
                edges.append(edge)
        frontier.sort()
        level += 1
        if limit is not None and len(edges) >= limit:
            break
    return edges


@dataclass
class _Found:
    """What one level's rows say about one edge: the node's labels and classes, the run name."""

    labels: set[str] = field(default_factory=set)
    stable_labels: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    run_label: str | None = None


def _text(
    row: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal | None], name: str
) -> str | None:
    """A row's value as text (IRI or lexical form), None when unbound."""
    term = row.get(name)
    return None if term is None else term_value(term)


def _level(store: Store, text: str, frontier: list[str], depth: int) -> list[Edge]:
    """The edges from one level's nodes, merged per (child, how, node, run), sorted."""
    merged: dict[tuple[str, str, str, str], _Found] = {}
    for first in range(0, len(frontier), CHUNK):
        result = store.query(_with_frontier(text, frontier[first : first + CHUNK]))
        if not isinstance(result, SelectResult):
            raise QueryError("lineage: the level query is not a SELECT")
        for row in result:
            values = {name: _text(row, name) for name in result.variables}  # type: ignore[arg-type]
            run_label = values["run_label"]
            # The graph names the run only when it is one (it has a run label).
            run = values["graph"] if run_label is not None else None
            key = (values["child"] or "", values["how"] or "", values["node"] or "", run or "")
            found = merged.setdefault(key, _Found())
            if values["label"] is not None:
                found.labels.add(values["label"])
            if values["stable_label"] is not None:
                found.stable_labels.add(values["stable_label"])
            if isinstance(row["type"], pyoxigraph.NamedNode):
                found.classes.add(row["type"].value)
            found.run_label = run_label or found.run_label
    return [
        Edge(
            child,
            how,
            node,
            depth,
            min(found.labels or found.stable_labels or {""}) or None,
            tuple(sorted(found.classes)),
            run or None,
            found.run_label,
        )
        for (child, how, node, run), found in sorted(merged.items())
    ]
