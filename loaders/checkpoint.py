"""Where each spool file's load got to: a JSON file written atomically after each commit.

For every spool file it keeps the byte offset just after the last committed complete line, the
number of the next line, and a digest of the file's first bytes. On the next load a file resumes
at its offset when it is at least that long and starts with the same bytes (spool files only
grow); a file that was replaced or truncated is loaded again from the start, which is harmless
(deterministic IRIs).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from provml.atomic_file import atomic_write
from provml.errors import LoadError

CHECKPOINT_VERSION = 1
#: How many leading bytes identify a spool file (its run_start line, with unique ids).
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FilePosition:
    """A resumable place in a spool file: byte offset, next line number, identity of its head."""

    offset: int = 0
    line: int = 1
    head_bytes: int = 0
    head_sha256: str = hashlib.sha256(b"").hexdigest()


START = FilePosition()


def head_digest(path: Path, length: int) -> str:
    """The SHA-256 of the first `length` bytes of `path` (fewer if it is shorter)."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(length)).hexdigest()


class Checkpoint:
    """The positions of a load's spool files, read from and saved to one JSON file (or none)."""

    def __init__(self, path: Path | None, *, start_over: bool = False) -> None:
        """Read `path` if it exists; None keeps positions in memory only; `start_over` ignores
        what `path` holds (the next save replaces it).

        Raises LoadError naming the file if it cannot be read or is not a checkpoint.
        """
        self.path = path
        self.positions: dict[str, FilePosition] = {}
        # Each file's entry as JSON text, written when it moves: a save after each commit then
        # costs a join, not a serialization of every file's position (thousands of files).
        self._entries: dict[str, str] = {}
        if path is None or start_over or not path.exists():
            return
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("version") != CHECKPOINT_VERSION:
                raise ValueError(f"unknown checkpoint version {saved.get('version')!r}")
            self.positions = {
                name: FilePosition(**fields) for name, fields in saved["files"].items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise LoadError(
                f"cannot read the checkpoint {path}: {error}. Delete it to load every spool file "
                "from the start again (harmless: nothing is duplicated)."
            ) from None

    def resume(self, spool_file: Path) -> tuple[FilePosition, bool]:
        """Where to start reading `spool_file`, and whether a saved position was discarded.

        The saved position holds if the file is at least that long and begins with the same
        bytes; otherwise (replaced, truncated) the file starts over.
        """
        saved = self.positions.get(_key(spool_file))
        if saved is None:
            return START, False
        try:
            size = spool_file.stat().st_size
            same = size >= saved.offset and (
                head_digest(spool_file, saved.head_bytes) == saved.head_sha256
            )
        except OSError as error:
            raise LoadError(f"cannot read the spool file {spool_file}: {error}") from None
        return (saved, False) if same else (START, True)

    def advance(self, spool_file: Path, position: FilePosition) -> None:
        """Record that everything before `position` is committed (saved by `save`)."""
        key = _key(spool_file)
        self.positions[key] = position
        self._entries[key] = _entry(key, position)

    def save(self) -> None:
        """Write the checkpoint atomically: a temporary file beside it, fsynced, renamed over it.

        Raises LoadError naming the file if it cannot be written (the previous one stays).
        """
        if self.path is None:
            return
        for name, position in self.positions.items():
            if name not in self._entries:  # read from the file and not moved since
                self._entries[name] = _entry(name, position)
        files = ",\n".join(self._entries.values())
        text = f'{{\n "files": {{\n{files}\n }},\n "version": {CHECKPOINT_VERSION}\n}}'
        try:
            with atomic_write(self.path, durable=True) as stream:
                stream.write(text.encode("utf-8"))
        except OSError as error:
            raise LoadError(f"cannot write the checkpoint {self.path}: {error}") from None


def _entry(name: str, position: FilePosition) -> str:
    """One file's entry in the checkpoint's `files` object (JSON text)."""
    return f"  {json.dumps(name)}: {json.dumps(asdict(position), sort_keys=True)}"


def _key(spool_file: Path) -> str:
    return str(spool_file.resolve())
