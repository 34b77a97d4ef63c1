"""provml.queries: headers parsed from .rq files, typed parameters, typed rows, pandas, errors,
and the remote backend agreeing with Oxigraph on a parameter used only in a FILTER."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import pandas
import pyoxigraph
import pytest
from typer.testing import CliRunner

from provml import QueryError, UnknownQuery, UnsafeParameter
from provml.cli.app import app
from provml.kg import open_store
from provml.kg.sparql_text import bind, first_group_brace
from provml.loaders.load import load_spools
from provml.queries import (
    IRI,
    Param,
    QueryRows,
    get_query,
    list_queries,
    run_query,
    to_python,
)
from provml.queries.params import to_term
from tests.helpers.loaders import write_seismic_workflow

QUERIES = Path(__file__).parents[1] / "data" / "queries"
RUN = "https://w3id.org/provml/id/run/f3-001"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def store_directory(tmp_path_factory):
    """A store holding the seismic workflow, loaded through capture -> spool -> load."""
    root = tmp_path_factory.mktemp("queries-api")
    write_seismic_workflow(root / "spool", epochs=3)
    with open_store(root / "store") as store:
        report = load_spools(store, [root / "spool"])
    assert report.events > 0 and not report.bad
    return root / "store"


@pytest.fixture
def store(store_directory):
    with open_store(store_directory) as opened:
        yield opened


# -- catalog -----------------------------------------------------------------------------------


def test_the_test_queries_are_listed_with_their_header():
    listed = list_queries([QUERIES])
    # The canned queries are listed too; these three come from the test directory.
    found = {q.name: q for q in listed if Path(q.source).parent == Path(QUERIES)}
    assert sorted(found) == ["labelled", "measures_above", "run_tasks"]
    assert len(listed) > len(found)
    tasks = found["run_tasks"]
    assert tasks.summary == "The tasks directly under a run, with their labels and start times."
    # A value continues on `#+   ` lines.
    assert tasks.description.endswith(
        "every task execution that is part of the run, in start order."
    )
    assert tasks.taxonomy == {
        "data": ("execution",),
        "execution": ("offline", "online"),
        "training": ("none",),
        "phase": ("across",),
        "provenance": ("retrospective",),
    }
    assert [(p.name, p.type, p.required) for p in tasks.params] == [("run", "iri", True)]
    assert [(c.name, c.type) for c in tasks.returns][-1] == ("started", "datetime")
    above = found["measures_above"]
    assert [(p.name, p.type, p.default) for p in above.params] == [
        ("name", "string", "loss"),
        ("threshold", "float", "0.5"),
    ]
    assert [c.name for c in above.returns][-1] == "split"  # returns continued on a second line
    assert tasks.source.endswith("run_tasks.rq")
    assert "SELECT ?run ?task" in tasks.text


def test_the_packaged_queries_all_parse():
    # Whatever canned .rq files ship in provml.queries, each has a valid header.
    for query in list_queries():
        assert query.summary and query.source.endswith(f"{query.name}.rq")


def test_an_unknown_query_names_close_matches():
    with pytest.raises(UnknownQuery, match=r"'measure_above'.*did you mean measures_above"):
        get_query("measure_above", [QUERIES])
    with pytest.raises(UnknownQuery, match="provml queries"):
        get_query("zzzz", [QUERIES])


def test_a_missing_query_directory_is_a_query_error(tmp_path):
    with pytest.raises(QueryError, match="absent"):
        list_queries([tmp_path / "absent"])


GOOD_HEAD = "#+ summary: S.\n"
BODY = "SELECT ?x ?n WHERE { ?x ?p ?n }\n"


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        (GOOD_HEAD + "#+ colour: blue\n", 2, "unknown header key 'colour'"),
        ("#+ taxonomy: data=ml\n", 1, r"no `#\+ summary"),
        (GOOD_HEAD + "#+ taxonomy: data=ml;\n#+   phase=training\n", 2, "phase='training'"),
        (GOOD_HEAD + "#+ taxonomy: colour=red\n", 2, "colour=red"),
        (GOOD_HEAD + "#+ params: x: uri\n", 2, "unknown type 'uri'"),
        (GOOD_HEAD + "#+ params: n: integer = ten\n", 2, "default of .*parameter n"),
        (GOOD_HEAD + "#+ params: y: string\n", 2, r"'y' is not a variable"),
        (GOOD_HEAD + "#+ params: p: iri\n", 2, r"'p' must be projected"),
        (GOOD_HEAD + "#+ params: x: iri; x: iri\n", 2, "declared twice"),
        (GOOD_HEAD + "#+ params: x iri\n", 2, "not `name: type"),
        (GOOD_HEAD + "#+ returns: x (decimal)\n", 2, "result column 'x \\(decimal\\)'"),
        (GOOD_HEAD + "#+ summary: again\n", 2, "given twice"),
        (GOOD_HEAD + "#+description: x\n", 2, "start with `#\\+ `"),
        (GOOD_HEAD + "#+ params: x: iri\n#+ limit: x\n", 3, "limit 'x' must name an integer"),
        (GOOD_HEAD + "#+ limit: k\n", 2, "limit 'k' must name an integer"),
        (GOOD_HEAD + "#+ latency: fast\n", 2, "latency 'fast' is not one of interactive, lineage"),
        (GOOD_HEAD + "#+ params: x: iri\n#+ example: y = run\n", 3, "'y' is not a declared"),
        (GOOD_HEAD + "#+ params: n: integer\n#+ example: n = 1.5\n", 3, "example of .*param"),
        (GOOD_HEAD + "#+ params: n: integer\n#+ example: n 1\n", 3, "is not `name = "),
        (GOOD_HEAD + "#+ volatile: y\n", 2, "volatile 'y' is not a result column"),
    ],
)
def test_header_errors_name_the_file_and_line(tmp_path, header, line, message):
    (tmp_path / "bad.rq").write_text(header + BODY)
    with pytest.raises(QueryError, match=message) as raised:
        get_query("bad", [tmp_path])
    assert f"bad.rq:{line}:" in str(raised.value)


def test_header_facts_are_parsed(tmp_path):
    (tmp_path / "facts.rq").write_text(
        GOOD_HEAD + "#+ params: x: iri ; n: integer ; s: string\n#+ latency: lineage\n"
        '#+ example: x = finished_run ; n = 3 ; s = "a b"\n#+ volatile: n\n'
        "SELECT ?x ?n ?s WHERE { ?x ?s ?n }\n"
    )
    query = get_query("facts", [tmp_path])
    assert query.latency == "lineage" and query.volatile == ("n",)
    assert [(e.param, e.value, e.recipe) for e in query.examples] == [
        ("x", None, "finished_run"),
        ("n", 3, None),
        ("s", "a b", None),
    ]


def test_a_changed_query_file_is_read_again_an_unchanged_one_is_not(tmp_path):
    path = tmp_path / "mine.rq"
    path.write_text("#+ summary: first\n" + BODY)
    first = get_query("mine", [tmp_path])
    assert get_query("mine", [tmp_path]) is first  # parsed once
    assert get_query("top_runs_by_metric") is get_query("top_runs_by_metric")
    path.write_text("#+ summary: second, longer\n" + BODY)
    assert get_query("mine", [tmp_path]).summary == "second, longer"


def test_a_header_without_a_query_is_refused(tmp_path):
    (tmp_path / "empty.rq").write_text(GOOD_HEAD)
    with pytest.raises(QueryError, match=r"empty\.rq: no SPARQL query"):
        get_query("empty", [tmp_path])


# -- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", "42", pyoxigraph.Literal("42", datatype=pyoxigraph.NamedNode(XSD + "integer"))),
        ("integer", -3, pyoxigraph.Literal("-3", datatype=pyoxigraph.NamedNode(XSD + "integer"))),
        (
            "float",
            "0.25",
            pyoxigraph.Literal("0.25", datatype=pyoxigraph.NamedNode(XSD + "double")),
        ),
        ("float", 2, pyoxigraph.Literal("2.0", datatype=pyoxigraph.NamedNode(XSD + "double"))),
        (
            "boolean",
            "TRUE",
            pyoxigraph.Literal("true", datatype=pyoxigraph.NamedNode(XSD + "boolean")),
        ),
        (
            "boolean",
            False,
            pyoxigraph.Literal("false", datatype=pyoxigraph.NamedNode(XSD + "boolean")),
        ),
        (
            "datetime",
            "2026-01-31T13:00:00+01:00",
            pyoxigraph.Literal(
                "2026-01-31T12:00:00Z", datatype=pyoxigraph.NamedNode(XSD + "dateTime")
            ),
        ),
        (
            "datetime",
            dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC),
            pyoxigraph.Literal(
                "2026-01-31T12:00:00Z", datatype=pyoxigraph.NamedNode(XSD + "dateTime")
            ),
        ),
        ("string", 'a "quoted" } text', pyoxigraph.Literal('a "quoted" } text')),
        ("iri", "https://w3id.org/provml/id/run/r1", pyoxigraph.NamedNode(RUN[:-6] + "r1")),
    ],
)
def test_parameter_values_become_typed_terms(kind, value, expected):
    assert to_term(Param("p", kind), value, "q") == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("integer", "1.5"),
        ("integer", "1e3"),
        ("integer", True),
        ("integer", "12; DROP"),
        ("float", "nan"),
        ("float", "1,5"),
        ("float", float("inf")),
        ("float", "0.5) } CLEAR ALL {"),
        ("boolean", "yes"),
        ("boolean", 1),
        ("datetime", "2026-01-31"),
        ("datetime", "yesterday T noon"),
        ("string", 12),
        ("iri", "run/f3-001"),
        ("iri", "https://e/a> } CLEAR ALL { <https://e/b"),
        ("iri", "https://e/a\nb"),
        ("iri", "https://e/a b"),
        ("iri", 'https://e/"a"'),
        ("iri", "https://e/\\u0022"),
        ("iri", "https://e/{a}"),
        ("iri", "https://e/a|b"),
        ("iri", "https://e/a^b"),
        ("iri", "https://e/a`b"),
    ],
)
def test_values_their_type_refuses_name_the_query_and_parameter(kind, value):
    with pytest.raises(UnsafeParameter, match=rf"^my_query: parameter threshold \({kind}\)"):
        to_term(Param("threshold", kind), value, "my_query")


def test_unknown_missing_and_ill_typed_parameters_name_the_query(store):
    with pytest.raises(QueryError, match=r"run_tasks: unknown parameter 'rn' \(parameters: run\)"):
        run_query(store, "run_tasks", directories=[QUERIES], rn=RUN)
    with pytest.raises(QueryError, match=r"run_tasks: missing required parameter run \(iri\)"):
        run_query(store, "run_tasks", directories=[QUERIES])
    with pytest.raises(UnsafeParameter, match=r"measures_above: parameter threshold"):
        run_query(store, "measures_above", directories=[QUERIES], threshold="high")


# -- typed rows --------------------------------------------------------------------------------


def test_rows_hold_python_values(store):
    rows = run_query(store, "run_tasks", directories=[QUERIES], run=RUN)
    assert rows.columns == ["run", "task", "label", "started"]
    assert [row["label"] for row in rows] == [
        "clean seismic",
        "prepare patches",
        "train unet",
        "evaluate",
        "predict faults",
    ]
    first = next(iter(rows))
    assert type(first["run"]) is IRI and first["run"] == RUN
    assert type(first["label"]) is str
    assert isinstance(first["started"], dt.datetime) and first["started"].tzinfo is not None
    assert len(rows) == 5


def test_a_default_is_bound_when_the_parameter_is_omitted(store):
    defaults = run_query(store, "measures_above", directories=[QUERIES])
    assert {row["threshold"] for row in defaults} == {0.5}
    assert all(type(row["value"]) is float and row["value"] > 0.5 for row in defaults)
    assert all(type(row["epoch"]) is int for row in defaults)
    higher = run_query(store, "measures_above", directories=[QUERIES], threshold=1.0)
    assert [row["value"] for row in higher] == [1.5]
    assert len(higher) < len(defaults)
    nothing = run_query(store, "measures_above", directories=[QUERIES], name="f1", threshold="0.9")
    assert len(nothing) == 0
    f1 = run_query(store, "measures_above", directories=[QUERIES], name="f1", threshold="0.5")
    assert [row["value"] for row in f1] == [0.864]


def literal(lexical, datatype):
    return pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(XSD + datatype))


@pytest.mark.parametrize(
    ("term", "value"),
    [
        (literal("7", "long"), 7),
        (literal("2.50", "decimal"), Decimal("2.50")),
        (literal("1.0E0", "double"), 1.0),
        (literal("true", "boolean"), True),
        (literal("0", "boolean"), False),
        (literal("2026-01-31", "date"), dt.date(2026, 1, 31)),
        (literal("2026-01-31T12:00:00Z", "dateTime"), dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)),
        (literal("not a number", "integer"), "not a number"),
        (pyoxigraph.Literal("hallo", language="de"), "hallo"),
        (pyoxigraph.NamedNode("https://e/x"), IRI("https://e/x")),
        (None, None),
    ],
)
def test_terms_convert_to_python_values(term, value):
    converted = to_python(term)
    assert converted == value and type(converted) is type(value)


def test_rows_to_pandas(store):
    frame = run_query(store, "measures_above", directories=[QUERIES]).to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["name", "threshold", "measure", "value", "epoch", "split"]
    assert frame["value"].dtype == "float64"
    assert frame["value"].is_monotonic_increasing
    assert frame["measure"].map(type).eq(str).all()


def test_to_pandas_without_pandas_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    with pytest.raises(
        QueryError,
        match=r"q: to_pandas\(\) needs the 'pandas' extra: pip install 'provml\[pandas\]'",
    ):
        QueryRows(["a"], [{"a": 1}], "q").to_pandas()


# -- remote agreement --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "brace_before"),
    [
        ("SELECT ?a WHERE { ?a ?b ?c }", "SELECT ?a WHERE "),
        ("PREFIX e: <http://e/>  # a { in a comment\nSELECT ?a {", "SELECT ?a "),
        ("SELECT (IF(?a < ?b, '{', \"}\") AS ?c) WHERE {", "AS ?c) WHERE "),
        ('SELECT ("""{ "quoted" {""" AS ?c) WHERE {', "AS ?c) WHERE "),
        ('SELECT ("\\"{" AS ?c) WHERE {', "AS ?c) WHERE "),
        ("SELECT ?a FROM <http://e/g> WHERE {", "WHERE "),
    ],
)
def test_the_values_block_opens_the_where_group(text, brace_before):
    brace = first_group_brace(text)
    assert brace is not None and text[:brace].endswith(brace_before)
    name = "c" if "AS ?c" in text else "a"
    bound = bind(text, "SELECT", {name: pyoxigraph.Literal("x")})
    assert bound.startswith(text[: brace + 1] + " VALUES (")


def test_a_filter_parameter_gives_the_same_rows_on_virtuoso(
    store_directory, virtuoso, virtuoso_system_graphs, tmp_path
):
    with open_store(store_directory) as embedded:
        local = {
            threshold: run_query(
                embedded, "measures_above", directories=[QUERIES], threshold=threshold
            )
            for threshold in (0.5, 1.0)
        }
    write_seismic_workflow(tmp_path / "spool", epochs=3)
    with virtuoso.open() as remote:
        try:
            load_spools(remote, [tmp_path / "spool"])
            remote_rows = {
                threshold: run_query(
                    remote, "measures_above", directories=[QUERIES], threshold=threshold
                )
                for threshold in (0.5, 1.0)
            }
        finally:
            for graph in remote.graphs():
                if graph not in virtuoso_system_graphs:
                    remote.update(f"DROP SILENT GRAPH <{graph}>")

    def comparable(rows):
        # Event ids in measure IRIs differ between the two captures; the values do not.
        return sorted((r["name"], r["threshold"], r["value"], r["epoch"], r["split"]) for r in rows)

    for threshold in (0.5, 1.0):
        assert comparable(remote_rows[threshold]) == comparable(local[threshold])
    assert len(local[1.0]) < len(local[0.5])


def test_a_quoted_string_default_is_the_text_inside_the_quotes(tmp_path):
    (tmp_path / "quoted.rq").write_text(
        "#+ summary: S.\n#+ params: x: string = \"validation\" ; n: string = 'a b'\n" + BODY
    )
    assert [p.default for p in get_query("quoted", [tmp_path]).params] == ["validation", "a b"]


# -- the CLI -----------------------------------------------------------------------------------


def cli(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input, terminal_width=200)


def test_provml_queries_lists_names_summaries_and_taxonomy():
    table = cli("queries", "--queries-dir", str(QUERIES))
    assert table.exit_code == 0, table.output
    assert "measures_above" in table.stdout and "phase=learning" in table.stdout
    listing = json.loads(cli("queries", "--queries-dir", str(QUERIES), "--format", "json").stdout)
    above = next(query for query in listing if query["name"] == "measures_above")
    assert above["taxonomy"]["training"] == ["intra"]
    assert above["params"][1] == {
        "name": "threshold",
        "type": "float",
        "default": "0.5",
        "required": False,
    }


def test_provml_query_prints_table_csv_and_json(store_directory):
    common = ["--queries-dir", str(QUERIES), "--store", str(store_directory)]
    args = ["query", "measures_above", *common, "--param", "threshold=1.0"]
    table = cli(*args)
    assert table.exit_code == 0, table.output
    assert "1.5" in table.stdout and "1 rows" in table.stdout
    csv_lines = cli(*args, "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "name,threshold,measure,value,epoch,split"
    assert csv_lines[1].startswith("loss,1.0,https://w3id.org/provml/id/run/f3-001/metric/")
    assert csv_lines[1].endswith(",1.5,0,validation")
    rows = json.loads(cli(*args, "--format", "json").stdout)
    assert [(row["value"], row["epoch"]) for row in rows] == [(1.5, 0)]
    tasks = json.loads(
        cli("query", "run_tasks", *common, "-p", f"run={RUN}", "--format", "json").stdout
    )
    assert dt.datetime.fromisoformat(tasks[0]["started"]).tzinfo is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "measure_above"], "did you mean measures_above"),
        (["query", "run_tasks"], "run_tasks: missing required parameter run (iri)"),
        (["query", "run_tasks", "-p", "run"], "--param 'run' is not name=value"),
        (["query", "run_tasks", "-p", f"run={RUN}", "-p", "run=x"], "--param run is given twice"),
    ],
)
def test_provml_query_errors(store_directory, args, message):
    result = cli(*args, "--queries-dir", str(QUERIES), "--store", str(store_directory))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_provml_query_on_a_missing_store_says_so(tmp_path):
    missing = tmp_path / "absent"
    result = cli("query", "labelled", "--queries-dir", str(QUERIES), "--store", str(missing),
                 "-p", "label=x")  # fmt: skip
    assert result.exit_code == 1 and f"no store at {missing}" in result.stderr
    assert not missing.exists()


def test_provml_sparql_answers_ask_and_construct(store_directory, tmp_path):
    ask = cli("sparql", "-", "--store", str(store_directory), "--format", "json",
              input=f"ASK {{ <{RUN}> ?p ?o }}")  # fmt: skip
    assert json.loads(ask.stdout) == [{"boolean": True}]
    construct = cli(
        "sparql", "-", "--store", str(store_directory), "--format", "csv",
        input=f"CONSTRUCT {{ <{RUN}> <http://e/p> ?o }} WHERE {{ <{RUN}> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?o }",
    )  # fmt: skip
    assert construct.stdout.splitlines() == [
        "subject,predicate,object",
        f"{RUN},http://e/p,fault segmentation",
    ]
    missing = cli("sparql", str(tmp_path / "none.rq"), "--store", str(store_directory))
    assert missing.exit_code == 1 and "cannot read the query" in missing.stderr
    bad = cli("sparql", "-", "--store", str(store_directory), input="SELECT WHERE")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: <stdin>: not a SPARQL query")
