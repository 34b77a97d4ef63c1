"""provml: provenance for the lifecycle of scientific machine learning.

Importing this package loads only the standard library, so capture can run inside training jobs.
Exported here: the capture API (`Workflow`, `Task`, `Entity`, `annotate`, `read_spool`...) and
every error.
The other layers are imported by name and bring their own dependencies (the `kg` extra):
`provml.kg` (stores), `provml.loaders` (`load_spools`, importers, exporters), `provml.queries`
(`run_query`), `provml.ontology`, `provml.serve`.
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
    annotate,
    read_spool,
)
from provml.errors import (
    AnswerTooLarge,
    CaptureError,
    ExportError,
    LoadError,
    MalformedEvent,
    OntologyError,
    ProvmlError,
    QueryError,
    QueryOverMemory,
    QueryTimeout,
    ServeError,
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
    "AnswerTooLarge",
    "BadLine",
    "CaptureError",
    "CaptureHealth",
    "Entity",
    "ExportError",
    "LoadError",
    "MalformedEvent",
    "OntologyError",
    "ProvmlError",
    "QueryError",
    "QueryOverMemory",
    "QueryTimeout",
    "ServeError",
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
    "annotate",
    "read_spool",
]
