"""Writing one process's capture events, one JSON line at a time (bounded memory)."""

from __future__ import annotations

import json
import zlib
from typing import Any, TextIO


class RunWriter:
    """Writes one process's events of a run, a JSON line each, to its spool file."""

    def __init__(self, sink: TextIO, run: str, t: float, process: str = "") -> None:
        """Events of `run` go to `sink`, starting at time `t`; `process` keeps the event ids of
        each process (rank) of a run apart."""
        self.sink, self.run, self.t = sink, run, t
        self.prefix = f"{zlib.crc32(f'{run}/{process}'.encode()):08x}"
        self.counter = 0
        self.events = 0
        # The version key of each entity this process generated or hashed (as capture keeps it
        # on its Entity objects), and the type and hash of the hashed ones.
        self.versions: dict[str, str] = {}
        self.hashed: dict[str, tuple[str, str]] = {}

    def emit(self, kind: str, seconds: float = 0.5, **fields: Any) -> str:
        """Write one event `seconds` after the previous one; its id."""
        self.counter += 1
        self.t += seconds
        event_id = f"{self.prefix}.{self.counter}"
        record = {"v": 1, "kind": kind, "id": event_id, "run": self.run, "t": self.t, **fields}
        self.sink.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.events += 1
        return event_id

    def task(self, name: str, phase: str, host: str, pid: int, **fields: Any) -> str:
        """Start a task; its id."""
        fields = {"stage": None, "operation": None, "parent": None, "rank": None, **fields}
        return self.emit(
            "task_start",
            task=f"{self.prefix}.{self.counter + 1}",
            name=name,
            phase=phase,
            host=host,
            pid=pid,
            thread="MainThread",
            attributes={},
            **fields,
        )

    def end(self, task: str, seconds: float, error: str | None = None) -> None:
        """End a task after `seconds`, failed when `error` is given."""
        status = "failed" if error else "completed"
        self.emit("task_end", seconds, task=task, status=status, error=error)

    def used(self, task: str, entity: str) -> None:
        """`task` used `entity`, at the version this process knows of it (if any)."""
        fields: dict[str, Any] = {}
        if entity in self.versions:
            fields["version"] = self.versions[entity]
        if entity in self.hashed:
            fields["type"], fields["sha256"] = self.hashed[entity]
        self.emit("used", task=task, entity=entity, role=None, **fields)

    def generated(
        self, task: str, entity: str, kind: str, derived: list[str], role: str | None = None
    ) -> None:
        """`task` generated a new version of `entity` (a `kind`), derived from `derived`."""
        sources = [{"entity": source, "version": self.versions.get(source)} for source in derived]
        self.versions[entity] = self.emit(
            "generated", task=task, entity=entity, role=role, type=kind, derived_from=sources
        )

    def entity(self, entity: str, kind: str, derived: list[str], **fields: Any) -> None:
        """Declare an entity."""
        if fields.get("sha256") is not None:
            self.versions[entity] = f"sha256-{fields['sha256'][:32]}"
            self.hashed[entity] = (kind, fields["sha256"])
        defaults: dict[str, Any] = dict(
            path=None, size=None, sha256=None, format=None, architecture=None
        )
        defaults.update(framework=None, attributes={})
        self.emit(
            "entity",
            entity=entity,
            type=kind,
            name=entity,
            derived_from=derived,
            **{**defaults, **fields},
        )
