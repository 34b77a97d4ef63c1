"""`provml import-prov` and `provml export` through typer's CliRunner on a real on-disk store."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import prov
import pyoxigraph
import pytest
from prov.model import ProvDocument
from typer.testing import CliRunner

from provml.cli.app import app
from provml.kg import open_store
from provml.loaders.prov_import import import_prov
from provml.ontology.paths import OILGAS_EXAMPLE

PROV_TESTS = Path(prov.__file__).parent / "tests"
BUNDLES = PROV_TESTS / "json" / "bundle2.json"
RUN_GRAPH = "https://w3id.org/provml/id/run/f3-001"


def _invoke(*arguments):
    return CliRunner().invoke(app, [str(argument) for argument in arguments])


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


def test_import_prov_then_export_gives_the_document_back(store, tmp_path):
    result = _invoke("import-prov", BUNDLES, "--store", store)
    assert result.exit_code == 0, result.output
    assert "2 bundles" in result.output
    graph = result.output.split(" into ")[1].split(",")[0]
    again = _invoke("import-prov", BUNDLES, "--store", store)
    assert again.exit_code == 0, again.output
    with open_store(store) as opened:
        assert opened.count() == sum(opened.count(g) for g in opened.graphs())
        count = opened.count()
    assert count > 0
    output = tmp_path / "out.json"
    result = _invoke(
        "export", "--graph", graph, "--format", "prov-json", "-o", output, "--store", store
    )
    assert result.exit_code == 0, result.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = ProvDocument.deserialize(str(BUNDLES), format="json")
        back = ProvDocument.deserialize(str(output), format="json")
    assert back == original
    with open_store(store) as opened:
        assert opened.count() == count


def test_export_writes_to_standard_output(store):
    with open_store(store) as opened:
        opened.load(OILGAS_EXAMPLE, "turtle", RUN_GRAPH)
    result = _invoke("export", "--run", "f3-001", "--format", "prov-json", "--store", store)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "https://w3id.org/provml/id/entity/f3-clean" in json.dumps(document)
    assert "note:" in result.stderr  # what PROV could not hold is said
    result = _invoke("export", "--run", "f3-001", "--format", "ntriples", "--store", store)
    assert result.exit_code == 0, result.output
    quads = list(
        pyoxigraph.parse(io.BytesIO(result.stdout_bytes), format=pyoxigraph.RdfFormat.N_TRIPLES)
    )
    # Every triple of the example, none added or lost.
    assert len(quads) == len(
        list(pyoxigraph.parse(path=OILGAS_EXAMPLE, format=pyoxigraph.RdfFormat.TURTLE))
    )


def test_export_of_the_whole_store(store):
    _invoke("import-prov", BUNDLES, "--store", store)
    result = _invoke("export", "--format", "nquads", "--store", store)
    assert result.exit_code == 0, result.output
    assert len(result.stdout_bytes.splitlines()) > 10
    refused = _invoke("export", "--format", "prov-n", "--store", store)
    assert refused.exit_code == 1
    assert "error: prov-n holds one PROV document: pass --run or --graph" in refused.stderr


def test_a_bad_file_is_reported_and_the_others_still_import(store, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"entity": \n  oops}')
    result = _invoke("import-prov", bad, BUNDLES, "--store", store)
    assert result.exit_code == 1
    assert f"error: {bad}:2: not a valid prov-json document" in result.stderr
    assert "bundle2.json" in result.stdout
    with open_store(store) as opened:
        assert len(opened.graphs()) == 3


def test_export_names_a_missing_run(store):
    _invoke("import-prov", BUNDLES, "--store", store)
    result = _invoke("export", "--run", "nope", "--format", "turtle", "--store", store)
    assert result.exit_code == 1
    assert "has no graph https://w3id.org/provml/id/run/nope" in result.stderr


def test_export_from_a_missing_store_creates_nothing(tmp_path):
    result = _invoke("export", "--format", "nquads", "--store", tmp_path / "none")
    assert result.exit_code == 1
    assert "no store at" in result.stderr
    assert not (tmp_path / "none").exists()


def test_a_document_without_statements_reports_no_graph_and_export_agrees(store, tmp_path):
    # It reported "0 triples into <graph>", a graph that `export` then said did not exist.
    comments = tmp_path / "comments.ttl"
    comments.write_text("# only a comment\n@prefix prov: <http://www.w3.org/ns/prov#> .\n")
    result = _invoke("import-prov", comments, "--store", store)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{comments}: no statements (0 triples); nothing imported, no graph\n"
    with open_store(store) as opened:
        assert opened.graphs() == [] and opened.count() == 0
        report = import_prov(opened, comments)
    assert (report.triples, report.bundles) == (0, [])
    exported = _invoke("export", "--graph", report.graph, "--format", "turtle", "--store", store)
    assert exported.exit_code == 1 and "has no graph" in exported.output, exported.output
    stats = _invoke("stats", "--store", store, "--format", "json")
    assert json.loads(stats.stdout)["triples"] == 0, stats.output


def test_a_control_character_is_replaced_in_prov_xml_and_kept_in_prov_json(store, tmp_path):
    """PROV-XML (XML 1.0) cannot hold a control character: it is replaced, with a note, and the
    other PROV formats keep it."""
    from xml.etree import ElementTree

    document = tmp_path / "control.json"
    document.write_text(
        json.dumps(
            {
                "prefix": {"ex": "http://example.org/"},
                "entity": {"ex:e": {"ex:note": "bell\u0007"}},
            }
        )
    )
    imported = _invoke("import-prov", document, "--store", store)
    assert imported.exit_code == 0, imported.output
    graph = imported.output.split(" into ")[1].split(",")[0].strip()
    xml_file, json_file = tmp_path / "out.xml", tmp_path / "out.json"
    result = _invoke(
        "export", "--graph", graph, "--format", "prov-xml", "--output", xml_file, "--store", store
    )
    assert result.exit_code == 0, result.output
    assert "1 text value(s) had them replaced by U+FFFD" in result.stderr, result.stderr
    notes = [
        element.text
        for element in ElementTree.parse(xml_file).iter()
        if element.tag.endswith("}note")
    ]
    assert notes == ["bell\ufffd"]
    kept = _invoke(
        "export", "--graph", graph, "--format", "prov-json", "--output", json_file, "--store", store
    )
    assert kept.exit_code == 0, kept.output
    (entity,) = json.loads(json_file.read_text(encoding="utf-8"))["entity"].values()
    assert "bell\u0007" in entity.values(), entity


def test_every_export_refusal_in_the_code_carries_a_message():
    """Each `raise ExportError(...)` in provml passes a message that is no empty string."""
    import ast
    import os

    import provml

    root = Path(provml.__file__).resolve().parent
    paths = [  # the layer folders are symlinks into the package
        Path(folder) / name
        for folder, _, names in os.walk(root, followlinks=True)
        for name in names
        if name.endswith(".py")
    ]
    raises = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", None) == "ExportError"
            ):
                raises.append((path, node.exc))
    assert len(raises) >= 6
    for path, call in raises:
        assert call.args, f"{path}:{call.lineno}: ExportError raised without a reason"
        message = call.args[0]
        assert not (isinstance(message, ast.Constant) and not str(message.value).strip()), (
            f"{path}:{call.lineno}: ExportError raised with an empty reason"
        )
