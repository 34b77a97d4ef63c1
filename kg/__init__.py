"""The knowledge graph: one Store interface over embedded Oxigraph or a remote SPARQL endpoint.

`open_store(location)` picks the backend from the location (a directory: embedded Oxigraph; an
http(s) URL: a SPARQL 1.1 endpoint); backends register by name and URL scheme
(`register_backend`). `Store` (in `provml.kg.store`) states each method's guarantees.

Security: query and update text is trusted code. Both engines follow `SERVICE <url>` and
`LOAD <url>` to any address they can reach (pyoxigraph ships an HTTP client), so never pass text
from users to `query()` or `update()`. User values go in `bindings`: pyoxigraph terms only,
bound by the engine (Oxigraph) or written as validated N-Triples terms in a VALUES block (remote),
never formatted into the text; plain strings are refused with UnsafeParameter.

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
