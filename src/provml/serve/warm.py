"""Imported once by the query workers' fork server (never by the server itself): work that every
worker's first query would otherwise pay for, done before the workers are forked."""

from provml.queries.adhoc import check_read_only

# rdflib's SPARQL grammar (pyparsing) builds its caches on its first parse: tens of ms.
check_read_only(
    "PREFIX p: <https://e/> SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s p:q ?o FILTER(?o > 1) "
    'OPTIONAL { GRAPH ?g { ?s ?p "x"@en } } } GROUP BY ?s ORDER BY ?n LIMIT 5',
    "a warm-up query",
)
