"""provml: provenance for the lifecycle of scientific machine learning.

Importing this package loads only the standard library, so capture can run inside training jobs.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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
    "CaptureError",
    "LoadError",
    "MalformedEvent",
    "OntologyError",
    "ProvmlError",
    "QueryError",
    "SpoolError",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "UnknownQuery",
    "UnsafeParameter",
    "__version__",
]
