"""Imported once by the query workers' fork server (never by the server itself): work that every
worker's first query would otherwise pay for, done before the workers are forked."""

import gc

from provml.queries.adhoc import check_read_only

# rdflib's SPARQL grammar (pyparsing) builds its caches on its first parse: tens of ms.
check_read_only(
    "PREFIX p: <https://e/> SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s p:q ?o FILTER(?o > 1) "
    'OPTIONAL { GRAPH ?g { ?s ?p "x"@en } } } GROUP BY ?s ORDER BY ?n LIMIT 5',
    "a warm-up query",
)

# The workers forked from here share these objects; frozen, their collector never writes to
# them (a full pass would copy every page it touches into the worker).
gc.freeze()
