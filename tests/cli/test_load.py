"""`provml load` through typer's CliRunner, on real spools and a real Oxigraph directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from typer.testing import CliRunner

from provml.cli.app import app
from provml.kg import open_store
from provml.loaders.follow import DEFAULT_INTERVAL
from provml.serve import ServeSettings
from tests.helpers.loaders import write_seismic_workflow


def test_load_prints_a_summary_and_a_second_load_adds_nothing(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["load", str(run_dir), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "1 runs" in result.output and f"into {store}" in result.output
    assert (tmp_path / "store.checkpoint.json").exists()
    with open_store(store) as opened:
        count = opened.count()
        assert "https://w3id.org/provml/ontology" in opened.graphs()
    again = CliRunner().invoke(app, ["load", str(run_dir), "--store", str(store)])
    assert again.exit_code == 0, again.output
    assert "loaded 0 events" in again.output
    with open_store(store) as opened:
        assert opened.count() == count


def loaded_quads(store: Path) -> list[str]:
    """The quads a load wrote (the ontology's blank nodes left out), sorted."""
    with open_store(store) as opened:
        result = opened.query(
            "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(?g != <https://w3id.org/provml/ontology>) }"
        )
        return sorted(" ".join(str(row[v]) for v in result.variables) for row in result.rows)


def test_a_store_removed_and_loaded_again_gets_everything_back(tmp_path):
    # What users do to start over: delete the store directory, load again. The checkpoint
    # and id index beside it stay, but now belong to nothing.
    run_dir = write_seismic_workflow(tmp_path / "spool")
    store = tmp_path / "store"
    first = CliRunner().invoke(app, ["load", str(run_dir), "--store", str(store)])
    assert first.exit_code == 0, first.output
    expected = loaded_quads(store)
    shutil.rmtree(store)
    again = CliRunner().invoke(app, ["load", str(run_dir), "--store", str(store)])
    assert again.exit_code == 0, again.output
    assert "held nothing loaded" in again.output and "loaded 0 events" not in again.output
    assert loaded_quads(store) == expected
    # With the store in place, the checkpoint holds again.
    third = CliRunner().invoke(app, ["load", str(run_dir), "--store", str(store)])
    assert "loaded 0 events" in third.output and "held nothing" not in third.output


def test_bad_lines_are_listed_with_file_and_line_and_quarantined(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    (spool_file,) = run_dir.iterdir()
    with open(spool_file, "ab") as handle:
        handle.write(b'{"v": 1, "kind": "nonsense"}\n')
    lines = spool_file.read_bytes().count(b"\n")
    quarantine = tmp_path / "bad.jsonl"
    result = CliRunner().invoke(
        app,
        ["load", str(run_dir), "--store", str(tmp_path / "store"), "--quarantine", str(quarantine)],
    )
    assert result.exit_code == 0, result.output
    assert f"{spool_file}:{lines}: event must contain" in result.output
    assert f"1 bad lines quarantined in {quarantine}" in result.output
    assert json.loads(quarantine.read_text())["line"] == lines


def test_strict_mode_exits_1_naming_file_and_line(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    (spool_file,) = run_dir.iterdir()
    with open(spool_file, "ab") as handle:
        handle.write(b"{broken\n")
    lines = spool_file.read_bytes().count(b"\n")
    result = CliRunner().invoke(
        app,
        ["load", str(run_dir), "--store", str(tmp_path / "store"), "--strict", "--workers", "1"],
    )
    assert result.exit_code == 1
    assert f"error: {spool_file}:{lines}: invalid JSON" in result.output


def test_a_missing_spool_is_an_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(
        app, ["load", str(tmp_path / "nowhere"), "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 1
    assert "error: no spool file or directory at" in result.output


def test_the_follow_interval_has_one_default_for_load_and_serve():
    command = typer.main.get_command(app).commands["load"]  # type: ignore[attr-defined]
    default = {param.name: param.default for param in command.params}
    assert default["interval"] == DEFAULT_INTERVAL == ServeSettings().follow_interval
