"""`/lineage?entity=IRI`: the PROV graph around one entity, as nodes and edges for the page.

The query is the catalogue's `lineage_graph` (upstream and downstream lineage edges as PROV
statements); the IRI is validated and bound by the engine. At most `MAX_EDGES` edges come
back (`truncated` says when more matched).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provml.kg import SelectResult, named_node
from provml.kg.results import term_value
from provml.kg.store import Store
from provml.queries import run_query
from provml.serve.workers import QueryPool

#: Edges drawn at most; a browser graph view beyond this is unreadable anyway.
MAX_EDGES = 500
PROV = "http://www.w3.org/ns/prov#"


PROVML = "https://w3id.org/provml/ontology#"
#: The start's own label and class (the lineage rows describe the nodes they reach).
_START = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?start ?label ?type WHERE {
  OPTIONAL { ?start rdfs:label ?label }
  OPTIONAL { ?start a ?type }
}"""
#: The PROV relation each kind of lineage edge states (subject relation object).
RELATIONS = {
    "recorded": "wasDerivedFrom",
    "inferred": "wasDerivedFrom",
    "generated": "wasGeneratedBy",
    "used": "used",
    "version": "versionOf",
}


def _short(iri: str) -> str:
    """The last segment of an IRI, for a label when the store has none."""
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def lineage(store: Store, entity: str) -> dict[str, Any]:
    """Nodes ({id, label, type}) and edges ({source, target, relation, how, run, run_label})
    around `entity`, from the canned query `lineage_graph`.

    Raises UnsafeParameter for an IRI that cannot be one, QueryError or StoreError as
    `Store.query` does.
    """
    node = named_node(entity, "entity")
    rows = run_query(store, "lineage_graph", start=node)
    nodes: dict[str, dict[str, str]] = {entity: {"id": entity, "label": _short(entity), "type": ""}}
    own = store.query(_START, {"start": node})
    if isinstance(own, SelectResult):
        for found in own:
            if found["label"] is not None:
                nodes[entity]["label"] = term_value(found["label"])
            if found["type"] is not None and term_value(found["type"]).startswith(PROVML):
                nodes[entity]["type"] = _short(term_value(found["type"]))
    edges: dict[tuple[str, str, str], dict[str, str | None]] = {}
    for row in rows:
        for end in (row["subject"], row["object"]):
            nodes.setdefault(end, {"id": end, "label": _short(end), "type": ""})
        reached = nodes[row["node"]]
        if row["node_label"] is not None:
            reached["label"] = row["node_label"]
        if row["node_class"] is not None:
            reached["type"] = _short(row["node_class"])
        relation = RELATIONS.get(row["how"], row["how"])
        edges.setdefault(
            (row["subject"], relation, row["object"]),
            {
                "source": row["subject"],
                "target": row["object"],
                "relation": relation,
                "how": row["how"],
                "run": row["run"],
                "run_label": row["run_label"],
            },
        )
    kept = list(edges.values())[:MAX_EDGES]
    used = {entity} | {str(e["source"]) for e in kept} | {str(e["target"]) for e in kept}
    return {
        "entity": entity,
        "nodes": [found for iri, found in nodes.items() if iri in used],
        "edges": kept,
        "truncated": len(edges) > MAX_EDGES,
    }


async def lineage_route(request: Request) -> Response:
    """`GET /lineage?entity=IRI`: the lineage graph as JSON; 400 without a usable IRI."""
    entity = request.query_params.get("entity")
    if not entity:
        raise HTTPException(400, "name the entity: /lineage?entity=<IRI>")
    runner: QueryPool = request.app.state.runner
    return JSONResponse(await runner.run(lineage, entity, what="the lineage query"))
