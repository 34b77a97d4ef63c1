"""The Hugging Face Trainer callback on real transformers (CPU; a tiny BERT built from a config,
no download): training arguments, metrics, checkpoints the Trainer rotates away (invalidated),
predict inputs and a failed train, through capture -> spool -> an on-disk Oxigraph store ->
queries."""

from __future__ import annotations

import os

import pytest

from provml import Workflow
from tests.capture.integrations.loaded import (
    entity_iri,
    loaded,
    rows,
    run_iri,
    task_iri,
    workflow_iri,
)
from tests.helpers.capture import of_kind, read_valid_events

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from provml.capture.integrations.transformers import ProvmlTrainerCallback  # noqa: E402


class Sentences(torch.utils.data.Dataset):
    """A handful of fixed token sequences with a label each."""

    def __init__(self, count: int, seed: int):
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 30, (count, 6), generator=generator)
        self.labels = torch.randint(0, 2, (count,), generator=generator)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        return {
            "input_ids": self.ids[index],
            "attention_mask": torch.ones(6, dtype=torch.long),
            "labels": self.labels[index],
        }


class Boom(TrainerCallback):
    """A user callback that raises at the end of the second epoch."""

    def on_epoch_end(self, args, state, control, **kwargs):
        if state.epoch >= 2:
            raise RuntimeError("boom at epoch 2")


def _tiny_bert():
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=8,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def _arguments(output, epochs):
    return TrainingArguments(
        output_dir=str(output),
        num_train_epochs=epochs,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=4,
        learning_rate=0.01,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=1,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )


def test_train_arguments_metrics_rotated_checkpoints_and_predict_inputs(tmp_path):
    with Workflow("transformers hooks", spool_dir=tmp_path / "spool") as wf:
        callback = ProvmlTrainerCallback(wf)
        trainer = Trainer(
            model=_tiny_bert(),
            args=_arguments(tmp_path / "out", epochs=2),
            train_dataset=Sentences(8, 0),
            eval_dataset=Sentences(4, 1),
            callbacks=[callback],
        )
        trainer.train()
        output = trainer.predict(Sentences(3, 2))
        saved = callback.save(trainer, tmp_path / "final")
    run = wf.run_id
    logged = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
    events = read_valid_events(tmp_path / "spool")
    train = next(e for e in of_kind(events, "task_start") if e["stage"] == "training")
    generated = [e for e in of_kind(events, "generated") if e["type"] == "checkpoint"]
    invalidated = of_kind(events, "invalidated")
    # Two epochs of two steps, two checkpoints; save_total_limit=1 deleted the first.
    first, last = (str(tmp_path / "out" / f"checkpoint-{step}") for step in (2, 4))
    assert sorted(callback.checkpoints) == [last] and not os.path.exists(first)
    assert len(generated) == 2 and generated[1]["entity"] == callback.checkpoints[last].id
    assert [e["entity"] for e in invalidated] == [generated[0]["entity"]]
    assert output.predictions.shape == (3, 2)

    with loaded(tmp_path / "spool", tmp_path) as store:
        settings = {
            row["parameter"]: row["value"]
            for row in rows(
                store, "run_hyperparameters", workflow=workflow_iri("transformers hooks")
            )
            if row["task"] == task_iri(run, train["task"])
        }
        eval_losses = rows(store, "metric_trajectory", run=run_iri(run), metric="eval_loss")
        gone = rows(store, "invalidated_entities", run=run_iri(run))
        models = rows(store, "models")
        predicted = rows(store, "model_predictions", model=entity_iri(callback.trained_model.id))
    assert settings["per_device_train_batch_size"] == "4"
    assert float(settings["learning_rate"]) == 0.01 and settings["num_train_epochs"] == "2"
    assert (settings["training_rows"], settings["validation_rows"]) == ("8", "4")
    assert float(settings["validation_split"]) == pytest.approx(4 / 12)
    assert settings["config.hidden_size"] == "8" and settings["config.model_type"] == "bert"
    assert [(row["epoch"], row["split"]) for row in eval_losses] == [
        (0, "validation"),
        (1, "validation"),
    ]
    assert [row["value"] for row in eval_losses] == pytest.approx(
        [entry["eval_loss"] for entry in logged]
    )
    assert [str(row["path"]) for row in gone] == [first]
    assert gone[0]["invalidator"] == task_iri(run, train["task"])
    model_iris = {str(row["model"]) for row in models}
    assert entity_iri(saved.id) in model_iris
    assert entity_iri(callback.checkpoints[last].id) in model_iris
    (row,) = predicted
    (inputs,) = [e for e in of_kind(events, "entity") if e["type"] == "learning_data"]
    assert inputs["attributes"]["rows"] == 3
    assert row["input"] == entity_iri(inputs["entity"]) and row["status"] == "completed"


def test_a_train_whose_callback_raised_ends_failed(tmp_path):
    with Workflow("transformers failed train", spool_dir=tmp_path / "spool") as wf:
        trainer = Trainer(
            model=_tiny_bert(),
            args=_arguments(tmp_path / "out", epochs=3),
            train_dataset=Sentences(8, 0),
            eval_dataset=Sentences(4, 1),
            callbacks=[ProvmlTrainerCallback(wf), Boom()],
        )
        with pytest.raises(RuntimeError, match="boom"):
            trainer.train()
    run = wf.run_id
    with loaded(tmp_path / "spool", tmp_path) as store:
        failed = rows(store, "failed_tasks", workflow=workflow_iri("transformers failed train"))
    assert [(row["run"], row["task"], row["error"]) for row in failed] == [
        (run_iri(run), "train BertForSequenceClassification", "RuntimeError: boom at epoch 2")
    ]
