"""Entities: data sets, models, checkpoints, predictions and artifacts a run uses or generates.

An entity's id is global across runs: the id the user gives, or one derived from the absolute
path, so the same raw file is the same entity in every run. An entity with neither gets an id
unique to its event. Content hashes are computed only when asked (``hash=True`` or
``compute_hash()``), never by surprise on a large file.
"""

from __future__ import annotations

__all__ = ["Entity", "entity_id_for_path", "file_sha256"]

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from provml.capture.events import (
    ENTITY_TYPES,
    base_event,
    check_attributes,
    check_choice,
    check_token,
    slug,
)
from provml.errors import CaptureError

HASH_CHUNK_BYTES = 1024 * 1024


def entity_id_for_path(path: str | os.PathLike[str]) -> str:
    """The global id of the entity at ``path``: file name plus a digest of the absolute path."""
    absolute = os.path.abspath(os.fspath(path))
    digest = hashlib.sha256(absolute.encode()).hexdigest()[:20]
    return f"{slug(os.path.basename(absolute) or 'root')}-{digest}"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's content, read in chunks (a directory raises CaptureError)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
                digest.update(chunk)
    except OSError as error:
        raise CaptureError(f"cannot hash {os.fspath(path)!r}: {error}") from error
    return digest.hexdigest()


class Entity:
    """A data set, model or artifact recorded in a run; pass it to ``used``/``generated``."""

    def __init__(
        self,
        emit: Callable[[dict[str, Any]], None],
        run: str,
        name: str,
        *,
        type: str = "artifact",
        path: str | os.PathLike[str] | None = None,
        id: str | None = None,
        attributes: dict[str, Any] | None = None,
        derived_from: Iterable[Entity | str] = (),
        format: str | None = None,
        architecture: str | None = None,
        framework: str | None = None,
        hash: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise CaptureError(f"entity name must be a non-empty string; got {name!r}")
        self._emit = emit
        self._run = run
        self.name = name
        self.type = check_choice(type, ENTITY_TYPES, "entity type")
        self.path = os.path.abspath(os.fspath(path)) if path is not None else None
        self.format = format if format is not None else _format_of(self.path)
        self.architecture = architecture
        self.framework = framework
        self.attributes = check_attributes(attributes, f"entity {name!r}")
        sources = list(derived_from)
        self.derived_from = [entity_ref(item, "derived_from") for item in sources]
        # What a generation of this entity derives from by default, versions as known now.
        self.derived_sources = [version_ref(item) for item in sources]
        event = base_event("entity", run)
        if id is not None:
            self.id = check_token(id, f"id of entity {name!r}")
        elif self.path is not None:
            self.id = entity_id_for_path(self.path)
        else:
            self.id = f"{slug(name, 60)}-{event['id']}"
        self.size = _size_of(self.path)
        self.sha256 = file_sha256(self.path) if hash and self.path else None
        if hash and not self.path:
            raise CaptureError(f"entity {name!r}: hash=True needs a path")
        # The key of the content state this process last knew: a generation's event id, or the
        # content hash's (`hash_version_key`); None: read by stable id.
        self.version: str | None = hash_version_key(self.sha256) if self.sha256 else None
        self._emit_record(event)

    def compute_hash(self) -> str:
        """Hash the file's content now (reads the whole file) and record it; returns the hex."""
        if self.path is None:
            raise CaptureError(f"entity {self.name!r} has no path to hash")
        self.sha256 = file_sha256(self.path)
        self.size = _size_of(self.path)
        if self.version is None or self.version.startswith(HASH_VERSION_PREFIX):
            # A generation this process recorded stays the version; the hash goes on it.
            self.version = hash_version_key(self.sha256)
        self._emit_record(base_event("entity", self._run))
        return self.sha256

    def _emit_record(self, event: dict[str, Any]) -> None:
        event.update(
            entity=self.id,
            type=self.type,
            name=self.name,
            path=self.path,
            size=self.size,
            sha256=self.sha256,
            format=self.format,
            architecture=self.architecture,
            framework=self.framework,
            derived_from=self.derived_from,
            attributes=self.attributes,
        )
        self._emit(event)

    def __repr__(self) -> str:
        return f"Entity(id={self.id!r}, type={self.type!r}, name={self.name!r})"


#: The start of a version key derived from content (`hash_version_key`).
HASH_VERSION_PREFIX = "sha256-"


def hash_version_key(sha256: str) -> str:
    """The version key of content with this SHA-256 (hex): the same content, the same version."""
    return f"{HASH_VERSION_PREFIX}{sha256[:32]}"


def entity_ref(value: Entity | str, what: str) -> str:
    """The id of an Entity, or a given id string (checked)."""
    if isinstance(value, Entity):
        return value.id
    if isinstance(value, str):
        return check_token(value, f"{what} entity id")
    raise CaptureError(f"{what} expects an Entity or an entity id; got {value!r}")


def version_ref(item: Entity | str) -> dict[str, Any]:
    """An input as a `derived_from` item of a `generated` event: its id and the version this
    process knows of it (None for an id string: the stable entity)."""
    if isinstance(item, Entity):
        return {"entity": item.id, "version": item.version}
    return {"entity": entity_ref(item, "derived_from"), "version": None}


def _size_of(path: str | None) -> int | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size if not os.path.isdir(path) else None


def _format_of(path: str | None) -> str | None:
    if path is None:
        return None
    suffix = Path(path).suffix.lstrip(".").lower()
    return suffix or None
