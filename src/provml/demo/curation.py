"""Curation of the survey into learning data, each step a task that uses and generates entities:
normalisation, patch extraction, labelling, and the training/validation/test split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from provml import Entity, Workflow
from provml.demo.seismic import INLINES, SAMPLES, Survey

CLIP = 3.0
HALF_DEPTH = 5  # samples above and below the patch centre
HALF_TRACES = 1  # traces either side
PATCHES_PER_BLOCK = 1500
SPLIT = {"training": 0.7, "validation": 0.15, "test": 0.15}


@dataclass(frozen=True)
class Curated:
    """The entities curation hands to learning and inference, and where their arrays are."""

    training: Entity
    validation: Entity
    test: Entity
    unseen: Entity
    files: dict[str, Path]


def normalise(wf: Workflow, survey: Survey, raw: list[Entity], out: Path) -> list[Entity]:
    """RMS-normalise and clip each block's amplitudes; one normalised block per raw block."""
    params = {"method": "rms", "clip": CLIP}
    produced = []
    with wf.task("normalise amplitudes", "preparation", operation="normalisation", used=raw) as t:
        t.log_params(params)
        for block, entity in zip(survey.blocks, raw, strict=True):
            amplitudes = np.load(block.path)
            scaled = np.clip(amplitudes / np.sqrt(np.mean(amplitudes**2)), -CLIP, CLIP)
            path = out / f"normalised_{block.path.name}"
            np.save(path, scaled.astype(np.float32))
            produced.append(
                wf.dataset(
                    f"normalised {block.name}",
                    path,
                    type="domain_data",
                    derived_from=[entity],
                    attributes={"inline": list(block.inlines), "normalisation": "rms"},
                )
            )
        t.generated(*produced)
    return produced


def _patches(volume: np.ndarray, first_inline: int, rng: np.random.Generator) -> np.ndarray:
    """Random patch centres of one block and their features: the amplitude window around the
    centre (depth x traces) and the centre's relative depth. Columns: inline, crossline, sample,
    then the features."""
    n_il, n_xl, _ = volume.shape
    il = rng.integers(0, n_il, PATCHES_PER_BLOCK)
    xl = rng.integers(HALF_TRACES, n_xl - HALF_TRACES, PATCHES_PER_BLOCK)
    z = rng.integers(HALF_DEPTH, SAMPLES - HALF_DEPTH, PATCHES_PER_BLOCK)
    dz = np.arange(-HALF_DEPTH, HALF_DEPTH + 1)
    dx = np.arange(-HALF_TRACES, HALF_TRACES + 1)
    traces = (xl[:, None] + dx)[:, :, None]
    depths = (z[:, None] + dz)[:, None, :]
    window = volume[il[:, None, None], traces, depths]
    features = window.reshape(PATCHES_PER_BLOCK, -1)
    where = np.stack([il + first_inline, xl, z], axis=1).astype(np.float32)
    return np.hstack([where, features, (z / SAMPLES)[:, None].astype(np.float32)])


def extract_patches(
    wf: Workflow, survey: Survey, normalised: list[Entity], out: Path, seed: int
) -> tuple[Entity, Entity, dict[str, Path]]:
    """Patches from the first blocks (the labelled pool) and from the last, unseen block."""
    params = {
        "window_samples": 2 * HALF_DEPTH + 1,
        "window_traces": 2 * HALF_TRACES + 1,
        "patches_per_block": PATCHES_PER_BLOCK,
        "seed": seed,
    }
    rng = np.random.default_rng(seed)
    used, unseen_source = normalised[:-1], normalised[-1]
    with wf.task(
        "extract patches", "preparation", operation="patch_extraction", used=normalised
    ) as t:
        t.log_params(params)
        arrays = [
            _patches(np.load(out / f"normalised_{block.path.name}"), block.inlines[0], rng)
            for block in survey.blocks
        ]
        files = {"pool": out / "patches_pool.npy", "unseen": out / "patches_unseen.npy"}
        np.save(files["pool"], np.vstack(arrays[:-1]))
        np.save(files["unseen"], arrays[-1])
        pool = wf.dataset(
            "patch pool",
            files["pool"],
            type="learning_data",
            derived_from=used,
            attributes={"patches": len(arrays[0]) * len(used)},
        )
        unseen = wf.dataset(
            "unseen patches",
            files["unseen"],
            type="learning_data",
            derived_from=[unseen_source],
            attributes={"inline": list(survey.blocks[-1].inlines), "patches": len(arrays[-1])},
        )
        t.generated(pool, unseen)
    return pool, unseen, files


def facies_at(labels: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """The interpreted facies at each patch centre (columns inline, crossline, sample)."""
    il = patches[:, 0].astype(int) - INLINES[0]
    facies: np.ndarray = labels[il, patches[:, 1].astype(int), patches[:, 2].astype(int)]
    return facies.astype(np.int64)


def label(
    wf: Workflow, pool: Entity, interpretation: Entity, labels: Path, pool_file: Path, out: Path
) -> tuple[Entity, Path]:
    """Label each pooled patch with the interpreted facies at its centre."""
    with wf.task(
        "label patches", "curation", operation="labelling", used=[pool, interpretation]
    ) as t:
        t.log_params({"label_source": "facies interpretation", "position": "patch centre"})
        patches = np.load(pool_file)
        classes = facies_at(np.load(labels), patches)
        path = out / "patches_labelled.npz"
        np.savez(path, patches=patches, labels=classes)
        labelled = wf.dataset(
            "labelled patches",
            path,
            type="learning_data",
            derived_from=[pool, interpretation],
            attributes={"classes": int(classes.max()) + 1},
        )
        t.generated(labelled)
    return labelled, path


def split(
    wf: Workflow, labelled: Entity, labelled_file: Path, out: Path, seed: int
) -> tuple[dict[str, Entity], dict[str, Path]]:
    """Shuffle and split the labelled patches into training, validation and test sets."""
    entity_types = {"training": "training_set", "validation": "validation_set", "test": "test_set"}
    with wf.task("split patches", "preparation", operation="splitting", used=[labelled]) as t:
        t.log_params({**{f"{name}_fraction": share for name, share in SPLIT.items()}, "seed": seed})
        data = np.load(labelled_file)
        order = np.random.default_rng(seed).permutation(len(data["labels"]))
        cuts = np.cumsum([int(share * len(order)) for share in SPLIT.values()])[:-1]
        entities, files = {}, {}
        for name, rows in zip(SPLIT, np.split(order, cuts), strict=True):
            files[name] = out / f"{name}_set.npz"
            np.savez(files[name], patches=data["patches"][rows], labels=data["labels"][rows])
            entities[name] = wf.dataset(
                f"{name} set",
                files[name],
                type=entity_types[name],
                derived_from=[labelled],
                attributes={"patches": len(rows)},
            )
        t.generated(*entities.values())
    return entities, files


def curate(wf: Workflow, survey: Survey, out: Path, seed: int) -> Curated:
    """Record the survey files as raw data and run every curation step; the learning data."""
    out.mkdir(parents=True, exist_ok=True)
    raw = [
        wf.dataset(
            block.name,
            block.path,
            type="raw_data",
            hash=True,
            format="npy",
            attributes=block.attributes,
        )
        for block in survey.blocks
    ]
    interpretation = wf.dataset(
        "facies interpretation",
        survey.labels,
        type="raw_data",
        hash=True,
        format="npy",
        attributes=survey.label_attributes,
    )
    normalised = normalise(wf, survey, raw, out)
    pool, unseen, files = extract_patches(wf, survey, normalised, out, seed)
    labelled, labelled_file = label(wf, pool, interpretation, survey.labels, files["pool"], out)
    sets, set_files = split(wf, labelled, labelled_file, out, seed)
    return Curated(
        sets["training"],
        sets["validation"],
        sets["test"],
        unseen,
        {**set_files, "unseen": files["unseen"]},
    )
