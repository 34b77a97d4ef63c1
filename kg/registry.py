"""Choosing a store backend from a location, by registered name and URL scheme (rdflib style)."""

from __future__ import annotations

__all__ = ["backend_for", "backends", "default_location", "open_store", "register_backend"]

import importlib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provml.errors import StoreError
from provml.kg.store import Store

#: The environment variable naming the default store, and the fallback when it is unset.
STORE_ENVIRONMENT_VARIABLE = "PROVML_STORE"
DEFAULT_STORE_DIRECTORY = "provml-store"


@dataclass(frozen=True)
class _Backend:
    """Where a backend's Store class lives; imported on first use, so unused clients stay out."""

    module: str
    class_name: str

    def load(self) -> type[Store]:
        """Import and return the Store class."""
        store_class: type[Store] = getattr(importlib.import_module(self.module), self.class_name)
        return store_class


_BACKENDS: dict[str, _Backend] = {}
_SCHEMES: dict[str, str] = {}
#: The backend for a location that is not a URL with a registered scheme.
PATH_BACKEND = "oxigraph"


def register_backend(
    name: str, module: str, class_name: str, schemes: tuple[str, ...] = ()
) -> None:
    """Register a Store class by name, and the URL schemes that select it."""
    _BACKENDS[name] = _Backend(module, class_name)
    for scheme in schemes:
        _SCHEMES[scheme.lower()] = name


def backends() -> list[str]:
    """The registered backend names."""
    return sorted(_BACKENDS)


def backend_for(location: str | os.PathLike[str]) -> str:
    """The backend name a location selects: its URL scheme's, or the path backend."""
    scheme = urlsplit(os.fspath(location)).scheme.lower()
    return _SCHEMES.get(scheme, PATH_BACKEND)


def default_location() -> str:
    """`$PROVML_STORE` if set, else `./provml-store`."""
    return os.environ.get(STORE_ENVIRONMENT_VARIABLE) or str(Path(DEFAULT_STORE_DIRECTORY))


def store_class(location: str | os.PathLike[str], *, backend: str | None = None) -> type[Store]:
    """The Store class for a location (as `open_store` chooses it), to ask its capabilities
    before opening; StoreError for an unknown backend."""
    where = os.fspath(location)
    return _backend_class(backend or backend_for(where), where)


def _backend_class(name: str, where: str) -> type[Store]:
    """The registered backend's class; StoreError naming the location for an unknown one."""
    try:
        backend = _BACKENDS[name]
    except KeyError:
        raise StoreError(
            f"no store backend named {name!r} for {where}; registered: {', '.join(backends())}"
        ) from None
    return backend.load()


def open_store(
    location: str | os.PathLike[str] | None = None, *, backend: str | None = None, **options: Any
) -> Store:
    """Open the store at a directory path (embedded Oxigraph) or an http(s) URL (SPARQL 1.1).

    `location` defaults to `default_location()`; `backend` overrides the choice by scheme;
    `options` go to the backend's constructor. Raises StoreError for an unknown backend, and
    whatever the backend raises on opening (StoreLocked, StoreCorrupt, StoreError).
    """
    where = os.fspath(location) if location is not None else default_location()
    name = backend or backend_for(where)
    # Each backend's constructor takes the location and its own options.
    factory: Callable[..., Store] = _backend_class(name, where)
    try:
        inspect.signature(factory).bind(where, **options)
    except TypeError as error:
        raise StoreError(
            f"the {name} backend for {where} cannot take these options: {error}"
        ) from None
    return factory(where, **options)


register_backend("oxigraph", "provml.kg.oxigraph", "OxigraphStore", schemes=("file",))
register_backend("sparql", "provml.kg.remote", "SparqlStore", schemes=("http", "https"))
