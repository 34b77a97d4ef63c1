"""`provml synth`: a small campaign's spools load, every canned query answers on them with the
parameters from queries.json, the same seed gives the same files, and bad input is refused."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.queries import list_queries, run_query

# Small: several canned queries are still slow on bigger stores (the lead is speeding them up).
EVENTS = 1_000
CLUSTER = ["--nodes", "2", "--gpus", "4"]


def synth(output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `provml synth OUTPUT ARGS...`."""
    return subprocess.run(
        [sys.executable, "-m", "provml", "synth", str(output), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def digest(directory: Path) -> dict[str, str]:
    """Each file under `directory` (relative path) and its SHA-256."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> tuple[Path, Path]:
    """A small campaign on a 2-node, 4-GPU cluster, loaded: its output and store directories."""
    output = tmp_path_factory.mktemp("synth") / "campaign"
    result = synth(output, "--events", str(EVENTS), *CLUSTER, "--seed", "3")
    assert result.returncode == 0, result.stderr
    store_dir = output.parent / "store"
    with open_store(str(store_dir)) as store:
        report = load_spools(store, [output / "spool"], workers=1)
    assert report.bad == [] and report.torn == []
    assert report.events >= EVENTS
    assert f"{report.events:,} events" in result.stdout
    return output, store_dir


def test_every_canned_query_answers_with_the_parameters_given(campaign) -> None:
    output, store_dir = campaign
    params = json.loads((output / "queries.json").read_text())
    assert set(params) == {query.name for query in list_queries()}
    with open_store(str(store_dir)) as store:
        empty = [name for name, values in params.items() if not run_query(store, name, **values)]
    assert empty == []


def test_ranks_are_spread_over_the_cluster(campaign) -> None:
    _, store_dir = campaign
    text = """
        PREFIX provml: <https://w3id.org/provml/ontology#>
        SELECT (COUNT(DISTINCT ?host) AS ?hosts) (COUNT(DISTINCT ?gpu) AS ?gpus)
               (MAX(?rank) AS ?top) (COUNT(DISTINCT ?run) AS ?runs)
        WHERE {
          ?process a provml:Process ; provml:processRank ?rank ;
            provml:onNode/provml:hostName ?host ; provml:usesGPU ?gpu .
          ?run <http://www.w3.org/ns/prov#wasAssociatedWith> ?process .
        }"""
    with open_store(str(store_dir)) as store:
        (row,) = store.query(text)
        statuses = store.query(
            """PREFIX provml: <https://w3id.org/provml/ontology#>
               SELECT DISTINCT ?status WHERE { ?run a provml:WorkflowExecution ;
                                                 provml:status ?status }"""
        )
        open_runs = store.query(
            """PREFIX provml: <https://w3id.org/provml/ontology#>
               PREFIX prov: <http://www.w3.org/ns/prov#>
               SELECT ?run WHERE { ?run a provml:WorkflowExecution .
                                   FILTER NOT EXISTS { ?run prov:endedAtTime ?end } }"""
        )
    assert int(row["hosts"].value) == 2
    assert 1 < int(row["gpus"].value) <= 4
    assert int(row["top"].value) >= 1  # distributed runs have ranks beyond 0
    assert {term["status"].value for term in statuses} >= {"completed", "failed"}
    assert len(open_runs) >= 1


def test_same_seed_same_files_and_another_seed_differs(campaign, tmp_path) -> None:
    output, _ = campaign
    again, other = tmp_path / "again", tmp_path / "other"
    args = ["--events", str(EVENTS), *CLUSTER]
    assert synth(again, *args, "--seed", "3").returncode == 0
    assert synth(other, *args, "--seed", "4").returncode == 0
    assert digest(again) == digest(output)
    assert digest(other) != digest(output)


def test_bad_input_is_refused_with_a_clear_error(campaign, tmp_path) -> None:
    output, _ = campaign
    before = digest(output)
    result = synth(output, "--events", "100")
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {output / 'spool'} already holds a spool: choose an empty output directory\n"
    )
    assert digest(output) == before
    result = synth(tmp_path / "small", "--nodes", "4", "--gpus", "3")
    assert result.returncode == 1
    assert "got 4 nodes, 3 GPUs" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "small" / "spool").exists() or not any(
        (tmp_path / "small" / "spool").iterdir()
    )


def test_the_paper_cluster_places_jobs_on_every_gpu_once_per_round() -> None:
    from provml.synth.cluster import Cluster

    cluster = Cluster(393, 946)
    assert len(cluster.slots) == 946
    per_node = [sum(1 for node, _ in cluster.slots if node == n) for n in range(393)]
    assert set(per_node) == {2, 3} and per_node.count(3) == 946 - 2 * 393
    placed = [rank for _ in range(946 // 2) for rank in cluster.place(2)]
    assert len({(rank.host, rank.gpu) for rank in placed}) == 946
    job = Cluster(2, 4).place(4)
    assert [(rank.rank, rank.host, rank.local_rank) for rank in job] == [
        (0, "gpu-node0000", 0),
        (1, "gpu-node0000", 1),
        (2, "gpu-node0001", 0),
        (3, "gpu-node0001", 1),
    ]
