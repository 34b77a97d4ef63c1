"""The quarantine: bad spool lines kept as JSON lines (source, line, reason, text) for later repair.

Appended and fsynced before the checkpoint moves past the batch that held them, so no refused
line is forgotten; a load replayed after a crash between the two may append a line twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from provml.errors import LoadError


def append(path: Path, records: list[tuple[str, int, str, str]]) -> None:
    """Append (source, line, reason, text) records to the quarantine file at `path`.

    Raises LoadError naming the file if it cannot be written.
    """
    if not records:
        return
    text = "".join(
        json.dumps({"source": source, "line": line, "reason": reason, "text": raw}) + "\n"
        for source, line, reason, raw in records
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        raise LoadError(f"cannot write the quarantine file {path}: {error}") from None
