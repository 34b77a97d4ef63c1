"""Hostile input to `provml serve`: each gets a clear 4xx (or 503 past its time limit) and the
store does not change."""

from __future__ import annotations

import pytest

from tests.helpers.serve import RUN, TOKEN, build_store, running_server

SLOW_STREAMING = (
    "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(SHA256(STR(?c)) = SHA256(STR(?i))) }"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A writable server (updates need its token), so refusals are the server's checks."""
    store = build_store(tmp_path_factory.mktemp("hostile"))
    with running_server(
        store, "--allow-update", "--token", TOKEN, "--timeout", "2", "--workers", "1"
    ) as running:
        running.before = running.quad_count()
        yield running
        assert running.quad_count() == running.before


def refused(server, status, *fragments, **request):
    code, _, body = server.request("/sparql", **request)
    text = body.decode()
    assert code == status, text
    for fragment in fragments:
        assert fragment in text
    assert server.quad_count() == server.before
    return text


@pytest.mark.parametrize(
    "query",
    [
        "SELEC ?s WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o ",
        'SELECT ?s WHERE { ?s ?p "unterminated }',
        "SELECT ?s WHERE { ?s <http://e/a b> ?o }",
        "\x00\x01\x02",
    ],
)
def test_malformed_sparql_is_400(server, query):
    refused(server, 400, "error: the query", params={"query": query})


@pytest.mark.parametrize(
    "update",
    [
        "CLEAR ALL",
        "DROP SILENT GRAPH <https://w3id.org/provml/ontology>",
        f"DELETE WHERE {{ GRAPH <{RUN}> {{ ?s ?p ?o }} }}",
        "INSERT DATA { <http://e/a> <http://e/p> 1 }",
        "LOAD <http://127.0.0.1:9/nothing>",
    ],
)
def test_updates_sent_as_queries_are_refused(server, update):
    refused(server, 400, "updates are refused", params={"query": update})


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_updates_without_the_token_are_401(server, headers):
    refused(
        server,
        401,
        "Authorization: Bearer",
        data=b"update=CLEAR+ALL",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    refused(
        server,
        401,
        "Authorization: Bearer",
        data=b"CLEAR ALL",
        headers={"Content-Type": "application/sparql-update", **headers},
    )


def test_update_by_get_is_refused(server):
    refused(server, 405, "POST", params={"update": "CLEAR ALL"})


def test_service_in_a_query_is_refused(server):
    refused(
        server,
        400,
        "SERVICE is refused",
        params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
    )


def test_huge_query_is_413_before_it_is_parsed(server):
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300_000
    refused(
        server,
        413,
        "larger than this server's limit",
        data=huge.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    refused(
        server,
        413,
        "larger than this server's limit",
        data=b"query=" + huge.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_huge_query_by_get_is_413(server):
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300_000
    refused(server, 413, "larger than this server's limit", params={"query": huge})


def test_deeply_nested_query_is_a_clear_4xx(server):
    nested = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
    code, _, body = server.request(
        "/sparql", data=nested.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert code == 400 and body.startswith(b"error: the query"), body


@pytest.mark.parametrize(
    ("content_type", "what"), [("text/plain", "text/plain"), ("", "no content type")]
)
def test_post_of_another_media_type_is_415(server, content_type, what):
    refused(
        server,
        415,
        what,
        data=b"SELECT * WHERE { ?s ?p ?o }",
        headers={"Content-Type": content_type},
    )


def test_no_query_or_both_is_400(server):
    refused(server, 400, "exactly one", params={})
    refused(
        server,
        400,
        "given 2 times",
        data=b"query=ASK{}&query=ASK{}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.mark.parametrize(
    "value",
    [
        "https://e/r> } CLEAR ALL {",
        "https://e/r\n} ; DROP ALL",
        'x" . ?s ?p ?o . "',
        "https://e/<script>",
        "https://e/r\u0000",
        "not an iri at all",
    ],
)
def test_canned_parameters_that_break_iris_are_400(server, value):
    code, _, body = server.request("/queries/run_hyperparameters", params={"workflow": value})
    assert code == 400, body
    assert b"run_hyperparameters: parameter workflow (iri)" in body
    assert server.quad_count() == server.before


@pytest.mark.parametrize("value", ['loss" } ; CLEAR ALL ; {', "loss\n}\n", "lo'ss\\u0022"])
def test_string_parameters_with_quotes_and_newlines_are_bound_as_text(server, value):
    code, _, body = server.request(
        "/queries/metric_trajectory", params={"run": RUN, "metric": value}
    )
    assert code == 200, body
    assert b'"rows": []' in body
    assert server.quad_count() == server.before


def test_unknown_and_repeated_parameters_are_400(server):
    code, _, body = server.request("/queries/metric_trajectory", params={"run": RUN, "nope": "1"})
    assert code == 400 and b"unknown parameter 'nope'" in body
    code, _, body = server.request(f"/queries/metric_trajectory?run={RUN}&run={RUN}&metric=loss")
    assert code == 400 and b"given more than once" in body


def test_unknown_canned_query_is_404(server):
    code, _, body = server.request("/queries/drop_everything")
    assert code == 404 and b"no canned query named 'drop_everything'" in body


def test_lineage_of_a_bad_iri_is_400(server):
    code, _, body = server.request("/lineage", params={"entity": "https://e/> } CLEAR ALL {"})
    assert code == 400 and b"entity" in body


def test_a_query_past_the_time_limit_is_503_and_stops(server):
    """With one worker, the next query is answered only if the abandoned one stopped."""
    code, headers, body = server.request("/sparql", params={"query": SLOW_STREAMING})
    assert code == 503, body
    assert b"longer than this server's limit of 2 s" in body and headers["retry-after"]
    code, _, body = server.request("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert code == 200 and b"true" in body


def test_a_request_for_another_host_name_is_refused(server):
    """DNS rebinding: a page from another site whose name now resolves to 127.0.0.1."""
    code, _, body = server.request(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Host": "attacker.example"}
    )
    assert code == 400 and b"Invalid host header" in body
    code, _, _ = server.request(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Host": "localhost"}
    )
    assert code == 200
