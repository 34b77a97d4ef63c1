"""provml: provenance for the lifecycle of scientific machine learning.

Importing this package loads only the standard library, so capture can run inside training jobs.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from provml.capture import (
    BadLine,
    CaptureHealth,
    Entity,
    SpoolContents,
    Task,
    Workflow,
    read_spool,
)
from provml.errors import (
    CaptureError,
    LoadError,
    MalformedEvent,
    OntologyError,
    ProvmlError,
    QueryError,
    SpoolError,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    UnknownQuery,
    UnsafeParameter,
)

try:
    __version__ = version("provml")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "BadLine",
    "CaptureError",
    "CaptureHealth",
    "Entity",
    "LoadError",
    "MalformedEvent",
    "OntologyError",
    "ProvmlError",
    "QueryError",
    "SpoolContents",
    "SpoolError",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "Task",
    "UnknownQuery",
    "UnsafeParameter",
    "Workflow",
    "__version__",
    "read_spool",
]
