"""The errors provml raises, one root with a branch per layer.

ProvmlError
├── OntologyError        the ontology or shapes cannot be read, or fail a check
├── CaptureError         capture cannot record (spool directory unusable, bad arguments)
│   └── SpoolError       a spool file cannot be created, written or read
├── LoadError            input cannot be turned into triples
│   └── MalformedEvent   one event line is not valid (names the file and the line)
├── ExportError          the store's triples cannot be written in the asked format
├── StoreError           the knowledge graph cannot be opened or written
│   ├── StoreLocked      another process holds the embedded store for writing
│   └── StoreCorrupt     the store's files cannot be read
├── ServeError           `provml serve` refuses a setting (names it)
└── QueryError           a query cannot be run
    ├── UnknownQuery     no canned query has that name
    ├── UnsafeParameter  a parameter value or query was refused as unsafe or ill-typed
    ├── QueryTimeout     a query ran past the server's time limit
    ├── AnswerTooLarge   a query's answer is larger than the server's limit
    └── QueryOverMemory  a query needed more memory than the server's limit

Besides its message, an error carries what it names as attributes (None where there is none):
`path` on OntologyError, SpoolError, StoreLocked and StoreCorrupt; `path`, `line` and `reason` on
MalformedEvent; `query` (a canned query's name) on QueryError and its branches; `parameter` on
UnsafeParameter.
"""

from __future__ import annotations

import os
from pathlib import Path


class ProvmlError(Exception):
    """Root of every error provml raises on purpose."""


class OntologyError(ProvmlError):
    """Raised when the ontology or its shapes cannot be parsed, loaded or fail a check.

    `path` is the file at fault when there is one (else None).
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        """Keep the message as the error's text and the file at fault as `path`."""
        super().__init__(message)
        self.path = path


class CaptureError(ProvmlError):
    """Raised when capture is misused; I/O failures while training are reported, not raised."""


class SpoolError(CaptureError):
    """Raised when a spool file cannot be created, written or read; `path` is that file or
    directory."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        """Keep the message as the error's text and the spool file or directory as `path`."""
        super().__init__(message)
        self.path = path


class LoadError(ProvmlError):
    """Raised when input (spool, PROV document, MLflow run) cannot be turned into triples."""


class MalformedEvent(LoadError):
    """Raised for one invalid event line; the message names the file and the line number.

    The same facts as data: `path` (the file, or the name of the stream), `line` (from 1) and
    `reason` (why the line was refused); None where the raiser did not know them.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        reason: str | None = None,
    ) -> None:
        """The error with its message and the bad line's place and reason."""
        super().__init__(message)
        self.path = path
        self.line = line
        self.reason = reason


class ExportError(ProvmlError):
    """Raised when an export is refused (no such graph, a format that cannot hold the selection)
    or the triples cannot be converted to the asked format (e.g. PROV that `prov` cannot read)."""


class StoreError(ProvmlError):
    """Raised when the knowledge graph cannot be opened, read or written."""


class StoreLocked(StoreError):
    """Raised when another process holds the embedded store directory (`path`) for writing."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        """Keep the message as the error's text and the store directory as `path`."""
        super().__init__(message)
        self.path = path


class StoreCorrupt(StoreError):
    """Raised when the embedded store's files (in the directory `path`) exist but cannot be read."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        """Keep the message as the error's text and the store directory as `path`."""
        super().__init__(message)
        self.path = path


class ServeError(ProvmlError):
    """Raised when a server's settings are refused (e.g. writes allowed without a token); the
    message names the setting."""


class QueryError(ProvmlError):
    """Raised when a query cannot be run; `query` names the canned query when there is one."""

    def __init__(self, message: str, *, query: str | None = None) -> None:
        """Keep the message as the error's text and the canned query's name as `query`."""
        super().__init__(message)
        self.query = query


class UnknownQuery(QueryError):
    """Raised when no canned query has the requested name (`query`)."""


class UnsafeParameter(QueryError):
    """Raised when a query parameter or an ad-hoc query is refused as unsafe or ill-typed;
    `parameter` names the parameter (or binding) when one was refused, `query` the canned query."""

    def __init__(
        self, message: str, *, query: str | None = None, parameter: str | None = None
    ) -> None:
        """Keep the message as the error's text, the query's and the parameter's names."""
        super().__init__(message, query=query)
        self.parameter = parameter


class QueryTimeout(QueryError):
    """Raised by `provml serve` when a query runs past its time limit (`--timeout`)."""


class AnswerTooLarge(QueryError):
    """Raised by `provml serve` when a query's answer is larger than its limit (`--max-bytes`)."""


class QueryOverMemory(QueryError):
    """Raised by `provml serve` when a query needs more memory than its limit (`--max-memory`)."""
