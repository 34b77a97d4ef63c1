"""`task.invalidated`: a version (or a stable entity) ended by a task, loaded into an on-disk
Oxigraph store as prov:wasInvalidatedBy / prov:invalidatedAtTime and queried back."""

from __future__ import annotations

import io

import pytest

from provml import CaptureError, Workflow
from provml.loaders.load import load_spools
from provml.loaders.prov_export import export
from tests.capture.integrations.loaded import (
    entity_iri,
    loaded,
    rows,
    run_iri,
    task_iri,
    version_iri,
)
from tests.helpers.capture import of_kind, read_valid_events


def test_invalidated_versions_and_entities_load_and_query_back(tmp_path):
    first = tmp_path / "step-1.ckpt"
    with Workflow("invalidation", spool_dir=tmp_path / "spool") as wf:
        with wf.task("train", "learning", stage="training") as train:
            first.write_bytes(b"weights 1")
            checkpoint = wf.checkpoint("step 1", path=first)
            train.generated(checkpoint)
            first.unlink()
            train.invalidated(checkpoint)
        with wf.task("clean up", "other") as cleanup:
            cleanup.invalidated("scratch-table")
        with pytest.raises(CaptureError):
            cleanup.invalidated(42)  # type: ignore[arg-type]
    run = wf.run_id
    events = read_valid_events(tmp_path / "spool")
    versioned, stable = of_kind(events, "invalidated")
    assert versioned["version"] == checkpoint.version and "version" not in stable

    with loaded(tmp_path / "spool", tmp_path) as store:
        found = rows(store, "invalidated_entities", run=run_iri(run))
        # A replay writes the same triples again: nothing new appears.
        load_spools(store, [tmp_path / "spool"])
        again = rows(store, "invalidated_entities", run=run_iri(run))
        document = io.BytesIO()
        export(store, document, "prov-n", graph=run_iri(run))
    assert found == again
    assert [(str(row["version"]), row["invalidator"], row["generator"]) for row in found] == [
        (
            version_iri(checkpoint.id, checkpoint.version),
            task_iri(run, train.id),
            task_iri(run, train.id),
        ),
        (entity_iri("scratch-table"), task_iri(run, cleanup.id), None),
    ]
    assert found[0]["path"] == str(first)
    # The event's time, to the literal's precision.
    times = [row["invalidated"].timestamp() for row in found]
    assert times == pytest.approx([e["t"] for e in (versioned, stable)], abs=1e-3)
    # A W3C PROV document of the run holds the invalidations as PROV records.
    text = document.getvalue().decode()
    assert text.count("wasInvalidatedBy(") == 2
