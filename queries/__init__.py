"""The taxonomy of analyses as canned SPARQL queries (.rq files) and helpers that run them.

>>> from provml.queries import Param
>>> from provml.queries.params import to_term
>>> to_term(Param("k", "integer"), "3", "top_runs")
<Literal value=3 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
>>> to_term(Param("run", "iri"), "https://e/r> } CLEAR ALL {", "top_runs")
Traceback (most recent call last):
...
provml.errors.UnsafeParameter: top_runs: parameter run (iri) = ...: an IRI may not contain '>' ...

`run_query(store, name, **params)` binds each parameter by the engine and returns `QueryRows`
(typed Python values; `.to_pandas()` with pandas installed). `run_sparql` runs an ad-hoc,
read-only query and refuses SERVICE unless allowed. Queries that read the loader's digests
(durations, metric summaries, raw-data shortcuts) have a plain PROV-O version in `PLAIN_QUERIES`:
`run_query(store, name, directories=[PLAIN_QUERIES], ...)`.
"""

from provml.queries.adhoc import check_read_only
from provml.queries.catalog import (
    PLAIN_QUERIES,
    TAXONOMY,
    TYPES,
    CannedQuery,
    Column,
    describe,
    get_query,
    list_queries,
)
from provml.queries.lineage import WALKED, Edge, walk
from provml.queries.params import Param
from provml.queries.results import IRI, QueryRows, to_python
from provml.queries.run import bindings_for, run_query
from provml.queries.sparql import run_sparql

__all__ = [
    "IRI",
    "PLAIN_QUERIES",
    "TAXONOMY",
    "TYPES",
    "WALKED",
    "CannedQuery",
    "Column",
    "Edge",
    "Param",
    "QueryRows",
    "bindings_for",
    "check_read_only",
    "describe",
    "get_query",
    "list_queries",
    "run_query",
    "run_sparql",
    "to_python",
    "walk",
]
