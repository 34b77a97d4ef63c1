"""`/lineage?entity=IRI`: the PROV graph around one entity, as nodes and edges for the page.

The query is `lineage.rq` beside this module; the IRI is validated and bound by the engine.
At most `MAX_EDGES` edges come back (`truncated` says when more matched).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provml.kg import SelectResult, named_node
from provml.kg.results import term_value
from provml.kg.store import Store
from provml.serve.workers import QueryPool

#: Edges drawn at most; a browser graph view beyond this is unreadable anyway.
MAX_EDGES = 500
PROV = "http://www.w3.org/ns/prov#"


@cache
def lineage_query() -> str:
    """The text of `lineage.rq`."""
    return files("provml.serve").joinpath("lineage.rq").read_text(encoding="utf-8")


def _short(iri: str) -> str:
    """The last segment of an IRI, for a label when the store has none."""
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def lineage(store: Store, entity: str) -> dict[str, Any]:
    """Nodes ({id, label, type}) and edges ({source, target, relation}) around `entity`.

    Raises UnsafeParameter for an IRI that cannot be one, QueryError or StoreError as
    `Store.query` does.
    """
    node = named_node(entity, "entity")
    answer = store.query(lineage_query(), {"entity": node})
    assert isinstance(answer, SelectResult)
    nodes: dict[str, dict[str, str]] = {entity: {"id": entity, "label": _short(entity), "type": ""}}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in answer:
        ends = []
        for end in ("source", "target"):
            term = row[end]
            iri = term_value(term) if term is not None else ""
            found = nodes.setdefault(iri, {"id": iri, "label": _short(iri), "type": ""})
            label, kind = row[f"{end}Label"], row[f"{end}Type"]
            if label is not None:
                found["label"] = term_value(label)
            if kind is not None:
                found["type"] = _short(term_value(kind))
            ends.append(iri)
        relation = row["relation"].value.removeprefix(PROV)  # type: ignore[union-attr]
        edges.setdefault(
            (ends[0], relation, ends[1]),
            {
                "source": ends[0],
                "target": ends[1],
                "relation": relation,
            },
        )
    kept = list(edges.values())[:MAX_EDGES]
    used = {entity} | {e["source"] for e in kept} | {e["target"] for e in kept}
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
