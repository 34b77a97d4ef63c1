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
