"""Helpers the framework hooks share: metric values, cheap model descriptions, input data."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provml.capture import splits

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow

ARCHITECTURE_LIMIT = 4000


def end_failed(task: Task | None, error: BaseException | str) -> None:
    """End `task`, if there is one, as failed: `error` as its message (`Type: text` for an
    exception), as a task ended by an exception says."""
    if task is not None:
        task.end("failed", error if isinstance(error, str) else f"{type(error).__name__}: {error}")


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


# Arrays up to this size are hashed, so the same input data is the same entity in every run.
HASHED_INPUT_LIMIT = 256 * 1024 * 1024


def input_entity(
    workflow: Workflow, data: Any, name: str, given: Entity | str | None = None
) -> Entity | str:
    """The entity an inference read: ``given`` if the caller named it, else one recorded now
    for in-memory ``data`` (rows, shape; arrays keyed by a digest of their content)."""
    if given is not None:
        return given
    attributes: dict[str, Any] = {"python_type": type(data).__name__}
    rows = _length(data)
    if rows is not None:
        attributes["rows"] = rows
    shape = getattr(data, "shape", None)
    if shape is not None:
        with contextlib.suppress(TypeError, ValueError):
            attributes["shape"] = "x".join(str(int(size)) for size in shape)
    digest = _content_digest(data)
    if digest is not None:
        attributes["content_sha256"] = digest
        return workflow.dataset(
            name, type="learning_data", id=f"array-{digest[:40]}", attributes=attributes
        )
    return workflow.dataset(name, type="learning_data", attributes=attributes)


def _length(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None


def _content_digest(data: Any) -> str | None:
    """SHA-256 of an array's bytes, dtype and shape (numpy, pandas, torch); None otherwise."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - every framework hook brings numpy
        return None
    tensors = getattr(data, "tensors", None)
    if isinstance(tensors, tuple) and tensors:  # a torch TensorDataset: its inputs
        data = tensors[0]
    if hasattr(data, "detach") and hasattr(data, "cpu"):  # a torch tensor
        data = data.detach().cpu().numpy()
    elif hasattr(data, "to_numpy"):  # a pandas frame or series
        data = data.to_numpy()
    if not isinstance(data, numpy.ndarray) or data.dtype == object:
        return None
    if data.nbytes > HASHED_INPUT_LIMIT:
        return None
    digest = hashlib.sha256(f"{data.dtype.str}{data.shape}".encode())
    digest.update(numpy.ascontiguousarray(data).data)
    return digest.hexdigest()
