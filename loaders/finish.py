"""What a load does after its batches commit: SPARQL updates over the loaded runs.

The updates are data files beside this module; in each, a line holding only `;` separates
operations, and each operation is idempotent and sent on its own with the file's prefixes.
- `merge_run_times.ru` reads the whole store, so a load that crashed after committing and
  before finishing is repaired by the next one.
- `link_runs.ru` runs once per run the load touched, with `${graph}` replaced by the run's
  graph IRI (validated): Virtuoso fails INSERT templates whose graph is a variable.
- consecutive epochs and iterations of each such run are linked from `run_sections.rq` here:
  as one update, Oxigraph joins sections on a computed index pair by pair (a 10k-iteration
  stage took minutes), while sorting them in Python is linear.
- then each such run's digests are rewritten (`clear_summaries.ru`, `summaries.py`): activity
  durations, metric summaries, raw-data and model lineage shortcuts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from string import Template

import pyoxigraph

from provml.kg.results import SelectResult, Term
from provml.kg.store import Store
from provml.kg.terms import named_node
from provml.loaders import iris, summaries
from provml.loaders.sparql_files import operations, read
from provml.loaders.terms import P

MERGE = "merge_run_times.ru"
LINKS = "link_runs.ru"
SECTIONS = "run_sections.rq"
CLEAR = "clear_summaries.ru"
# Runs digested per query: a query's cost is mostly fixed, its text grows with the batch.
DIGEST_BATCH = 200
INFORMED_BY = pyoxigraph.NamedNode(iris.plain(P.wasInformedBy))


def finish_runs(store: Store, runs: Iterable[str]) -> None:
    """Merge the ranks' run times and statuses (whole store), then add the links that span
    events in each of `runs` (run ids).

    Each operation is one transaction (on a remote store, one request). Raises QueryError or
    StoreError as `Store.update` does.
    """
    for operation in operations(MERGE):
        store.update(operation)
    graphs = [named_node(iris.plain(iris.run(run)), "run graph") for run in sorted(runs)]
    for graph in graphs:
        for operation in operations(LINKS):
            store.update(Template(operation).substitute(graph=str(graph)))
        store.add_quads(_section_links(store, graph))
    for start in range(0, len(graphs), DIGEST_BATCH):
        batch = graphs[start : start + DIGEST_BATCH]
        digests = summaries.run_digests(store, batch)
        for operation in operations(CLEAR):
            store.update(summaries.fill(operation, batch))
        store.add_quads(digests)
        store.add_quads(summaries.raw_lineage(store, batch))
        store.add_quads(summaries.model_lineage(store, batch))


def _section_links(store: Store, graph: pyoxigraph.NamedNode) -> Iterator[pyoxigraph.Quad]:
    """`next prov:wasInformedBy previous` for each epoch or iteration and the one before it."""
    query = Template(read(SECTIONS)).substitute(graph=str(graph))
    by_stage: dict[Term, dict[int, list[pyoxigraph.NamedNode | pyoxigraph.BlankNode]]] = (
        defaultdict(lambda: defaultdict(list))
    )
    result = store.query(query)
    assert isinstance(result, SelectResult)
    for row in result.rows:
        section, stage, position = row["section"], row["stage"], row["index"]
        # all bound by the pattern: ?section a subject, ?index a literal
        assert isinstance(section, pyoxigraph.NamedNode | pyoxigraph.BlankNode)
        assert stage is not None and isinstance(position, pyoxigraph.Literal)
        by_stage[stage][int(position.value)].append(section)
    for sections in by_stage.values():
        for index, nexts in sections.items():
            for previous in sections.get(index - 1, ()):
                for section in nexts:
                    yield pyoxigraph.Quad(section, INFORMED_BY, previous, graph)
