"""Every loading path writes the same store: a `provml synth` spool (a cluster's campaign: runs
of many ranks and restarts, lineage across runs, epochs and iterations) loaded by `load_spools`
with one process or worker processes, with `bulk`, and by `load_lines` (one transaction per
batch, its finishing written in transactions, not with `bulk_load`) gives the same N-Quads."""

from __future__ import annotations

from pathlib import Path

import pytest

from provml.capture.reader import spool_files
from provml.kg import open_store
from provml.loaders import run_facts
from provml.loaders.load import load_lines, load_spools
from provml.synth import synthesize
from tests.helpers.killed_load import store_digest

PROVML = "https://w3id.org/provml/ontology#"
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture(scope="module")
def spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    synthesize(root / "synth", 6_000)
    return root / "synth" / "spool"


def test_serial_parallel_bulk_and_in_memory_loads_write_the_same_quads(
    spool: Path, tmp_path: Path
) -> None:
    with open_store(tmp_path / "serial") as store:
        load_spools(store, [spool], workers=1)
        # The finishing wrote every kind of link and digest, so the comparison covers them.
        for pattern in (
            f"?entity <{PROVML}derivedFromRawData> ?raw",
            f"?model <{PROVML}trainedOnDataDerivedFrom> ?ancestor",
            f"?activity <{PROVML}durationSeconds> ?seconds",
            f"?summary a <{PROVML}MetricSummary>",
            f"?next <{PROV}wasInformedBy> ?previous ; <{PROVML}sectionIndex> ?index",
        ):
            assert store.query(f"ASK {{ GRAPH ?g {{ {pattern} }} }}"), pattern
    with open_store(tmp_path / "parallel") as store:
        load_spools(store, [spool], workers=2, batch_bytes=64 * 1024)
    with open_store(tmp_path / "bulk") as store:
        load_spools(store, [spool], bulk=True, batch_bytes=64 * 1024)
    data = b"".join(path.read_bytes() for path in spool_files(spool))
    with open_store(tmp_path / "lines") as store:
        load_lines(store, data, batch_bytes=256 * 1024)
    digests = {name: store_digest(tmp_path / name) for name in ("parallel", "bulk", "lines")}
    assert digests == dict.fromkeys(digests, store_digest(tmp_path / "serial"))


def test_a_spool_loaded_in_two_parts_gives_the_store_of_one_load(
    spool: Path, tmp_path: Path
) -> None:
    # The second load finishes runs new to the store from what it gathered as it converted, and
    # runs the first load began from the store: both give what one load gives.
    files = list(spool_files(spool))
    checkpoint = tmp_path / "parts.json"
    with open_store(tmp_path / "parts") as store:
        first = load_spools(store, files[: len(files) // 2], checkpoint=checkpoint)
        second = load_spools(store, files, checkpoint=checkpoint)
        # Runs both loads wrote (finished from the store), and runs new to the second.
        assert first.runs & second.runs and second.runs - first.runs
    with open_store(tmp_path / "whole") as store:
        load_spools(store, files)
    assert store_digest(tmp_path / "parts") == store_digest(tmp_path / "whole")


def test_runs_past_the_gathering_bound_are_finished_from_the_store(
    spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "whole") as store:
        load_spools(store, [spool])
    # Room for the metric digests of a few runs: the others, their gathered statements
    # dropped, are read back from the store.
    monkeypatch.setattr(run_facts, "MAX_DIGESTS", 20)
    with open_store(tmp_path / "bounded") as store:
        load_spools(store, [spool])
    assert store_digest(tmp_path / "bounded") == store_digest(tmp_path / "whole")
