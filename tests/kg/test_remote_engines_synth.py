"""Remote engines on a `provml synth` campaign: every canned query (and its plain PROV-O twin),
with the parameters the campaign names, gives the same rows on the embedded store, the stock
Virtuoso and the Oxigraph server. The campaign logs several values per step and several steps
per epoch, which the golden lifecycle does not: Virtuoso once gave `running_runs --plain` the
values of every step of the latest epoch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provml.kg import Store, named_node, open_store
from provml.loaders.load import load_spools
from provml.loaders.ontology import load_ontology
from provml.queries import get_query
from provml.queries.lineage import walk
from provml.queries.run import bindings_for
from provml.synth import synthesize
from tests.kg.test_remote_engines import PLAIN, QUERIES, agree, rows_of

#: Enough for open runs with several steps per epoch and several values per step.
EVENTS = 1_500


def _drop_all(store: Store) -> None:
    """Drop every graph of the user's (a server's own graphs are not listed)."""
    for graph in store.graphs():
        store.update(f"DROP SILENT GRAPH {named_node(graph)}")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic campaign: spool/ and queries.json."""
    root = tmp_path_factory.mktemp("synth-engines")
    synthesize(root, EVENTS)
    return root


@pytest.fixture(scope="module")
def synth_engines(
    campaign: Path, virtuoso: Any, oxigraph_server: Any
) -> Iterator[dict[str, Store]]:
    """The campaign loaded (ontology included) into the three stores."""
    stores = {
        "embedded": open_store(campaign / "store"),
        "virtuoso": virtuoso.open(),
        "oxigraph-server": oxigraph_server.open(),
    }
    try:
        for name, store in stores.items():
            if name != "embedded":
                _drop_all(store)
            load_ontology(store)
            report = load_spools(store, [campaign / "spool"], workers=1)
            assert report.bad == [], name
        yield stores
    finally:
        for name, store in stores.items():
            if name != "embedded":
                _drop_all(store)
            store.close()


@pytest.mark.parametrize(
    "path",
    QUERIES + PLAIN,
    ids=[f"{'plain/' if p in PLAIN else ''}{p.name}" for p in QUERIES + PLAIN],
)
def test_every_canned_query_agrees_on_a_synthetic_campaign(path, campaign, synth_engines):
    name = path.name.removesuffix(".rq")
    canned = get_query(name)
    raw = json.loads((campaign / "queries.json").read_text())[name]
    params = bindings_for(canned, raw)
    volatile = set(canned.volatile)
    text = Path(str(path)).read_text()
    local = rows_of(synth_engines["embedded"], text, params, volatile)
    assert local, f"{name} returns no rows on the campaign: the comparison would prove nothing"
    agree(local, rows_of(synth_engines["oxigraph-server"], text, params, volatile))
    agree(local, rows_of(synth_engines["virtuoso"], text, params, volatile))


@pytest.mark.parametrize(
    ("name", "down"), [("lineage_upstream", False), ("lineage_downstream", True)]
)
def test_the_lineage_walk_agrees_on_a_synthetic_campaign(name, down, campaign, synth_engines):
    # From the lineage queries' starts on the campaign; frontiers of many nodes per level.
    start = json.loads((campaign / "queries.json").read_text())[name]["start"]
    local = sorted(walk(synth_engines["embedded"], start, down=down), key=repr)
    assert len(local) >= 10, local
    for engine in ("oxigraph-server", "virtuoso"):
        assert sorted(walk(synth_engines[engine], start, down=down), key=repr) == local, engine


def _recorded_summaries(spool: Path) -> dict[tuple[str, str, str | None], tuple[float, ...]]:
    """(run, metric, split) -> (lowest, highest, final) from the spool's metrics events: final
    is the value of the last measure by epoch, then step, then value."""
    measures: dict[tuple[str, str, str | None], list[tuple[int, int, float]]] = {}
    for path in spool.rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event.get("kind") != "metrics":
                continue
            epoch, step = event.get("epoch"), event.get("step")
            for name, value in event["values"].items():
                measures.setdefault((event["run"], name, event.get("split")), []).append(
                    (-1 if epoch is None else epoch, -1 if step is None else step, value)
                )
    return {
        metric: (min(m[2] for m in found), max(m[2] for m in found), max(found)[2])
        for metric, found in measures.items()
    }


SUMMARIES = """
PREFIX provml: <https://w3id.org/provml/ontology#>
SELECT ?run ?name ?split ?lowest ?highest ?final WHERE {
  ?summary a provml:MetricSummary ; provml:summarizesExecution ?run ;
    provml:summarizedMetric ?name ; provml:lowestValue ?lowest ; provml:highestValue ?highest ;
    provml:finalValue ?final .
  OPTIONAL { ?summary provml:summarizedSplit ?split }
}"""


def test_a_load_of_many_runs_writes_the_recorded_summaries_on_stock_virtuoso(
    tmp_path, virtuoso, virtuoso_system_graphs
):
    # 36 runs of many batches in one load: their summaries in one update passed Virtuoso's
    # 10,000 lines of generated SQL (SP031; every later load failed the same way), and its MIN
    # over the pending keys (strings) gave wrong lowest values.
    synthesize(tmp_path, 20_000)
    recorded = _recorded_summaries(tmp_path / "spool")
    assert len(recorded) > 100
    for name, store in (
        ("embedded", open_store(tmp_path / "store")),
        ("virtuoso", virtuoso.open()),
    ):
        with store:
            try:
                report = load_spools(store, [tmp_path / "spool"], workers=1)
                assert report.bad == [] and len(report.runs) >= 30, name
                result = store.query(SUMMARIES)
                loaded = {
                    (
                        row["run"].value.rsplit("/", 1)[-1],
                        row["name"].value,
                        row["split"].value if row["split"] is not None else None,
                    ): tuple(float(row[k].value) for k in ("lowest", "highest", "final"))
                    for row in result.rows
                }
            finally:
                if name == "virtuoso":
                    for graph in set(store.graphs()) - virtuoso_system_graphs:
                        store.update(f"DROP SILENT GRAPH {named_node(graph)}")
        assert loaded == recorded, name
