"""The lifecycle the canned-query golden tests run on, written with the real capture API.

One workflow, "fault segmentation", three runs:

- ``seis-a``: curation of the raw survey block "F3 north" (inline range and geographic
  bounding box as domain attributes; cleaning, then filtering, each with
  parameters), a split into training and validation sets, training (lr 0.001, batch 16, three
  epochs with training loss and validation loss/iou per epoch), the model ``unet-a``, and an
  inference producing the predictions ``faults-a``.
- ``seis-b``: the same raw block plus "F3 south", cleaned together and split, training (lr 0.01,
  batch 32, three epochs), the model ``unet-b``, and an evaluation task that fails.
- ``seis-c``: still running (its spool is copied while it is open, so it has no ``run_end``):
  training (lr 0.0005, batch 16) with two epochs so far.
- annotations after the fact (no run): the raw block "F3 north" rated ``good``, then corrected
  to ``fair`` (written first, dated later), and its dead trace count; run ``seis-b`` reviewed.

Every id and value a golden test expects is a constant here; times and host come from the
spool events (`spool_events`).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provml import Workflow, annotate, read_spool

WORKFLOW = "fault segmentation"
NORTH_INLINE = (100, 400)
SOUTH_INLINE = (401, 750)
CROSSLINE = (300, 1250)
# Geographic bounding boxes of the two blocks (degrees, WGS 84): (west, south, east, north).
# They share their longitudes and do not touch in latitude.
NORTH_BBOX = (4.6, 54.86, 4.96, 54.95)
SOUTH_BBOX = (4.6, 54.75, 4.96, 54.85)

RUN_PARAMS = {
    "seis-a": {"learning_rate": 0.001, "batch_size": 16, "optimizer": "adam"},
    "seis-b": {"learning_rate": 0.01, "batch_size": 32, "optimizer": "adam"},
    "seis-c": {"learning_rate": 0.0005, "batch_size": 16, "optimizer": "sgd"},
}
# Per run, per epoch: (training loss, validation loss, validation iou).
RUN_EPOCHS = {
    "seis-a": [(0.9, 1.0, 0.52), (0.6, 0.7, 0.66), (0.4, 0.55, 0.71)],
    "seis-b": [(0.8, 0.95, 0.48), (0.7, 0.9, 0.58), (0.65, 0.92, 0.57)],
    "seis-c": [(1.1, 1.2, 0.31), (0.95, 1.05, 0.44)],
}
# Annotations after the fact: (target, key, value, by, when, unit, comment), in write order.
ANNOTATIONS = [
    ({"entity": "f3-north"}, "quality", "fair", "bob", datetime(2024, 6, 3, 9, 30, tzinfo=UTC),
     None, "dead traces in the south-east corner"),
    ({"entity": "f3-north"}, "quality", "good", "alice", datetime(2024, 6, 1, 10, 0, tzinfo=UTC),
     None, None),
    ({"entity": "f3-north"}, "dead_traces", 340, "bob", datetime(2024, 6, 3, 9, 31, tzinfo=UTC),
     "traces", None),
    ({"run": "seis-b"}, "reviewed", "yes", "alice", datetime(2024, 6, 4, 8, 0, tzinfo=UTC),
     None, None),
]  # fmt: skip
CLEAN_PARAMS = {"clip_percentile": 99.5, "despike": True}
FILTER_PARAMS = {"band_hz": "5-60", "order": 4}


def _raw(
    wf: Workflow,
    data: Path,
    name: str,
    inline: tuple[int, int],
    bbox: tuple[float, float, float, float],
) -> Any:
    """A raw SEG-Y-like survey block with its domain attributes, hashed."""
    west, south, east, north = bbox
    path = data / f"{name.replace(' ', '_')}.segy"
    path.write_bytes(name.encode() * 400)
    return wf.dataset(
        name,
        path,
        id=name.lower().replace(" ", "-"),
        type="raw_data",
        hash=True,
        attributes={
            "survey": {"name": "F3 Netherlands"},
            "inline": list(inline),
            "crossline": list(CROSSLINE),
            "bbox": {"west": west, "south": south, "east": east, "north": north, "unit": "deg"},
        },
    )


def _train(wf: Workflow, run: str, train: Any, val: Any, model_id: str | None) -> Any:
    """The training task with its hyperparameters, epochs and metrics; returns the model."""
    with wf.task("train unet", "learning", stage="training", used=[train, val]) as training:
        training.log_params(RUN_PARAMS[run])
        for epoch, (train_loss, val_loss, val_iou) in enumerate(RUN_EPOCHS[run]):
            with wf.task(f"epoch {epoch}", "learning", stage="epoch"):
                wf.log_metric("loss", train_loss, step=epoch, epoch=epoch, split="train")
                wf.log_metrics(
                    {"loss": val_loss, "iou": val_iou}, step=epoch, epoch=epoch, split="val"
                )
        if model_id is None:
            return None
        model = wf.model(model_id, id=model_id, architecture="UNet(depth=4)", framework="torch 2.3")
        training.generated(model, role="trained model")
    return model


def write_lifecycle(root: Path) -> list[Path]:
    """Write the three runs' spools under ``root``; returns the spool directories to load."""
    spool = root / "spool"
    data = root / "data"
    data.mkdir(parents=True)
    common = dict(
        spool_dir=spool, study="fault detection", experiment="unet faults", capture_git=False
    )
    with Workflow(WORKFLOW, run_id="seis-a", on_behalf_of="Geo Lab", **common) as wf:
        wf.plan(
            "clean seismic",
            "curation",
            inputs=[{"name": "seismic_volume", "type": "SEG-Y", "schema": "segy-rev1"}],
            outputs=["clean_volume"],
            store="/lustre/scratch",
        )
        wf.plan("train unet", "learning", inputs=["patches"], outputs=["fault_model"])
        north = _raw(wf, data, "F3 north", NORTH_INLINE, NORTH_BBOX)
        with wf.task("clean seismic", "curation", operation="cleaning", used=[north]) as clean:
            clean.log_params(CLEAN_PARAMS)
            cleaned = wf.dataset(
                "F3 north clean", id="f3-north-clean", type="domain_data", derived_from=[north]
            )
            clean.generated(cleaned)
        with wf.task("filter noise", "curation", operation="filtering", used=[cleaned]) as filt:
            filt.log_params(FILTER_PARAMS)
            filtered = wf.dataset(
                "F3 north filtered",
                id="f3-north-filtered",
                type="domain_data",
                derived_from=[cleaned],
            )
            filt.generated(filtered)
        with wf.task(
            "split patches", "preparation", operation="splitting", used=[filtered]
        ) as split:
            train = wf.dataset(
                "train a", id="train-a", type="training_set", derived_from=[filtered]
            )
            val = wf.dataset("val a", id="val-a", type="validation_set", derived_from=[filtered])
            split.generated(train, val)
        model = _train(wf, "seis-a", train, val, "unet-a")
        with wf.task("predict faults", "inference", used=[model, filtered]) as predict:
            predictions = wf.predictions("faults a", id="faults-a", derived_from=[model])
            predict.generated(predictions)

    with Workflow(WORKFLOW, run_id="seis-b", **common) as wf:
        north = _raw(wf, data, "F3 north", NORTH_INLINE, NORTH_BBOX)
        south = _raw(wf, data, "F3 south", SOUTH_INLINE, SOUTH_BBOX)
        with wf.task(
            "clean seismic", "curation", operation="cleaning", used=[north, south]
        ) as clean:
            clean.log_params(CLEAN_PARAMS)
            cleaned = wf.dataset(
                "F3 full clean", id="f3-full-clean", type="domain_data", derived_from=[north, south]
            )
            clean.generated(cleaned)
        with wf.task(
            "split patches", "preparation", operation="splitting", used=[cleaned]
        ) as split:
            train = wf.dataset("train b", id="train-b", type="training_set", derived_from=[cleaned])
            val = wf.dataset("val b", id="val-b", type="validation_set", derived_from=[cleaned])
            split.generated(train, val)
        model = _train(wf, "seis-b", train, val, "unet-b")
        try:
            with wf.task("evaluate", "learning", stage="evaluation", used=[model]):
                raise RuntimeError("GPU out of memory")
        except RuntimeError:
            pass

    running = root / "running"
    with Workflow(WORKFLOW, run_id="seis-c", **common) as wf:
        north = _raw(wf, data, "F3 north", NORTH_INLINE, NORTH_BBOX)
        with wf.task("split patches", "preparation", operation="splitting", used=[north]) as split:
            train = wf.dataset("train c", id="train-c", type="training_set", derived_from=[north])
            val = wf.dataset("val c", id="val-c", type="validation_set", derived_from=[north])
            split.generated(train, val)
        training = wf.task("train unet", "learning", stage="training", used=[train, val]).start()
        training.log_params(RUN_PARAMS["seis-c"])
        for epoch, (train_loss, val_loss, val_iou) in enumerate(RUN_EPOCHS["seis-c"]):
            with wf.task(f"epoch {epoch}", "learning", stage="epoch"):
                wf.log_metric("loss", train_loss, step=epoch, epoch=epoch, split="train")
                wf.log_metrics(
                    {"loss": val_loss, "iou": val_iou}, step=epoch, epoch=epoch, split="val"
                )
        wf.flush()
        # What a loader sees while the job runs: the spool so far, no task or run end.
        shutil.copytree(wf.run_dir, running / "seis-c")
        training.end()
    for target, key, value, by, at, unit, comment in ANNOTATIONS:
        annotate(target, key, value, by=by, at=at, unit=unit, comment=comment, spool_dir=spool)
    return spool_dirs(root)


def spool_dirs(root: Path) -> list[Path]:
    """The spool directories `write_lifecycle(root)` wrote, as a loader should read them."""
    runs = [root / "spool" / "seis-a", root / "spool" / "seis-b", root / "running" / "seis-c"]
    return [*runs, root / "spool" / "annotations"]


def spool_events(spools: list[Path]) -> list[dict[str, Any]]:
    """Every event of the given spool directories (to derive times and hosts in tests)."""
    events: list[dict[str, Any]] = []
    for directory in spools:
        events.extend(read_spool(directory).events)
    return events
