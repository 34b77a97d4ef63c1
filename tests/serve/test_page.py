"""The browser page of `provml serve` in real headless Chromium (Debian's chromium and
chromedriver, driven by Selenium): the SPARQL console (`#/sparql`): canned query to rows, SPARQL
editor, lineage view. The explorer's views are walked in test_explorer.py."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.serve import MODEL, RUN, build_store, running_server

WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("page"))
    with running_server(store) as running:
        yield running


def wait(browser):
    return WebDriverWait(browser, WAIT_SECONDS)


def open_console(browser, server):
    """A fresh load of the console view (a hash change alone would keep the last test's page)."""
    browser.get("about:blank")
    browser.get(server.base + "/#/sparql")


def rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")


def test_canned_query_shows_rows_and_an_iri_opens_its_lineage(server, browser):
    open_console(browser, server)
    item = wait(browser).until(
        expected_conditions.element_to_be_clickable(
            (By.CSS_SELECTOR, '#canned-list li[data-name="metric_trajectory"]')
        )
    )
    item.click()
    browser.find_element(By.ID, "param-run").send_keys(RUN)
    browser.find_element(By.ID, "param-metric").send_keys("loss")
    browser.find_element(By.ID, "run-canned").click()
    wait(browser).until(lambda _: len(rows(browser)) == 4)
    assert browser.find_element(By.ID, "status").text == "4 rows"
    cells = [cell.text for cell in rows(browser)[0].find_elements(By.TAG_NAME, "td")]
    assert cells[0] == RUN and cells[1] == "fault segmentation" and cells[2] == "loss"

    rows(browser)[0].find_element(By.CSS_SELECTOR, "button.iri").click()
    wait(browser).until(lambda _: "nodes" in browser.find_element(By.ID, "lineage-status").text)
    assert browser.find_element(By.ID, "lineage-input").get_attribute("value") == RUN


def test_lineage_view_draws_the_models_provenance(server, browser):
    open_console(browser, server)
    field = wait(browser).until(
        expected_conditions.presence_of_element_located((By.ID, "lineage-input"))
    )
    field.send_keys(MODEL)
    browser.find_element(By.ID, "lineage-show").click()
    wait(browser).until(lambda _: "nodes" in browser.find_element(By.ID, "lineage-status").text)
    labels = browser.execute_script(
        "return window.lineageGraph.nodes().map((node) => node.data('label'))"
    )
    assert any(label.startswith("unet") for label in labels)
    assert any(label.startswith("train unet") for label in labels)  # the activity behind it
    assert any(label.startswith("F3 survey") for label in labels)  # the raw data upstream
    assert browser.find_elements(By.CSS_SELECTOR, "#lineage-graph canvas")


def test_sparql_editor_runs_a_query_and_shows_errors(server, browser):
    open_console(browser, server)
    editor = wait(browser).until(
        expected_conditions.presence_of_element_located((By.ID, "query-text"))
    )
    browser.find_element(By.ID, "run-sparql").click()
    wait(browser).until(lambda _: len(rows(browser)) > 0)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results-table th")]
    assert headers == ["entity", "label"]
    editor.clear()
    editor.send_keys("SELECT ?s WHERE { ?s ?p")
    browser.find_element(By.ID, "run-sparql").click()
    error = browser.find_element(By.ID, "error")
    wait(browser).until(lambda _: error.is_displayed())
    assert error.text.startswith("error: the query: not a SPARQL query")


def test_a_canned_query_is_a_template_for_the_editor(server, browser):
    open_console(browser, server)
    item = wait(browser).until(
        expected_conditions.element_to_be_clickable(
            (By.CSS_SELECTOR, '#canned-list li[data-name="task_times"]')
        )
    )
    item.click()
    browser.find_element(By.ID, "canned-to-editor").click()
    editor = browser.find_element(By.ID, "query-text")
    wait(browser).until(lambda _: "#+ summary:" in (editor.get_attribute("value") or ""))
    text = editor.get_attribute("value")
    assert text == server.request("/queries/task_times.rq")[2].decode()
    # The template runs as it is, its parameter left to the engine as an unbound variable.
    browser.find_element(By.ID, "run-sparql").click()
    headers = wait(browser).until(
        lambda _: [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results-table th")]
    )
    assert headers[:3] == ["run", "run_label", "task"]
