"""The knowledge graph: one Store interface over embedded Oxigraph or a remote SPARQL endpoint.

>>> import tempfile
>>> from provml.kg import open_store
>>> with tempfile.TemporaryDirectory() as directory, open_store(directory) as store:
...     store.load(b'<http://e/a> <http://e/p> "1" .', "turtle", graph="http://e/g")
...     store.graphs(), store.count()
(['http://e/g'], 1)
"""

from __future__ import annotations

from provml.kg.formats import FORMATS, RdfInput
from provml.kg.registry import (
    backend_for,
    backends,
    default_location,
    open_store,
    register_backend,
)
from provml.kg.results import GraphResult, QueryResult, SelectResult, Term
from provml.kg.store import Store
from provml.kg.terms import BindingTerm, named_node

__all__ = [
    "FORMATS",
    "BindingTerm",
    "GraphResult",
    "QueryResult",
    "RdfInput",
    "SelectResult",
    "Store",
    "Term",
    "backend_for",
    "backends",
    "default_location",
    "named_node",
    "open_store",
    "register_backend",
]
