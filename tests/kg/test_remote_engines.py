"""Remote engines as users run them: Debian's Virtuoso with its stock configuration and the
Oxigraph server, each loaded through the real capture -> load path, must give every canned
query (and its plain PROV-O twin) the same rows as the embedded store, values compared exactly
(numbers by value and kind: integer, decimal, double), and every row of a result larger than
Virtuoso's default cap of 10,000 rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

from provml.kg import Store, open_store
from provml.kg.terms import named_node
from provml.loaders.load import load_spools
from provml.queries import get_query
from provml.queries.lineage import walk
from tests.helpers import query_data as data
from tests.helpers.virtuoso import STOCK_RESULT_ROWS
from tests.queries.test_golden import golden, terms

XSD = "http://www.w3.org/2001/XMLSchema#"
ID = "https://w3id.org/provml/id/"
RUN_GRAPHS = [f"{ID}run/{run}" for run in ("seis-a", "seis-b", "seis-c")] + [
    f"{ID}shared",
    f"{ID}annotations",
    f"{ID}inferred",
]
BIG_GRAPH = f"{ID}run/remote-engines-big"
BIG_ROWS = STOCK_RESULT_ROWS * 2 + 1_275
# Columns that hold the query's own time (NOW()): compared by kind, and by value within this.
VOLATILE_SECONDS = 120
QUERIES = sorted(
    (p for p in resources.files("provml.queries").iterdir() if p.name.endswith(".rq")),
    key=lambda p: p.name,
)
PLAIN = sorted(
    (
        p
        for p in resources.files("provml.queries").joinpath("plain").iterdir()
        if p.name.endswith(".rq")
    ),
    key=lambda p: p.name,
)


def exact(term: Any) -> Any:
    """A term as a comparable value: numbers by kind and exact value, times as instants."""
    if not isinstance(term, pyoxigraph.Literal):
        return None if term is None else str(term)
    kind = term.datatype.value.removeprefix(XSD)
    if kind in ("integer", "long", "int", "short", "byte"):
        return ("integer", int(term.value))
    if kind == "decimal":
        return ("decimal", Decimal(term.value))
    if kind in ("double", "float"):
        return ("double", float(term.value))
    if kind == "dateTime":
        return ("dateTime", datetime.fromisoformat(term.value))
    return str(term)


def rows_of(store: Store, text: str, params: dict[str, Any], volatile: set[str]) -> list[Any]:
    """The rows of a query as comparable values, in a canonical order; volatile columns apart."""
    result = store.query(text, params)
    rows = []
    for row in result:
        stable = tuple(exact(row[v]) for v in result.variables if v not in volatile)
        moving = tuple(exact(row[v]) for v in result.variables if v in volatile)
        rows.append((stable, moving))
    return sorted(rows, key=repr)


def agree(local: list[Any], remote: list[Any]) -> None:
    """Assert the same rows; volatile values of the same kind and within VOLATILE_SECONDS."""
    assert [stable for stable, _ in remote] == [stable for stable, _ in local]
    for (_, mine), (_, theirs) in zip(local, remote, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            assert a[0] == b[0], (a, b)
            assert abs(float(a[1]) - float(b[1])) <= VOLATILE_SECONDS, (a, b)


def cases() -> list[tuple[str, Path, dict[str, Any]]]:
    """(id, query file, parameters as they are in the golden files) for every query and twin."""
    found = []
    for path in QUERIES + PLAIN:
        name = path.name.removesuffix(".rq")
        twin = "plain/" if path in PLAIN else ""
        params = [golden(name)["remote"]]
        if twin:
            params += golden(name).get("plain", [])
        for index, raw in enumerate(params):
            found.append((f"{twin}{name}[{index}]", Path(str(path)), raw))
    return found


@pytest.fixture(scope="module")
def spools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden lifecycle's spools, written with the real capture API."""
    root = tmp_path_factory.mktemp("engines")
    data.write_lifecycle(root)
    return root


def _loaded(store: Store, root: Path) -> Store:
    """The store with the lifecycle loaded and a graph of BIG_ROWS triples added."""
    report = load_spools(store, data.spool_dirs(root), workers=1)
    assert report.bad == [] and report.runs == {"seis-a", "seis-b", "seis-c"}
    predicate = pyoxigraph.NamedNode(f"{ID}test/value")
    graph = pyoxigraph.NamedNode(BIG_GRAPH)
    store.add_quads(
        pyoxigraph.Quad(
            pyoxigraph.NamedNode(f"{ID}test/item/{index}"),
            predicate,
            pyoxigraph.Literal(repr(index / 7), datatype=pyoxigraph.NamedNode(XSD + "double")),
            graph,
        )
        for index in range(BIG_ROWS)
    )
    return store


def _drop(store: Store) -> None:
    """Drop what the tests wrote."""
    for graph in [*RUN_GRAPHS, BIG_GRAPH]:
        store.update(f"DROP SILENT GRAPH {named_node(graph)}")


@pytest.fixture(scope="module")
def engines(spools: Path, virtuoso: Any, oxigraph_server: Any) -> Iterator[dict[str, Store]]:
    """The same data in the embedded store, the stock Virtuoso and the Oxigraph server."""
    embedded = open_store(spools / "store")
    remote = {"virtuoso": virtuoso.open(), "oxigraph-server": oxigraph_server.open()}
    try:
        stores = {"embedded": _loaded(embedded, spools)}
        for name, store in remote.items():
            _drop(store)
            stores[name] = _loaded(store, spools)
        yield stores
    finally:
        embedded.close()
        for store in remote.values():
            _drop(store)
            store.close()


@pytest.mark.parametrize(("case", "path", "raw"), cases(), ids=[c[0] for c in cases()])
def test_every_canned_query_gives_the_same_rows_on_every_engine(case, path, raw, engines):
    name = path.name.removesuffix(".rq")
    params = terms(name, raw)
    volatile = set(get_query(name).volatile)
    text = path.read_text()
    local = rows_of(engines["embedded"], text, params, volatile)
    assert local, f"{case} returns no rows: the comparison would prove nothing"
    agree(local, rows_of(engines["oxigraph-server"], text, params, volatile))
    agree(local, rows_of(engines["virtuoso"], text, params, volatile))


def test_every_engine_infers_the_same_derivations(engines):
    # The finishing step's inferred derivations (written by updates and loader code that must
    # work on Virtuoso too) are the same edges on every store.
    text = (
        f"SELECT ?output ?input WHERE {{ GRAPH <{ID}inferred> "
        "{ ?output <http://www.w3.org/ns/prov#wasDerivedFrom> ?input } }"
    )
    local = rows_of(engines["embedded"], text, {}, set())
    assert local, "the lifecycle has outputs without recorded derivations"
    for engine in ("virtuoso", "oxigraph-server"):
        assert rows_of(engines[engine], text, {}, set()) == local


def test_a_result_past_virtuosos_cap_comes_back_whole_and_exact(engines):
    query = (
        f"SELECT ?item ?value WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?item <{ID}test/value> ?value }} }}"
    )
    expected = {(f"{ID}test/item/{index}", index / 7) for index in range(BIG_ROWS)}
    for engine, store in engines.items():
        result = store.query(query)
        got = [(row["item"].value, float(row["value"].value)) for row in result]
        assert len(got) == BIG_ROWS, engine
        assert set(got) == expected, engine


def test_an_ordered_result_past_the_cap_keeps_its_order(engines):
    query = (
        f"SELECT ?value WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?item <{ID}test/value> ?value }} }} "
        "ORDER BY DESC(?value)"
    )
    expected = sorted((index / 7 for index in range(BIG_ROWS)), reverse=True)
    got = [float(row["value"].value) for row in engines["virtuoso"].query(query)]
    assert got == expected


def test_stats_of_a_remote_store_name_only_the_users_graphs(engines):
    for engine in ("virtuoso", "oxigraph-server"):
        assert engines[engine].graphs() == sorted([*RUN_GRAPHS, BIG_GRAPH]), engine
        assert engines[engine].count() == engines["embedded"].count(), engine


@pytest.mark.parametrize(
    ("start", "down"), [("entity/faults-a", False), ("entity/f3-north-filtered", True)]
)
def test_the_lineage_walk_gives_the_same_edges_on_every_engine(engines, start, down):
    # The walk asks one-hop queries per level (no transitive path), each level's frontier of
    # several nodes in one query (Virtuoso once ignored it and gave every node's edges).
    local = sorted(walk(engines["embedded"], f"{ID}{start}", down=down), key=repr)
    assert len({edge.how for edge in local}) >= 2, local
    assert max(edge.depth for edge in local) >= 3, local
    for engine in ("oxigraph-server", "virtuoso"):
        assert sorted(walk(engines[engine], f"{ID}{start}", down=down), key=repr) == local, engine
