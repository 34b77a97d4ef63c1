"""Which annotation after the fact supersedes which: one chain per target and key.

A later annotation of the same target and key supersedes an earlier one; both are kept. Each
annotation gets `provml:supersedes` to the one just before it, ordered by `prov:generatedAtTime`
(when the statement was made), then by IRI for equal times, so the current value is the one no
annotation supersedes. Which is "just before" depends on every annotation of the target and
key, so this runs after every load, over the whole store (annotations are few): it reads them
all (`annotation_chain.rq`), removes the links an annotation dated between their two ends
broke, and adds the missing ones. A function of what the store holds: idempotent, and a load
that crashed before it is repaired by the next.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pyoxigraph

from provml.kg.results import SelectResult, Term
from provml.kg.store import Store
from provml.loaders import iris
from provml.loaders.sparql_files import read
from provml.loaders.terms import P

QUERY = "annotation_chain.rq"
SUPERSEDES = pyoxigraph.NamedNode(iris.plain(P.supersedes))
GRAPH = pyoxigraph.NamedNode(iris.plain(iris.ANNOTATIONS_GRAPH))

Link = tuple[Term, Term]


def chain_annotations(store: Store) -> None:
    """Rewrite the `provml:supersedes` links so each annotation supersedes the one just before
    it (same target and key). Raises QueryError or StoreError as `Store.query`/`update` do."""
    result = store.query(read(QUERY))
    assert isinstance(result, SelectResult)
    groups: dict[tuple[Term | None, ...], dict[Term, tuple[datetime, str]]] = defaultdict(dict)
    present: set[Link] = set()
    for row in result.rows:
        annotation, time = row["annotation"], row["time"]
        assert annotation is not None and isinstance(time, pyoxigraph.Literal)
        order = (datetime.fromisoformat(time.value), str(annotation))
        groups[row["target"], row["key"]][annotation] = order
        if row["superseded"] is not None:
            present.add((annotation, row["superseded"]))
    wanted: set[Link] = set()
    for members in groups.values():
        ordered = sorted(members, key=members.__getitem__)
        wanted.update(zip(ordered[1:], ordered[:-1], strict=True))
    stale = present - wanted
    if stale:
        triples = " ".join(f"{later} {SUPERSEDES} {earlier} ." for later, earlier in stale)
        store.update(f"DELETE DATA {{ GRAPH {GRAPH} {{ {triples} }} }}")
    missing = wanted - present
    if missing:
        store.add_quads(
            pyoxigraph.Quad(later, SUPERSEDES, earlier, GRAPH)  # type: ignore[arg-type]
            for later, earlier in sorted(missing, key=str)
        )
