"""The explorer of `provml serve` in real headless Chromium (Debian's chromium and chromedriver,
driven by Selenium), on a store loaded through capture: workflows -> runs table (filtered by a
parameter range) -> a run (its charts) -> two runs compared -> the model -> its upstream lineage
down to the raw data. Each step checks what the page shows against the store's own SPARQL
answers (through the server's /sparql) and saves a screenshot under the test's tmp dir."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from pathlib import Path
from string import Template

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from provml.queries import get_query
from tests.helpers.explorer import FAILING, RUNS, WORKFLOW, build_campaign_store
from tests.helpers.serve import running_server

WAIT_SECONDS = 30
ID = "https://w3id.org/provml/id/"
PREFIXES = """PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = build_campaign_store(tmp_path_factory.mktemp("explorer"))
    with running_server(store) as running:
        yield running


def ask(server, query: str, **iris: str) -> list[dict[str, str]]:
    """The store's own answer, through the server's SPARQL endpoint (`$name` in the query is
    the IRI given as `name`)."""
    return server.select(PREFIXES + Template(query).substitute(iris))


def shown(browser, view: str) -> None:
    """Wait until the page shows `view`, loaded."""
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: browser.execute_script(
            "return document.body.dataset.view === arguments[0]"
            " && document.body.dataset.state !== 'loading'"
            " && (location.hash || '#/').startsWith("
            "'#/' + (arguments[0] === 'workflows' ? '' : arguments[0]))",
            view,
        )
    )
    error = browser.find_element(By.ID, "view-error")
    assert not error.is_displayed(), error.text
    assert browser.execute_script("return document.body.dataset.state") == "ready"


def cells(browser, table: str, column: str) -> list[str]:
    """The texts of one column of a table on the page."""
    found = browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody td[data-col='{column}']")
    return [cell.text for cell in found]


def pairs(browser, table: str, key: str, value: str) -> list[tuple[str, str]]:
    """Two columns of a table on the page, row by row."""
    return list(zip(cells(browser, table, key), cells(browser, table, value), strict=True))


def run_names(browser) -> set[str]:
    """The runs listed in the runs table."""
    return set(cells(browser, "runs-table", "name"))


def tail(iri: str) -> str:
    """The last segment of an IRI, as the page names runs."""
    return urllib.parse.unquote(iri.rstrip("/").rsplit("/", 1)[-1])


def test_walk_from_workflows_to_the_raw_data_behind_a_model(server, browser, tmp_path):
    def screenshot(name: str) -> None:
        assert browser.save_screenshot(str(tmp_path / f"{name}.png"))

    # -- workflows: each with its run count, as the store counts them.
    browser.get("about:blank")
    browser.get(server.base + "/")
    shown(browser, "workflows")
    (expected,) = ask(
        server,
        "SELECT ?workflow (COUNT(DISTINCT ?run) AS ?runs) WHERE { ?workflow a provml:Workflow ;"
        ' rdfs:label "$label" . ?run provml:executesPlan ?workflow } GROUP BY ?workflow',
        label=WORKFLOW,
    )
    row = browser.find_element(
        By.CSS_SELECTOR, f"#workflows-table tr[data-workflow='{expected['workflow']}']"
    )
    assert row.find_element(By.CSS_SELECTOR, "td[data-col='runs']").text == expected["runs"]
    assert int(expected["runs"]) == len(RUNS)
    screenshot("01-workflows")

    # -- the runs table of that workflow, then filtered by a parameter range.
    row.find_element(By.CSS_SELECTOR, "a.workflow-link").click()
    shown(browser, "runs")
    runs = ask(server, "SELECT ?run WHERE { ?run provml:executesPlan <$workflow> }", **expected)
    assert run_names(browser) == {tail(found["run"]) for found in runs}
    nodes = ask(
        server,
        "SELECT ?run (COUNT(DISTINCT ?node) AS ?nodes) WHERE { ?run provml:executesPlan "
        "<$workflow> . GRAPH ?run { ?process provml:onNode ?node } } GROUP BY ?run",
        **expected,
    )
    assert pairs(browser, "runs-table", "name", "nodes") and set(
        pairs(browser, "runs-table", "name", "nodes")
    ) == {(tail(found["run"]), found["nodes"]) for found in nodes}
    low, high = 0.001, 0.005
    in_range = ask(
        server,
        "SELECT DISTINCT ?run WHERE { GRAPH ?run { ?task prov:used ?setting } ?setting "
        'provml:parameterName "learning_rate" ; prov:value ?value '
        f"FILTER(?value >= {low} && ?value <= {high}) }}",
    )
    wanted = {tail(found["run"]) for found in in_range}
    assert 1 < len(wanted) < len(RUNS)  # the filter keeps some runs and drops others
    field = browser.find_element(By.ID, "runs-filter")
    field.clear()
    field.send_keys(f"learning_rate in [{low}, {high}]", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: run_names(browser) == wanted)
    assert "filter=learning_rate" in urllib.parse.unquote_plus(browser.current_url)
    for name, rate in pairs(browser, "runs-table", "name", "learning_rate"):
        assert float(rate) == RUNS[name][0]
    # OR of two conditions, one a set (IN): the store's answer again.
    either = ask(
        server,
        "SELECT DISTINCT ?run WHERE { GRAPH ?run { ?task prov:used ?setting } ?setting "
        "provml:parameterName ?name ; prov:value ?value "
        "FILTER((?name = 'optimizer' && ?value IN ('sgd'))"
        " || (?name = 'batch_size' && ?value = 32)) }",
    )
    field.clear()
    field.send_keys("optimizer in (sgd) or batch_size = 32", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: run_names(browser) == {tail(found["run"]) for found in either}
    )
    field.clear()
    field.send_keys(f"learning_rate in [{low}, {high}]", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: run_names(browser) == wanted)
    screenshot("02-runs-filtered")

    # -- a run: a chart with one point per epoch recorded.
    run_name = max(wanted, key=lambda name: len(RUNS[name][3]))
    run = ID + "run/" + run_name
    browser.find_element(By.CSS_SELECTOR, f"#runs-table tr[data-run='{run}'] a.run-link").click()
    shown(browser, "run")
    (epochs,) = ask(
        server,
        "SELECT (COUNT(DISTINCT ?epoch) AS ?n) WHERE { GRAPH <$run> { ?measure a "
        'provml:EvaluationMeasure ; provml:measureName "loss" ; provml:split "validation" ; '
        "provml:epoch ?epoch } }",
        run=run,
    )
    points = browser.execute_script(
        "const chart = window.provmlCharts.loss;"
        "const at = chart.series.findIndex((series) => series.label === 'validation');"
        "return chart.data[at].filter((value) => value !== null).length;"
    )
    assert points == int(epochs["n"]) == len(RUNS[run_name][3])
    assert browser.find_elements(By.CSS_SELECTOR, ".chart[data-metric='loss'] canvas")
    settings = ask(
        server,
        "SELECT ?name ?value WHERE { GRAPH <$run> { ?task prov:used ?setting ;"
        " rdfs:label ?task_label } ?setting provml:parameterName ?parameter ; prov:value ?v "
        'BIND(CONCAT(?task_label, "/", ?parameter) AS ?name) BIND(STR(?v) AS ?value) }',
        run=run,
    )
    page_settings = dict(pairs(browser, "run-params", "name", "value"))
    assert page_settings == {found["name"]: found["value"] for found in settings}
    screenshot("03-run")

    # -- compare two runs picked in the table: overlaid curves, the parameter diff, the steps.
    other_name = FAILING if run_name != FAILING else sorted(wanted - {run_name})[0]
    assert {run_name, other_name} <= wanted
    browser.back()
    shown(browser, "runs")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: run_names(browser) == wanted)
    for name in (run_name, other_name):
        browser.find_element(
            By.CSS_SELECTOR, f"#runs-table tr[data-run='{ID}run/{name}'] input.pick"
        ).click()
    browser.find_element(By.ID, "compare-runs").click()
    shown(browser, "compare")
    overlaid = browser.execute_script(
        "const chart = window.provmlCharts['loss/validation'];"
        "return chart.series.slice(1).map((series, i) =>"
        " [series.label, chart.data[i + 1].filter((value) => value !== null).length]);"
    )
    assert dict(overlaid) == {name: len(RUNS[name][3]) for name in (run_name, other_name)}
    rates = {
        tail(found["run"]): found["value"]
        for found in ask(
            server,
            "SELECT ?run (STR(?v) AS ?value) WHERE { VALUES ?run { <$run> <$other> } GRAPH ?run"
            " { ?task prov:used ?setting } ?setting provml:parameterName 'learning_rate' ;"
            " prov:value ?v }",
            run=run,
            other=ID + "run/" + other_name,
        )
    }
    diff = browser.find_element(
        By.CSS_SELECTOR, "#diff-0 tr[data-kind='parameter'][data-name='train/learning_rate']"
    )
    # The diff's first run is the first in the compare URL (the table's order of the picks).
    first, second = map(
        tail,
        browser.execute_script(
            "return new URLSearchParams(location.hash.split('?')[1]).getAll('run')"
        ),
    )
    assert {first, second} == {run_name, other_name}
    assert diff.find_element(By.CSS_SELECTOR, "td[data-col='value']").text == rates[first]
    assert diff.find_element(By.CSS_SELECTOR, "td[data-col='other_value']").text == rates[second]
    steps = ask(
        server,
        "SELECT DISTINCT ?step WHERE { GRAPH <$other> { ?task provml:partOfExecution ?parent ; "
        "rdfs:label ?step } FILTER NOT EXISTS { GRAPH <$run> { ?mine provml:partOfExecution ?p ; "
        "rdfs:label ?step } } }",
        run=run,
        other=ID + "run/" + other_name,
    )
    only_other = browser.find_element(
        By.CSS_SELECTOR, f".steps-only[data-run='{ID}run/{other_name}']"
    ).text
    assert only_other == f"only in {other_name}: " + ", ".join(sorted(s["step"] for s in steps))
    assert "evaluate" in only_other
    screenshot("04-compare")

    # -- the model the run trained (from the run's page), its attributes as stored.
    browser.find_element(By.CSS_SELECTOR, f"a.run-link[title='{run}']").click()
    shown(browser, "run")
    (model,) = ask(
        server,
        "SELECT DISTINCT ?model ?label ?framework WHERE { GRAPH <$run> { ?version "
        "prov:wasGeneratedBy ?task } ?version provml:versionOf ?model . ?model a "
        "provml:TrainedModel ; rdfs:label ?label ; provml:frameworkName ?framework }",
        run=run,
    )
    browser.find_element(By.CSS_SELECTOR, f"#run-models a[title='{model['model']}']").click()
    shown(browser, "entity")
    assert browser.find_element(By.ID, "entity-title").text.startswith(model["label"])
    facts = dict(pairs(browser, "entity-facts", "name", "value"))
    assert facts["frameworkName"] == model["framework"]
    screenshot("05-model")

    # -- its upstream lineage reaches the raw data, in the list and in the graph.
    raw = ask(
        server,
        "SELECT DISTINCT ?raw WHERE { <$model> (^provml:versionOf|provml:versionOf|"
        "prov:wasDerivedFrom)+ ?raw . ?raw a provml:RawData }",
        model=model["model"],
    )
    assert raw
    raw_nodes = {found["raw"] for found in raw}
    upstream = browser.find_elements(By.CSS_SELECTOR, "#entity-upstream tbody tr")
    assert raw_nodes & {row.get_attribute("data-node") for row in upstream}
    drawn = browser.execute_script("return window.entityGraph.nodes().map((node) => node.id())")
    assert raw_nodes & set(drawn)
    browser.execute_script(
        "document.getElementById('entity-upstream').scrollIntoView({block: 'center'})"
    )
    screenshot("06-upstream-lineage")
    assert len(list(Path(tmp_path).glob("*.png"))) == 6


def test_the_search_box_finds_runs_by_parameter_and_entities_by_attribute(server, browser):
    browser.get("about:blank")
    browser.get(server.base + "/")
    shown(browser, "workflows")
    box = browser.find_element(By.ID, "search-input")
    box.send_keys("batch_size=16", Keys.ENTER)
    shown(browser, "search")
    tasks = ask(
        server,
        "SELECT DISTINCT ?run WHERE { GRAPH ?run { ?task prov:used ?setting } ?setting "
        "provml:parameterName 'batch_size' ; prov:value ?v FILTER(STR(?v) = '16') }",
    )
    assert sorted(cells(browser, "search-tasks", "run")) == sorted(
        tail(found["run"]) for found in tasks
    )
    box = browser.find_element(By.ID, "search-input")
    box.clear()
    box.send_keys("survey.name=F3 Netherlands", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: "survey.name" in browser.find_element(By.CSS_SELECTOR, "#view h1").text
    )
    shown(browser, "search")
    entities = cells(browser, "search-entities", "entity")
    assert "block 7" in entities or "block-7" in entities
    # A range over a metric and split: the runs whose final value lies in it.
    box = browser.find_element(By.ID, "search-input")
    box.clear()
    box.send_keys("loss/validation < 0.6", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: "loss/validation" in browser.find_element(By.CSS_SELECTOR, "#view h1").text
    )
    shown(browser, "search")
    runs = {
        found["run"]
        for found in ask(
            server,
            "SELECT ?run WHERE { ?summary provml:summarizesExecution ?run ; "
            'provml:summarizedMetric "loss" ; provml:summarizedSplit "validation" ; '
            "provml:finalValue ?final "
            "FILTER(?final < 0.6) }",
        )
    }
    assert 0 < len(runs) < len(RUNS)
    assert sorted(cells(browser, "search-runs", "run")) == sorted(tail(run) for run in runs)
    # `>` leaves out the bound itself: a run whose final value is the bound is not shown.
    finals = ask(
        server,
        "SELECT ?run ?final WHERE { ?summary provml:summarizesExecution ?run ; "
        'provml:summarizedMetric "loss" ; provml:summarizedSplit "validation" ; '
        "provml:finalValue ?final } ORDER BY ?final",
    )
    bound = finals[0]["final"]
    box = browser.find_element(By.ID, "search-input")
    box.clear()
    box.send_keys(f"loss/validation > {bound}", Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: f"> {bound}" in browser.find_element(By.CSS_SELECTOR, "#view h1").text
    )
    shown(browser, "search")
    above = sorted(tail(row["run"]) for row in finals if float(row["final"]) > float(bound))
    assert tail(finals[0]["run"]) not in above
    assert sorted(cells(browser, "search-runs", "run")) == above


def test_a_canned_query_text_is_served_for_the_editor(server):
    status, headers, body = server.request("/queries/run_metrics.rq")
    assert status == 200 and headers["content-type"].startswith("application/sparql-query")
    assert body.decode() == get_query("run_metrics").text
    assert server.request("/queries/no_such_query.rq")[0] == 404


def epochs_loaded(server, run: str) -> int:
    """How many epochs of the run's training loss the store holds."""
    (row,) = ask(
        server,
        "SELECT (COUNT(DISTINCT ?epoch) AS ?n) WHERE { GRAPH <$run> { ?measure "
        'provml:measureName "loss" ; provml:epoch ?epoch } }',
        run=run,
    )
    return int(row["n"])


def test_the_runs_table_follows_a_running_run(tmp_path, browser):
    # A run still going, loaded by `provml serve --follow` as it writes: the table, left open,
    # shows its newer epochs without being reloaded.
    spool = tmp_path / "spool"
    spool.mkdir()
    script = Path(__file__).parents[1] / "helpers" / "online_workflow.py"
    run = ID + "run/live-1"
    patient = WebDriverWait(
        browser, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
    )
    with running_server(tmp_path / "store", "--follow", str(spool)) as server:
        command = [sys.executable, str(script), str(spool), "live-1", "16"]
        with subprocess.Popen(command, stdout=subprocess.DEVNULL) as workflow:
            try:
                patient.until(lambda _: epochs_loaded(server, run) >= 1)
                browser.get("about:blank")
                query = urllib.parse.urlencode({"workflow": ID + "workflow/online%20training"})
                browser.get(f"{server.base}/#/runs?{query}")
                shown(browser, "runs")
                browser.execute_script("window.notReloaded = true")
                assert cells(browser, "runs-table", "status") == ["running"]
                first = int(cells(browser, "runs-table", "recorded_epochs")[0])
                patient.until(
                    lambda _: int(cells(browser, "runs-table", "recorded_epochs")[0] or 0) > first
                )
                assert browser.execute_script("return window.notReloaded === true")
                shown_epochs = int(cells(browser, "runs-table", "recorded_epochs")[0])
                assert first < shown_epochs <= epochs_loaded(server, run)
            finally:
                workflow.kill()
