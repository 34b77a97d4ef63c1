"""`provml demo`, run as a user runs it (the CLI in a subprocess): its printed answers are the
store's, and a second run adds new runs without duplicating anything."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from provml.kg import open_store
from provml.queries import PLAIN_QUERIES, run_query

pytest.importorskip("sklearn", reason="the demo needs the demo extra (scikit-learn)")
pytest.importorskip("matplotlib", reason="the demo needs the demo extra (matplotlib)")

PROVML = "https://w3id.org/provml/ontology#"
PREFIXES = f"PREFIX provml: <{PROVML}>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"


# Stable entities (the files as named), not their versions.
STABLE_PREDICTIONS = (
    "SELECT ?p WHERE { ?p a provml:Predictions FILTER NOT EXISTS { ?p provml:versionOf ?s } }"
)
STABLE_RAW = (
    "SELECT DISTINCT ?r WHERE { ?r a provml:RawData FILTER NOT EXISTS { ?r provml:versionOf ?s } }"
)


def run_demo(output: Path) -> str:
    """Run `provml demo --output output`; its standard output."""
    env = {**os.environ, "COLUMNS": "250", "PROVML_RUN_ID": "", "PROVML_SPOOL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "provml", "demo", "--output", str(output)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def select(store, text: str) -> list[dict]:
    """Rows of an ad-hoc SELECT as plain strings."""
    return [
        {name: (term.value if term is not None else None) for name, term in row.items()}
        for row in store.query(PREFIXES + text)
    ]


def line_with(output: str, *parts: str) -> str:
    """The one printed line holding every part (a table row)."""
    lines = [line for line in output.splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, (parts, lines)
    return lines[0]


def cells(line: str) -> list[str]:
    """The cells of a printed table row."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


def runs_in(store) -> set[str]:
    """Every run IRI in the store."""
    rows = select(store, "SELECT ?run WHERE { ?run a provml:WorkflowExecution }")
    return {row["run"] for row in rows}


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> tuple[Path, str]:
    """One demo run: its output directory and what it printed."""
    output = tmp_path_factory.mktemp("demo")
    return output, run_demo(output)


def test_raw_files_printed_are_those_behind_the_prediction(first) -> None:
    output, printed = first
    with open_store(str(output / "provml-store")) as store:
        predictions = select(store, STABLE_PREDICTIONS)
        assert len(predictions) == 1
        prediction = predictions[0]["p"]
        rows = run_query(store, "raw_inputs_of_prediction", prediction=prediction)
    assert prediction.rsplit("/", 1)[-1] in printed
    raw: dict[str, dict] = {}
    for row in rows:
        entry = raw.setdefault(row["raw"], {"label": row["label"], "path": row["path"]})
        entry[row["attribute"]] = row["value"]
    # The three amplitude blocks the training patches derive from (recorded derivations; not
    # block 3, which only the unseen patches come from) and the facies interpretation.
    assert len(raw) == 4
    assert not any(entry["label"].startswith("block 3") for entry in raw.values())
    for entry in raw.values():
        row = cells(line_with(printed, entry["label"] + " "))
        assert row[1] == str(Path(entry["path"]).relative_to(output.resolve()))
        assert row[2] == entry["survey.name"]
        assert row[3] == f"{entry['inline.min']}-{entry['inline.max']}"
        assert row[4] == f"{entry['crossline.min']}-{entry['crossline.max']}"
        assert row[5] == f"{entry['depth.min']}-{entry['depth.max']}"
        assert entry["bbox.west"] < entry["bbox.east"]
        assert Path(entry["path"]).is_file()


def test_best_run_its_hyperparameters_and_loss_curve_come_from_the_store(first) -> None:
    output, printed = first
    with open_store(str(output / "provml-store")) as store:
        # The best validation accuracy of each run, computed here without the canned query.
        best = select(
            store,
            """SELECT ?run (MAX(?v) AS ?best) WHERE {
                 ?m a provml:EvaluationMeasure ; provml:measureName "accuracy" ;
                    provml:split "validation" ; prov:value ?v ;
                    prov:wasGeneratedBy/provml:partOfExecution* ?run .
                 ?run a provml:WorkflowExecution .
               } GROUP BY ?run ORDER BY DESC(?best) ?run""",
        )
        assert len(best) == 3
        winner = best[0]["run"]
        params = run_query(store, "reproduce_run", run=winner)
        curve = run_query(store, "metric_trajectory", run=winner, metric="loss")
    run_id = winner.rsplit("/", 1)[-1]
    for row in best:
        line = cells(line_with(printed, "│ " + row["run"].rsplit("/", 1)[-1] + " │"))
        assert float(line[1]) == pytest.approx(float(row["best"]), abs=5e-5)
    assert f"Hyperparameters of the best run {run_id}" in printed
    settings = {
        row["name"].split("/", 1)[1]: row["value"] for row in params if row["kind"] == "parameter"
    }
    assert {"hidden_layers", "learning_rate_init", "alpha", "epochs"} <= settings.keys()
    for name, value in settings.items():
        assert cells(line_with(printed, f"│ {name} "))[1] == value
    validation = {row["epoch"]: row["value"] for row in curve if row["split"] == "validation"}
    training = {row["epoch"]: row["value"] for row in curve if row["split"] == "training"}
    assert len(validation) == len(training) == 30
    for epoch, value in validation.items():
        row = cells(line_with(printed, f"│ {epoch:>5} │"))
        assert float(row[1]) == pytest.approx(training[epoch], abs=5e-5)
        assert float(row[2]) == pytest.approx(value, abs=5e-5)


def test_curation_steps_with_durations_and_nodes(first) -> None:
    output, printed = first
    with open_store(str(output / "provml-store")) as store:
        curation = [run for run in runs_in(store) if run.endswith("-curation")]
        assert len(curation) == 1
        times = run_query(store, "task_times", run=curation[0])
    assert {row["task"] for row in times} == {
        "normalise amplitudes",
        "extract patches",
        "label patches",
        "split patches",
    }
    for row in times:
        line = cells(line_with(printed, f"│ {row['task']} "))
        assert float(line[2]) == pytest.approx(float(row["duration"]), abs=5e-4)
        assert line[3] == row["host"]
    assert "method=rms" in line_with(printed, "normalise amplitudes")


def test_the_unseen_block_trained_no_model(first) -> None:
    # Issue 13's question: the training patches derive (recorded) only from blocks 0-2, though
    # the normalisation task used all four blocks; block 3 reached only the unseen patches.
    output, _ = first
    with open_store(str(output / "provml-store")) as store:
        blocks = select(
            store,
            "SELECT ?r ?label WHERE { ?r a provml:RawData ;"
            " <http://www.w3.org/2000/01/rdf-schema#label> ?label"
            " FILTER NOT EXISTS { ?r provml:versionOf ?s } FILTER(STRSTARTS(?label, 'block '))}",
        )
        by_label = sorted((row["label"], row["r"]) for row in blocks)
        assert [label.split(" (")[0] for label, _ in by_label] == [f"block {n}" for n in range(4)]
        answers = {
            label: run_query(store, "models_from_domain_file", file=iri) for label, iri in by_label
        }
        plain_text = (PLAIN_QUERIES / "models_from_domain_file.rq").read_text()
        plain = {
            label: [
                {"model": row["model"].value}
                for row in store.query(plain_text, {"file": NamedNode(iri)})
            ]
            for label, iri in by_label
        }
        models = select(
            store, "SELECT DISTINCT ?m WHERE { ?m a provml:TrainedModel ; provml:versionOf ?s }"
        )
    trained = {row["m"] for row in models}
    seen, (unseen_label, _) = by_label[:3], by_label[3]
    assert len(answers[unseen_label]) == 0 and plain[unseen_label] == []
    for label, _ in seen:
        assert {str(row["model"]) for row in answers[label]} == trained
        assert {str(row["model"]) for row in plain[label]} == trained


def test_lineage_picture_and_next_commands(first) -> None:
    output, printed = first
    picture = (output / "lineage.svg").read_text()
    assert picture.lstrip().startswith("<?xml") and "<svg" in picture
    for label in ("facies predictions", "train mlp", "block 0 (inlines 1000-1023)"):
        assert label in picture
    assert "provml query top_runs_by_metric" in printed
    assert "provml.ttl in Protégé" in printed


def test_output_that_is_a_file_is_refused(tmp_path) -> None:
    target = tmp_path / "taken"
    target.write_text("not a directory")
    result = subprocess.run(
        [sys.executable, "-m", "provml", "demo", "--output", str(target)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: --output {target}: exists and is not a directory")
    assert target.read_text() == "not a directory"


def test_run_ids_are_fresh_per_execution(first) -> None:
    _, printed = first
    stems = set(re.findall(r"(\d{8}T\d{6}Z-[0-9a-f]{8})-trial\d", printed))
    assert len(stems) == 1


def test_second_run_adds_runs_and_duplicates_nothing(first) -> None:
    # Last in this file: it runs the demo again into the shared output of the tests above.
    second_output, _ = first
    with open_store(str(second_output / "provml-store")) as store:
        runs_before = runs_in(store)
        sizes_before = {run: store.count(run) for run in runs_before}
        raw_before = select(store, STABLE_RAW)
    printed = run_demo(second_output)
    with open_store(str(second_output / "provml-store")) as store:
        runs_after = runs_in(store)
        new = runs_after - runs_before
        raw_after = select(store, STABLE_RAW)
        predictions = select(store, STABLE_PREDICTIONS)
        # The first execution's graphs are as they were: nothing loaded twice.
        assert {run: store.count(run) for run in runs_before} == sizes_before
        hashes = select(
            store, "SELECT ?r (COUNT(DISTINCT ?h) AS ?n) WHERE { ?r provml:sha256 ?h } GROUP BY ?r"
        )
    assert runs_before <= runs_after and len(new) == 5
    assert {run.rsplit("-", 1)[-1] for run in new} == {
        "curation",
        "trial1",
        "trial2",
        "trial3",
        "inference",
    }
    assert all(run.rsplit("/", 1)[-1] in printed for run in new if "trial" in run)
    # The same raw survey files (same content, one hash each), two executions' predictions.
    assert raw_after == raw_before and len(raw_after) == 5
    assert all(int(row["n"]) == 1 for row in hashes)
    assert len(predictions) == 2
