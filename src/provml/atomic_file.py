"""Writing a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: Path, *, durable: bool = False) -> Iterator[IO[bytes]]:
    """A binary stream to a temporary file beside `path`, renamed onto it when the block ends.

    If the block raises, the temporary file is removed and `path` is untouched. `durable`
    fsyncs the data before the rename (for state that must survive a crash, like checkpoints).
    Raises OSError as the file system does; callers turn it into their own error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
