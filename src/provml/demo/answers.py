"""The questions the demo asks its store, answered with the canned queries only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from provml.demo.pipeline import TRAINING_WORKFLOW, DemoRuns
from provml.kg.store import Store
from provml.loaders import iris
from provml.queries import run_query


def entity_iri(entity_id: str) -> str:
    """The plain IRI of an entity id (what canned queries take)."""
    return iris.plain(iris.entity(entity_id))


def run_iri(run_id: str) -> str:
    """The plain IRI of a run id."""
    return iris.plain(iris.run(run_id))


def workflow_iri(name: str) -> str:
    """The plain IRI of a workflow name."""
    return iris.plain(iris.named("workflow", name))


@dataclass
class Answers:
    """The demo's answers, as read from the store."""

    raw_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    best_run: str = ""
    hyperparameters: dict[str, str] = field(default_factory=dict)
    loss_curve: dict[int, dict[str, float]] = field(default_factory=dict)
    curation: list[dict[str, Any]] = field(default_factory=list)


def raw_inputs(store: Store, prediction: str) -> dict[str, dict[str, Any]]:
    """Per raw file behind the prediction: its label, path, sha256 and domain attributes."""
    files: dict[str, dict[str, Any]] = {}
    for row in run_query(store, "raw_inputs_of_prediction", prediction=entity_iri(prediction)):
        entry = files.setdefault(
            row["raw"],
            {"label": row["label"], "path": row["path"], "sha256": row["sha256"], "attributes": {}},
        )
        if row["attribute"] is not None:
            entry["attributes"][row["attribute"]] = row["value"]
    return files


def ranking(store: Store, runs: DemoRuns) -> list[dict[str, Any]]:
    """This execution's trials, best validation accuracy first (top_runs_by_metric)."""
    mine = {run_iri(trial.run) for trial in runs.trials}
    rows = run_query(
        store,
        "top_runs_by_metric",
        workflow=workflow_iri(TRAINING_WORKFLOW),
        metric="accuracy",
        split="validation",
        higher_is_better=True,
        # Earlier demo executions are runs of the same workflow: rank them all, keep ours.
        k=1_000_000,
    )
    return [row for row in rows if row["run"] in mine]


def hyperparameters(store: Store, run: str) -> dict[str, str]:
    """The run's hyperparameter settings (run_hyperparameters of its workflow, this run)."""
    rows = run_query(store, "run_hyperparameters", workflow=workflow_iri(TRAINING_WORKFLOW))
    return {row["parameter"]: row["value"] for row in rows if row["run"] == run}


def loss_curve(store: Store, run: str) -> dict[int, dict[str, float]]:
    """Per epoch, the training and validation loss of the run (metric_trajectory)."""
    curve: dict[int, dict[str, float]] = defaultdict(dict)
    for row in run_query(store, "metric_trajectory", run=run, metric="loss"):
        if row["epoch"] is not None:
            curve[row["epoch"]][row["split"]] = row["value"]
    return dict(sorted(curve.items()))


def curation(store: Store, runs: DemoRuns) -> list[dict[str, Any]]:
    """The steps behind the training set, in order, with duration, node and parameters
    (curation_steps, and task_times of the curation run for the node)."""
    hosts = {
        row["task"]: row["host"]
        for row in run_query(store, "task_times", run=run_iri(runs.curation_run))
    }
    steps: dict[str, dict[str, Any]] = {}
    rows = run_query(store, "curation_steps", dataset=entity_iri(runs.training_set))
    for row in rows:
        step = steps.setdefault(
            row["step"],
            {
                "step": row["step"],
                "class": row["step_class"].rsplit("#", 1)[-1],
                "started": row["started"],
                "duration": row["duration"],
                "host": hosts.get(row["step"]),
                "parameters": {},
            },
        )
        if row["parameter"] is not None:
            step["parameters"][row["parameter"]] = row["value"]
    return list(steps.values())


def answer(store: Store, runs: DemoRuns) -> Answers:
    """Ask every question of the demo."""
    answers = Answers(raw_files=raw_inputs(store, runs.prediction), ranking=ranking(store, runs))
    answers.best_run = answers.ranking[0]["run"] if answers.ranking else ""
    if answers.best_run:
        answers.hyperparameters = hyperparameters(store, answers.best_run)
        answers.loss_curve = loss_curve(store, answers.best_run)
    answers.curation = curation(store, runs)
    return answers
