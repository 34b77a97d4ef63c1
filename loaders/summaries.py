"""Load-time digests beside the full PROV record, so canned queries need no aggregation or path
search at query time (the representation's speed-up; the plain PROV-O path stays answerable).

For each run a load touched, `finish.py` removes the old digests (`clear_summaries.ru`) and
writes again, in the run's graph, the `provml:durationSeconds` of every activity with a start
and an end and one `provml:MetricSummary` per metric and split (lowest, highest, final value,
last epoch) (`run_digests`); it adds to the shared graph `provml:derivedFromRawData` from each
entity in the run's lineage to the raw data it descends from (`raw_lineage`), and
`provml:trainedOnDataDerivedFrom` from each trained model to its training data and all that data
descends from (`model_lineage`): these two define the pairs, which `lineage_shortcuts.py` finds
faster by a walk (falling back on them). Computed in Python
from small queries: engines differ on dateTime arithmetic (Virtuoso has none), and the
digests come out the same on every store. The metric summaries come from the digests the
batches left (`digests.py`, `replace_summaries`), not from the measures, unless the run already
had summaries.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from string import Template
from typing import Any

import pyoxigraph
from rdflib.namespace import RDF, XSD

from provml.errors import QueryError, StoreError
from provml.kg.results import SelectResult
from provml.kg.store import Store
from provml.loaders import digests, iris
from provml.loaders import ntriples as nt
from provml.loaders.run_facts import RunFacts
from provml.loaders.sparql_files import read
from provml.ontology.namespace import PROVML

DURATIONS = "run_durations.rq"
EXECUTION_DURATIONS = "execution_durations.rq"
MEASURES = "run_measures.rq"
PENDING = "pending_digests.rq"
REPLACE = "replace_summaries.ru"
# Summary quads per replacing update: Virtuoso refuses an update whose generated SQL passes
# 10,000 lines (SP031), which a 36-run group's INSERT DATA did.
SUMMARIES_PER_UPDATE = 1_000
# Run graphs (${graphs}) that hold metric summaries already.
_SUMMARIZED = (
    "VALUES ?graph { ${graphs} } GRAPH ?graph { ?summary a <" + str(PROVML.MetricSummary) + "> }"
)
#: IRIs in one query's VALUES: a query's text stays small for a remote server (about 20 kB).
NODES_PER_QUERY = 200
RAW_LINEAGE = "raw_lineage.rq"
MODEL_LINEAGE = "model_lineage.rq"
SHARED = iris.SHARED_GRAPH_NODE
_TYPE = pyoxigraph.NamedNode(str(RDF.type))
_DOUBLE = pyoxigraph.NamedNode(str(XSD.double))
_INTEGER = pyoxigraph.NamedNode(str(XSD.integer))


def _term(name: str) -> pyoxigraph.NamedNode:
    """A provml term (a typo raises at import, through the generated namespace)."""
    return pyoxigraph.NamedNode(str(getattr(PROVML, name)))


DURATION, SUMMARY, SUMMARIZES = (
    _term("durationSeconds"),
    _term("MetricSummary"),
    _term("summarizesExecution"),
)
NAME, SPLIT = _term("summarizedMetric"), _term("summarizedSplit")
LAST_EPOCH = _term("lastEpoch")
LOWEST, HIGHEST, FINAL = _term("lowestValue"), _term("highestValue"), _term("finalValue")
RAW = _term("derivedFromRawData")
TRAINED_ON = _term("trainedOnDataDerivedFrom")


def run_digests(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode], facts: RunFacts | None = None
) -> list[pyoxigraph.Quad]:
    """The activity durations of the runs whose graphs are `graphs`, to write in them after
    `clear_summaries.ru` removed the old ones: of the runs `facts` gathered, from it (but the
    merged workflow executions' own), of the others from the store. Raises QueryError as the
    store does."""
    known = facts.known(graphs) if facts is not None else set()
    others = [graph for graph in graphs if graph not in known]
    rows = itertools.chain(
        # Never an empty VALUES: stock Virtuoso refuses that query as too long to run.
        _timed(stream_rows(store, DURATIONS, others)) if others else (),
        _timed(stream_rows(store, EXECUTION_DURATIONS, sorted(known, key=str))) if known else (),
        facts.durations(sorted(known, key=str)) if facts is not None else (),
    )
    return [
        pyoxigraph.Quad(activity, DURATION, _double((ended - started).total_seconds()), graph)
        for graph, activity, started, ended in rows
    ]


def replace_summaries(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode], facts: RunFacts | None = None
) -> Iterator[str]:
    """Updates that write the metric summaries of the runs whose graphs are `graphs` and remove
    their pending digest state (`replace_summaries.ru`): one per group of whole runs, each group
    at most SUMMARIES_PER_UPDATE summary quads (a run with more goes alone).

    A run without summaries yet gets them from the digests its batches left (`digests.py`),
    one row per summary (of the runs `facts` gathered, from it); a run that has some (a later
    load adds measures to it) has them computed again from its measures, since its older
    measures left no pending state. Each
    update replaces its runs' summaries as one transaction, so a crash between two leaves every
    run either summarized or pending. Raises QueryError as the store does.
    """
    result = store.query(fill(f"SELECT DISTINCT ?graph WHERE {{ {_SUMMARIZED} }}", graphs))
    assert isinstance(result, SelectResult)
    summarized = {
        row["graph"] for row in result.rows if isinstance(row["graph"], pyoxigraph.NamedNode)
    }
    fresh = [graph for graph in graphs if graph not in summarized]
    by_run: dict[pyoxigraph.NamedNode, list[pyoxigraph.Quad]] = {graph: [] for graph in graphs}
    for quad in [
        *_metric_summaries(store, sorted(summarized, key=str)),
        *_pending_summaries(store, fresh, facts),
    ]:
        assert isinstance(quad.graph_name, pyoxigraph.NamedNode)
        by_run[quad.graph_name].append(quad)
    # Comment lines left out as `sparql_files.operations` does.
    template = Template(
        "\n".join(line for line in read(REPLACE).splitlines() if not line.startswith("#"))
    )
    group: list[pyoxigraph.NamedNode] = []
    quads: list[pyoxigraph.Quad] = []
    for graph in graphs:
        if group and len(quads) + len(by_run[graph]) > SUMMARIES_PER_UPDATE:
            yield _replacement(template, group, summarized, quads)
            group, quads = [], []
        group.append(graph)
        quads.extend(by_run[graph])
    if group:
        yield _replacement(template, group, summarized, quads)


def _replacement(
    template: Template,
    group: Sequence[pyoxigraph.NamedNode],
    summarized: set[pyoxigraph.NamedNode],
    quads: Sequence[pyoxigraph.Quad],
) -> str:
    """`replace_summaries.ru` for one group of runs and their new summaries."""
    by_graph: dict[pyoxigraph.NamedNode, list[str]] = defaultdict(list)
    for q in quads:
        assert isinstance(q.graph_name, pyoxigraph.NamedNode)
        by_graph[q.graph_name].append(f"{q.subject} {q.predicate} {q.object} .")
    return template.substitute(
        summarized=" ".join(str(graph) for graph in group if graph in summarized),
        graphs=" ".join(str(graph) for graph in group),
        summaries=" ".join(
            f"GRAPH {graph} {{ {' '.join(triples)} }}" for graph, triples in by_graph.items()
        ),
    )


def raw_lineage(store: Store, graphs: Sequence[pyoxigraph.NamedNode]) -> Iterator[pyoxigraph.Quad]:
    """`entity provml:derivedFromRawData raw` for the runs' lineage, in the shared graph; streamed
    (`stream_rows`): write them before the store is read for anything else."""
    return _shortcuts(store, RAW_LINEAGE, graphs, ("entity", RAW, "raw"))


def model_lineage(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode]
) -> Iterator[pyoxigraph.Quad]:
    """`model provml:trainedOnDataDerivedFrom entity` for the runs' models, in the shared graph;
    streamed as `raw_lineage` is."""
    for row in stream_rows(store, MODEL_LINEAGE, graphs):
        yield pyoxigraph.Quad(row["model"], TRAINED_ON, row["derived"], SHARED)
        if row["stable"] is not None:
            yield pyoxigraph.Quad(row["model"], TRAINED_ON, row["stable"], SHARED)


def _shortcuts(
    store: Store,
    name: str,
    graphs: Sequence[pyoxigraph.NamedNode],
    link: tuple[str, pyoxigraph.NamedNode, str],
) -> Iterator[pyoxigraph.Quad]:
    """One shared-graph quad per row of a lineage query: (subject column, predicate, object
    column)."""
    subject, predicate, obj = link
    for row in stream_rows(store, name, graphs):
        yield pyoxigraph.Quad(row[subject], predicate, row[obj], SHARED)


def fill(template: str, graphs: Sequence[pyoxigraph.NamedNode]) -> str:
    """A query or update of this module with the run graph IRIs (validated terms) put in."""
    return Template(template).substitute(graphs=" ".join(str(graph) for graph in graphs))


def _rows(store: Store, name: str, graphs: Sequence[pyoxigraph.NamedNode]) -> list[Any]:
    """The rows of one of this module's queries for some run graphs."""
    result = store.query(fill(read(name), graphs))
    assert isinstance(result, SelectResult)  # the module's queries are SELECTs
    return result.rows


def stream_rows(store: Store, name: str, graphs: Sequence[pyoxigraph.NamedNode]) -> Iterator[Any]:
    """The rows of one of the loader's SELECT queries for some run graphs, one at a time (the
    embedded store computes them as they are read; a remote one reads them in full first).

    Each row maps a variable name to its term. Raises QueryError or StoreError as `Store.query`
    does, also while the rows are read.
    """
    return _solutions(store, name, fill(read(name), graphs))


def stream_values_rows(
    store: Store, name: str, slot: str, terms: Sequence[pyoxigraph.NamedNode]
) -> Iterator[Any]:
    """The rows of one of the loader's SELECT queries, its VALUES `slot` filled with `terms`
    (IRIs), NODES_PER_QUERY at a time, one at a time as `stream_rows` gives them."""
    template = Template(read(name))
    for start in range(0, len(terms), NODES_PER_QUERY):
        chosen = " ".join(str(term) for term in terms[start : start + NODES_PER_QUERY])
        yield from _solutions(store, name, template.substitute({slot: chosen}))


def _solutions(store: Store, name: str, text: str) -> Iterator[Any]:
    """The rows of the loader's query `name` (as `text`), read as the store computes them."""
    answer = store.evaluate(text)
    assert isinstance(answer, pyoxigraph.QuerySolutions)  # the loader's queries are SELECTs
    try:
        yield from answer
    except OSError as error:
        raise StoreError(f"reading the store {store.location} failed: {error}") from None
    except (RuntimeError, ValueError) as error:
        raise QueryError(f"the query {name} cannot be evaluated: {error}") from None


def _timed(rows: Iterable[Any]) -> Iterator[tuple[Any, Any, datetime.datetime, datetime.datetime]]:
    """(graph, activity, start, end) of each row of a durations query."""
    for row in rows:
        yield row["graph"], row["activity"], _moment(row["started"]), _moment(row["ended"])


def _pending_summaries(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode], facts: RunFacts | None
) -> Iterator[pyoxigraph.Quad]:
    """One MetricSummary per run, metric name and split, from the runs' pending digests (of the
    runs `facts` gathered, its merged keys; of the others, the store's)."""
    if not graphs:
        return
    known = facts.known(graphs) if facts is not None else set()
    keys: dict[tuple[Any, str, str | None], dict[str, str]] = defaultdict(dict)
    others = [graph for graph in graphs if graph not in known]
    for row in _rows(store, PENDING, others) if others else ():
        split = row["split"].value if row["split"] is not None else None
        kind = row["kind"].value.rsplit("/", 1)[-1]
        digests.merge_keys(keys[(row["graph"], row["name"].value, split)], {kind: row["key"].value})
    if facts is not None:
        for graph, name, split, found in facts.pending(sorted(known, key=str)):
            digests.merge_keys(keys[(graph, name, split)], found)
    for (graph, name, split), found in keys.items():
        summary = pyoxigraph.NamedNode(iris.metric_summary(graph.value, name, split))
        lowest = digests.double_of(found["lowestKey"])
        highest = digests.double_of(found["highestKey"])
        final = digests.final_of(found["finalKey"])[2]
        yield from _summary(graph, summary, name, split, (lowest, highest, final))
        if "lastEpochKey" in found:
            last_epoch = digests.int_of(found["lastEpochKey"])[0]
            literal = pyoxigraph.Literal(str(last_epoch), datatype=_INTEGER)
            yield pyoxigraph.Quad(summary, LAST_EPOCH, literal, graph)


def _summary(
    graph: Any, summary: Any, name: str, split: str | None, values: tuple[float, float, float]
) -> Iterator[pyoxigraph.Quad]:
    """A MetricSummary's quads but its last epoch: (lowest, highest, final) values."""
    lowest, highest, final = values
    yield pyoxigraph.Quad(summary, _TYPE, SUMMARY, graph)
    yield pyoxigraph.Quad(summary, SUMMARIZES, graph, graph)
    yield pyoxigraph.Quad(summary, NAME, pyoxigraph.Literal(name), graph)
    if split is not None:
        yield pyoxigraph.Quad(summary, SPLIT, pyoxigraph.Literal(split), graph)
    yield pyoxigraph.Quad(summary, LOWEST, _double(lowest), graph)
    yield pyoxigraph.Quad(summary, HIGHEST, _double(highest), graph)
    yield pyoxigraph.Quad(summary, FINAL, _double(final), graph)


def _metric_summaries(
    store: Store, graphs: Sequence[pyoxigraph.NamedNode]
) -> Iterator[pyoxigraph.Quad]:
    """One MetricSummary per run, metric name and split of the runs' measures (read back)."""
    if not graphs:
        return
    groups: dict[tuple[Any, str, str | None], list[tuple[Any, ...]]] = defaultdict(list)
    for row in _rows(store, MEASURES, graphs):
        split = row["split"].value if row["split"] is not None else None
        epoch = int(row["epoch"].value) if row["epoch"] is not None else None
        step = int(row["step"].value) if row["step"] is not None else None
        measure = (epoch, step, float(row["value"].value))
        groups[(row["graph"], row["name"].value, split)].append(measure)
    for (graph, name, split), measures in groups.items():
        summary = pyoxigraph.NamedNode(iris.metric_summary(graph.value, name, split))
        values = [measure[-1] for measure in measures]
        # The last measure by epoch, then step; of several there, the highest value.
        final = max(measures, key=digests.order)[-1]
        yield from _summary(graph, summary, name, split, (min(values), max(values), final))
        epochs = [measure[0] for measure in measures if measure[0] is not None]
        if epochs:
            last_epoch = pyoxigraph.Literal(str(max(epochs)), datatype=_INTEGER)
            yield pyoxigraph.Quad(summary, LAST_EPOCH, last_epoch, graph)


def _moment(term: pyoxigraph.Literal) -> datetime.datetime:
    """A dateTime literal as an aware datetime (UTC when it has no zone)."""
    return nt.moment(term.value)


def _double(number: float) -> pyoxigraph.Literal:
    """An xsd:double literal; NaN and the infinities in XSD spelling."""
    return pyoxigraph.Literal(nt.double_lexical(number), datatype=_DOUBLE)
