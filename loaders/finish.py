"""What a load does after its batches commit: SPARQL updates over the loaded runs.

The updates are data files beside this module; in each, a line holding only `;` separates
operations, and each operation is idempotent and sent on its own with the file's prefixes.
- `merge_run_times.ru` and `annotation_chain.py` (which annotation after the fact supersedes
  which) read the whole store, so a load that crashed after committing and before
  finishing is repaired by the next one.
- `link_runs.ru` runs once per group of DIGEST_BATCH runs the load touched, with `${graphs}`
  replaced by their graph IRIs (validated); the `prov:wasInformedBy` links between tasks go into
  each consumer's run graph from `informed_by.rq` (Virtuoso fails INSERT templates whose graph
  is a variable, so an update could only name one run at a time).
- consecutive epochs and iterations of each such run are linked from `run_sections.rq` here:
  as one update, Oxigraph joins sections on a computed index pair by pair (a 10k-iteration
  stage took minutes), while sorting them in Python is linear.
Every query of a group is one request for the whole group (a query's cost is mostly fixed);
the links and digests computed in Python are streamed and written together, in chunks of
WRITE_CHUNK quads (BULK_WRITE_CHUNK where the load may use `bulk_load`, several times faster than
a transaction of parsed quads but at a fixed cost a call).
- derivations are inferred where capture recorded none (`infer_derivations.rq`):
  each version a task generated derives from what the task used, at the latest version generated
  at or before the task's start, in `iris.INFERRED_GRAPH`; the run's old inferred edges are
  removed first (`clear_run_inferred.ru`), so re-finishing replaces them. Imported PROV documents
  get the same (`clear_inferred.ru`, `infer_prov_derivations.rq`, from `provml import-prov`).
- then each such run's digests are rewritten (`clear_summaries.ru`, `summaries.py`): activity
  durations, metric summaries (from the pending digests its batches wrote, `digests.py`, in one
  update with their removal), raw-data and model lineage shortcuts.

Crashes: each batch a load commits carries, in the same transaction, a mark for every run it
touched (`unfinished_marks`, `<run> a UnfinishedRun` in `iris.UNFINISHED_GRAPH`); a run's mark is
removed only after all of the above was written for it. So a load killed anywhere leaves every
run it committed marked, and the next finishing (any load of the store, even one that finds no
new event) finishes them: every step is a function of what the store holds, so the result is what
one uninterrupted load gives.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyoxigraph

from provml.errors import StoreError
from provml.kg.results import SelectResult, Term
from provml.kg.store import Store
from provml.kg.terms import named_node
from provml.loaders import iris, summaries
from provml.loaders.annotation_chain import chain_annotations
from provml.loaders.lineage_shortcuts import lineage_shortcuts
from provml.loaders.ntriples import moment as parse_moment
from provml.loaders.ntriples import to_utf8
from provml.loaders.run_facts import RunFacts
from provml.loaders.sparql_files import operations
from provml.loaders.terms import P

MERGE = "merge_run_times.ru"
LINKS = "link_runs.ru"
SECTIONS = "run_sections.rq"
INFORMED = "informed_by.rq"
CLEAR = "clear_summaries.ru"
INFER = "infer_derivations.rq"
USES = "inferred_uses.rq"
INPUT_VERSIONS = "input_versions.rq"
INFER_PROV = "infer_prov_derivations.rq"
CLEAR_INFERRED = "clear_inferred.ru"
CLEAR_RUN_INFERRED = "clear_run_inferred.ru"
REGENERATED = "regenerated.rq"
INFERRED = pyoxigraph.NamedNode(iris.INFERRED_GRAPH)
DERIVED_FROM = pyoxigraph.NamedNode(iris.plain(P.wasDerivedFrom))
# Runs digested per query: a query's cost is mostly fixed, its text grows with the batch.
DIGEST_BATCH = 200
# Quads per write of a streamed result: bounds the memory a group's lineage takes.
WRITE_CHUNK = 20_000
# The same with `bulk_load`: each call also holds the engine's sorting buffers, so larger
# chunks raised a 1M-event load's peak RSS (20k: 428 MB, 50k: 508 MB).
BULK_WRITE_CHUNK = 20_000
INFORMED_BY = pyoxigraph.NamedNode(iris.plain(P.wasInformedBy))
# A run's mark: `<run> a <UnfinishedRun>`, in iris.UNFINISHED_GRAPH.
_MARK = f"{P.type} {iris.UNFINISHED_RUN}"


def finish_runs(
    store: Store, runs: Iterable[str], *, bulk: bool = False, facts: RunFacts | None = None
) -> None:
    """Merge the ranks' run times and statuses and chain the annotations (whole store), then add
    the links and digests that span events in each of `runs` (run ids) and in each run still
    marked unfinished.

    Each operation is one transaction (on a remote store, one request); a run's mark goes last,
    so finishing interrupted anywhere is completed by the next call. `bulk`: the caller is the
    store's only writer, so quads are added with `bulk_load` where the store declares it atomic
    (several times faster than a transaction of parsed quads). `facts`: the statements the
    load gathered of the runs new to the store, read instead of their graphs
    (`provml.loaders.run_facts`). Raises QueryError or StoreError as `Store.update` does.
    """
    for operation in operations(MERGE):
        store.update(operation)
    chain_annotations(store)
    bulk = bulk and store.atomic_bulk_load
    given = [named_node(iris.plain(iris.run(run)), "run graph") for run in sorted(set(runs))]
    finished: set[pyoxigraph.NamedNode] = set()
    for start in range(0, len(given), DIGEST_BATCH):
        _finish_graphs(store, given[start : start + DIGEST_BATCH], bulk, facts)
        finished.update(given[start : start + DIGEST_BATCH])
    # Runs an interrupted load committed: read a page at a time (a server may cut long
    # results), each finished and unmarked before the next page is read.
    while marked := _unfinished(store, DIGEST_BATCH):
        if finished.intersection(marked):
            raise StoreError(
                f"{store.location}: the marks of finished runs in {iris.UNFINISHED_GRAPH} "
                "were not removed; the store refused the update"
            )
        _finish_graphs(store, marked, bulk, facts)
        finished.update(marked)


def regenerated_without_hash(store: Store, runs: Iterable[str]) -> dict[str, int]:
    """The stable entities (IRIs) `runs` generated that have several generated versions and no
    content hash: kept apart by generation, with how many versions each has. Raises QueryError
    or StoreError as `Store.query` does."""
    graphs = [named_node(iris.plain(iris.run(run)), "run graph") for run in sorted(set(runs))]
    found: dict[str, int] = {}
    for start in range(0, len(graphs), DIGEST_BATCH):
        for row in summaries.stream_rows(store, REGENERATED, graphs[start : start + DIGEST_BATCH]):
            found[row["entity"].value] = int(row["generations"].value)
    return found


def unfinished_marks(runs: Iterable[str]) -> bytes:
    """N-Quads marking `runs` (run ids) unfinished: committed with the batch that touched them."""
    return to_utf8("".join(f"{iris.run(run)} {_MARK} {iris.UNFINISHED_GRAPH} .\n" for run in runs))


def _unfinished(store: Store, limit: int) -> list[pyoxigraph.NamedNode]:
    """Up to `limit` run graphs still marked unfinished."""
    result = store.query(
        f"SELECT ?run WHERE {{ GRAPH {iris.UNFINISHED_GRAPH} {{ ?run {_MARK} }} }} LIMIT {limit}"
    )
    assert isinstance(result, SelectResult)
    return [row["run"] for row in result.rows if isinstance(row["run"], pyoxigraph.NamedNode)]


def _finish_graphs(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode], bulk: bool, facts: RunFacts | None
) -> None:
    """Links, section links and digests of some run graphs, then their marks removed."""
    if not graphs:
        return
    for operation in operations(LINKS):
        store.update(summaries.fill(operation, graphs))
    infer_derivations(store, graphs, bulk=bulk)
    durations = summaries.run_digests(store, graphs, facts)
    for operation in operations(CLEAR):
        store.update(summaries.fill(operation, graphs))
    for replacement in summaries.replace_summaries(store, graphs, facts):
        store.update(replacement)
    # Written together, in as few writes as the chunks allow (each write has a fixed cost): none
    # of these links is read by the queries that make the others.
    links = itertools.chain(
        _informed_by(store, graphs),
        _section_links(store, graphs, facts),
        durations,
        lineage_shortcuts(store, graphs),
    )
    _add_in_chunks(store, links, bulk)
    marks = " ".join(f"{graph} {_MARK} ." for graph in graphs)
    store.update(f"DELETE DATA {{ GRAPH {iris.UNFINISHED_GRAPH} {{ {marks} }} }}")
    if not bulk:
        # The engine's write buffers otherwise grow group after group until the load ends (with
        # `bulk`, the links went to data files: only the updates' few quads are buffered).
        store.flush()


def infer_derivations(
    store: Store,
    graphs: Sequence[pyoxigraph.NamedNode],
    *,
    imported: bool = False,
    bulk: bool = False,
) -> None:
    """Replace the inferred derivations of what the runs (or, `imported`, the PROV documents)
    whose graphs are `graphs` generated: old ones removed (one update), new ones added.

    Idempotent; not atomic as a whole (a crash between the two leaves the run marked
    unfinished, and the next finishing writes them again). `bulk` as in `finish_runs`. Raises
    QueryError or StoreError as `Store.update` does.
    """
    if not graphs:
        return
    for operation in operations(CLEAR_INFERRED if imported else CLEAR_RUN_INFERRED):
        store.update(summaries.fill(operation, graphs))
    uses: Iterable[Mapping[str, Any]]
    if imported:
        uses = summaries.stream_rows(store, INFER_PROV, graphs)
    else:
        uses = _run_uses(store, graphs)
    _add_in_chunks(store, _inferred(uses), bulk)


def _run_uses(store: Store, graphs: Sequence[pyoxigraph.NamedNode]) -> Iterable[Mapping[str, Any]]:
    """`infer_derivations.rq`'s rows for some run graphs, in two queries (`inferred_uses.rq`,
    then `input_versions.rq` for the entities used), or in one if a use is a blank node."""
    uses = list(summaries.stream_rows(store, USES, graphs))
    inputs = {use["input"] for use in uses}
    if not all(isinstance(used, pyoxigraph.NamedNode) for used in inputs):
        return summaries.stream_rows(store, INFER, graphs)
    versions: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for row in summaries.stream_values_rows(
        store, INPUT_VERSIONS, "inputs", sorted(inputs, key=str)
    ):
        versions[row["input"]].append((row["version"], row["at"]))
    return [
        {
            "output": use["output"],
            "input": use["input"],
            "started": use["started"],
            "version": version,
            "at": at,
        }
        for use in uses
        for version, at in versions.get(use["input"]) or [(None, None)]
    ]


def _inferred(uses: Iterable[Mapping[str, Any]]) -> Iterator[pyoxigraph.Quad]:
    """`output prov:wasDerivedFrom input` in the inferred graph from `infer_derivations.rq`'s
    rows: per use, the latest version of the used entity generated at or before the task's
    start, else the entity as used."""
    latest: dict[tuple[Term, Term], tuple[datetime.datetime, Term] | None] = {}
    for row in uses:
        key = (row["output"], row["input"])
        best = latest.setdefault(key, None)
        version, at, started = row["version"], row["at"], row["started"]
        if version is None or at is None or version == row["output"]:
            continue
        moment = _moment(at)
        if moment is None or (
            started is not None and (start := _moment(started)) is not None and moment > start
        ):
            continue
        if best is None or moment > best[0] or (moment == best[0] and str(version) > str(best[1])):
            latest[key] = (moment, version)
    for (output, used), best in latest.items():
        source = used if best is None else best[1]
        assert isinstance(output, pyoxigraph.NamedNode | pyoxigraph.BlankNode)
        yield pyoxigraph.Quad(output, DERIVED_FROM, source, INFERRED)


def _moment(term: Term) -> datetime.datetime | None:
    """A dateTime literal as an aware datetime (UTC when it has no zone); None if it is none."""
    if not isinstance(term, pyoxigraph.Literal):
        return None
    try:
        return parse_moment(term.value)
    except ValueError:
        return None


def _add_in_chunks(store: Store, quads: Iterable[pyoxigraph.Quad], bulk: bool = False) -> None:
    """Add quads a chunk of WRITE_CHUNK at a time, each chunk one transaction (with `bulk`, one
    `bulk_load` of BULK_WRITE_CHUNK quads as N-Quads text, unless it holds a blank node, which
    text would rename)."""
    iterator = iter(quads)
    while chunk := list(itertools.islice(iterator, BULK_WRITE_CHUNK if bulk else WRITE_CHUNK)):
        if bulk and not any(
            isinstance(quad.subject, pyoxigraph.BlankNode)
            or isinstance(quad.object, pyoxigraph.BlankNode)
            or isinstance(quad.graph_name, pyoxigraph.BlankNode)
            for quad in chunk
        ):
            text = "".join([f"{quad} .\n" for quad in chunk])
            store.bulk_load(to_utf8(text), "nquads", source="the loader's finishing")
        else:
            store.add_quads(chunk)


def _informed_by(store: Store, graphs: Sequence[pyoxigraph.NamedNode]) -> Iterator[pyoxigraph.Quad]:
    """`consumer prov:wasInformedBy producer` in the consumer's run graph (`informed_by.rq`)."""
    for row in summaries.stream_rows(store, INFORMED, graphs):
        yield pyoxigraph.Quad(row["consumer"], INFORMED_BY, row["producer"], row["graph"])


def _section_links(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode], facts: RunFacts | None
) -> Iterator[pyoxigraph.Quad]:
    """`next prov:wasInformedBy previous` for each epoch or iteration and the one before it (of
    the runs `facts` gathered, from it; of the others, from the store)."""
    Section = pyoxigraph.NamedNode | pyoxigraph.BlankNode
    by_stage: dict[tuple[pyoxigraph.NamedNode, Term], dict[int, list[Section]]] = defaultdict(
        lambda: defaultdict(list)
    )
    known = facts.known(graphs) if facts is not None else set()
    if facts is not None:
        for run_graph, node, its_stage, index in facts.sections(sorted(known, key=str)):
            by_stage[run_graph, its_stage][index].append(node)
    others = [graph for graph in graphs if graph not in known]
    for row in summaries.stream_rows(store, SECTIONS, others) if others else ():
        graph, section, stage, position = row["graph"], row["section"], row["stage"], row["index"]
        # all bound by the pattern: ?section a subject, ?index a literal
        assert isinstance(section, pyoxigraph.NamedNode | pyoxigraph.BlankNode)
        assert isinstance(position, pyoxigraph.Literal)
        by_stage[graph, stage][int(position.value)].append(section)
    for (graph, _), sections in by_stage.items():
        for index, nexts in sections.items():
            for previous in sections.get(index - 1, ()):
                for section in nexts:
                    yield pyoxigraph.Quad(section, INFORMED_BY, previous, graph)
