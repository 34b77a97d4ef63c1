"""The demo's answers as rich tables, and the commands to try next."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from provml.demo.answers import Answers, workflow_iri
from provml.demo.pipeline import TRAINING_WORKFLOW, DemoRuns
from provml.ontology.paths import CATALOG_FILE, ONTOLOGY_FILE


def _heading(text: str) -> Text:
    """A table's heading, printed above it: never wrapped to the table's width."""
    return Text("\n" + text, style="bold")


def short_run(iri: str) -> str:
    """A run's id from its IRI."""
    return iri.rsplit("/", 1)[-1]


def _relative(path: str | None, root: Path) -> str:
    """`path` relative to the output directory where it lies under it."""
    if not path:
        return ""
    try:
        return str(Path(path).relative_to(root.resolve()))
    except ValueError:
        return path


def print_raw_files(console: Console, answers: Answers, runs: DemoRuns, output: Path) -> None:
    """Which raw seismic files fed the model behind the predictions."""
    heading = f"Raw files behind prediction {runs.prediction} (raw_inputs_of_prediction)"
    console.print(_heading(heading))
    table = Table()
    for column in ("raw file", "path", "survey", "inline", "crossline", "depth (ms)", "sha256"):
        table.add_column(column, overflow="fold")
    for raw in answers.raw_files.values():
        attributes = raw["attributes"]
        span = "{}-{}".format
        table.add_row(
            raw["label"],
            _relative(raw["path"], output),
            attributes.get("survey.name", ""),
            span(attributes.get("inline.min"), attributes.get("inline.max")),
            span(attributes.get("crossline.min"), attributes.get("crossline.max")),
            span(attributes.get("depth.min"), attributes.get("depth.max")),
            (raw["sha256"] or "")[:16],
        )
    console.print(table)


def print_ranking(console: Console, answers: Answers) -> None:
    """The trials by best validation accuracy, and the best run's hyperparameters."""
    console.print(_heading("Runs of the search by validation accuracy (top_runs_by_metric)"))
    table = Table()
    best = short_run(answers.best_run)
    for column in ("run", "best accuracy", "final accuracy", "last epoch"):
        table.add_column(column, overflow="fold")
    for row in answers.ranking:
        table.add_row(
            short_run(row["run"]),
            f"{row['best']:.4f}",
            f"{row['final']:.4f}",
            str(row["last_epoch"]),
        )
    console.print(table)
    console.print(_heading(f"Hyperparameters of the best run {best} (run_hyperparameters)"))
    params = Table()
    params.add_column("parameter", overflow="fold")
    params.add_column("value", overflow="fold")
    for name, value in sorted(answers.hyperparameters.items()):
        params.add_row(name, value)
    console.print(params)


def print_loss_curve(console: Console, answers: Answers) -> None:
    """The best run's training and validation loss per epoch."""
    console.print(_heading("Loss per epoch of the best run (metric_trajectory)"))
    table = Table()
    for column in ("epoch", "training loss", "validation loss"):
        table.add_column(column, justify="right", overflow="fold")
    for epoch, values in answers.loss_curve.items():
        table.add_row(
            str(epoch),
            f"{values.get('training', float('nan')):.4f}",
            f"{values.get('validation', float('nan')):.4f}",
        )
    console.print(table)


def print_curation(console: Console, answers: Answers) -> None:
    """How long each curation step took, on which node, with which parameters."""
    console.print(_heading("Curation steps behind the training set (curation_steps, task_times)"))
    table = Table()
    for column in ("step", "class", "duration (s)", "node", "parameters"):
        table.add_column(column, overflow="fold")
    for step in answers.curation:
        parameters = ", ".join(f"{k}={v}" for k, v in sorted(step["parameters"].items()))
        table.add_row(
            step["step"], step["class"], f"{step['duration']:.3f}", step["host"] or "", parameters
        )
    console.print(table)


def print_next_steps(
    console: Console, runs: DemoRuns, answers: Answers, store: Path, picture: Path | None
) -> None:
    """The commands to try next on the demo's store."""
    lines = [
        f"store: {store}",
        f"lineage picture: {picture}" if picture else "lineage picture: not drawn",
        "",
        "next:",
        "  provml queries",
        f"  provml stats --store {store}",
        f"  provml query top_runs_by_metric --store {store} "
        f"--param workflow={workflow_iri(TRAINING_WORKFLOW)} --param metric=accuracy",
        f"  provml query metric_trajectory --store {store} "
        f"--param run={answers.best_run} --param metric=loss --format csv",
        f"  provml export --store {store} --run {runs.best.run} --format prov-json",
        f"  open {ONTOLOGY_FILE} in Protégé (File > Open; its imports resolve offline "
        f"through {CATALOG_FILE})",
    ]
    console.print("\n".join(lines), highlight=False, soft_wrap=True)
