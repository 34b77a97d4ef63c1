"""The quarantine: bad spool lines kept as JSON lines (source, line, reason, text) for later repair.

Appended and fsynced before the checkpoint moves past the batch that held them, so no refused
line is forgotten; a load replayed after a crash between the two may append a line twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from provml.capture.reader import BadLine
from provml.errors import LoadError


def append(path: Path, bad_lines: Sequence[BadLine]) -> None:
    """Append bad lines to the quarantine file at `path`, one JSON object each (source, line,
    reason, text).

    Raises LoadError naming the file if it cannot be written.
    """
    if not bad_lines:
        return
    text = "".join(
        json.dumps(
            {"source": str(bad.path), "line": bad.line, "reason": bad.reason, "text": bad.text}
        )
        + "\n"
        for bad in bad_lines
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        raise LoadError(f"cannot write the quarantine file {path}: {error}") from None
