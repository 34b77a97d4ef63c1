"""The lineage shortcuts of some runs, found by walking the derivations a level at a time.

`provml:derivedFromRawData` (entity -> each raw data entity in its lineage) and
`provml:trainedOnDataDerivedFrom` (trained model -> everything it derives from) are what
`raw_lineage.rq` and `model_lineage.rq` select. Those queries walk `prov:wasDerivedFrom+` once per
entity, and the entities of a group of runs share most of their ancestors: at 1M events the two
took a third of the finishing. Here each node's direct derivations are read once, a level at a
time for all nodes of that level (`derivation_children.rq`, `derivation_parents.rq`, in queries
of `summaries.NODES_PER_QUERY` IRIs), and the closures are made in Python from them: the same
pairs, each edge read once.
A walk that meets a blank node (which a query cannot name) gives way to the two queries.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph

from provml.kg.store import Store
from provml.loaders import summaries

SEEDS = "shortcut_seeds.rq"
INPUTS = "shortcut_inputs.rq"
CHILDREN = "derivation_children.rq"
PARENTS = "derivation_parents.rq"
KINDS = "shortcut_kinds.rq"
RAW, TRAINED_ON, SHARED = summaries.RAW, summaries.TRAINED_ON, summaries.SHARED

#: A node of the walk (a literal or a blank node there ends it: see `_named`).
Node = pyoxigraph.NamedNode | pyoxigraph.BlankNode


class _BlankNode(Exception):
    """The walk met a blank node: the queries take over."""


def lineage_shortcuts(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode]
) -> Iterator[pyoxigraph.Quad]:
    """The raw data and model lineage shortcuts of the runs whose graphs are `graphs` (and of
    everything loaded earlier whose lineage they extend), in the shared graph.

    Raises QueryError or StoreError as `Store.query` does.
    """
    if not graphs:
        return iter(())
    try:
        return iter(_walked(store, graphs))
    except _BlankNode:
        return itertools.chain(
            summaries.raw_lineage(store, graphs), summaries.model_lineage(store, graphs)
        )


def _walked(store: Store, graphs: Sequence[pyoxigraph.NamedNode]) -> set[pyoxigraph.Quad]:
    """The shortcuts, from the derivations read a level at a time."""
    seeds: set[Node] = set()
    for row in summaries.stream_values_rows(store, SEEDS, "graphs", graphs):
        seeds.add(row["generated"])
        if row["stable"] is not None:
            seeds.add(row["stable"])
    inputs = {
        row["entity"] for row in summaries.stream_values_rows(store, INPUTS, "graphs", graphs)
    }
    # Everything derived from a seed, the seeds included (prov:wasDerivedFrom*).
    descendants = set(_Edges(store, CHILDREN, seeds).next)
    kinds = _Kinds(store)
    kinds.read(descendants | inputs)
    entities = {node for node in descendants if "measure" not in kinds.of(node)} | inputs
    models = {node for node in descendants if "model" in kinds.of(node)}
    parents = _Edges(store, PARENTS, entities | models)
    ancestors = {node: parents.closure(node) for node in entities | models}
    reached = {node for found in ancestors.values() for node in found}
    kinds.read(reached)
    kinds.read({stable for node in reached for stable in kinds.stables(node)})
    shortcuts: set[pyoxigraph.Quad] = set()
    for entity in entities:
        for source in ancestors[entity]:
            for raw in kinds.stables(source) or (source,):
                if raw != entity and "raw" in kinds.of(raw):
                    shortcuts.add(pyoxigraph.Quad(entity, RAW, raw, SHARED))
    for model in models:
        for derived in ancestors[model]:
            for ancestor in (derived, *kinds.stables(derived)):
                shortcuts.add(pyoxigraph.Quad(model, TRAINED_ON, ancestor, SHARED))
    return shortcuts


class _Edges:
    """A step's edges (node -> next nodes) of every node reached from some start, read a level
    at a time."""

    def __init__(self, store: Store, name: str, start: Iterable[Node]) -> None:
        """Read the edges of every node reachable from `start`."""
        self.next: dict[Node, set[Node]] = {}
        level = set(start)
        while level:
            for node in level:
                self.next[node] = set()
            following = set()
            for row in summaries.stream_values_rows(store, name, "nodes", _named(level)):
                self.next[row["node"]].add(row["next"])
                following.add(row["next"])
            level = following - self.next.keys()

    def closure(self, node: Node) -> set[Node]:
        """Every node one or more steps from `node` (itself if a cycle leads back)."""
        found: set[Node] = set()
        level = self.next[node]
        while level:
            found |= level
            level = {following for each in level for following in self.next[each]} - found
        return found


class _Kinds:
    """What the shortcuts need to know of nodes (`shortcut_kinds.rq`), read once per node."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.kinds: dict[Node, set[str]] = {}
        self.stable: dict[Node, list[Node]] = defaultdict(list)

    def read(self, nodes: Iterable[Node]) -> None:
        """Read what is not known yet of `nodes`."""
        unknown = [node for node in set(nodes) if node not in self.kinds]
        for node in unknown:
            self.kinds[node] = set()
        for row in summaries.stream_values_rows(self.store, KINDS, "nodes", _named(unknown)):
            self.kinds[row["node"]].add(row["kind"].value)
            if row["stable"] is not None and row["stable"] not in self.stable[row["node"]]:
                self.stable[row["node"]].append(row["stable"])

    def of(self, node: Node) -> set[str]:
        """The kinds of a node read before."""
        return self.kinds[node]

    def stables(self, node: Node) -> list[Node]:
        """The stable entities a node read before is a version of."""
        return self.stable.get(node, [])


def _named(nodes: Iterable[Node]) -> list[pyoxigraph.NamedNode]:
    """The nodes as IRIs for a query's VALUES; a blank node (or other term) ends the walk."""
    named = []
    for node in nodes:
        if not isinstance(node, pyoxigraph.NamedNode):
            raise _BlankNode
        named.append(node)
    return named
