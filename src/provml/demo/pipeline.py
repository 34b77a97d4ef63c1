"""The demo's scientific workflow, end to end: survey, curation, a hyperparameter search and
inference, each a provml run captured into the spool (public capture API only)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from provml import Workflow
from provml.demo.curation import curate
from provml.demo.inference import predict_unseen
from provml.demo.learning import TRIALS, Trial, train_trial
from provml.demo.seismic import write_survey

STUDY = "seismic facies"
CURATION_WORKFLOW = "seismic facies curation"
TRAINING_WORKFLOW = "seismic facies training"
INFERENCE_WORKFLOW = "seismic facies inference"
SEED = 7


@dataclass(frozen=True)
class DemoRuns:
    """What one demo execution recorded: its runs and the entities the report asks about."""

    curation_run: str
    trials: list[Trial]
    best: Trial
    inference_run: str
    training_set: str
    prediction: str
    agreement: float


def run_workflow(output: Path, spool: Path) -> DemoRuns:
    """Generate (or reuse) the survey under `output`, then curate, search and infer; each
    execution's derived files go to `output/runs/<run id>/`, its events to `spool`."""
    # One id stem per demo execution, so its runs sort together and never collide.
    stem = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    runs = output / "runs"
    survey = write_survey(output / "survey", seed=SEED)
    with Workflow(CURATION_WORKFLOW, run_id=f"{stem}-curation", spool_dir=spool, study=STUDY) as wf:
        curated = curate(wf, survey, runs / wf.run_id, seed=SEED)
    trials = []
    for number, params in enumerate(TRIALS, start=1):
        with Workflow(
            TRAINING_WORKFLOW,
            run_id=f"{stem}-trial{number}",
            experiment="mlp search",
            spool_dir=spool,
            study=STUDY,
        ) as wf:
            trials.append(
                train_trial(
                    wf,
                    params,
                    curated.training,
                    curated.validation,
                    curated.test,
                    curated.files,
                    runs / wf.run_id,
                    seed=SEED,
                )
            )
    # Ties go to the earlier trial, as in top_runs_by_metric (ordered by run id after the value).
    best = max(trials, key=lambda trial: (trial.best_accuracy, -trials.index(trial)))
    with Workflow(
        INFERENCE_WORKFLOW, run_id=f"{stem}-inference", spool_dir=spool, study=STUDY
    ) as wf:
        predictions, agreement = predict_unseen(
            wf, best, curated.unseen, curated.files["unseen"], survey.labels, runs / wf.run_id
        )
        inference_run = wf.run_id
    return DemoRuns(
        f"{stem}-curation",
        trials,
        best,
        inference_run,
        curated.training.id,
        predictions.id,
        agreement,
    )
