"""`provml demo`: a small seismic facies-classification workflow, captured with provml's public
API, loaded into an embedded store, questioned with the canned queries and drawn as a lineage
picture. Needs the `demo` extra (numpy, scikit-learn, matplotlib, networkx)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from provml.demo.answers import Answers
    from provml.demo.pipeline import DemoRuns


@dataclass(frozen=True)
class DemoResult:
    """What `run_demo` did: its runs, the answers it printed, and where things are."""

    runs: DemoRuns
    answers: Answers
    store: Path
    picture: Path
    events: int


def run_demo(output: Path, console: Console) -> DemoResult:
    """Run the workflow into `output`, load its spool into `output/provml-store`, print the
    answers and write the lineage picture. Running again adds new runs to the same store.

    Raises LoadError/StoreError as loading does, QueryError if a canned query fails.
    """
    from provml.demo import answers, lineage, report
    from provml.demo.pipeline import run_workflow
    from provml.kg import open_store
    from provml.loaders.load import load_spools
    from provml.loaders.ontology import load_ontology

    output.mkdir(parents=True, exist_ok=True)
    spool, store_dir = output / "provml-spool", output / "provml-store"
    with console.status("running the workflow (survey, curation, search, inference)"):
        runs = run_workflow(output, spool)
    console.print(
        f"workflow done: curation run {runs.curation_run}, {len(runs.trials)} training runs, "
        f"inference run {runs.inference_run} (agreement with the interpretation on the unseen "
        f"block: {runs.agreement:.3f})",
        highlight=False,
    )
    with open_store(str(store_dir)) as store:
        with console.status("loading the spool into the store"):
            load_ontology(store)
            loaded = load_spools(
                store,
                [spool],
                checkpoint=output / "provml-store.checkpoint.json",
                quarantine=output / "provml-store.quarantine.jsonl",
                workers=1,
            )
        console.print(
            f"loaded {loaded.events} events ({loaded.quads} quads) of {len(loaded.runs)} runs; "
            f"the store holds {store.count()} quads",
            highlight=False,
        )
        found = answers.answer(store, runs)
        report.print_raw_files(console, found, runs, output)
        report.print_ranking(console, found)
        report.print_loss_curve(console, found)
        report.print_curation(console, found)
        picture = lineage.draw_lineage(
            lineage.read_lineage(store, answers.entity_iri(runs.prediction)),
            output / "lineage.svg",
            f"Provenance of the predictions of the best model ({runs.best.run})",
        )
    report.print_next_steps(console, runs, found, store_dir, picture)
    return DemoResult(runs, found, store_dir, picture, loaded.events)
