"""A training campaign for the explorer's browser tests, written with the real capture API: one
workflow, four runs with different hyperparameters and numbers of epochs, each curating a raw
survey block, training a model on it and (one run) failing its evaluation."""

from __future__ import annotations

from pathlib import Path

from provml import Workflow
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.ontology import load_ontology

WORKFLOW = "facies search"
#: run id -> (learning rate, batch size, optimizer, validation loss per epoch)
RUNS: dict[str, tuple[float, int, str, list[float]]] = {
    "search-1": (0.001, 16, "adam", [0.9, 0.7, 0.55, 0.5]),
    "search-2": (0.005, 32, "adam", [0.8, 0.6, 0.52]),
    "search-3": (0.01, 16, "sgd", [1.0, 0.85, 0.8, 0.78, 0.77]),
    "search-4": (0.0001, 64, "sgd", [1.2, 1.1]),
}
#: The run whose evaluation fails (a step the others lack).
FAILING = "search-2"


def write_campaign(root: Path) -> list[Path]:
    """Capture the four runs under `root/spool`; their spool directories."""
    spool, data = root / "spool", root / "data"
    data.mkdir(parents=True, exist_ok=True)
    raw_file = data / "block_7.segy"
    raw_file.write_bytes(b"seismic block seven" * 200)
    for run_id, (rate, batch, optimizer, losses) in RUNS.items():
        with Workflow(WORKFLOW, run_id=run_id, spool_dir=spool, capture_git=False) as wf:
            raw = wf.dataset(
                "block 7",
                raw_file,
                id="block-7",
                type="raw_data",
                hash=True,
                attributes={"survey": {"name": "F3 Netherlands"}, "inline": [100, 400]},
            )
            with wf.task("clean", "curation", operation="cleaning", used=[raw]) as clean:
                clean.log_params({"clip_percentile": 99.5})
                cleaned = wf.dataset(
                    "block 7 clean", id="block-7-clean", type="domain_data", derived_from=[raw]
                )
                clean.generated(cleaned)
            with wf.task("split", "preparation", operation="splitting", used=[cleaned]) as split:
                train = wf.dataset(
                    f"train {run_id}", id=f"train-{run_id}", type="training_set",
                    derived_from=[cleaned],
                )  # fmt: skip
                split.generated(train)
            with wf.task("train", "learning", stage="training", used=[train]) as training:
                training.log_params(
                    {"learning_rate": rate, "batch_size": batch, "optimizer": optimizer}
                )
                for epoch, loss in enumerate(losses):
                    with wf.task(f"epoch {epoch}", "learning", stage="epoch"):
                        wf.log_metric("loss", loss + 0.1, step=epoch, epoch=epoch, split="train")
                        wf.log_metrics(
                            {"loss": loss, "accuracy": 1 - loss / 2},
                            step=epoch,
                            epoch=epoch,
                            split="val",
                        )
                model = wf.model(f"mlp {run_id}", id=f"mlp-{run_id}", framework="sklearn 1.5")
                training.generated(model)
            if run_id == FAILING:
                try:
                    with wf.task("evaluate", "learning", stage="evaluation", used=[model]):
                        raise RuntimeError("out of memory")
                except RuntimeError:
                    pass
    return [spool / run_id for run_id in RUNS]


def build_campaign_store(root: Path) -> Path:
    """The campaign captured and loaded (with the ontology) into `root/store`."""
    spools = write_campaign(root)
    store = root / "store"
    with open_store(store) as opened:
        load_ontology(opened)
        report = load_spools(opened, spools, workers=1)
        assert report.bad == [], report.bad
    return store
