"""Helpers the framework hooks share: metric values and cheap model descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provml.capture import splits

ARCHITECTURE_LIMIT = 4000


def split_of(metric: str) -> str:
    """The split of a framework metric by the split rule; unmarked metrics are training ones."""
    return splits.split_of(metric) or "training"


def numeric_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    """The entries of ``values`` that are numbers or one-element tensors, as floats."""
    out: dict[str, float] = {}
    for key, value in values.items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError, RuntimeError):
            continue
    return out


def describe(model: object) -> str:
    """A printable architecture description (the framework's repr), capped in length."""
    text = repr(model)
    return text if len(text) <= ARCHITECTURE_LIMIT else text[:ARCHITECTURE_LIMIT] + "..."


def framework_version(module_name: str, distribution: str) -> str:
    """'name version' of an imported framework, for an entity's framework field."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return module_name
