"""A synthetic seismic survey: layered facies cut by faults, a band-limited amplitude volume with
noise, saved as inline blocks (`.npy`) plus the interpreter's facies labels, each with the
domain metadata a real survey carries (geometry, geographic bounding box, units)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SURVEY = "Provml North Sea synthetic"
FACIES = ("shale", "sand", "silt", "carbonate", "basement")
INLINES = (1000, 1095)
CROSSLINES = (2000, 2063)
SAMPLES = 128
SAMPLE_MS = 4
BLOCK_INLINES = 24
# Geographic corners of the survey (WGS 84), interpolated per block along the inline axis.
WEST, EAST, SOUTH, NORTH = 4.60, 4.84, 54.80, 54.95


@dataclass(frozen=True)
class SurveyBlock:
    """One inline block of the survey on disk, with its domain attributes."""

    name: str
    path: Path
    inlines: tuple[int, int]
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Survey:
    """The survey's amplitude blocks and its facies interpretation (labels) on disk."""

    blocks: list[SurveyBlock]
    labels: Path
    label_attributes: dict[str, Any]


def facies_volume(rng: np.random.Generator) -> np.ndarray:
    """Facies index per (inline, crossline, sample): gently folded layers offset by two faults."""
    n_il = INLINES[1] - INLINES[0] + 1
    n_xl = CROSSLINES[1] - CROSSLINES[0] + 1
    il, xl = np.meshgrid(np.arange(n_il), np.arange(n_xl), indexing="ij")
    fold = 6 * np.sin(il / 17.0 + rng.uniform(0, np.pi)) + 4 * np.cos(xl / 11.0)
    # Normal faults: planes in map view; the hanging wall drops by the throw (in samples).
    throw = np.zeros_like(fold)
    for slope, offset, drop in ((0.6, 20, 9), (-0.4, 70, -7)):
        throw += np.where(xl > slope * il + offset - 0.3 * il, drop, 0)
    tops = np.array([22, 48, 70, 96])
    z = np.arange(SAMPLES)
    depth = z[None, None, :] - (fold + throw)[:, :, None]
    facies: np.ndarray = np.searchsorted(tops, depth, side="right").astype(np.int8)
    return facies


def amplitude_volume(facies: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seismic amplitudes: impedance contrasts convolved with a Ricker wavelet, plus each
    facies' own texture and random noise."""
    impedance = np.array([2.1, 3.0, 2.5, 4.2, 5.0])[facies]
    reflectivity = np.diff(impedance, axis=2, prepend=impedance[:, :, :1])
    t = np.arange(-16, 17) * SAMPLE_MS / 1000.0
    peak = 25.0  # Hz
    ricker = (1 - 2 * (np.pi * peak * t) ** 2) * np.exp(-((np.pi * peak * t) ** 2))
    trace = np.apply_along_axis(lambda r: np.convolve(r, ricker, mode="same"), 2, reflectivity)
    z = np.arange(facies.shape[2])
    texture = np.array([0.15, 0.35, 0.25, 0.05, 0.02])[facies] * np.sin(
        z[None, None, :] * np.array([0.9, 0.5, 1.3, 0.3, 0.2])[facies]
    )
    noise = rng.normal(0.0, 0.12, facies.shape)
    amplitudes: np.ndarray = (trace + texture + noise + 0.2 * impedance).astype(np.float32)
    return amplitudes


def _block_attributes(first: int, last: int) -> dict[str, Any]:
    """Domain attributes of the inline block [first, last]: geometry, bounding box, units."""
    span = INLINES[1] - INLINES[0] + 1
    west = WEST + (EAST - WEST) * (first - INLINES[0]) / span
    east = WEST + (EAST - WEST) * (last + 1 - INLINES[0]) / span
    return {
        "survey": {"name": SURVEY},
        "inline": [first, last],
        "crossline": list(CROSSLINES),
        "depth": {"min": 0, "max": (SAMPLES - 1) * SAMPLE_MS, "unit": "ms"},
        "sample_interval": {"value": SAMPLE_MS, "unit": "ms"},
        "bbox": {
            "west": round(west, 5),
            "east": round(east, 5),
            "south": SOUTH,
            "north": NORTH,
            "unit": "degree",
        },
        "crs": "EPSG:4326",
        "amplitude_unit": "normalised reflection amplitude",
    }


def write_survey(directory: Path, seed: int = 7) -> Survey:
    """Generate the survey (deterministic from `seed`) into `directory`, unless already there.

    Files already written by an earlier demo are kept as they are, so the raw data (and its
    content hash) is the same across demo runs.
    """
    directory.mkdir(parents=True, exist_ok=True)
    blocks = []
    starts = range(INLINES[0], INLINES[1] + 1, BLOCK_INLINES)
    labels = directory / "facies_interpretation.npy"
    paths = [
        directory / f"block{index}_il{start}-{start + BLOCK_INLINES - 1}.npy"
        for index, start in enumerate(starts)
    ]
    if not labels.exists() or not all(path.exists() for path in paths):
        rng = np.random.default_rng(seed)
        facies = facies_volume(rng)
        amplitudes = amplitude_volume(facies, rng)
        for path, start in zip(paths, starts, strict=True):
            rows = slice(start - INLINES[0], start - INLINES[0] + BLOCK_INLINES)
            np.save(path, amplitudes[rows])
        np.save(labels, facies)
    for index, (path, start) in enumerate(zip(paths, starts, strict=True)):
        last = start + BLOCK_INLINES - 1
        blocks.append(
            SurveyBlock(
                f"block {index} (inlines {start}-{last})",
                path,
                (start, last),
                _block_attributes(start, last),
            )
        )
    label_attributes = {
        **_block_attributes(*INLINES),
        "classes": list(FACIES),
        "interpretation": "facies picked on every sample",
    }
    label_attributes.pop("amplitude_unit")
    return Survey(blocks, labels, label_attributes)
