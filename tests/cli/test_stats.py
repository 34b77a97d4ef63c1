"""`provml stats` on real stores: an Oxigraph directory and the test Virtuoso."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provml.cli.app import app
from provml.kg import named_node, open_store

DATA = Path(__file__).parents[1] / "data" / "kg"
RUNS = [f"https://w3id.org/provml/id/run/r{i}/graph" for i in (1, 2)]
ONTOLOGY_GRAPH = "https://w3id.org/provml/ontology"


@pytest.fixture
def store_directory(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    with open_store(location) as store:
        for graph in RUNS:
            store.load(DATA / "run.ttl", "turtle", graph)
        store.load(b"<http://e/a> <http://e/p> <http://e/b> .", "ntriples", ONTOLOGY_GRAPH)
    return location


def test_stats_as_json_counts_triples_graphs_and_runs(store_directory):
    result = CliRunner().invoke(app, ["stats", "--store", str(store_directory), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["backend"] == "oxigraph"
    assert summary["triples"] == 27
    assert summary["runs"] == 2
    assert summary["graphs"] == [
        {"graph": RUNS[0], "triples": 13},
        {"graph": RUNS[1], "triples": 13},
        {"graph": ONTOLOGY_GRAPH, "triples": 1},
    ]


def test_stats_table_lists_each_graph(store_directory):
    result = CliRunner().invoke(app, ["stats", "--store", str(store_directory)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for graph in [*RUNS, ONTOLOGY_GRAPH]:
        assert graph in result.output
    assert "27 triples/quads in all, 2 workflow runs" in result.output


def test_stats_reads_the_store_from_provml_store(store_directory):
    result = CliRunner().invoke(
        app, ["stats", "--format", "json"], env={"PROVML_STORE": store_directory.as_uri()}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["runs"] == 2


def test_stats_on_a_missing_store_says_so_and_creates_nothing(tmp_path):
    missing = tmp_path / "nothing-here"
    result = CliRunner().invoke(app, ["stats", "--store", str(missing)])
    assert result.exit_code == 1
    assert f"no store at {missing}" in result.output
    assert not missing.exists()


def test_stats_on_a_store_held_for_writing_names_it(store_directory):
    with open_store(store_directory):
        result = CliRunner().invoke(app, ["stats", "--store", str(store_directory)])
    assert result.exit_code == 1
    assert str(store_directory) in result.output
    assert "provml serve" in result.output


def test_stats_waits_for_a_writer_when_asked(store_directory):
    writer = open_store(store_directory)
    release = threading.Timer(0.5, writer.close)
    release.start()
    try:
        result = CliRunner().invoke(
            app, ["stats", "--store", str(store_directory), "--format", "json", "--wait", "120"]
        )
    finally:
        release.join()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["triples"] == 27


def test_stats_rejects_an_unknown_format(store_directory):
    result = CliRunner().invoke(app, ["stats", "--store", str(store_directory), "--format", "xml"])
    assert result.exit_code == 2


def test_stats_on_a_sparql_endpoint(virtuoso, virtuoso_system_graphs):
    with virtuoso.open() as store:
        store.load(DATA / "run.ttl", "turtle", RUNS[0])
        try:
            result = CliRunner().invoke(
                app, ["stats", "--store", virtuoso.query_url, "--format", "json"]
            )
        finally:
            store.update(f"DROP SILENT GRAPH {named_node(RUNS[0])}")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["backend"] == "sparql"
    assert summary["runs"] == 1
    assert {"graph": RUNS[0], "triples": 13} in summary["graphs"]
    assert {g["graph"] for g in summary["graphs"]} == {RUNS[0], *virtuoso_system_graphs}


def test_stats_defaults_to_provml_store_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVML_STORE", raising=False)
    missing = CliRunner().invoke(app, ["stats"])
    assert missing.exit_code == 1
    assert "no store at provml-store" in missing.output
    with open_store(tmp_path / "provml-store") as store:
        store.load(DATA / "run.ttl", "turtle", RUNS[0])
    result = CliRunner().invoke(app, ["stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["triples"] == 13


def test_every_store_command_takes_the_remote_options_as_flags_or_variables(
    virtuoso, virtuoso_system_graphs, tmp_path
):
    """`provml load` writes to Virtuoso through the flags; `query` and `lineage` read with the
    same options given as environment variables; each answer is the run the test recorded."""
    from tests.helpers.loaders import write_seismic_workflow

    write_seismic_workflow(tmp_path / "spool", run_id="remote-options", epochs=2)
    flags = [
        "--store", virtuoso.query_url,
        "--update-url", f"{virtuoso.base}/sparql-auth",
        "--graph-store-url", f"{virtuoso.base}/sparql-graph-crud-auth",
        "--user", virtuoso.user, "--password", virtuoso.password, "--auth", "digest",
    ]  # fmt: skip
    variables = {
        "PROVML_STORE_UPDATE_URL": f"{virtuoso.base}/sparql-auth",
        "PROVML_STORE_USER": virtuoso.user,
        "PROVML_STORE_PASSWORD": virtuoso.password,
        "PROVML_STORE_AUTH": "digest",
        "PROVML_STORE_MAX_ROWS": "50000",
    }
    runner = CliRunner()
    try:
        loaded = runner.invoke(
            app, ["load", str(tmp_path / "spool"), *flags, "--checkpoint", str(tmp_path / "c")]
        )
        assert loaded.exit_code == 0, loaded.output
        assert "1 runs" in loaded.output
        runs = runner.invoke(
            app,
            ["query", "runs", "--store", virtuoso.query_url, "--format", "json"],
            env=variables,
        )
        assert runs.exit_code == 0, runs.output
        assert [row["run"] for row in json.loads(runs.output)] == [
            "https://w3id.org/provml/id/run/remote-options"
        ]
        refused = runner.invoke(
            app, ["stats", "--store", virtuoso.query_url, "--max-rows", "0"], env=variables
        )
        assert refused.exit_code == 2  # the flag overrides the variable, and is checked
    finally:
        with virtuoso.open() as store:
            for graph in store.graphs():
                if graph not in virtuoso_system_graphs:
                    store.update(f"DROP SILENT GRAPH {named_node(graph)}")
