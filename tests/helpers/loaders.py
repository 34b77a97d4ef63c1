"""Shared by the loader tests: a realistic workflow written with the real capture API."""

from __future__ import annotations

from pathlib import Path

from provml import Workflow


def write_seismic_workflow(spool: Path, run_id: str = "f3-001", epochs: int = 2) -> Path:
    """Curation, preparation, training with epochs and metrics, evaluation and inference, on
    real files; returns the run's spool directory."""
    data = spool.parent / "data"
    data.mkdir(parents=True, exist_ok=True)
    segy = data / "F3_entire.segy"
    segy.write_bytes(b"\x00" * 3200)
    with Workflow(
        "fault segmentation",
        spool_dir=spool,
        run_id=run_id,
        study="fault detection",
        experiment="unet faults",
        on_behalf_of="Geo Lab",
        attributes={"basin": "North Sea"},
        capture_git=False,
    ) as wf:
        wf.plan(
            "clean seismic",
            "curation",
            inputs=[{"name": "seismic_volume", "type": "SEG-Y", "schema": "segy-rev1"}],
            outputs=["curated_volume"],
            store="/lustre/scratch",
        )
        raw = wf.dataset(
            "F3 survey",
            segy,
            type="raw_data",
            hash=True,
            attributes={
                "survey": {"name": "F3 Netherlands"},
                "inline": [100, 750],
                "depth": {"min": 0, "max": 1848, "unit": "ms"},
                "sample_interval": {"value": 4, "unit": "ms"},
            },
        )
        with wf.task("clean seismic", "curation", operation="cleaning", used=[raw]) as cleaning:
            clean = wf.dataset(
                "F3 clean", data / "clean.npy", type="domain_data", derived_from=[raw]
            )
            cleaning.generated(clean)
        with wf.task("prepare patches", "preparation", operation="splitting") as splitting:
            splitting.used(clean, role="source")
            train = wf.dataset("train", id="f3-train", type="training_set", derived_from=[clean])
            test = wf.dataset("test", id="f3-test", type="test_set", derived_from=[clean])
            splitting.generated(train, test)
        with wf.task("train unet", "learning", stage="training", used=[train]) as training:
            training.log_params({"learning_rate": 1e-3, "batch_size": 16, "optimizer": "adam"})
            for epoch in range(epochs):
                with wf.task(f"epoch {epoch}", "learning", stage="epoch"):
                    wf.log_metric(
                        "loss", 1.0 / (epoch + 1), step=epoch * 10, epoch=epoch, split="train"
                    )
                    wf.log_metric(
                        "loss", 1.5 / (epoch + 1), step=epoch * 10, epoch=epoch, split="val"
                    )
            model = wf.model(
                "unet",
                id="unet-faults",
                architecture="UNet(depth=4)",
                framework="torch 2.3",
                derived_from=[train],
            )
            training.generated(model, role="trained model")
        with wf.task("evaluate", "learning", stage="evaluation", used=[model, test]):
            wf.log_metrics({"f1": 0.864, "mean_iou": 0.781}, split="test", model=model)
        with wf.task("predict faults", "inference", used=[model, clean]) as inference:
            predictions = wf.predictions("fault probability", id="f3-faults", derived_from=[model])
            inference.generated(predictions)
    return spool / run_id
