"""Inference: the selected model labels the unseen block of the survey, generating predictions."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from provml import Entity, Workflow
from provml.demo.curation import facies_at
from provml.demo.learning import Trial


def predict_unseen(
    wf: Workflow, trial: Trial, unseen: Entity, unseen_file: Path, labels: Path, out: Path
) -> tuple[Entity, float]:
    """Label every unseen patch with the trial's model; the predictions and their agreement
    with the interpretation (never seen in training)."""
    out.mkdir(parents=True, exist_ok=True)
    with wf.task("predict facies", "inference", used=[trial.model, unseen]) as t:
        model = pickle.loads(trial.model_file.read_bytes())
        patches = np.load(unseen_file)
        predicted = model.predict(patches[:, 3:])
        path = out / "facies_predictions.npy"
        np.save(path, np.column_stack([patches[:, :3], predicted]).astype(np.float32))
        predictions = wf.predictions(
            "facies predictions (unseen block)",
            path,
            derived_from=[trial.model, unseen],
            attributes={"patches": len(predicted), "columns": "inline, crossline, sample, facies"},
        )
        t.generated(predictions)
        agreement = float(np.mean(predicted == facies_at(np.load(labels), patches)))
        t.log_metric("accuracy", agreement, split="test", model=trial.model)
    return predictions, agreement
