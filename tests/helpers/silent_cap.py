"""A SPARQL endpoint that cuts every answer at a few rows and does not say so (no
`X-SPARQL-MaxRows`), as some servers do: queries run on an in-memory pyoxigraph store whose
default graph is the union of its graphs, over a threaded HTTP server on a loopback port."""

from __future__ import annotations

import http.server
import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph


def _binding(term: Any) -> dict[str, str]:
    """A pyoxigraph term as a SPARQL JSON results binding."""
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    binding = {"type": "literal", "value": term.value}
    if term.language:
        binding["xml:lang"] = term.language
    else:
        binding["datatype"] = term.datatype.value
    return binding


def _answer(store: pyoxigraph.Store, query: str, cap: int) -> tuple[str, bytes]:
    """The content type and body of the query's answer, cut at `cap` rows."""
    answer = store.query(query, use_default_graph_as_union=True)
    if isinstance(answer, pyoxigraph.QuerySolutions):
        names = [variable.value for variable in answer.variables]
        rows = [
            {name: _binding(row[name]) for name in names if row[name] is not None}
            for row in itertools.islice(answer, cap)
        ]
        document = {"head": {"vars": names}, "results": {"bindings": rows}}
        return "application/sparql-results+json", json.dumps(document).encode()
    if isinstance(answer, pyoxigraph.QueryBoolean):
        document = {"head": {}, "boolean": bool(answer)}
        return "application/sparql-results+json", json.dumps(document).encode()
    triples = list(itertools.islice(answer, cap))
    body = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return "text/turtle", body or b""


def serve_with_silent_cap(store: pyoxigraph.Store, cap: int) -> Iterator[str]:
    """Serve `store` until the generator is closed; yields the query URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("utf-8"))
            try:
                content_type, body = _answer(store, form["query"][0], cap)
                self.send_response(200)
            except (KeyError, SyntaxError, ValueError) as error:
                content_type, body = "text/plain", str(error).encode()
                self.send_response(400)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
