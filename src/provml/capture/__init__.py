"""Capture: record the provenance of an ML workflow from inside the training job.

Standard library only. ``Workflow`` is the entry point; events go to per-process JSON Lines spool
files (format: ``event.schema.json`` in this package) that the loaders turn into triples.
"""

from __future__ import annotations

from provml.capture.annotations import annotate, annotation_event
from provml.capture.entities import Entity, entity_id_for_path, file_sha256
from provml.capture.events import SCHEMA_FILE, SCHEMA_VERSION
from provml.capture.reader import BadLine, SpoolContents, iter_spool_file, read_spool, spool_files
from provml.capture.sinks import MemorySink, Sink
from provml.capture.spool import CaptureHealth, SpoolWriter
from provml.capture.task import Task
from provml.capture.workflow import Workflow, new_run_id

__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "BadLine",
    "CaptureHealth",
    "Entity",
    "MemorySink",
    "Sink",
    "SpoolContents",
    "SpoolWriter",
    "Task",
    "Workflow",
    "annotate",
    "annotation_event",
    "entity_id_for_path",
    "file_sha256",
    "iter_spool_file",
    "new_run_id",
    "read_spool",
    "spool_files",
]
